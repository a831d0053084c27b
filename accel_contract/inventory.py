"""The versioned host inventory document: schema, validation and tree helpers.

The JSON Schema (``data/inventory.schema.json``) fixes the shape; ``validate``
adds what a schema cannot say: unique ids, parents and roots that exist, no
cycles in the deployable tree, each attach handle offered once.
"""

import functools
import itertools
import json
from importlib import resources

from accel_contract import jsondoc, limits, naming
from accel_contract.errors import InventoryError

SCHEMA_VERSION = "1.1"
#: Largest document accepted anywhere (API bodies, plugin data): 64 MiB.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
#: Schema violations reported at most: enough to act on, and a hostile document with
#: millions of errors costs no more to reject than a slightly wrong one.
MAX_PROBLEMS = 50


@functools.cache
def schema():
    """The inventory JSON Schema as a dict (loaded once)."""
    text = resources.files("accel_contract").joinpath("data/inventory.schema.json").read_text()
    return json.loads(text)


def _inline_refs(node, defs):
    """The schema with every local ``#/$defs/x`` replaced by its definition.

    The contract's schema has no recursive definitions, and resolving ``$ref`` through
    jsonschema's registry on every element cost over half of validation time.
    """
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            merged = dict(_inline_refs(defs[ref.removeprefix("#/$defs/")], defs))
            merged.update({k: _inline_refs(v, defs) for k, v in node.items() if k != "$ref"})
            return merged
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    return node


@functools.cache
def _inlined():
    """The schema with its references inlined (what ``_validator`` and the limits use)."""
    return _inline_refs(schema(), schema().get("$defs", {}))


@functools.cache
def _validator():
    # Imported here, not at module level: jsonschema costs more to import than a whole
    # discovery run, and producers (accel-discover, the IPA collector) never validate.
    import jsonschema

    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(_inlined(), format_checker=cls.FORMAT_CHECKER)


@functools.cache
def _fast_validator():
    """jsonschema-rs (compiled) when installed, as on the servers; None in a lean ramdisk.

    It answers "valid or not" fast and stops at the first violation; its messages are
    used when it is present (shortened, see ``limits.shorten``).
    """
    try:
        import jsonschema_rs
    except ImportError:
        return None
    return jsonschema_rs.validator_for(schema(), validate_formats=True)


def _path(error_path):
    out = "$"
    for part in error_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate(doc):
    """Check ``doc`` against the contract; return it unchanged, or raise InventoryError.

    A document over a size limit is refused after looking at what is over it, with the
    limit in the message (``limits.over_limits``), however large the document is.
    """
    if not isinstance(doc, dict):
        raise InventoryError([f"$: expected an object, got {type(doc).__name__}"])
    fast = _fast_validator()
    try:
        valid = fast is not None and fast.is_valid(doc)
    except ValueError:  # a string the compiled validator cannot take: judged below
        valid = False
    if not valid:
        problems = limits.over_limits(doc, _inlined(), MAX_PROBLEMS)
        if not problems:
            _check_text(doc)  # before the validators, which cannot quote such strings
            problems = _schema_problems(doc, fast)
        if problems:
            raise InventoryError(sorted(problems))
    else:
        _check_text(doc)
    problems = _check_references(doc)
    if problems:
        raise InventoryError(problems)
    return doc


def _check_text(doc):
    try:
        jsondoc.check(doc)
    except jsondoc.DocumentError as exc:
        raise InventoryError([f"{exc.path}: {exc.reason}"]) from None


def _schema_problems(doc, fast):
    if fast is not None:
        return [f"{_path(err.instance_path)}: {limits.shorten(err.message)}"
                for err in itertools.islice(fast.iter_errors(doc), MAX_PROBLEMS)]
    return [f"{_path(err.absolute_path)}: {limits.shorten(err.message)}"
            for err in itertools.islice(_validator().iter_errors(doc), MAX_PROBLEMS)]


def _check_references(doc):
    problems = []
    device_ids = set()
    all_deployables = {}
    function_addresses = set()
    handles = {}
    for di, device in enumerate(doc["devices"]):
        where = f"$.devices[{di}]"
        if device["id"] in device_ids:
            problems.append(f"{where}.id: duplicate device id {device['id']}")
        device_ids.add(device["id"])
        addresses = {fn["address"] for fn in device["functions"]}
        for fi, fn in enumerate(device["functions"]):
            if fn["address"] in function_addresses:
                problems.append(f"{where}.functions[{fi}].address: {fn['address']} listed twice")
            function_addresses.add(fn["address"])
        for trait in device.get("traits", []):
            if not naming.is_valid_trait(trait):
                problems.append(f"{where}.traits: {trait!r} is not a valid Placement trait")
        local = {}
        for pi, dep in enumerate(device["deployables"]):
            dwhere = f"{where}.deployables[{pi}]"
            if dep["id"] in all_deployables:
                problems.append(f"{dwhere}.id: duplicate deployable id {dep['id']}")
            all_deployables[dep["id"]] = dep
            local[dep["id"]] = dep
            for trait in dep["traits"]:
                if not naming.is_valid_trait(trait):
                    problems.append(f"{dwhere}.traits: {trait!r} is not a valid Placement trait")
            rc = dep["resource_class"]
            if rc is not None and not naming.is_valid_resource_class(rc):
                problems.append(f"{dwhere}.resource_class: {rc!r} is not a valid resource class")
            if rc is None and dep["num_accelerators"]:
                problems.append(f"{dwhere}: num_accelerators > 0 needs a resource_class")
            for hi, handle in enumerate(dep["attach_handles"]):
                key = handle_key(handle)
                hwhere = f"{dwhere}.attach_handles[{hi}]"
                if key in handles:
                    shown = " ".join(k for k in key[1:] if k)
                    problems.append(f"{hwhere}: {shown} is already offered by deployable "
                                    f"{handles[key]}")
                handles[key] = dep["id"]
                problems.extend(_check_partition_handle(hwhere, handle, addresses))
        problems.extend(_check_tree(where, local))
        problems.extend(_check_partitions(where, device.get("partitions"), addresses))
    return problems


def handle_key(handle):
    """What makes an attach handle unique in a document: type, address and, for the
    partitions that share one parent address, partition type and instance (a MIG slot is
    room for one more instance of its profile). accel_api keys handles by deployable,
    type, address and instance (a pool deployable holds one partition type)."""
    if handle["type"] == "PCI":
        return "PCI", handle["address"], "", ""
    return (handle["type"], handle["address"], handle.get("partition_type") or "",
            handle.get("instance") or "")


def _check_partition_handle(where, handle, addresses):
    """MDEV and MIG handles name their parent function, partition type and instance;
    only a PCI handle (a network function) has a physical network."""
    if handle["type"] == "PCI":
        return [f"{where}: a PCI handle has no instance"] if handle.get("instance") else []
    problems = []
    if handle.get("physical_network"):
        problems.append(f"{where}: only a PCI handle has a physical_network")
    if handle["address"] not in addresses:
        problems.append(f"{where}: parent {handle['address']} is not a function of the device")
    for key in ("partition_type", "instance"):
        if not handle.get(key):
            problems.append(f"{where}: a {handle['type']} handle needs its {key}")
    return problems


def _check_partitions(where, partitions, addresses):
    if not partitions:
        return []
    problems = []
    for section in ("types", "instances"):
        seen = set()
        for i, item in enumerate(partitions[section]):
            if item["parent"] not in addresses:
                problems.append(f"{where}.partitions.{section}[{i}]: parent {item['parent']} "
                                "is not a function of the device")
            key = (item["form"], item["parent"], item["id"])
            if key in seen:
                problems.append(f"{where}.partitions.{section}[{i}]: {item['form']} "
                                f"{item['id']} of {item['parent']} is listed twice")
            seen.add(key)
    return problems


def _check_tree(where, deployables):
    problems = []
    for dep_id, dep in deployables.items():
        parent, root = dep["parent"], dep["root"]
        if parent is None:
            if root != dep_id:
                problems.append(f"{where}: root deployable {dep_id} must have root == its own id")
            continue
        if parent not in deployables:
            problems.append(f"{where}: deployable {dep_id} has unknown parent {parent}")
            continue
        if root not in deployables or deployables[root]["parent"] is not None:
            problems.append(f"{where}: deployable {dep_id} has root {root}, which is not a root")
            continue
        seen = {dep_id}
        node = parent
        while node is not None:
            if node in seen:
                problems.append(f"{where}: deployable {dep_id} is in a parent cycle")
                break
            seen.add(node)
            current = deployables.get(node)
            if current is None:
                break
            if current["parent"] is None and node != root:
                problems.append(f"{where}: deployable {dep_id} descends from {node}, not {root}")
            node = current["parent"]
    return problems


def loads(text):
    """Parse and validate a JSON inventory; size-limited; errors are InventoryError."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise InventoryError([f"$: document larger than {MAX_DOCUMENT_BYTES} bytes"])
    try:
        doc = jsondoc.loads(text, verify=False)
    except jsondoc.DocumentError as exc:
        raise InventoryError([f"{exc.path}: {exc.reason}"]) from None
    return validate(doc)


def iter_deployables(doc):
    """Yield ``(device, deployable)`` pairs in document order."""
    for device in doc["devices"]:
        for dep in device["deployables"]:
            yield device, dep


def allocatable(doc):
    """Deployables that Placement and accel_api offer: a resource class and accelerators > 0."""
    return [
        (device, dep)
        for device, dep in iter_deployables(doc)
        if dep["resource_class"] and dep["num_accelerators"] > 0
    ]


def children(device, deployable_id):
    """Direct children of one deployable within its device."""
    return [d for d in device["deployables"] if d["parent"] == deployable_id]
