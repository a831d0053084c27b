"""Options of the out-of-band accelerator firmware path (group ``[accel_redfish]``)."""

from oslo_config import cfg

GROUP = "accel_redfish"

opts = [
    cfg.IntOpt("task_timeout", default=1800, min=1,
               help="Seconds an accelerator firmware update task may run on the BMC before "
                    "the step fails."),
    cfg.IntOpt("unreachable_timeout", default=300, min=1,
               help="Seconds the BMC may stay unreachable during or right after an update "
                    "(e.g. while it reboots) before the step fails."),
    cfg.IntOpt("bmc_ready_timeout", default=0, min=0,
               help="Seconds an update step waits for a BMC that does not answer when an "
                    "accelerator firmware update is to start (it is rebooting, or busy "
                    "after a previous update); the start is tried again at each look of "
                    "the conductor meanwhile. 0: the same as unreachable_timeout."),
    cfg.BoolOpt("allow_file_images", default=False,
                help="Allow file:// image URLs; they are pushed to the BMC with the "
                     "UpdateService's MultipartHttpPushUri. Off by default: the conductor's "
                     "local files are not for API users to name."),
    cfg.IntOpt("update_status_interval", default=0, min=0,
               help="Seconds between two looks of the conductor at a running accelerator "
                    "firmware update (the update step waits in clean wait / service wait "
                    "meanwhile). 0: use [redfish] firmware_update_status_interval (60 when "
                    "that is 0 too)."),
    cfg.IntOpt("transport_retries", default=1, min=1,
               help="Attempts sushy makes per request before reporting the BMC unreachable "
                    "(the task poller has its own patience, unreachable_timeout)."),
]


#: Ironic reads ``CONF[<node.driver>].verify_ca`` (ironic/drivers/utils.py get_verify_ca)
#: for Redfish nodes, so the hardware type's name must also be a config group.
HW_TYPE_GROUP = "redfish-accel"

hw_type_opts = [
    cfg.StrOpt("verify_ca",
               help="Like [redfish] verify_ca, for nodes of the redfish-accel hardware type: "
                    "the CA bundle used when driver_info redfish_verify_ca is missing or "
                    "True."),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)
    conf.register_opts(hw_type_opts, group=HW_TYPE_GROUP)


def list_opts():
    return {GROUP: opts, HW_TYPE_GROUP: hw_type_opts}
