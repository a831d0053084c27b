"""``openstack accelerator host list|show`` and ``host inventory import``: what the
Ironic hook and accel-agent send, by hand (e.g. ``accel-discover --format json``)."""

import json
import sys

from osc_lib import exceptions
from osc_lib.command import command

from accel_client.osc.v2 import common

LIST_COLUMNS = ("hostname", "system_uuid", "num_devices", "collector", "collected_at",
                "updated_at")
#: what an import summary counts, per kind
SUMMARY = ("added", "updated", "removed", "lost")


class ListHost(common.ListResource):
    """List hosts with an imported inventory."""

    PATH, KEY, COLUMNS = "/v2/hosts", "hosts", LIST_COLUMNS


class ShowHost(common.ShowResource):
    """Show a host."""

    PATH, ARG, METAVAR, ARG_HELP = "/v2/hosts/{}", "host", "<hostname>", "host name"


class ImportInventory(command.ShowOne):
    """Import a host's inventory document (idempotent; the host's previous one is replaced)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("file", metavar="<file>",
                            help="the inventory document (JSON, e.g. from accel-discover "
                                 "--format json); - reads standard input")
        parser.add_argument("--host", metavar="<hostname>",
                            help="the host's name (default: the document's host.hostname)")
        return parser

    def take_action(self, args):
        try:
            if args.file == "-":
                doc = json.load(sys.stdin)
            else:
                with open(args.file, encoding="utf-8") as f:
                    doc = json.load(f)
        except OSError as exc:
            raise exceptions.CommandError(f"cannot read {args.file}: {exc.strerror}") from None
        except ValueError as exc:
            raise exceptions.CommandError(f"{args.file} is not JSON: {exc}") from None
        host = args.host or ((doc.get("host") or {}).get("hostname")
                             if isinstance(doc, dict) else None)
        if not host:
            raise exceptions.CommandError("the document names no host.hostname: give --host")
        summary = common.call(common.client(self).put,
                              f"/v2/hosts/{common.quote(host)}/inventory", doc)
        columns = ["host"]
        values = [host]
        for kind in ("devices", "deployables", "attach_handles"):
            counts = summary.get(kind) or {}
            columns.append(kind)
            values.append(", ".join(f"{counts.get(k, 0)} {k}" for k in SUMMARY))
        if "placement" in summary:
            columns.append("placement")
            values.append(common.cell(summary["placement"]))
        return tuple(columns), tuple(values)
