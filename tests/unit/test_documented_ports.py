"""The ports the docs, README, option help and sample files give accel-api and accel-agent
are the ports the code listens on (a doc once said 6660 for accel-api's 6666)."""

import pathlib
import re

from accel_api.conf import opts as api_opts
from tests.unit import base

TOP = pathlib.Path(__file__).resolve().parents[2]
URL = re.compile(r"https?://(?P<host>[A-Za-z0-9_.-]+):(?P<port>\d+)")
#: where a URL is accel-api's: its host says so, or a loopback URL on a line about it (or
#: with one of its /v2 paths)
API_HOST = re.compile(r"accel[-_.]?api|accel\.example")
API_CONTEXT = re.compile(r"accel[-_]api|endpoint", re.I)


def _default(options, name):
    return next(o.default for o in options if o.name == name)


def _texts():
    paths = [TOP / "README.rst", *sorted((TOP / "docs").rglob("*.rst")),
             *sorted((TOP / "etc").rglob("*.sample"))]
    for path in paths:
        if "_build" not in path.parts:
            yield path.relative_to(TOP), path.read_text()


def _help_texts():
    from ipa_fpga import conf as ipa_conf
    from ipa_fpga.agent import conf as agent_conf
    from ironic_fpga.conf import opts as ironic_opts

    for source in (api_opts.list_opts(), ironic_opts.list_opts(), ipa_conf.list_opts(),
                   agent_conf.list_opts()):
        for group, options in source:
            for opt in options:
                yield f"[{group}] {opt.name}", f"{opt.help or ''} {opt.default or ''}"


class TestDocumentedPorts(base.TestCase):
    def test_every_accel_api_url_uses_the_port_it_listens_on(self):
        port = str(_default(api_opts.api_opts, "port"))
        self.assertEqual(port, "6666")  # Cyborg's port, which the docs promise
        seen = []
        for where, text in [*_texts(), *_help_texts()]:
            lines = text.splitlines()
            for i, line in enumerate(lines):
                for m in URL.finditer(line):
                    host = m.group("host")
                    nearby = " ".join(lines[max(0, i - 3):i + 1])
                    if "agent" in host or not (
                            API_HOST.search(host)
                            or (host == "127.0.0.1" and (
                                API_CONTEXT.search(nearby)
                                or line[m.end():].startswith("/v2")))):
                        continue
                    seen.append((str(where), i + 1, m.group(0)))
                    with self.subTest(where=str(where), line=i + 1, url=m.group(0)):
                        self.assertEqual(m.group("port"), port)
        # The check is not vacuous: the docs, the samples and the option help all name it.
        places = {w.split(":")[0].split(" ")[0] for w, _, _ in seen}
        self.assertIn("docs/ironic.rst", places)
        self.assertIn("README.rst", places)
        self.assertIn("[accel_api]", places)  # accel-agent's endpoint_override, ironic's url

    def test_the_readme_names_the_default_listen_address(self):
        port = _default(api_opts.api_opts, "port")
        host = _default(api_opts.api_opts, "host_ip")
        self.assertIn(f"{host}:{port}", (TOP / "README.rst").read_text())

    def test_the_agents_documented_json_rpc_port_is_ironic_libs_default(self):
        from ironic_lib import json_rpc
        from oslo_config import cfg

        conf = cfg.ConfigOpts()
        json_rpc.register_opts(conf)
        default = conf.json_rpc.port
        text = (TOP / "docs" / "programming.rst").read_text()
        documented = re.findall(r"\[json_rpc\][^\[]*?\bport = (\d+)", text)
        self.assertTrue(documented)
        for value in documented:
            self.assertEqual(int(value), default)
