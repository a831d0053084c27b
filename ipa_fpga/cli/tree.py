"""A readable tree of an inventory document, in the spirit of ``lspci -t``."""

from __future__ import annotations


def _fw(device):
    return " ".join(f"{f['component']}={f['version']}" for f in device.get("firmware") or [])


def _vf_summary(device):
    parts = []
    for fn in device["functions"]:
        sriov = fn.get("sriov")
        if sriov:
            parts.append(f"{fn['address']} {sriov['numvfs']}/{sriov['totalvfs']} VFs")
    return ", ".join(parts)


def render(doc, traits=False):
    """The document as text lines (no trailing newline)."""
    host = doc["host"]
    devices = doc["devices"]
    deployables = sum(len(d["deployables"]) for d in devices)
    warnings = len(doc.get("warnings") or []) + sum(len(d.get("warnings") or []) for d in devices)
    lines = [
        f"{host['hostname']}: {len(devices)} accelerator devices, {deployables} deployables, "
        f"{warnings} warnings (root {host.get('sysfs_root') or '/'})"
    ]
    for i, dev in enumerate(devices):
        last = i == len(devices) - 1
        head, pad = ("\\-" if last else "+-"), ("  " if last else "| ")
        primary = dev["functions"][0]
        lines.append(
            f"{head}[{dev['id']}] {dev['type']} {dev.get('vendor') or dev['vendor_id']} "
            f"{dev['model']}  numa={dev.get('numa_node')} "
            f"driver={primary.get('kernel_driver') or '-'} "
            f"plugin={dev['driver']}"
        )
        if dev.get("product"):
            lines.append(f"{pad}  product: {dev['product']}")
        fw = _fw(dev)
        if fw:
            lines.append(f"{pad}  firmware: {fw}")
        vfs = _vf_summary(dev)
        if vfs:
            lines.append(f"{pad}  sr-iov: {vfs}")
        lines.extend(f"{pad}  {line}" for line in _partition_lines(dev.get("partitions")))
        if traits and dev.get("traits"):
            lines.append(f"{pad}  traits: {' '.join(dev['traits'])}")
        for w in dev.get("warnings") or []:
            lines.append(f"{pad}  warning {w['code']}: {w['message']} ({w.get('path') or '-'})")
        lines.extend(pad + line for line in _deployable_lines(dev, traits))
    for w in doc.get("warnings") or []:
        lines.append(f"warning {w['code']}: {w['message']} ({w.get('path') or '-'})")
    return "\n".join(lines)


def _partition_lines(parts):
    """``partitions:`` forms and MIG mode, then what exists (type x count)."""
    if not parts:
        return []
    head = "partitions: " + ("+".join(parts["forms"]) or "-")
    mig = parts.get("mig")
    if mig is not None:
        head += (f", MIG {mig['current'] or 'unknown'}"
                 + (f" (pending {mig['pending']})" if mig.get("pending") not in
                    (None, mig["current"]) else ""))
    counts = {}
    for inst in parts["instances"]:
        key = f"{inst['form']} {inst.get('name') or inst['type'] or 'type unknown'}"
        counts[key] = counts.get(key, 0) + 1
    if counts:
        head += "; created: " + ", ".join(f"{k} x{v}" for k, v in counts.items())
    return [head]


def _deployable_lines(dev, traits):
    children = {}
    for dep in dev["deployables"]:
        children.setdefault(dep["parent"], []).append(dep)
    functions = {f["address"]: f for f in dev["functions"]}
    created = {i["id"] for i in (dev.get("partitions") or {}).get("instances", [])}
    out = []

    def walk(parent, indent):
        kids = children.get(parent, [])
        for i, dep in enumerate(kids):
            last = i == len(kids) - 1
            head = "\\-" if last else "+-"
            offered = (
                f"{dep['resource_class']} x{dep['num_accelerators']}"
                if dep["resource_class"] else "not offered"
            )
            handles = _handles(dep["attach_handles"], created)
            extra = ""
            if handles:
                fn = functions.get(dep["attach_handles"][0]["address"])
                drv = fn.get("kernel_driver") if fn else None
                extra = f" -> {handles}" + (f" ({drv})" if drv else "")
            lines = f"{indent}{head}{dep['kind']} {dep['id']}  {offered}{extra}"
            out.append(lines)
            sub = indent + ("  " if last else "| ")
            if traits and dep["traits"]:
                out.append(f"{sub}  traits: {' '.join(dep['traits'])}")
            walk(dep["id"], sub)

    walk(None, "  ")
    return out


def _handles(handles, created=()):
    """PCI handles by address; partition handles as ``<type> <parent> <made> +N free``."""
    plain = [h["address"] for h in handles if h["type"] == "PCI"]
    typed = [h for h in handles if h["type"] == "PCI" and h.get("partition_type")]
    out = ",".join(plain) + (f" [vgpu {typed[0]['partition_type']}]" if typed else "")
    parts = [h for h in handles if h["type"] != "PCI"]
    if parts:
        made = [h["instance"] for h in parts if h["instance"] in created]
        shown = [m[:8] if len(m) > 16 else m for m in made]
        text = f"{parts[0]['type']} {parts[0]['address']}"
        if shown:
            text += " " + ",".join(shown)
        if len(parts) > len(made):
            text += f" +{len(parts) - len(made)} free"
        out = (out + " " if out else "") + text
    return out
