"""The in-band steps of the hardware manager, one module per step."""
