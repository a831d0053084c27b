"""oslo.config options of ironic_fpga, one module per feature (registered on import)."""
