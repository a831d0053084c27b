"""What the node should carry for one inventory: traits, capabilities, accelerators property.

Pure functions (no Ironic import), so the demo and the tests can show the result
of an inspection without an Ironic process; ``hook`` applies it to the node.
"""

from ironic_fpga.inspection import rules


def parse_capabilities(text):
    """Ironic's ``"k1:v1,k2:v2"`` capabilities string -> ordered dict."""
    caps = {}
    if isinstance(text, dict):
        return dict(text)
    for item in str(text or "").split(","):
        if ":" in item:
            key, value = item.split(":", 1)
            caps[key.strip()] = value.strip()
    return caps


def format_capabilities(caps):
    return ",".join(f"{k}:{v}" for k, v in caps.items())


def _plain_hex(value):
    return str(value or "").lower().removeprefix("0x")


def accelerators_property(doc):
    """``properties['accelerators']``: the built-in hook's shape plus our fields."""
    out = []
    for device in doc["devices"]:
        traits = list(device.get("traits", []))
        for dep in device["deployables"]:
            traits.extend(t for t in dep["traits"] if t not in traits)
        out.append({
            "vendor_id": _plain_hex(device["vendor_id"]),
            "device_id": _plain_hex(device["device_id"]),
            "type": device["type"],
            "device_info": device.get("product") or device["model"],
            "pci_address": device["id"],
            "model": device["model"],
            "vendor": device.get("vendor"),
            "driver": device["driver"],
            "numa_node": device.get("numa_node"),
            "firmware": {fw["component"]: fw["version"] for fw in device.get("firmware", [])},
            "traits": traits,
            **({"partitions": partitions_summary(device["partitions"])}
               if device.get("partitions") else {}),
        })
    return out


def partitions_summary(parts):
    """What a GPU can be partitioned into and what it holds, for ``properties``."""
    mig = parts.get("mig") or {}
    created = {}
    for inst in parts["instances"]:
        key = inst.get("type") or "unknown"
        created[f"{inst['form']}:{key}"] = created.get(f"{inst['form']}:{key}", 0) + 1
    return {
        "forms": list(parts["forms"]),
        "mig_mode": mig.get("current"),
        "mig_pending": mig.get("pending"),
        "types": sorted({f"{t['form']}:{t['name']}" for t in parts["types"]}),
        "created": created,
    }


def inventory_traits(doc, rule_traits=()):
    """Device traits (what a card is), rule traits, then deployable traits (regions, functions).

    This order is the priority when Ironic's 50-trait limit forces a cut.
    """
    traits = []
    for device in doc["devices"]:
        for trait in device.get("traits", []):
            if trait not in traits:
                traits.append(trait)
    traits += [t for t in rule_traits if t not in traits]
    for device in doc["devices"]:
        for dep in device["deployables"]:
            for trait in dep["traits"]:
                if trait not in traits:
                    traits.append(trait)
    return traits


def type_capabilities(doc):
    """``accel_<type>_count``; for partitioned GPUs ``accel_gpu_partitioning`` (the forms,
    ``+``-joined) and ``accel_gpu_mig`` (``enabled`` when every MIG GPU has it on,
    ``disabled`` when none, ``mixed``)."""
    counts = {}
    forms, mig = set(), set()
    for device in doc["devices"]:
        if device["type"] in ("NIC", "FABRIC"):
            continue
        key = f"accel_{device['type'].lower()}_count"
        counts[key] = counts.get(key, 0) + 1
        parts = device.get("partitions")
        if parts:
            forms.update(parts["forms"])
            if (parts.get("mig") or {}).get("current"):
                mig.add(parts["mig"]["current"].lower())
    caps = {k: str(v) for k, v in counts.items()}
    if forms:
        caps["accel_gpu_partitioning"] = "+".join(sorted(forms))
    if mig:
        caps["accel_gpu_mig"] = mig.pop() if len(mig) == 1 else "mixed"
    return caps


class Plan:
    """What the node should carry for one inventory (computed before any change)."""

    def __init__(self, doc, rule_list, set_capabilities=True):
        rule_traits, rule_caps, self.matched_rules = rules.apply(rule_list, doc)
        self.traits = inventory_traits(doc, rule_traits)
        self.capabilities = type_capabilities(doc) if set_capabilities else {}
        self.capabilities.update(rule_caps)
        self.accelerators = accelerators_property(doc)
        self.hostname = doc["host"]["hostname"]
