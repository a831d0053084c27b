"""Declarative descriptions of accelerator hosts, for the sysfs fixtures and the Redfish emulator.

One description yields both a host's in-band view (a sysfs tree) and its BMC's
out-of-band view (Redfish), so both describe the same cards.
"""
