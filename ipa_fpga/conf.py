"""oslo.config options of the ramdisk side (group ``[ipa_fpga]``), registered on import.

In the IPA ramdisk they come from ``/etc/ironic-python-agent.d/*.conf`` (or the
``--config-file`` IPA is started with).
"""

from oslo_config import cfg

GROUP = "ipa_fpga"

opts = [
    cfg.StrOpt("sysfs_root", default="/",
               help="Root of the sysfs/procfs/dev tree accelerators are read from and "
               "written through. '/' on real hosts; a fixture directory in tests."),
    cfg.ListOpt("allowed_url_schemes", default=["http", "https"],
                help="URL schemes images may be fetched from. Add 'file' only where local "
                "images are intended (e.g. images placed in the ramdisk)."),
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
