"""Vendor profiles: where a BMC puts things (its layout) and how its tasks misbehave.

Each behaviour profile reproduces one thing real BMCs do that a naive client trips
on (see the sushy quirks in the docs); each layout profile lays a host out as one
vendor's BMC does (``redfish_mocks.layouts``: HGX baseboard, BlueField DPU, iDRAC,
iLO, CXL, DMTF mockups). A server gets one profile; ``NAME+NAME`` combines a layout
with behaviours (``hgx+fail-halfway``). Profiles are plain data so the CLI, the tests
and the demo can name them.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Profile:
    name: str
    description: str
    #: seconds a firmware update runs (progress advances in steps over that time)
    update_seconds: float = 1.0
    #: the task stays in ``New`` this long before ``Running``
    new_seconds: float = 0.0
    #: the task monitor answers 404 as soon as the task finishes (the Task stays readable)
    purge_monitor_on_completion: bool = False
    #: the task monitor answers 204 No Content on completion instead of 200 + Task
    monitor_204_on_completion: bool = False
    #: ``Retry-After`` header the monitor sends while the task runs: None, "int" or "date"
    retry_after: str | None = None
    #: the 202 answer to SimpleUpdate carries the Task as its body (as many BMCs do)
    task_body_in_202: bool = True
    #: after updating its own (BMC) firmware the BMC is unreachable this many seconds
    bmc_unreachable_after_own_update: float = 0.0
    #: the update stops at this percentage with an ``Exception`` task (None: never)
    fail_at_percent: int | None = None
    #: where resources live: "standard" (many servers per service) or a vendor layout
    #: of ``redfish_mocks.layouts`` (one BMC per service, the vendor's own names)
    layout: str = "standard"
    #: collections longer than this are sent a page at a time (None: never)
    page_size: int | None = None
    #: the collections (last path segment, e.g. "PCIeDevices") paged; empty: all of them
    paged: tuple[str, ...] = ()
    #: what the 202 answer's ``Location`` names: "monitor" (a task monitor) or "task"
    location: str = "monitor"
    #: task ids start with this (iDRAC: "JID_")
    task_prefix: str = ""


PROFILES = {
    p.name: p
    for p in (
        Profile("standard", "202 + Location, monitor answers 202 then 200 with the Task"),
        Profile("task-starts-new", "the task stays in New for 1.5 s before running",
                new_seconds=1.5),
        Profile("monitor-purged", "the task monitor is purged (404) as soon as the task ends; "
                "the Task stays readable", purge_monitor_on_completion=True),
        Profile("monitor-204", "the task monitor answers 204 No Content on completion",
                monitor_204_on_completion=True),
        Profile("retry-after-int", "the monitor sends an integer Retry-After (e.g. '1')",
                retry_after="int"),
        Profile("bmc-reboot", "the BMC is unreachable for 3 s after updating its own firmware",
                bmc_unreachable_after_own_update=3.0),
        Profile("fail-halfway", "every update fails at 50 % with an Exception task",
                fail_at_percent=50),
        Profile("slow", "updates take 4 s, Retry-After as an HTTP date", update_seconds=4.0,
                retry_after="date"),
        Profile("hgx", "NVIDIA DGX/HGX host BMC: GPUs on Systems/HGX_Baseboard_0, "
                "FirmwareInventory HGX_FW_GPU_SXM_<n> without RelatedItem, multipart updates, "
                "PCIe devices paged 75 at a time", layout="hgx", page_size=75,
                paged=("PCIeDevices",)),
        Profile("bluefield", "NVIDIA BlueField-3 DPU BMC: Systems/Bluefield (SystemType DPU), "
                "NetworkAdapter Controllers, DPU_* firmware, BFB by SimpleUpdate",
                layout="bluefield"),
        Profile("idrac", "Dell iDRAC 9: Video.Slot GPUs, Chassis PCIeDevices, NetworkAdapters, "
                "Installed-<id>-<version>__<FQDD> firmware, Location names the JID_ task",
                layout="idrac", location="task", task_prefix="JID_"),
        Profile("ilo", "HPE iLO 6: Chassis/1/PCIeDevices with FirmwareVersion, numeric "
                "FirmwareInventory with Oem.Hpe.DeviceContext, SimpleUpdate by component",
                layout="ilo"),
        Profile("cxl", "DMTF public-cxl: CXL Type 1/2 devices as Chassis modules with "
                "Processors and CXLDevice, linked from the System; no UpdateService",
                layout="cxl"),
        Profile("dmtf", "DMTF public-rackmount1/-smartnic: FPGA.FirmwareVersion, "
                "GraphicsControllers, NetworkAdapters/<id>/Processors, no FirmwareInventory "
                "entry for accelerators", layout="dmtf"),
    )
}

_DEFAULT = Profile("default", "")


def behaviour_names():
    """Profiles of the standard layout (task behaviours any server may take)."""
    return sorted(n for n, p in PROFILES.items() if p.layout == "standard")


def layout_names():
    """Profiles that lay a host out as one vendor's BMC does."""
    return sorted(n for n, p in PROFILES.items() if p.layout != "standard")
#: Fields that describe where resources are, not how tasks behave.
_LAYOUT_FIELDS = ("layout", "page_size", "paged", "location", "task_prefix")


def get(name):
    """The named profile, or ``A+B+...`` combined; ValueError naming the known ones otherwise.

    In a combination each later profile overrides the fields it sets (those that
    differ from the defaults); at most one of them may be a layout profile.
    """
    parts = str(name).split("+")
    try:
        chosen = [PROFILES[p] for p in parts]
    except KeyError:
        raise ValueError(
            f"unknown profile {name!r}; known: {', '.join(sorted(PROFILES))} "
            "(combine a layout with behaviours as LAYOUT+BEHAVIOUR)"
        ) from None
    if len(chosen) == 1:
        return chosen[0]
    if sum(p.layout != "standard" for p in chosen) > 1:
        raise ValueError(f"profile {name!r} combines several layouts")
    out = chosen[0]
    for prof in chosen[1:]:
        changes = {f.name: getattr(prof, f.name) for f in dataclasses.fields(Profile)
                   if f.name not in ("name", "description")
                   and getattr(prof, f.name) != getattr(_DEFAULT, f.name)}
        out = dataclasses.replace(out, **changes)
    return dataclasses.replace(out, name=name, description=" + ".join(
        p.description for p in chosen))


def same_layout(a, b):
    """True when two profiles lay resources out alike (a server may switch between them)."""
    return all(getattr(a, f) == getattr(b, f) for f in _LAYOUT_FIELDS)


def with_overrides(profile, **overrides):
    """A copy of ``profile`` with some fields changed (e.g. a faster update in tests)."""
    return dataclasses.replace(profile, **overrides)
