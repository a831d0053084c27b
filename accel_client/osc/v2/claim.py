"""``openstack accelerator claim create|list|show|delete``: a device for users without
Nova in one call (host + resource class + traits, optionally a bitstream)."""

from osc_lib.command import command

from accel_client.osc.v2 import common

LIST_COLUMNS = ("uuid", "state", "hostname", "resource_class", "pci_address",
                "deployable_uuid", "bitstream_id")


class CreateClaim(command.ShowOne):
    """Claim an accelerator on a host; prints the PCI address it got."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--host", metavar="<hostname>", required=True,
                            help="the host to claim on")
        parser.add_argument("--resource-class", metavar="<class>", required=True,
                            help="e.g. FPGA, PGPU, CUSTOM_QAT")
        parser.add_argument("--trait", metavar="<trait>", action="append", default=[],
                            help="a required trait (repeat for more)")
        parser.add_argument("--bitstream", metavar="<uuid>",
                            help="program this bitstream before the claim is bound")
        return parser

    def take_action(self, args):
        body = {"hostname": args.host, "resource_class": args.resource_class}
        if args.trait:
            body["traits"] = args.trait
        if args.bitstream:
            body["bitstream_id"] = args.bitstream
        return common.show(common.call(common.client(self).post, "/v2/claims", body))


class ListClaim(common.ListResource):
    """List your claims."""

    PATH, KEY, COLUMNS = "/v2/claims", "claims", LIST_COLUMNS
    FILTERS = {"host": ("hostname", "only on this host")}


class ShowClaim(common.ShowResource):
    """Show a claim."""

    PATH, ARG, ARG_HELP = "/v2/claims/{}", "claim", "claim uuid"


class DeleteClaim(common.DeleteResource):
    """Release claims."""

    PATH, ARG_HELP = "/v2/claims/{}", "claim uuid(s)"
