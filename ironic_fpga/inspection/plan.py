"""What the node should carry for one inventory: traits, capabilities, accelerators property.

Pure functions (no Ironic import), so the demo and the tests can show the result
of an inspection without an Ironic process; ``hook`` applies it to the node.
"""

from accel_contract import naming
from ironic_fpga.inspection import merge, rules


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
        uuid = _gpu_uuid(device.get("attributes", {}).get("gpu_uuid"))
        if uuid:
            out[-1]["uuid"] = uuid
    return out


def _gpu_uuid(value):
    """``GPU-0a1b...`` (nvidia-smi) -> the canonical lower-case UUID, or None."""
    text = str(value or "").strip().lower().removeprefix("gpu-").replace("-", "")
    if len(text) != 32 or any(c not in "0123456789abcdef" for c in text):
        return None
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


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
    """``accel_<type>_count`` (``merge.type_counts``) and :func:`partition_capabilities`."""
    caps = merge.type_counts(doc["devices"])
    caps.update(partition_capabilities(doc))
    return caps


def partition_capabilities(doc):
    """For partitioned GPUs ``accel_gpu_partitioning`` (the forms, ``+``-joined) and
    ``accel_gpu_mig`` (``enabled`` when every MIG GPU has it on, ``disabled`` when none,
    ``mixed``). Only in-band inspection sees partitions, so these travel in its record;
    the counts are made from the merged device list (in-band and BMC)."""
    forms, mig = set(), set()
    for device in doc["devices"]:
        parts = device.get("partitions")
        if parts:
            forms.update(parts["forms"])
            if (parts.get("mig") or {}).get("current"):
                mig.add(parts["mig"]["current"].lower())
    caps = {}
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
        self.rule_capabilities = dict(rule_caps)
        #: what the in-band record carries: partition state (when capabilities are set)
        #: and the rules' capabilities (which win a clash)
        self.record_capabilities = partition_capabilities(doc) if set_capabilities else {}
        self.record_capabilities.update(rule_caps)
        #: what an in-band inspection alone gives the node (counts included)
        self.capabilities = type_capabilities(doc) if set_capabilities else {}
        self.capabilities.update(rule_caps)
        self.accelerators = accelerators_property(doc)
        self.hostname = doc["host"]["hostname"]


def bmc_device_traits(acc):
    """What a BMC-read device is, in the trait names in-band inspection gives it."""
    if acc.get("vendor_id") and acc.get("device_id"):
        return naming.device_traits(acc["type"], acc["vendor_id"], acc["device_id"],
                                    acc.get("model"), catalogued=bool(acc.get("catalogued")))
    return naming.vendor_type_traits(acc["type"], acc.get("vendor"))


def bmc_accelerators_property(accelerators):
    """``properties['accelerators']`` entries for accelerators read from the BMC
    (``ironic_fpga.redfish.client.read_accelerators``)."""
    out = []
    for acc in accelerators:
        out.append({
            "vendor_id": _plain_hex(acc.get("vendor_id")) or None,
            "device_id": _plain_hex(acc.get("device_id")) or None,
            "type": acc["type"],
            "device_info": acc.get("product") or acc.get("model"),
            "pci_address": acc.get("pci_address"),
            "model": acc.get("model"),
            "vendor": acc.get("vendor"),
            "driver": None,
            "numa_node": None,
            "firmware": {fw["component"]: fw["version"] for fw in acc.get("firmware") or []
                         if fw.get("version")},
            "traits": bmc_device_traits(acc),
            "serial": acc.get("serial"),
            "uuid": acc.get("uuid"),
            "bmc_id": acc["id"],
        })
    return out


def _rule_device(acc):
    """A BMC accelerator in the shape operator rules match on."""
    return {"vendor_id": acc.get("vendor_id"), "device_id": acc.get("device_id"),
            "type": acc["type"], "driver": None, "model": acc.get("model"),
            "vendor": acc.get("vendor"), "attributes": {},
            "firmware": [{"component": fw["component"], "version": fw["version"]}
                         for fw in acc.get("firmware") or []]}


class BmcPlan:
    """What the BMC's view of a node's accelerators adds (computed before any change)."""

    def __init__(self, accelerators, rule_list):
        doc = {"devices": [_rule_device(a) for a in accelerators]}
        rule_traits, self.rule_capabilities, self.matched_rules = rules.apply(rule_list, doc)
        self.accelerators = bmc_accelerators_property(accelerators)
        traits = []
        for item in self.accelerators:
            traits += [t for t in item["traits"] if t not in traits]
        self.traits = traits + [t for t in rule_traits if t not in traits]
