"""What every vendor layout shares: the site it builds and how update targets resolve.

A vendor layout stands for ONE BMC (one service, the vendor's own resource names). For
a server at one generation it builds a ``Site``: every resource document by path plus
its firmware inventory (inventory id -> the model's firmware entry). The service caches
the site per generation, so GETs are dict lookups and every place that shows a
version (device field, SoftwareInventory) is rendered from the same server state.
"""

from __future__ import annotations

import dataclasses

from redfish_mocks import resources as res
from redfish_mocks.update_service import INVENTORY, BadRequest, Selection

V1 = res.V1


@dataclasses.dataclass
class Entry:
    """One FirmwareInventory member of a site."""

    spec: object  # state.FirmwareSpec
    updatable: bool
    group: str = ""  # a tray the BMC updates together (HGX "HGX_0"), "" for none
    version: str | None = None  # shown instead of the spec's current one (Dell Previous-)


class Site:
    """Every document of one BMC by path, plus its firmware inventory."""

    def __init__(self):
        self.docs = {}
        self.inventory = {}  # inventory id -> Entry

    def add(self, doc):
        self.docs[doc["@odata.id"].rstrip("/")] = doc
        return doc

    def collection(self, name, path, members, title):
        return self.add(res.collection(name, path, list(members), title))


class Layout:
    """A vendor's BMC. Subclasses build the site and say how updates are targeted."""

    name = ""
    vendor = ""
    product = None
    #: where multipart pushes go (None: no MultipartHttpPushUri)
    multipart_path = None
    #: SimpleUpdate: "required" (Targets must be given), "optional" (absent: the
    #: BMC decides from the image), "refused" (its ActionInfo has no Targets), None (no action)
    simple_targets = "optional"
    #: multipart UpdateParameters.Targets: "required" or "optional" (as above)
    multipart_targets = "optional"
    #: SimpleUpdate transfer protocols the ActionInfo lists (this emulator fetches HTTP(S))
    protocols = ("HTTP", "HTTPS")
    update_service = True

    def build(self, server):
        raise NotImplementedError

    def check(self, server):
        """ValueError when this layout cannot describe the server's host."""

    def reset_targets(self, server):
        """Paths of the ComputerSystem(s) whose Reset/PATCH this BMC accepts."""
        return [self.host_system(server)]

    def host_system(self, server):
        return f"{V1}/Systems/{server.sid}"

    # -- shared building blocks --------------------------------------------------------------
    def root(self, site, product=None, extra=None):
        site.add(res.service_root(vendor=self.vendor, product=product or self.product,
                                  update_service=self.update_service, extra=extra))

    def members(self, site, name, path, members, title):
        site.collection(name, path, members, title)

    def system(self, site, server, uri, **kwargs):
        site.add(res.system(server, uri, **kwargs))
        site.add(res.reset_action_info(uri))

    def pcie(self, site, server, card, uri, chassis, firmware=True, function_ids=None,
             extra=None):
        """A card's PCIeDevice at ``uri`` in ``chassis``, its PCIeFunctions collection and
        documents (ids ``0..n-1`` unless ``function_ids`` says otherwise); their URIs."""
        site.add(res.pcie_device(server, card, uri, firmware_version=firmware,
                                 links={"Chassis": [res.ref(chassis)]}, extra=extra))
        ids = function_ids or [str(i) for i, _ in enumerate(card.functions)]
        fns = [f"{uri}/PCIeFunctions/{fid}" for fid in ids]
        site.collection("PCIeFunctionCollection", f"{uri}/PCIeFunctions", fns,
                        "PCIe Function Collection")
        for i, fn in enumerate(fns):
            site.add(res.pcie_function(card, i, fn, uri))
        return fns

    def firmware(self, site, server, entries, related=None, names=None, extra=None):
        """The UpdateService, its SimpleUpdate ActionInfo, FirmwareInventory and one
        SoftwareInventory per entry (``entries``: {inventory id: Entry})."""
        related, names, extra = related or {}, names or {}, extra or {}
        site.inventory.update(entries)
        if not self.update_service:
            return
        site.add(res.update_service(multipart=self.multipart_path,
                                    simple=self.simple_targets is not None))
        if self.simple_targets is not None:
            site.add(res.simple_update_action_info(
                self.protocols, targets=self.simple_targets != "refused",
                targets_required=self.simple_targets == "required"))
        site.collection("SoftwareInventoryCollection", f"{V1}/UpdateService/FirmwareInventory",
                        [f"{INVENTORY}{iid}" for iid in entries], "Firmware Inventory")
        for iid, entry in entries.items():
            site.add(res.software_inventory(server, entry.spec, iid, version=entry.version,
                                            related=related.get(iid, ()),
                                            name=names.get(iid), updatable=entry.updatable,
                                            extra=extra.get(iid)))

    # -- update targets ------------------------------------------------------------------------
    def default_candidates(self, site, via):
        """What an update without Targets may change (the BMC picks by the image)."""
        return [(e.spec, iid) for iid, e in site.inventory.items() if e.updatable]

    def select(self, server, site, targets, via, given):
        """The Selection an update request makes; BadRequest as the BMC refuses it."""
        policy = self.simple_targets if via == "simple" else self.multipart_targets
        if given and policy == "refused":
            raise BadRequest("Targets is not a parameter of SimpleUpdate on this BMC (its "
                             "ActionInfo lists ImageURI, TransferProtocol and credentials); "
                             f"push the image to {self.multipart_path} to choose targets",
                             "Base.1.19.ActionParameterNotSupported")
        if targets is None or targets == []:
            if policy == "required":
                raise BadRequest("Targets is required: a list of FirmwareInventory URIs",
                                 "Base.1.19.ActionParameterMissing")
            return Selection(server, by_image=self.default_candidates(site, via))
        if not isinstance(targets, list):
            raise BadRequest("Targets must be a list of FirmwareInventory URIs")
        groups = {}
        for iid, entry in site.inventory.items():
            if entry.group and entry.updatable:
                groups.setdefault(entry.group, []).append((entry.spec, iid))
        chosen, by_image = [], []
        for target in targets:
            iid = _inventory_id(target)
            if iid in groups:
                by_image += groups[iid]
                continue
            entry = site.inventory.get(iid)
            if entry is None:
                raise BadRequest(f"Target {target!r} is not a FirmwareInventory member of "
                                 "this BMC", "Base.1.19.ActionParameterValueError")
            if not entry.updatable:
                raise BadRequest(f"Target {target} is not updateable")
            chosen.append((entry.spec, iid))
        if by_image:
            return Selection(server, by_image=by_image + chosen)
        return Selection(server, chosen)


def _inventory_id(target):
    """The inventory id a target names: ``/redfish/v1/UpdateService/FirmwareInventory/X``
    or, as NVIDIA's tools write it, the same without the leading slash."""
    if not isinstance(target, str):
        raise BadRequest(f"Target {target!r} is not a FirmwareInventory URI")
    path = target if target.startswith("/") else "/" + target
    if not path.startswith(INVENTORY) or "/" in path[len(INVENTORY):].strip("/"):
        raise BadRequest(f"Target {target!r} is not a FirmwareInventory URI")
    return path[len(INVENTORY):].strip("/")


def cards(server, predicate):
    return [c for c in server.host.cards if predicate(c)]


def is_nvidia_gpu(card):
    return card.nvidia is not None


def is_dpu(card):
    return card.kind.startswith("bluefield")


def specs_of(server, card):
    return [s for s in server.firmware_specs() if s.card is card]


def spec_of(server, card, component):
    for spec in specs_of(server, card):
        if spec.component == component:
            return spec
    return None
