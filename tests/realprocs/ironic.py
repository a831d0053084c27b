"""A real Ironic (API + conductor in one ``ironic`` process) on loopback.

Configured as in shared/COMPONENTS.md: SQLite, noauth, no RPC bus, fake-hardware and redfish
hardware types, agent inspection, custom-agent deploy. Callers add options through
``extra_conf`` (e.g. inspection hooks, enabled firmware interfaces, ``[accel_api]``).
"""

import configparser
import os
import subprocess

import openstack.connection

from tests.realprocs import base

API_VERSION = "1.95"

_DEFAULTS = {
    "DEFAULT": {
        "auth_strategy": "noauth",
        "rpc_transport": "none",
        "enabled_hardware_types": "fake-hardware,redfish",
        "enabled_boot_interfaces": "fake,redfish-virtual-media",
        "enabled_deploy_interfaces": "fake,custom-agent,direct",
        "enabled_inspect_interfaces": "fake,agent,redfish,no-inspect",
        "enabled_management_interfaces": "fake,redfish",
        "enabled_power_interfaces": "fake,redfish",
        "enabled_firmware_interfaces": "fake,redfish,no-firmware",
        "enabled_network_interfaces": "noop",
        "enabled_vendor_interfaces": "fake,no-vendor,redfish",
        "enabled_bios_interfaces": "fake,no-bios,redfish",
        "enabled_raid_interfaces": "fake,no-raid,agent",
        "enabled_rescue_interfaces": "fake,no-rescue",
        "enabled_console_interfaces": "fake,no-console",
        "host": "ironic-accel-test",
        "use_stderr": "false",
        "debug": "true",
    },
    "api": {"host_ip": "127.0.0.1", "ramdisk_heartbeat_timeout": "10"},
    "dhcp": {"dhcp_provider": "none"},
    "conductor": {
        "automated_clean": "false",
        "sync_power_state_interval": "-1",
        "heartbeat_interval": "2",
        "deploy_callback_timeout": "120",
        "clean_callback_timeout": "120",
    },
    "inspector": {"require_managed_boot": "false", "power_off": "false"},
    "deploy": {"fast_track": "true"},
    "agent": {"require_tls": "false", "deploy_logs_collect": "never"},
    "redfish": {
        "firmware_update_status_interval": "2",
        "firmware_update_required_successes": "0",
        "firmware_update_reboot_delay": "5",
    },
    "json_rpc": {"auth_strategy": "noauth"},
    "oslo_concurrency": {},
}


class Ironic:
    """``Ironic(workdir, extra_conf).start()``; ``conn`` is an openstacksdk Connection."""

    def __init__(self, workdir, extra_conf=None):
        self.workdir = str(workdir)
        self.port = base.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.conf_path = os.path.join(self.workdir, "ironic.conf")
        self.log_path = os.path.join(self.workdir, "ironic.log")
        self.process = None
        conf = {section: dict(values) for section, values in _DEFAULTS.items()}
        conf["api"]["port"] = str(self.port)
        conf["database"] = {"connection": f"sqlite:///{self.workdir}/ironic.sqlite"}
        conf["service_catalog"] = {"endpoint_override": self.url}
        conf["oslo_concurrency"]["lock_path"] = os.path.join(self.workdir, "locks")
        for section, values in (extra_conf or {}).items():
            conf.setdefault(section, {}).update({k: str(v) for k, v in values.items()})
        self.conf = conf

    def write_config(self):
        parser = configparser.RawConfigParser()
        for section, values in self.conf.items():
            if section != "DEFAULT":
                parser.add_section(section)
            for key, value in values.items():
                parser.set(section, key, value)
        with open(self.conf_path, "w") as f:
            parser.write(f)

    def start(self, timeout=90):
        os.makedirs(self.workdir, exist_ok=True)
        self.write_config()
        subprocess.run(
            [base.venv_bin("ironic-dbsync"), "--config-file", self.conf_path, "create_schema"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        argv = [
            base.venv_bin("ironic"),
            "--config-file",
            self.conf_path,
            "--log-file",
            self.log_path,
        ]
        self.process = base.Process(argv, os.path.join(self.workdir, "ironic.stdout"))
        base.wait_http(f"{self.url}/v1", self.process, timeout=timeout)
        # The conductor registers shortly after the API answers.
        base.wait_for(self._conductor_up, timeout, what="the Ironic conductor to register")
        return self

    def _conductor_up(self):
        resp = self.session_get("/v1/conductors")
        return resp.status_code == 200 and resp.json().get("conductors")

    def session_get(self, path):
        import requests

        return requests.get(
            self.url + path, headers={"X-OpenStack-Ironic-API-Version": API_VERSION}, timeout=10
        )

    @property
    def conn(self):
        return openstack.connection.Connection(
            auth_type="none",
            baremetal_endpoint_override=self.url,
            baremetal_api_version=API_VERSION,
        )

    def log_tail(self, limit=6000):
        return base.file_tail(self.log_path, limit)

    def stop(self):
        if self.process is not None:
            self.process.stop()
            self.process = None
