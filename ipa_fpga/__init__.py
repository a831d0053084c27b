"""In-band accelerator work: runs in the IPA ramdisk and, as accel-agent, on hypervisors.

Kept light (no SQLAlchemy, no web framework): sysfs discovery, vendor drivers,
the IPA hardware manager and its steps, the inspection collector.
"""
