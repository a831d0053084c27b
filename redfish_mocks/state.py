"""The emulated servers' mutable state, built on the shared host model.

The ``accel_hosts.Host`` of a description is shared, read-only, by every server
built from it; a server keeps only what changes (power, boot override,
firmware versions that were updated, its profile and faults). That is what lets
one process emulate a thousand servers in little memory.
"""

from __future__ import annotations

import dataclasses
import threading
import time

from redfish_mocks import faults as faults_mod
from redfish_mocks import profiles

BIOS = "BIOS"
BMC = "BMC"


@dataclasses.dataclass(frozen=True)
class FirmwareSpec:
    """One FirmwareInventory entry as the host model defines it (versions may change)."""

    inventory_id: str  # "<system>-<card>-<component>", "<system>-BMC", "<system>-BIOS"
    name: str
    component: str  # contract component name, or "bios" / "bmc"
    version: str
    updatable: bool
    lowest_supported_version: str | None
    card: object | None  # accel_hosts.Card, None for BIOS/BMC
    kind: str  # "bios", "bmc", "accel"


def processor_type(card):
    if card.dfl is not None or card.xrt is not None or "fpga" in card.kind:
        return "FPGA"
    if card.nvidia is not None:
        return "GPU"
    return "Accelerator"


class Server:
    """One emulated server (one ComputerSystem, its Chassis and its Manager)."""

    def __init__(self, sid, host, profile):
        self.sid = sid
        self.host = host
        self.profile = profile
        self.power_state = "On"
        self.boot = {"BootSourceOverrideEnabled": "Disabled",
                     "BootSourceOverrideTarget": "None",
                     "BootSourceOverrideMode": "UEFI"}
        self.versions = {}  # inventory id -> version, only for updated entries
        self.previous = {}  # inventory id -> the version before the last update
        self.faults = faults_mod.FaultSet()
        self.generation = 0  # bumped on every change; keys the render cache
        self.updating = False
        self._specs = None  # FirmwareSpecs: fixed by the host model, built once

    # -- firmware ---------------------------------------------------------------------------
    def firmware_specs(self):
        """Every FirmwareInventory entry of this server, BIOS and BMC first."""
        if self._specs is None:
            self._specs = self._build_specs()
        return self._specs

    def _build_specs(self):
        host, sid = self.host, self.sid
        specs = [
            FirmwareSpec(f"{sid}-{BIOS}", "System BIOS", "bios", host.bios_version or "1.0.0",
                         True, None, None, "bios"),
            FirmwareSpec(f"{sid}-{BMC}", f"{host.bmc.model or 'BMC'} firmware", "bmc",
                         host.bmc.firmware_version or "1.0.0", True, None, None, "bmc"),
        ]
        for card in host.cards:
            for fw in card.firmware:
                specs.append(FirmwareSpec(
                    f"{sid}-{card.id}-{fw.component}", f"{card.model} {fw.name}",
                    fw.component, fw.version, fw.updatable, fw.lowest_supported_version,
                    card, "accel"))
        return specs

    def firmware(self, inventory_id):
        for spec in self.firmware_specs():
            if spec.inventory_id == inventory_id:
                return spec
        return None

    def version_of(self, spec):
        return self.versions.get(spec.inventory_id, spec.version)

    def set_version(self, inventory_id, version):
        spec = self.firmware(inventory_id)
        if spec is not None:
            self.previous[inventory_id] = self.version_of(spec)
        self.versions[inventory_id] = version
        self.touch()

    def touch(self):
        self.generation += 1

    # -- reachability -----------------------------------------------------------------------
    def reachable(self, now=None):
        return self.faults.reachable(now or time.monotonic())


class Emulator:
    """All emulated servers plus the service-wide task and session stores."""

    def __init__(self, hosts, count=1, profile="standard", server_profiles=None,
                 update_seconds=None):
        """``hosts``: list of ``accel_hosts.Host``; ``count`` servers per host."""
        self.lock = threading.RLock()
        self.servers = {}
        server_profiles = server_profiles or {}
        for host in hosts:
            for i in range(count):
                sid = host.name if count == 1 else f"{host.name}-{i:04d}"
                prof = profiles.get(server_profiles.get(sid, profile))
                if update_seconds is not None:
                    prof = profiles.with_overrides(prof, update_seconds=update_seconds)
                self.servers[sid] = Server(sid, host, prof)
        self.generation = 0
        laid_out = [s for s in self.servers.values() if s.profile.layout != "standard"]
        if laid_out and len(self.servers) > 1:
            raise ValueError(
                f"profile {laid_out[0].profile.name} lays out a whole BMC with the vendor's "
                "own resource names: serve that server alone (one host, --count 1), "
                "one service per BMC")

    @property
    def vendor_server(self):
        """The one server of a vendor-layout service, or None (standard layout)."""
        if len(self.servers) == 1:
            server = next(iter(self.servers.values()))
            if server.profile.layout != "standard":
                return server
        return None

    def server(self, sid):
        return self.servers.get(sid)

    def server_of_inventory(self, inventory_id):
        """(server, spec) for an inventory id, or (None, None)."""
        for sid, server in self.servers.items():
            if inventory_id.startswith(sid + "-"):
                spec = server.firmware(inventory_id)
                if spec is not None:
                    return server, spec
        return None, None

    def set_profile(self, sid, name):
        server = self.servers[sid]
        profile = profiles.get(name)
        if not profiles.same_layout(server.profile, profile):
            raise ValueError(f"profile {name} lays resources out differently from "
                             f"{server.profile.name}: start another service for it")
        server.profile = profile
        server.touch()
