"""Inventory reports to accel_api: at start, every ``report_interval``, and after each job.

A report is the host's inventory document (ipa_fpga discovery on ``[agent] root``)
``PUT`` to ``/v2/hosts/{hostname}/inventory``, followed by ``PUT
/v2/hosts/{hostname}/agent`` saying where this agent's JSON-RPC listens; its answer
carries the credential accel-api will call this host's agent with, whose hash the
agent keeps (``credential``). accel_api reports to Placement from there. Until the
first report succeeds it is retried every few seconds.
"""

import logging
import re
import threading

from ipa_fpga.discovery import discover

LOG = logging.getLogger(__name__)
RETRY = 2.0


def document(conf):
    """The inventory document of this host, saying how Placement should see it."""
    agent = conf.agent
    doc = discover(agent.root, agent.hostname)
    doc["host"]["nova_compute"] = bool(agent.nova_compute)
    if agent.nova_compute:
        doc["host"]["nodename"] = agent.nodename or agent.hostname
    set_physical_networks(doc, parse_physical_networks(agent.physical_networks))
    return doc


#: A Neutron physical network name as the inventory contract takes it.
PHYSNET_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_IDS_RE = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{4}$")


def parse_physical_networks(entries):
    """``[agent] physical_networks`` as [(match, physnet)]; ValueError says which entry
    is wrong (the agent does not start with a mapping it cannot apply)."""
    out = []
    for entry in entries or ():
        match, sep, physnet = str(entry).strip().rpartition("=")
        match = match.strip().lower()
        physnet = physnet.strip()
        if not sep or not match or not PHYSNET_RE.match(physnet):
            raise ValueError(
                f"[agent] physical_networks entry {str(entry)[:100]!r}: expected "
                "<PCI address or vendor:device>=<physnet>, the physnet 1 to 64 of "
                "A-Z a-z 0-9 _ . -")
        out.append((match, physnet))
    return out


def _ids(device):
    def _hex(value):
        return str(value or "").lower().removeprefix("0x").zfill(4)

    return f"{_hex(device.get('vendor_id'))}:{_hex(device.get('device_id'))}"


def set_physical_networks(doc, mapping):
    """Give each PCI handle the physnet of the first entry that matches it; how many."""
    if not mapping:
        return 0
    count = 0
    for device in doc.get("devices", []):
        ids = _ids(device)
        keys = {str(device.get("id", "")).lower(), ids}
        if _IDS_RE.match(ids) is None:
            keys.discard(ids)
        for dep in device.get("deployables", []):
            for handle in dep.get("attach_handles", []):
                if handle.get("type") != "PCI":
                    continue
                mine = keys | {str(handle.get("address", "")).lower()}
                physnet = next((p for match, p in mapping if match in mine), None)
                if physnet:
                    handle["physical_network"] = physnet
                    count += 1
    return count


class Reporter:
    def __init__(self, conf, session, version=None):
        self._conf = conf
        self._session = session
        self._version = version
        self._lock = threading.Lock()
        self.reported = 0

    def report(self):
        """One report; True on success (failures are logged, never raised)."""
        agent = self._conf.agent
        with self._lock:
            try:
                doc = document(self._conf)
                resp = self._session.put(f"/v2/hosts/{agent.hostname}/inventory", json=doc,
                                         raise_exc=False)
                if resp.status_code != 200:
                    LOG.error("inventory report refused: HTTP %s %s", resp.status_code,
                              resp.text[:300])
                    return False
                body = {"rpc_host": agent.advertise_host,
                        "rpc_port": self._conf.json_rpc.port, "version": self._version}
                resp = self._session.put(f"/v2/hosts/{agent.hostname}/agent", json=body,
                                         raise_exc=False)
                if resp.status_code != 200:
                    LOG.error("agent registration refused: HTTP %s %s", resp.status_code,
                              resp.text[:300])
                    return False
                self._keep_credential(resp)
            except Exception as exc:  # API down, discovery error: retried later
                LOG.error("inventory report failed: %s: %s", type(exc).__name__, exc)
                return False
            self.reported += 1
            LOG.info("reported %d device(s) of %s to accel_api", len(doc["devices"]),
                     agent.hostname)
            return True

    def _keep_credential(self, resp):
        """Keep (hashed) the JSON-RPC credential accel-api gave for this host."""
        from ipa_fpga.agent import conf as agent_conf
        from ipa_fpga.agent import credential

        if agent_conf.rpc_auth_strategy(self._conf) != "http_basic":
            return
        given = resp.json().get("rpc_credential")
        if given is None:
            LOG.error("accel_api gave no JSON-RPC credential for this host (is its "
                      "[agent_rpc] auth_strategy http_basic, and [accel_api] a user named "
                      "after this host?): it cannot call this agent")
            return
        credential.store(agent_conf.rpc_auth_file(self._conf), given)

    def report_soon(self):
        threading.Thread(target=self.report, name="report", daemon=True).start()

    def next_interval(self):
        """Callback of a dynamic timer: report; returns seconds until the next one."""
        ok = self.report()
        if not ok:
            return RETRY
        interval = self._conf.agent.report_interval
        return interval if interval > 0 else 24 * 3600
