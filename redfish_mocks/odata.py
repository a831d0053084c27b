"""Schema versions the emulator claims, and the ``$metadata`` document built from them.

One table, so ``@odata.type`` values and ``$metadata`` can never disagree.
"""

#: Namespace -> newest version used (None: an unversioned collection type).
TYPES = {
    "ServiceRoot": "v1_20_0",
    "ComputerSystem": "v1_27_0",
    "ComputerSystemCollection": None,
    "Chassis": "v1_28_0",
    "ChassisCollection": None,
    "Manager": "v1_24_0",
    "ManagerCollection": None,
    "Processor": "v1_22_0",
    "ProcessorCollection": None,
    "AccelerationFunction": "v1_0_5",
    "AccelerationFunctionCollection": None,
    "PCIeDevice": "v1_21_0",
    "PCIeDeviceCollection": None,
    "PCIeFunction": "v1_7_0",
    "PCIeFunctionCollection": None,
    "SoftwareInventory": "v1_13_0",
    "SoftwareInventoryCollection": None,
    "UpdateService": "v1_17_0",
    "TaskService": "v1_3_0",
    "Task": "v1_7_4",
    "TaskCollection": None,
    "SessionService": "v1_2_0",
    "Session": "v1_8_0",
    "SessionCollection": None,
    "ActionInfo": "v1_5_0",
    "Message": "v1_3_0",
    "Resource": "v1_21_0",
    # vendor layouts (redfish_mocks.layouts)
    "NetworkAdapter": "v1_14_0",
    "NetworkAdapterCollection": None,
    "GraphicsController": "v1_0_2",
    "GraphicsControllerCollection": None,
    "Bios": "v1_2_3",
    "CXLLogicalDevice": "v1_3_0",
    "CXLLogicalDeviceCollection": None,
    "Memory": "v1_23_0",
    "MemoryCollection": None,
}


def odata_type(name, entity=None):
    """``#Namespace.vX_Y_Z.Entity`` (or ``#Collection.Collection``) for a resource."""
    entity = entity or name
    version = TYPES[name]
    if version is None:
        return f"#{name}.{entity}"
    return f"#{name}.{version}.{entity}"


def metadata_xml():
    """The service's CSDL ``$metadata``: a reference per schema it uses."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
    ]
    for name, version in sorted(TYPES.items()):
        lines.append(
            f'  <edmx:Reference Uri="http://redfish.dmtf.org/schemas/v1/{name}_v1.xml">'
        )
        lines.append(f'    <edmx:Include Namespace="{name}"/>')
        if version:
            lines.append(f'    <edmx:Include Namespace="{name}.{version}"/>')
        lines.append("  </edmx:Reference>")
    lines += [
        '  <edmx:Reference Uri="http://docs.oasis-open.org/odata/odata/v4.0/errata03/csd01/'
        'complete/vocabularies/Org.OData.Core.V1.xml">',
        '    <edmx:Include Namespace="Org.OData.Core.V1" Alias="OData"/>',
        "  </edmx:Reference>",
        '  <edmx:Reference Uri="http://redfish.dmtf.org/schemas/v1/RedfishExtensions_v1.xml">',
        '    <edmx:Include Namespace="RedfishExtensions.v1_0_0" Alias="Redfish"/>',
        "  </edmx:Reference>",
        "  <edmx:DataServices>",
        '    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Service">',
        '      <EntityContainer Name="Service" Extends="ServiceRoot.v1_20_0.ServiceContainer"/>',
        "    </Schema>",
        "  </edmx:DataServices>",
        "</edmx:Edmx>",
    ]
    return "\n".join(lines) + "\n"


def odata_service_document(update_service=True):
    """The OData service document at ``/redfish/v1/odata``."""
    names = {
        "Systems": "/redfish/v1/Systems",
        "Chassis": "/redfish/v1/Chassis",
        "Managers": "/redfish/v1/Managers",
        "UpdateService": "/redfish/v1/UpdateService",
        "TaskService": "/redfish/v1/TaskService",
        "SessionService": "/redfish/v1/SessionService",
    }
    if not update_service:
        del names["UpdateService"]
    value = [{"name": "Service", "kind": "Singleton", "url": "/redfish/v1/"}]
    value += [{"name": n, "kind": "Singleton", "url": u} for n, u in names.items()]
    return {"@odata.context": "/redfish/v1/$metadata", "value": value}
