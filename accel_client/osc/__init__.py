"""The OpenStack client plugin: ``openstack accelerator bitstream|programming job|claim|host``."""
