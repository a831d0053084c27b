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
        if traits and dev.get("traits"):
            lines.append(f"{pad}  traits: {' '.join(dev['traits'])}")
        for w in dev.get("warnings") or []:
            lines.append(f"{pad}  warning {w['code']}: {w['message']} ({w.get('path') or '-'})")
        lines.extend(pad + line for line in _deployable_lines(dev, traits))
    for w in doc.get("warnings") or []:
        lines.append(f"warning {w['code']}: {w['message']} ({w.get('path') or '-'})")
    return "\n".join(lines)


def _deployable_lines(dev, traits):
    children = {}
    for dep in dev["deployables"]:
        children.setdefault(dep["parent"], []).append(dep)
    functions = {f["address"]: f for f in dev["functions"]}
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
            handles = ",".join(h["address"] for h in dep["attach_handles"])
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
