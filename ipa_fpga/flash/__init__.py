"""Writing firmware through the kernel interfaces a device offers."""
