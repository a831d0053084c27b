"""Demo steps of the Ironic integration: inspection hook output and an in-band firmware flash.

Both run on the demo's fixture trees without an Ironic process: the hook's plan
(traits, capabilities, ``properties['accelerators']``) is what the
``accelerators_ext`` hook writes onto the node; the flash runs the IPA hardware
manager's ``flash_accelerator_firmware`` step against the fixture, with the kernel
simulator (``accel_hosts.kernel_sim``) playing the kernel's part.
"""

import hashlib
import os

import accel_hosts
from accel_hosts import cards, kernel_sim, sysfs
from ipa_fpga import conf as ipa_conf
from ipa_fpga import inspection_collector
from ironic_fpga.inspection import plan as hook


def inspect_hosts(ctx):
    """The collector's plugin data through the inspection hook's plan, per host."""
    for name, root in ctx.roots.items():
        ipa_conf.cfg.CONF.set_override("sysfs_root", root, group=ipa_conf.GROUP)
        data = {}
        try:
            inspection_collector.collect_accelerators(data, _Failures())
        finally:
            ipa_conf.cfg.CONF.clear_override("sysfs_root", group=ipa_conf.GROUP)
        doc = data[inspection_collector.PLUGIN_DATA_KEY]
        ctx.check(_same_inventory(doc, ctx.inventories[name]),
                  f"{name}: the IPA collector's document differs from accel-discover's")
        plan = hook.Plan(doc, [])
        device_traits = {t for d in doc["devices"] for t in d["traits"]}
        ctx.check(plan.traits and device_traits <= set(plan.traits),
                  f"{name}: node traits {plan.traits} lack device traits "
                  f"{sorted(device_traits - set(plan.traits))}")
        ctx.check(len(plan.accelerators) == len(doc["devices"]),
                  f"{name}: {len(plan.accelerators)} properties.accelerators entries for "
                  f"{len(doc['devices'])} devices")
        counted = sum(int(v) for k, v in plan.capabilities.items()
                      if k.startswith("accel_") and k.endswith("_count"))
        expected = sum(1 for d in doc["devices"] if d["type"] not in ("NIC", "FABRIC"))
        ctx.check(counted == expected,
                  f"{name}: capabilities count {counted} accelerators, expected {expected}")
        ctx.say(f"{name}: node traits ({len(plan.traits)}):")
        for trait in plan.traits:
            ctx.say(f"    {trait}")
        ctx.say(f"{name}: capabilities {hook.format_capabilities(plan.capabilities)}")
        for acc in plan.accelerators:
            fw = ", ".join(f"{k}={v}" for k, v in acc["firmware"].items()) or "-"
            ctx.say(f"    properties.accelerators: {acc['pci_address']} {acc['type']} "
                    f"{acc['model']} ({acc['vendor_id']}:{acc['device_id']}) firmware: {fw}")


def _same_inventory(a, b):
    """Equal documents but for when each was collected."""
    return ({k: v for k, v in a.items() if k != "collected_at"}
            == {k: v for k, v in b.items() if k != "collected_at"})


class _Failures:
    def add(self, fmt, *args):
        raise RuntimeError(fmt % args)


def flash_firmware(ctx):
    """Flash an N3000's MAX10 BMC firmware in-band through the firmware-upload class."""
    from ipa_fpga.flash import pac_image
    from ipa_fpga.hardware_manager import AcceleratorHardwareManager

    for name, root in ctx.roots.items():
        host = accel_hosts.load(name)
        card = next((c for c in host.cards if c.dfl and c.dfl.secure_update is not None
                     and c.kind == "n3000"), None)
        if card is None:
            continue
        image = pac_image.build("max10_bmc_nios", kernel_sim.fw_payload("n3000", "D.2.1.25"))
        path = os.path.join(ctx.workdir, "n3000-bmc-D.2.1.25.bin")
        with open(path, "wb") as f:
            f.write(image)
        bmc = os.path.join(sysfs.bmc_dir(host, card, root), "bmcfw_version")
        opts = ipa_conf.cfg.CONF
        opts.set_override("sysfs_root", root, group=ipa_conf.GROUP)
        # The demo serves its image from a local file: allowed here explicitly.
        opts.set_override("allowed_url_schemes", ["file"], group=ipa_conf.GROUP)
        try:
            with kernel_sim.KernelSim(host, root):
                ctx.say(f"{name}: {card.primary.address} bmcfw_version before: "
                        f"{open(bmc).read().strip()}")
                result = AcceleratorHardwareManager().flash_accelerator_firmware({}, [], images=[{
                    "url": f"file://{path}",
                    "checksum": "sha256:" + hashlib.sha256(image).hexdigest(),
                    "address": card.primary.address, "component": "max10_bmc_nios",
                    "version": "D.2.1.25"}])
        finally:
            opts.clear_override("sysfs_root", group=ipa_conf.GROUP)
            opts.clear_override("allowed_url_schemes", group=ipa_conf.GROUP)
        for item in result:
            ctx.say(f"{name}: flashed {item['component']} on {item['device']}: "
                    f"{item['previous_version']} -> {item['version']} (verified)")
        ctx.check([(r["device"], r["component"], r["version"]) for r in result]
                  == [(card.primary.address, "max10_bmc_nios", "D.2.1.25")],
                  f"{name}: the step reported {result}, expected max10_bmc_nios D.2.1.25 "
                  f"on {card.primary.address}")
        with open(bmc) as f:
            after = f.read().strip()
        ctx.say(f"{name}: bmcfw_version after: {after}")
        ctx.check(after == cards.m10_version("D.2.1.25"),
                  f"{name}: bmcfw_version reads {after} after the flash, expected "
                  f"{cards.m10_version('D.2.1.25')} (D.2.1.25)")
        return
    ctx.say("no N3000 with a firmware-upload device in the demo hosts")
