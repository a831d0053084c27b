"""Out-of-band accelerator firmware through sushy (Redfish UpdateService + TaskService)."""
