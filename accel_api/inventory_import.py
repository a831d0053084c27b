"""Idempotent upsert of one host's inventory document (the shared contract).

``import_inventory`` validates first (nothing is written for a malformed document),
unless the document is the one last imported but for ``collected_at`` (its digest is
kept on the host): then one ``UPDATE`` of ``collected_at`` is all it does. Otherwise,
in one transaction under the host's row lock, adds and updates devices,
deployables, attach handles and inventory attributes. What vanished from the
document is deleted when nothing holds it, otherwise marked ``lost`` so a running
instance keeps its claim until it is released.
"""

import hashlib
import json
import re
import uuid

import sqlalchemy as sa

from accel_api import errors
from accel_api.db import models as m
from accel_contract import identity, inventory
from accel_contract.errors import InventoryError

#: RFC 3339 date-time, as the contract's ``collected_at`` (``format: date-time``).
_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?"
                      r"(Z|[+-]\d\d:\d\d)$", re.ASCII)


def _counter():
    return {"added": 0, "updated": 0, "removed": 0, "lost": 0}


def _set(obj, values):
    """Assign changed fields; True when something changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _programmable(dep):
    """A region is programmable unless its inventory says otherwise (with the reason in
    its ``programming_unavailable`` attribute); anything else only when it says so."""
    return bool(dep.get("programmable", dep["kind"] == "region"))


def _device_fields(dev):
    first = dev["functions"][0]
    return {
        "type": dev["type"],
        "vendor": dev["vendor_id"],
        "vendor_name": dev.get("vendor"),
        "model": dev["model"],
        "driver": dev["driver"],
        "std_board_info": {
            "product_id": dev["device_id"],
            "pci_address": dev["id"],
            "class_code": first["class_code"],
            "numa_node": dev.get("numa_node"),
        },
        "vendor_board_info": {
            "product": dev.get("product"),
            "firmware": {fw["component"]: fw.get("version") for fw in dev.get("firmware", [])},
        },
        "traits": list(dev.get("traits", [])),
        "lost": False,
    }


def check_hostname(hostname):
    """The host identity rule (``accel_contract.identity``): 400 with the reason."""
    try:
        return identity.check_hostname(hostname)
    except identity.InvalidHostname as exc:
        raise errors.BadRequest(str(exc)) from None


def validate_document(hostname, doc):
    """400 unless ``doc`` is a valid inventory document of ``hostname`` (the name itself
    is checked first, by ``import_inventory``)."""
    try:
        inventory.validate(doc)
    except InventoryError as exc:
        raise errors.BadRequest(f"invalid inventory document: {exc}") from None
    if doc["host"]["hostname"] != hostname:
        raise errors.BadRequest(
            f"document is for host {doc['host']['hostname']!r}, not {hostname!r}")


def document_digest(doc):
    """Digest of a document but its ``collected_at`` (which every periodic report moves)."""
    rest = {k: v for k, v in doc.items() if k != "collected_at"}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def forget_report(session, deployable_id=None, handle_id=None):
    """Rows of this deployable's (or attach handle's) host changed outside an import:
    its next report is imported in full again (it puts back what the document says).
    ``session``: an ORM session or a Core connection."""
    query = sa.select(m.Device.host_id).join(m.Deployable,
                                             m.Deployable.device_id == m.Device.id)
    if handle_id is not None:
        query = query.join(m.AttachHandle, m.AttachHandle.deployable_id == m.Deployable.id) \
            .where(m.AttachHandle.id == handle_id)
    else:
        query = query.where(m.Deployable.id == deployable_id)
    session.execute(sa.update(m.Host).where(m.Host.id == query.scalar_subquery())
                    .values(report_digest=None)
                    .execution_options(synchronize_session=False))


def _unchanged(session, hostname, digest, collected_at):
    """One statement: the host's last import had this digest -> only ``collected_at``."""
    done = session.execute(
        sa.update(m.Host).where(m.Host.hostname == hostname, m.Host.report_digest == digest)
        .values(collected_at=collected_at, updated_at=m.utcnow())
        .execution_options(synchronize_session=False))
    return done.rowcount == 1


def _plain_timestamp(value):
    return value is None or (isinstance(value, str) and _RFC3339.match(value) is not None)


def import_inventory(db, hostname, doc):
    """Validate then upsert; returns the summary dict (``unchanged``: the document was
    the one last imported, but for ``collected_at``, and nothing needed doing)."""
    check_hostname(hostname)
    digest = document_digest(doc) if isinstance(doc, dict) else None
    if digest and _plain_timestamp(doc.get("collected_at")) and \
            db.run(_unchanged, hostname, digest, doc.get("collected_at")):
        return {"hostname": hostname, "devices": _counter(), "deployables": _counter(),
                "attach_handles": _counter(), "unchanged": True}
    validate_document(hostname, doc)
    try:
        return db.run(_import, hostname, doc, digest)
    except sa.exc.IntegrityError:
        # A concurrent first import of the same host inserted it first: the retry finds
        # the host row and waits on its lock.
        return db.run(_import, hostname, doc, digest)


def _import(session, hostname, doc, digest=None):
    summary = {"hostname": hostname, "devices": _counter(), "deployables": _counter(),
               "attach_handles": _counter(), "unchanged": False}
    host = session.scalar(
        sa.select(m.Host).where(m.Host.hostname == hostname).with_for_update())
    if host is None:
        host = m.Host(hostname=hostname)
        session.add(host)
    host.report_digest = digest
    host.system_uuid = doc["host"].get("system_uuid")
    host.collected_at = doc.get("collected_at")
    collector = doc.get("collector")
    host.collector = f"{collector['name']} {collector['version']}" if collector else None
    session.flush()

    devices = {d.address: d for d in session.scalars(
        sa.select(m.Device).where(m.Device.host_id == host.id))}
    dep_rows = session.scalars(
        sa.select(m.Deployable).join(m.Device).where(m.Device.host_id == host.id)).all()
    deployables = {(d.device_id, d.local_id): d for d in dep_rows}
    dep_ids = [d.id for d in dep_rows]
    handles, attrs = {}, {}
    if dep_ids:
        for h in session.scalars(
                sa.select(m.AttachHandle).where(m.AttachHandle.deployable_id.in_(dep_ids))):
            handles[(h.deployable_id, h.type, h.address, h.instance)] = h
        for a in session.scalars(
                sa.select(m.Attribute).where(m.Attribute.deployable_id.in_(dep_ids))):
            attrs[(a.deployable_id, a.key)] = a

    seen_devices, seen_deps, seen_handles, seen_attrs = set(), set(), set(), set()
    for dev in doc["devices"]:
        device = devices.get(dev["id"])
        fields = _device_fields(dev)
        if device is None:
            device = m.Device(uuid=identity.device_uuid(hostname, dev["id"]),
                              host_id=host.id, address=dev["id"], status="enabled", **fields)
            session.add(device)
            session.flush()
            devices[dev["id"]] = device
            summary["devices"]["added"] += 1
        elif _set(device, fields):
            summary["devices"]["updated"] += 1
        seen_devices.add(device.id)
        by_local = {}
        for dep in dev["deployables"]:
            key = (device.id, dep["id"])
            values = {
                "name": dep["name"], "kind": dep["kind"],
                "num_accelerators": dep["num_accelerators"],
                "resource_class": dep["resource_class"], "traits": list(dep["traits"]),
                "driver_name": dev["driver"], "programmable": _programmable(dep),
                "lost": False,
            }
            row = deployables.get(key)
            if row is None:
                row = m.Deployable(
                    uuid=str(uuid.uuid4()), device_id=device.id, local_id=dep["id"],
                    rp_uuid=identity.deployable_rp_uuid(hostname, dep["id"]), **values)
                session.add(row)
                deployables[key] = row
                summary["deployables"]["added"] += 1
            elif _set(row, values):
                summary["deployables"]["updated"] += 1
            by_local[dep["id"]] = row
            seen_deps.add(key)
        session.flush()
        for dep in dev["deployables"]:
            row = by_local[dep["id"]]
            parent = by_local[dep["parent"]].id if dep["parent"] else None
            root = by_local[dep["root"]].id
            _set(row, {"parent_id": parent, "root_id": root})
            for handle in dep["attach_handles"]:
                instance = handle.get("instance") or ""
                hkey = (row.id, handle["type"], handle["address"], instance)
                part = {"partition_form": handle.get("partition_form"),
                        "partition_type": handle.get("partition_type"),
                        "physical_network": handle.get("physical_network")}
                h = handles.get(hkey)
                if h is None:
                    h = m.AttachHandle(uuid=str(uuid.uuid4()), deployable_id=row.id,
                                       type=handle["type"], address=handle["address"],
                                       instance=instance, in_use=False, lost=False, **part)
                    session.add(h)
                    handles[hkey] = h
                    summary["attach_handles"]["added"] += 1
                else:
                    if h.in_use:
                        # A held VF's vGPU type is what its bind set: a report collected
                        # before the agent wrote it must not take it back (the next one
                        # after the release says what the VF holds again).
                        part.pop("partition_type")
                    if _set(h, dict(part, lost=False)):
                        summary["attach_handles"]["updated"] += 1
                seen_handles.add(hkey)
            for akey, value in (dep.get("attributes") or {}).items():
                text = None if value is None else str(value)
                a = attrs.get((row.id, akey))
                if a is None:
                    session.add(m.Attribute(uuid=str(uuid.uuid4()), deployable_id=row.id,
                                            key=akey, value=text, source="inventory"))
                elif a.source == "inventory" and a.value != text:
                    a.value = text
                seen_attrs.add((row.id, akey))
    session.flush()

    # What vanished: delete when free, else mark lost.
    for hkey, h in handles.items():
        if hkey in seen_handles:
            continue
        if h.in_use:
            if not h.lost:
                h.lost = True
                summary["attach_handles"]["lost"] += 1
        else:
            session.delete(h)
            summary["attach_handles"]["removed"] += 1
    for akey, a in attrs.items():
        if akey not in seen_attrs and a.source == "inventory":
            session.delete(a)
    session.flush()
    held_deps = set()
    for hkey, h in handles.items():
        if hkey not in seen_handles and h.in_use:
            held_deps.add(h.deployable_id)
    gone = [row for key, row in deployables.items() if key not in seen_deps]
    gone_free = [row for row in gone if row.id not in held_deps]
    for row in gone:
        if row.id in held_deps and not row.lost:
            row.lost = True
            summary["deployables"]["lost"] += 1
    if gone_free:
        ids = [row.id for row in gone_free]
        session.execute(sa.update(m.Deployable).where(m.Deployable.parent_id.in_(ids))
                        .values(parent_id=None).execution_options(synchronize_session=False))
        session.execute(sa.update(m.Deployable).where(m.Deployable.root_id.in_(ids))
                        .values(root_id=None).execution_options(synchronize_session=False))
        session.execute(sa.delete(m.Attribute).where(m.Attribute.deployable_id.in_(ids)))
        for row in gone_free:
            session.expunge(row)
        session.execute(sa.delete(m.Deployable).where(m.Deployable.id.in_(ids)))
        summary["deployables"]["removed"] += len(ids)
    held_devices = {row.device_id for row in gone if row.id in held_deps}
    for device in devices.values():
        if device.id in seen_devices:
            continue
        if device.id in held_devices:
            if not device.lost:
                device.lost = True
                summary["devices"]["lost"] += 1
        else:
            session.delete(device)
            summary["devices"]["removed"] += 1
    return summary
