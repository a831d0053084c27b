"""The contract every ironic-accel part speaks: the host inventory document,
the device catalogue and the naming rules for traits and resource classes.

Kept to the standard library and jsonschema so it can run inside the IPA ramdisk.
"""
