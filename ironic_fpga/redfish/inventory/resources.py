"""The Redfish resources an accelerator inventory is read from, as sushy resource classes.

sushy (5.x) models systems and processors but not what accelerators need
(``Processor.FPGA``, ``GraphicsController``, ``NetworkAdapter.Controllers``,
``PCIeDevice.CXLDevice``, chassis ``Processors``, ``SoftwareInventory.RelatedItem``);
these classes declare exactly the fields read here, on sushy's ``ResourceBase`` and
``Field``. Their JSON comes from one ``bmc.BMC`` (cached, bounded), and every
sub-resource is read lazily, once (``sushy.utils.cache_it``).

Values a BMC uses for "unknown" (``""``, ``"N/A"``, all-zero UUIDs, ``0x0000`` ids,
padded serials) read as None.
"""

from __future__ import annotations

import re

from sushy import utils
from sushy.resources import base

from ironic_fpga.redfish.inventory.bmc import normalize, odata_id, odata_ids

_UNKNOWN = {"", "n/a", "na", "none", "null", "unknown", "not available", "notavailable",
            "version not available", "not applicable", "-", "--", "-*"}
_HEX16 = re.compile(r"^(0x)?([0-9a-f]{1,4})$")


def text(value):
    """A stripped string, or None for the many spellings of "unknown"."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    value = str(value).strip()
    return None if value.lower() in _UNKNOWN else value


def uuid_text(value):
    value = text(value)
    if value is None or set(value.replace("-", "")) <= {"0"} or set(
            value.replace("-", "").lower()) <= {"f"}:
        return None
    return value.lower()


def serial_text(value):
    value = text(value)
    if value is None or set(value) <= {"0"}:
        return None
    return value


def hex16(value):
    """``"0x10DE"``/``"10de"``/``4318`` -> ``"0x10de"``; None for unknown or 0x0000/0xffff."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        value = f"{value:04x}"
    match = _HEX16.match(str(value).strip().lower())
    if not match:
        return None
    out = f"0x{int(match.group(2), 16):04x}"
    return None if out in ("0x0000", "0xffff") else out


def pci_class(value):
    """``"0x120000"`` -> ``"0x120000"``; ``"0x000003"`` (iDRAC's base class only) stays as
    given; None when not a hex number."""
    value = text(value)
    if value is None:
        return None
    try:
        number = int(value, 16)
    except ValueError:
        return None
    return f"0x{number:06x}"


def link(path):
    """A Field reading one link's normalised ``@odata.id``."""
    return base.Field(path, adapter=odata_id)


def links(path):
    """A Field reading a list of links (or one link) as normalised URIs."""
    return base.Field(path, adapter=odata_ids, default=[])


def function_device_uri(uri):
    """The PCIe device a PCIe function's URI is below (``.../PCIeFunctions/<n>``), or None."""
    head, sep, _tail = uri.rpartition("/PCIeFunctions/")
    return head if sep else None


class sub_resources:  # noqa: N801 - used like sushy's lower-case field declarations
    """Declares a lazily read, cached list of the ``cls`` resources that the property
    ``key`` links (a collection link or an array of links): sushy's ``cache_it``
    property, as one line."""

    def __init__(self, cls, key, what, doc=None):
        self.cls, self.key, self.what, self.doc = cls, key, what, doc

    def __set_name__(self, owner, name):
        def read(res):
            return res._children(self.cls, res.json.get(self.key), self.what)
        read.__name__ = name  # cache_it keys its cache on the name
        setattr(owner, name, property(utils.cache_it(read), doc=self.doc))


def _location_label(doc):
    for place in (doc.get("Location"), (doc.get("Slot") or {}).get("Location")):
        label = text(((place or {}).get("PartLocation") or {}).get("ServiceLabel"))
        if label:
            return label
    return None


class _Reader(base.AbstractDataReader):
    """Feeds sushy's resource machinery from the BMC's cache."""

    def get_data(self):
        return base.FieldData(200, {}, self._conn.get(self._path))


class Resource(base.ResourceBase):
    """Common fields; ``bmc`` is the ``bmc.BMC`` the JSON comes from."""

    identity = base.Field("Id", adapter=text)
    name = base.Field("Name", adapter=text)
    manufacturer = base.Field("Manufacturer", adapter=text)
    model = base.Field("Model", adapter=text)
    serial_number = base.Field("SerialNumber", adapter=serial_text)
    part_number = base.Field("PartNumber", adapter=text)
    uuid = base.Field("UUID", adapter=uuid_text)
    odata_type = base.Field("@odata.type", adapter=text)

    def __init__(self, bmc, path):
        self.bmc = bmc
        super().__init__(bmc, normalize(path), reader=_Reader())

    @property
    def uri(self):
        return self._path

    @property
    def ident(self):
        """The ``Id``, else the URI's last segment (for a BMC that leaves ``Id`` out)."""
        return self.identity or self._path.rsplit("/", 1)[-1]

    @property
    def oem_vendor(self):
        """A vendor an OEM block names (Supermicro's ``Oem.Supermicro.GPUVendor``)."""
        for block in (self.json.get("Oem") or {}).values():
            if isinstance(block, dict) and text(block.get("GPUVendor")):
                return text(block.get("GPUVendor"))
        return None

    @property
    def label(self):
        """The slot/location label (``ServiceLabel``), or None."""
        return _location_label(self.json)

    def _children(self, cls, value, what):
        """Resources behind a link property (collection or link array), missing ones
        skipped with a warning."""
        out = []
        for uri in self.bmc.linked(value, what):
            res = self.bmc.resource(cls, uri, what)
            if res is not None:
                out.append(res)
        return out

    def __repr__(self):
        return f"<{type(self).__name__} {self.uri}>"


class PCIeFunction(Resource):
    vendor_id = base.Field("VendorId", adapter=hex16)
    device_id = base.Field("DeviceId", adapter=hex16)
    subsystem_vendor_id = base.Field("SubsystemVendorId", adapter=hex16)
    subsystem_id = base.Field("SubsystemId", adapter=hex16)
    class_code = base.Field("ClassCode", adapter=pci_class)
    device_class = base.Field("DeviceClass", adapter=text)
    function_type = base.Field("FunctionType", adapter=text)
    function_id = base.Field("FunctionId")
    revision_id = base.Field("RevisionId", adapter=text)
    segment = base.Field("SegmentNumber", adapter=text)
    bus = base.Field("BusNumber", adapter=text)
    device_number = base.Field("DeviceNumber", adapter=text)
    function_number = base.Field("FunctionNumber", adapter=text)
    pcie_device = link(["Links", "PCIeDevice"])

    @property
    def pci_address(self):
        """``ssss:bb:dd.f`` from the PCIeFunction v1_6 numbers, when the BMC gives them."""
        try:
            parts = [int(str(v), 16) for v in (self.segment or "0x0000", self.bus,
                                                self.device_number, self.function_number)]
        except (TypeError, ValueError):
            return None
        seg, bus, dev, fn = parts
        if seg > 0xFFFF or bus > 0xFF or dev > 0x1F or fn > 7:
            return None
        return f"{seg:04x}:{bus:02x}:{dev:02x}.{fn}"

    @property
    def device_uri(self):
        """The PCIe device this function belongs to (its link, else its URI's parent)."""
        return self.pcie_device or function_device_uri(self.uri)


class PCIeDevice(Resource):
    firmware_version = base.Field("FirmwareVersion", adapter=text)
    device_type = base.Field("DeviceType", adapter=text)
    cxl_device_type = base.Field(["CXLDevice", "DeviceType"], adapter=text)
    linked_processors = links(["Links", "Processors"])
    linked_functions = links(["Links", "PCIeFunctions"])
    chassis = links(["Links", "Chassis"])

    @property
    @utils.cache_it
    def functions(self):
        """PCIe functions: the ``PCIeFunctions`` collection, else the deprecated
        ``Links.PCIeFunctions`` array."""
        value = self.json.get("PCIeFunctions")
        if not isinstance(value, dict):
            value = (self.json.get("Links") or {}).get("PCIeFunctions")
        return self._children(PCIeFunction, value, "PCIe function")


class Processor(Resource):
    processor_type = base.Field("ProcessorType", adapter=text)
    firmware_version = base.Field("FirmwareVersion", adapter=text)
    fpga = base.Field("FPGA", adapter=lambda v: v if isinstance(v, dict) else None)
    processor_vendor_id = base.Field(["ProcessorId", "VendorId"], adapter=hex16)
    pcie_device = link(["Links", "PCIeDevice"])
    linked_functions = links(["Links", "PCIeFunctions"])
    graphics_controller = link(["Links", "GraphicsController"])
    connected_processors = links(["Links", "ConnectedProcessors"])
    chassis = links(["Links", "Chassis"])

    @property
    def fpga_firmware_version(self):
        return text((self.fpga or {}).get("FirmwareVersion"))


class GraphicsController(Resource):
    bios_version = base.Field("BiosVersion", adapter=text)
    linked_processors = links(["Links", "Processors"])
    pcie_device = link(["Links", "PCIeDevice"])


class NetworkAdapter(Resource):
    controllers = base.Field("Controllers", default=[],
                             adapter=lambda v: [c for c in v if isinstance(c, dict)]
                             if isinstance(v, list) else [])

    @property
    def firmware_versions(self):
        """``Controllers[].FirmwarePackageVersion`` in order (None where absent)."""
        return [text(c.get("FirmwarePackageVersion")) for c in self.controllers]

    @property
    def linked_pcie_devices(self):
        out = []
        for ctrl in self.controllers:
            for uri in odata_ids((ctrl.get("Links") or {}).get("PCIeDevices")):
                if uri not in out:
                    out.append(uri)
        return out

    processors = sub_resources(Processor, "Processors", "processor",
                               "A SmartNIC's processors (its FPGA).")


class SoftwareInventory(Resource):
    version = base.Field("Version", adapter=text)
    updateable = base.Field("Updateable", adapter=bool, default=False)
    software_id = base.Field("SoftwareId", adapter=text)
    lowest_supported_version = base.Field("LowestSupportedVersion", adapter=text)
    related_items = links("RelatedItem")


class Chassis(Resource):
    chassis_type = base.Field("ChassisType", adapter=text)
    contains = links(["Links", "Contains"])
    contained_by = link(["Links", "ContainedBy"])
    computer_systems = links(["Links", "ComputerSystems"])
    linked_processors = links(["Links", "Processors"])

    @property
    @utils.cache_it
    def pcie_devices(self):
        """The ``PCIeDevices`` collection (v1_10), else the deprecated link arrays."""
        value = self.json.get("PCIeDevices")
        if value is None:
            value = (self.json.get("Links") or {}).get("PCIeDevices")
        return self._children(PCIeDevice, value, "PCIe device")

    @property
    @utils.cache_it
    def processors(self):
        """The ``Processors`` collection (v1_22) and ``Links.Processors``, each once."""
        found = self._children(Processor, self.json.get("Processors"), "processor")
        seen = {p.uri for p in found}
        for uri in self.linked_processors:
            if uri not in seen:
                res = self.bmc.resource(Processor, uri, "processor")
                if res is not None:
                    found.append(res)
                    seen.add(uri)
        return found

    network_adapters = sub_resources(NetworkAdapter, "NetworkAdapters", "network adapter")


class ComputerSystem(Resource):
    system_type = base.Field("SystemType", adapter=text)
    bios_version = base.Field("BiosVersion", adapter=text)
    bios = link("Bios")
    chassis = links(["Links", "Chassis"])

    processors = sub_resources(Processor, "Processors", "processor")
    pcie_devices = sub_resources(PCIeDevice, "PCIeDevices", "PCIe device",
                                 "An array of links (the standard) or a collection (bmcweb).")
    pcie_functions = sub_resources(PCIeFunction, "PCIeFunctions", "PCIe function")
    graphics_controllers = sub_resources(GraphicsController, "GraphicsControllers",
                                         "graphics controller")


class ServiceRoot(Resource):
    vendor = base.Field("Vendor", adapter=text)
    product = base.Field("Product", adapter=text)
    systems_uri = link("Systems")
    chassis_uri = link("Chassis")
    update_service_uri = link("UpdateService")


class UpdateService(Resource):
    firmware_inventory_uri = link("FirmwareInventory")

    @property
    @utils.cache_it
    def firmware_inventory(self):
        """Every FirmwareInventory entry, all pages."""
        if not self.firmware_inventory_uri:
            return []
        return self._children(SoftwareInventory, {"@odata.id": self.firmware_inventory_uri},
                              "firmware inventory entry")



def _decimal(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class DellVideo(Resource):
    """iDRAC's ``Systems/<id>/Oem/Dell/DellVideo/<FQDD>``: a GPU's firmware version, PCI
    ids and PCI address, which the standard Processor of the same FQDD lacks."""

    fqdd = base.Field("FQDD", adapter=text)
    firmware_version = base.Field("FirmwareVersion", adapter=text)
    vendor_id = base.Field("PCIVendorID", adapter=hex16)
    device_id = base.Field("PCIDeviceID", adapter=hex16)
    subsystem_vendor_id = base.Field("PCISubVendorID", adapter=hex16)
    subsystem_id = base.Field("PCISubDeviceID", adapter=hex16)
    bus = base.Field("BusNumber", adapter=_decimal)
    device_number = base.Field("DeviceNumber", adapter=_decimal)
    function_number = base.Field("FunctionNumber", adapter=_decimal)
    product = base.Field("MarketingName", adapter=text)
    class_code = None
    device_class = "DisplayController"

    @property
    def pci_address(self):
        if None in (self.bus, self.device_number, self.function_number):
            return None
        if self.bus > 0xFF or self.device_number > 0x1F or self.function_number > 7:
            return None
        return f"0000:{self.bus:02x}:{self.device_number:02x}.{self.function_number}"
