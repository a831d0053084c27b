"""Ironic-side processing of the accelerator inventory sent by the ramdisk."""
