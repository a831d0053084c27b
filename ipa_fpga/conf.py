"""oslo.config options of the ramdisk side (group ``[ipa_fpga]``), registered on import.

In the IPA ramdisk they come from ``/etc/ironic-python-agent.d/*.conf`` (or the
``--config-file`` IPA is started with).
"""

import ipaddress

from oslo_config import cfg, types

GROUP = "ipa_fpga"


class _Network(types.ConfigType):
    """One CIDR (``10.20.0.0/16``; an address alone is its /32 or /128)."""

    def __init__(self):
        super().__init__(type_name="CIDR value")

    def __call__(self, value):
        return ipaddress.ip_network(str(value).strip(), strict=False)

    def _formatter(self, value):
        return str(value)


opts = [
    cfg.StrOpt("sysfs_root", default="/",
               help="Root of the sysfs/procfs/dev tree accelerators are read from and "
               "written through. '/' on real hosts; a fixture directory in tests."),
    cfg.ListOpt("allowed_url_schemes", default=["http", "https"],
                help="URL schemes images may be fetched from. Add 'file' only where local "
                "images are intended (e.g. images placed in the ramdisk)."),
    cfg.ListOpt("allowed_url_networks", default=[],
                item_type=_Network(),
                help="Networks (CIDRs, e.g. 10.20.0.0/16,2001:db8:5::/48) image URLs may "
                "reach. When set, the URL's host, every address its name resolves to and "
                "every redirect's target must be in one of them; empty: any address the "
                "built-in rule allows. The rule always applies (never a cloud metadata "
                "service, link-local, unspecified, multicast, broadcast or reserved "
                "address, nor IPv4 in a legacy form; loopback only with "
                "allow_loopback_urls): this list narrows it, never widens it."),
    cfg.BoolOpt("allow_loopback_urls", default=False,
                help="Allow image URLs on loopback addresses (127.0.0.0/8, ::1, "
                "localhost). Only for tests and single-machine setups: in a ramdisk, "
                "loopback reaches IPA's own API and whatever else listens there."),
    cfg.IntOpt("max_image_size_mb", default=4096, min=1,
               help="Largest firmware or bitstream image accepted, in MiB."),
    cfg.StrOpt("image_dir",
               help="Directory for downloaded images (default: the system temp dir)."),
    cfg.FloatOpt("download_timeout", default=60.0, min=1.0,
                 help="Seconds without data after which an image download fails."),
    cfg.IntOpt("fw_upload_timeout", default=1800, min=1,
               help="Seconds a firmware-upload (secure update) may take in all."),
    cfg.IntOpt("pr_timeout", default=120, min=1,
               help="Seconds a partial reconfiguration may take in all."),
]

cfg.CONF.register_opts(opts, group=GROUP)


def options():
    return cfg.CONF[GROUP]


def list_opts():
    """For ``oslo-config-generator`` (``oslo.config.opts`` name ``ipa_fpga``)."""
    return [(GROUP, opts)]
