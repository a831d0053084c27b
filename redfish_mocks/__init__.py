"""A Redfish service emulating accelerator-bearing servers, for tests, demos and scale runs."""
