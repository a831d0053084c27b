"""The ramdisk's light install, in a real virtualenv: ironic-python-agent plus
``pip install <checkout>`` with no extras (docs/ironic.rst's recipe).

Every console script it carries either works or answers one line naming the extra to
install and exits non-zero: never a traceback. The ramdisk's own parts (discovery, IPA's
hardware manager and collector through their entry points) work there, and no server
package came with it.
"""

import json
import os
import shutil
import subprocess
import tempfile

import pytest

from tests.tools_helpers import load_tool

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: what needs which extra (the rest must work in the light install)
NEEDS = {"accel-agent": "agent", "accel-api": "server", "accel-demo": "server,agent,demo"}
#: distributions only the server side needs: never in the ramdisk
SERVER_ONLY = {"webob", "sqlalchemy", "alembic", "cheroot", "keystonemiddleware", "sushy",
               "openstacksdk", "oslo.policy", "bcrypt", "jsonschema-rs", "eventlet"}

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def light():
    folder = tempfile.mkdtemp(prefix="accel-light-")
    try:
        tool = load_tool("ramdisk-footprint")
        yield tool, tool.measure(TOP, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_every_console_script_works_or_names_its_extra(light):
    _, figures = light
    commands = figures["commands"]
    assert set(commands) >= {"accel-agent", "accel-api", "accel-demo", "accel-discover",
                             "accel-fixture", "accel-redfish-mock"}, commands
    for name, result in commands.items():
        assert not result["traceback"], (name, result)
        if name in NEEDS:
            assert result["rc"] == 2, (name, result)
            assert result["stderr_lines"] == 1, (name, result)
            assert result["first_line"].startswith(
                f"{name}: needs ironic-accel[{NEEDS[name]}] (not installed: "), result
        else:
            assert result["rc"] == 0, (name, result)
            assert result["first_line"].startswith(f"usage: {name}"), result


def test_a_command_without_arguments_also_refuses_in_one_line(light):
    tool, figures = light
    venv = figures["venv"]
    for name in NEEDS:
        proc = subprocess.run([os.path.join(venv, "bin", name)], capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert proc.returncode == 2, (name, proc.stderr)
        assert proc.stdout == ""
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "Traceback" not in proc.stderr


def test_no_server_package_in_the_ramdisk_and_the_figures_add_up(light):
    tool, figures = light
    added = {d["name"].lower() for d in figures["added"]}
    assert "ironic-accel" in added
    assert not added & SERVER_ONLY, added & SERVER_ONLY
    tops = figures["own"]["tops"]
    assert set(tool.RAMDISK_PACKAGES) <= set(tops), tops
    assert all(size > 0 for size in tops.values())
    text = tool.render(figures)
    assert "added by the light install:" in text and "accel-api: exit 2" in text


def test_discovery_and_the_ipa_plugins_run_in_the_light_install(light):
    _, figures = light
    venv = figures["venv"]
    root = os.path.join(os.path.dirname(venv), "host-a")
    proc = subprocess.run([os.path.join(venv, "bin", "accel-fixture"), "build", "--host",
                           "host-a", "--root", root], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([os.path.join(venv, "bin", "accel-discover"), "--root", root,
                           "--format", "json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [d["id"] for d in doc["devices"]] == ["0000:3f:00.0", "0000:b3:00.0"]
    # IPA loads the hardware manager and the collector by entry point, as in the ramdisk.
    check = (
        "import sys, stevedore\n"
        "from ipa_fpga import conf\n"
        "conf.options()\n"
        "conf.cfg.CONF.set_override('sysfs_root', sys.argv[1], group=conf.GROUP)\n"
        "hwm = stevedore.DriverManager('ironic_python_agent.hardware_managers',\n"
        "                              'accelerators', invoke_on_load=True).driver\n"
        "steps = [s['step'] for s in hwm.get_deploy_steps({}, [])]\n"
        "collect = stevedore.DriverManager('ironic_python_agent.inspector.collectors',\n"
        "                                  'accelerators').driver\n"
        "data = {}\n"
        "collect(data, None)\n"
        "print(hwm.evaluate_hardware_support(), steps, sorted(data))\n")
    proc = subprocess.run([os.path.join(venv, "bin", "python"), "-I", "-c", check, root],
                          capture_output=True, text=True, timeout=120, cwd=venv)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "flash_accelerator_firmware" in proc.stdout and "program_fpga_bitstream" in proc.stdout
