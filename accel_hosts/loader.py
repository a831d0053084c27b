"""Host descriptions (YAML) in, typed ``Host`` models out; plus the generated large host."""

from __future__ import annotations

import os
from importlib import resources

import yaml

from accel_hosts import cards as card_templates
from accel_hosts.cards import HostDescriptionError, Numbering
from accel_hosts.model import Bmc, Host

_REQUIRED = ("name", "hostname", "system_uuid", "cards")


def names():
    """Names of the bundled host descriptions (``host-a``, ``host-b``, ``host-c``, ``mixed``)."""
    folder = resources.files("accel_hosts").joinpath("descriptions")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load(name_or_path):
    """The host of a bundled description name, or of a YAML file path."""
    text = None
    if name_or_path in names():
        text = (
            resources.files("accel_hosts")
            .joinpath(f"descriptions/{name_or_path}.yaml")
            .read_text()
        )
    elif os.path.isfile(str(name_or_path)):
        with open(name_or_path, encoding="utf-8") as f:
            text = f.read()
    else:
        raise HostDescriptionError(
            f"no host description {name_or_path!r}: not a bundled name "
            f"({', '.join(names())}) nor a file"
        )
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise HostDescriptionError(f"{name_or_path}: not valid YAML: {exc}") from None
    return from_dict(data)


def from_dict(data):
    """Expand a parsed description (cards through their templates) into a ``Host``."""
    if not isinstance(data, dict):
        raise HostDescriptionError("a host description must be a mapping")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise HostDescriptionError(f"host description lacks {', '.join(missing)}")
    numbering = Numbering()
    cards, bridges = [], {}
    seen = {}
    for spec in data["cards"] or []:
        card, card_bridges = card_templates.expand(spec, numbering)
        for bridge in card_bridges:
            if bridge.address in seen:
                raise HostDescriptionError(
                    f"bridge {bridge.address} collides with function of {seen[bridge.address]}"
                )
            bridges.setdefault(bridge.address, bridge)
        for fn in card.functions:
            if fn.address in seen or fn.address in bridges:
                raise HostDescriptionError(f"{fn.address} of {card.id} is used twice")
            seen[fn.address] = card.id
        cards.append(card)
    numa = {int(k): str(v) for k, v in (data.get("numa_cpulists") or {0: "0-63"}).items()}
    bmc = data.get("bmc") or {}
    return Host(
        name=str(data["name"]),
        hostname=str(data["hostname"]),
        system_uuid=str(data["system_uuid"]),
        manufacturer=str(data.get("manufacturer", "Generic")),
        model=str(data.get("model", "Server")),
        serial=str(data.get("serial", "0")),
        numa_cpulists=numa,
        bmc=Bmc(**bmc),
        cards=cards,
        bridges=sorted(bridges.values(), key=lambda b: b.address),
        kernel=str(data.get("kernel", "6.8.0-45-generic")),
        bios_version=data.get("bios_version"),
        nvidia_smi=bool(data.get("nvidia_smi", True)),
    )


#: Cards the large host cycles through, with how many buses each needs below its root port.
_LARGE_MIX = (
    ("qat_4xxx", 1),
    ("n3000", 10),
    ("acc100", 2),
    ("u250", 2),
    ("h100_sxm5", 2),
    ("qat_4xxx", 1),
    ("l4", 2),
)


def large_host(functions=1000, name="large"):
    """A generated host with at least ``functions`` PCI functions (bridges included).

    Hundreds of them are VFs (QAT, ACC100, XXV710, L4). Cards spread over PCI
    domains and both NUMA nodes; the layout is deterministic, so
    ``large_host(500)`` is the first half of ``large_host(1000)``.
    """
    if functions < 1:
        raise HostDescriptionError("a large host needs at least one function")
    specs, count, domain, bus, i = [], 0, 0, 0x10, 0
    numbering = Numbering()
    while count < functions:
        kind, buses = _LARGE_MIX[i % len(_LARGE_MIX)]
        if bus + buses + 1 > 0xFF:
            domain, bus = domain + 1, 0x10
        numa = (i // 2) % 2
        spec = {"kind": kind, "name": f"card{i}", "numa_node": numa,
                "serial": f"LG{i:05d}"}
        if kind == "n3000":
            spec["bus"] = f"{bus:02x}"
            spec["domain"] = f"{domain:04x}"
        else:
            spec["address"] = f"{domain:04x}:{bus + (buses - 1):02x}:00.0"
        if kind == "l4":
            spec["vfs"] = 16
        if kind == "qat_4xxx":
            spec["qat"] = {"cfg_services": "sym;asym" if i % 2 else "dc"}
        card, bridges = card_templates.expand(spec, numbering)
        count += len(card.functions) + len(bridges)
        specs.append(spec)
        bus += buses + 1
        i += 1
    return from_dict({
        "name": name,
        "hostname": f"{name}.example.org",
        "system_uuid": "7d1c2b3a-0f9e-4d8c-b7a6-5e4d3c2b1a05",
        "manufacturer": "Generic",
        "model": "Accelerator chassis",
        "serial": "LARGE0001",
        "numa_cpulists": {0: "0-31,64-95", 1: "32-63,96-127"},
        "bmc": {"vendor": "Generic", "model": "AST2600", "firmware_version": "1.0"},
        "cards": specs,
    })
