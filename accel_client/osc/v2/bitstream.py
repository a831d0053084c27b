"""``openstack accelerator bitstream create|list|show|delete``.

``create`` registers the metadata, streams the file with a progress bar while hashing
it, and checks the digests accel-api stored against the file's: a mismatch, or any
failure after the record exists, deletes the record (nothing half-uploaded stays). A
GBS file's PR interface and AFU ids are read from its header when not given.
"""

import logging
import os
import sys

from osc_lib import exceptions
from osc_lib.command import command

from accel_client.http import ClientError
from accel_client.osc.v2 import common
from accel_client.progress import HashingReader, ProgressBar, file_digest

LOG = logging.getLogger(__name__)
LIST_COLUMNS = ("uuid", "name", "status", "size", "vendor", "type", "function_id",
                "interface_id", "visibility")


def _gbs_ids(path):
    """(interface_id, function_id) from a GBS header, or (None, None) for other files."""
    from accel_contract.errors import AccelError
    from ipa_fpga.program import gbs

    try:
        image = gbs.parse(path, os.path.basename(path))
    except (AccelError, OSError, ValueError):
        return None, None
    return image.interface_id, image.afu_id


def _expected(checksum):
    algo, sep, value = str(checksum).partition(":")
    if not sep or algo not in ("sha256", "sha512"):
        raise exceptions.CommandError("--checksum is sha256:<hex> or sha512:<hex>")
    value = value.strip().lower()
    if len(value) != {"sha256": 64, "sha512": 128}[algo] or \
            any(c not in "0123456789abcdef" for c in value):
        raise exceptions.CommandError(f"--checksum: not a {algo} digest")
    return algo, value


class CreateBitstream(command.ShowOne):
    """Upload a bitstream (metadata, then the bytes with a progress bar; digests checked)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="<name>", help="bitstream name")
        parser.add_argument("--file", metavar="<file>", required=True,
                            help="the bitstream file (e.g. a GBS) to upload")
        parser.add_argument("--vendor", metavar="<vendor>", help="vendor (e.g. intel)")
        parser.add_argument("--type", metavar="<type>", help="what it does (e.g. gzip)")
        parser.add_argument("--function-id", metavar="<uuid>",
                            help="the AFU/function id it loads (default: from a GBS header)")
        parser.add_argument("--interface-id", metavar="<uuid>",
                            help="the PR interface it fits (default: from a GBS header)")
        parser.add_argument("--board", metavar="<board>", help="board it is built for")
        parser.add_argument("--public", action="store_true",
                            help="visible to every project (admin)")
        parser.add_argument("--checksum", metavar="<algo:hex>",
                            help="sha256:<hex> or sha512:<hex> the file must have; checked "
                                 "before anything is uploaded")
        progress = parser.add_mutually_exclusive_group()
        progress.add_argument("--progress", dest="progress", action="store_true",
                              default=None, help="show a progress bar (default on a terminal)")
        progress.add_argument("--no-progress", dest="progress", action="store_false",
                              help="no progress bar")
        return parser

    def take_action(self, args):
        api = common.client(self)
        path = args.file
        if not os.path.isfile(path):
            raise exceptions.CommandError(f"--file {path}: not a readable file")
        if args.checksum:
            algo, value = _expected(args.checksum)
            if file_digest(path, algo) != value:
                raise exceptions.CommandError(f"{path} does not have {algo} {value}: "
                                              "nothing uploaded")
        iface, afu = args.interface_id, args.function_id
        if iface is None or afu is None:
            gbs_iface, gbs_afu = _gbs_ids(path)
            iface, afu = iface or gbs_iface, afu or gbs_afu
        meta = {"name": args.name}
        for key, value in (("vendor", args.vendor), ("type", args.type), ("board", args.board),
                           ("function_id", afu), ("interface_id", iface)):
            if value is not None:
                meta[key] = value
        if args.public:
            meta["visibility"] = "public"
        record = common.call(api.post, "/v2/bitstreams", meta)
        uuid = record["uuid"]
        try:
            stored = self._upload(api, uuid, path, args)
        except BaseException:
            self._forget(api, uuid)
            raise
        return common.show(stored)

    def _upload(self, api, uuid, path, args):
        stream = self.app.stderr if hasattr(self.app, "stderr") else sys.stderr
        show_progress = args.progress if args.progress is not None else stream.isatty()
        bar = ProgressBar(os.path.getsize(path), stream, f"{uuid[:8]} ") if show_progress \
            else None
        with HashingReader(path, bar) as body:
            try:
                resp = api.request("PUT", f"/v2/bitstreams/{uuid}/data", ok=(200,), data=body,
                                   headers={"Content-Type": "application/octet-stream"})
            except ClientError as exc:
                raise exceptions.CommandError(f"upload of {path} failed, bitstream {uuid} "
                                              f"deleted: {exc}") from None
            if bar:
                bar.update(body.sent, final=True)
            stored = resp.json()
            if body.sent != body.size:
                raise exceptions.CommandError(f"{path} changed while it was uploaded")
            want = {"checksum": body.sha512.hexdigest(), "sha256": body.sha256.hexdigest(),
                    "size": body.size}
        got = {k: stored.get(k) for k in want}
        if got != want:
            raise exceptions.CommandError(
                f"accel-api stored {got} for {path}, which has {want}: bitstream {uuid} "
                "deleted")
        return stored

    def _forget(self, api, uuid):
        try:
            api.delete(f"/v2/bitstreams/{uuid}")
        except ClientError as exc:
            LOG.warning("could not delete bitstream %s after the failed upload: %s", uuid, exc)


class ListBitstream(common.ListResource):
    """List bitstreams (the project's own and public ones)."""

    PATH, KEY, COLUMNS = "/v2/bitstreams", "bitstreams", LIST_COLUMNS
    FILTERS = {name: (name, f"only this {name}") for name in ("name", "vendor", "type")}


class ShowBitstream(common.ShowResource):
    """Show a bitstream."""

    PATH, ARG, ARG_HELP = "/v2/bitstreams/{}", "bitstream", "bitstream uuid"


class DeleteBitstream(common.DeleteResource):
    """Delete bitstreams and their stored bytes."""

    PATH, ARG_HELP = "/v2/bitstreams/{}", "bitstream uuid(s)"
