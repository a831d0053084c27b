"""Client side of accel-api: an HTTP client on keystoneauth sessions and the OpenStack
client plugin (``openstack accelerator bitstream ...``) built on it."""
