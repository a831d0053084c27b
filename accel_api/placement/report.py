"""Glue between accel_api and Placement, when ``[placement] auth_type`` is set.

* after each inventory import the host is synced (``sync``) from what the database now
  holds, and the outcome kept in the host's ``HostPlacement`` row: ``synced`` (an
  unchanged host is trusted without a Placement request for ``[placement]
  verify_interval`` seconds after it was last written or checked, then checked with one
  read, by its next report or by the retrier);
  ``waiting`` for the compute node's provider of a Nova host (one log line when the
  wait starts, one when it ends; retried with backoff by ``retrier``); ``error`` when
  Placement failed (retried too). ``GET /v2/hosts/{hostname}`` shows it;
* an admin disabling (enabling) a device reserves (frees) its providers at once, so
  Nova stops (resumes) scheduling onto it without waiting for the host's next report.

A Placement failure never fails the import or the status change (the retry or next
report converges): it is logged and returned in the import summary.
"""

import datetime as dt
import logging
import threading

import sqlalchemy as sa

from accel_api.db import models as m
from accel_api.placement import client as pclient
from accel_api.placement import desired, sync

LOG = logging.getLogger(__name__)
_LOCK = threading.Lock()


def enabled(conf):
    return bool(conf.placement.auth_type)


def _client(app):
    with _LOCK:
        if app.placement is None:
            app.placement = pclient.PlacementClient.from_conf(app.conf)
        return app.placement


def utcnow():
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def target_of(conf, hostname, doc):
    """Where a host's providers go, from its document (``host.nova_compute``,
    ``host.nodename``) or ``[placement] default_host_kind``."""
    host = doc.get("host") or {}
    nova = host.get("nova_compute")
    if nova is None:
        nova = conf.placement.default_host_kind == desired.NOVA
    if nova:
        return desired.Target(hostname, desired.NOVA, host.get("nodename") or hostname)
    return desired.Target(hostname, desired.STANDALONE)


def backoff(conf, tries):
    interval = conf.placement.compute_node_retry_interval * 2 ** min(tries, 16)
    return min(interval, conf.placement.compute_node_retry_max_interval)


_PLACEMENT = m.HostPlacement.__table__


def _load(conn, conf, hostname):
    """(host id, its placement row, desired providers), in four plain reads."""
    host_id = conn.execute(sa.select(m.Host.id).where(m.Host.hostname == hostname)).scalar()
    if host_id is None:
        return None, None, {}
    row = conn.execute(sa.select(_PLACEMENT).where(_PLACEMENT.c.host_id == host_id)).first()
    rows = conn.execute(
        sa.select(*desired.row_columns(m))
        .join(m.Device, m.Deployable.device_id == m.Device.id)
        .where(m.Device.host_id == host_id)).all()
    addresses, physnets = {}, {}
    for dep_id, address, physnet in conn.execute(
            sa.select(m.AttachHandle.deployable_id, m.AttachHandle.address,
                      m.AttachHandle.physical_network)
            .join(m.Deployable, m.AttachHandle.deployable_id == m.Deployable.id)
            .join(m.Device, m.Deployable.device_id == m.Device.id)
            .where(m.Device.host_id == host_id)):
        addresses.setdefault(dep_id, set()).add(address)
        if physnet:
            physnets.setdefault(dep_id, set()).add(physnet)
    pools = desired.reports_partitions(hostname, conf.gpu_partitions.placement_hosts)
    return host_id, row, desired.from_rows(hostname, rows, addresses, pools, physnets)


def _stored(row):
    if row is None:
        return sync.Stored()
    return sync.Stored(state=row.state, root_uuid=row.root_uuid, digest=row.digest,
                       providers=dict(row.providers or {}),
                       suspect_root_uuid=row.suspect_root_uuid,
                       suspect_since=row.suspect_since)


def _trusted(conf, row):
    """The host was written or checked less than ``[placement] verify_interval`` ago."""
    interval = conf.placement.verify_interval
    return bool(interval and row is not None and row.synced_at is not None
                and (utcnow() - row.synced_at).total_seconds() < interval)


def _same(row, target, outcome):
    """Nothing to record: the row already says what this outcome says (and the outcome
    is no fresh check, whose time is recorded)."""
    if row is None or outcome is None or outcome.state != sync.SYNCED or outcome.verified:
        return False
    stored = outcome.stored
    return (row.state == sync.SYNCED and row.kind == target.kind
            and row.nodename == target.nodename and row.digest == stored.digest
            and row.root_uuid == stored.root_uuid and row.reason is None
            and row.suspect_root_uuid is None and (row.providers or {}) == stored.providers)


def _save(app, host_id, target, outcome, error=None):
    """Record the outcome (a SyncResult, or the error) and log state changes once."""
    conf = app.conf
    now = utcnow()

    def _do(session):
        row = session.scalar(sa.select(m.HostPlacement)
                             .where(m.HostPlacement.host_id == host_id).with_for_update())
        if row is None:
            row = m.HostPlacement(host_id=host_id, kind=target.kind, state="new",
                                  state_since=now, providers={}, tries=0)
            session.add(row)
        before, since = row.state, row.state_since
        state = sync.ERROR if error is not None else outcome.state
        row.kind, row.nodename = target.kind, target.nodename
        if state != before:
            row.state, row.state_since, row.tries = state, now, 0
        elif state != sync.SYNCED:
            row.tries = (row.tries or 0) + 1
        if error is not None:
            row.reason, row.digest = str(error)[:1024], None
        else:
            stored = outcome.stored
            row.reason = outcome.reason
            row.root_uuid = stored.root_uuid  # None while waiting
            row.digest, row.providers = stored.digest, stored.providers
            row.suspect_root_uuid = stored.suspect_root_uuid
            row.suspect_since = stored.suspect_since
            if state == sync.SYNCED:
                row.synced_at = now
        if state == sync.SYNCED:
            # The retrier checks a synced host that stopped reporting, once a while.
            row.next_try_at = now + dt.timedelta(seconds=conf.placement.verify_interval
                                                 or conf.placement.compute_node_retry_max_interval)
        else:
            row.next_try_at = now + dt.timedelta(seconds=backoff(conf, row.tries))
        return before, since, row.tries

    before, since, tries = app.db.run(_do)
    hostname = target.hostname
    state = sync.ERROR if error is not None else outcome.state
    if state == sync.WAITING and before != sync.WAITING:
        LOG.warning("host %s: %s; its accelerators are reported under it once nova-compute "
                    "creates it (looked for again with backoff, up to every %ds). If "
                    "nova-compute runs there, check that its hypervisor_hostname is %r "
                    "(accel-agent's [agent] nodename)", hostname, outcome.reason,
                    conf.placement.compute_node_retry_max_interval, target.root_name)
    elif state == sync.SYNCED and before == sync.WAITING:
        LOG.info("host %s: compute node provider %r found after %ds; accelerators reported "
                 "under it", hostname, target.root_name, (utcnow() - since).total_seconds())
    elif state == sync.ERROR and before != sync.ERROR:
        LOG.error("Placement report of %s failed (retried with backoff): %s", hostname, error)
    elif state == sync.ERROR:
        LOG.debug("Placement report of %s failed again (try %d): %s", hostname, tries, error)


def sync_host(app, hostname, target=None):
    """Sync one host from the database; returns the summary dict (or None when the host
    or, without ``target``, its placement row is unknown)."""
    with app.db.reading() as conn:
        host_id, row, want = _load(conn, app.conf, hostname)
    if host_id is None:
        return None
    stored = _stored(row)
    if target is None:
        if row is None:
            return None
        target = desired.Target(hostname, row.kind, row.nodename)
    with pclient.counting() as cost:
        try:
            result = sync.sync(_client(app), target, want, stored,
                               empty_root_grace=app.conf.placement.empty_root_grace,
                               trust=_trusted(app.conf, row))
        except pclient.PlacementError as exc:
            result = exc
    if isinstance(result, pclient.PlacementError):
        _save(app, host_id, target, None, error=result)
        return {"state": sync.ERROR, "error": str(result), "requests": _cost(cost)}
    if not _same(row, target, result):
        _save(app, host_id, target, result)
    return dict(result.summary(), requests=_cost(cost))


def _cost(counter):
    return {"read": counter["read"], "write": counter["write"]}


def after_import(app, hostname, doc):
    """Sync Placement for this host; returns a summary dict (or None when not configured)."""
    if not enabled(app.conf):
        return None
    return sync_host(app, hostname, target_of(app.conf, hostname, doc))


def after_status_change(app, providers, disabled):
    """Set ``reserved`` on these providers' inventories (``[(rp_uuid, resource class)]``):
    everything while the device is disabled, nothing once enabled. Providers Placement
    does not have (not reported yet) are left to the next report. Returns how many
    changed, or None when Placement is not configured."""
    if not enabled(app.conf):
        return None
    client = _client(app)
    changed = 0
    for rp_uuid, resource_class in providers:

        def _reserve(rp_uuid=rp_uuid, resource_class=resource_class):
            if client.provider(rp_uuid) is None:
                return False
            current = client.inventories(rp_uuid)
            inventory = current["inventories"].get(resource_class)
            if inventory is None:
                return False
            reserved = inventory["total"] if disabled else 0
            if inventory["reserved"] == reserved:
                return False
            body = dict(current["inventories"])
            body[resource_class] = dict(inventory, reserved=reserved)
            client.set_inventories(rp_uuid, current["resource_provider_generation"], body)
            return True

        try:
            changed += sync.retrying(_reserve, f"inventory of {rp_uuid}")
        except pclient.PlacementError as exc:
            LOG.error("Placement: could not %s provider %s (the next report retries): %s",
                      "reserve" if disabled else "free", rp_uuid, exc)
    return changed


def view(row):
    """The host's placement state as ``GET /v2/hosts/{hostname}`` shows it."""
    if row is None:
        return None
    from accel_api.api import util

    target = desired.Target("", row.kind, row.nodename)
    out = {"kind": row.kind, "state": row.state, "since": util.ts(row.state_since),
           "root_provider_uuid": row.root_uuid, "synced_at": util.ts(row.synced_at),
           "reason": row.reason}
    if row.kind == desired.NOVA:
        out["nodename"] = row.nodename
        if row.state == sync.WAITING:
            out["reason"] = (f"waiting for compute node provider {target.root_name!r} since "
                             f"{util.ts(row.state_since)}")
            if row.suspect_root_uuid:
                out["reason"] += (f" (a bare provider of that name, {row.suspect_root_uuid}, "
                                  "is removed if it stays bare)")
    if row.state != sync.SYNCED:
        out["next_try_at"] = util.ts(row.next_try_at)
    return out
