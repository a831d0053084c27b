"""``openstack accelerator ...`` commands of accel-api's own API (v2)."""
