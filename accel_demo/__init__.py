"""The end-to-end demo behind ``./tools/demo``: every part on embedded defaults, loopback only."""
