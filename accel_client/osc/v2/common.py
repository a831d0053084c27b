"""What the commands share: the client, errors as CommandError, row formatting."""

import json
from urllib.parse import quote as _quote

from osc_lib import exceptions
from osc_lib.command import command

from accel_client.http import ClientError


def client(command):
    return command.app.client_manager.accelerator_lifecycle


def call(fn, *args, **kwargs):
    """Run a client call; its ClientError becomes OSC's CommandError (one line, exit 1)."""
    try:
        return fn(*args, **kwargs)
    except ClientError as exc:
        raise exceptions.CommandError(str(exc)) from None


def cell(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value


def show(doc, columns=None):
    columns = columns or tuple(k for k in doc if k != "links")
    return columns, tuple(cell(doc.get(c)) for c in columns)


def rows(docs, columns):
    return columns, [tuple(cell(d.get(c)) for c in columns) for d in docs]


def quote(value):
    """One path segment: nothing in ``value`` reaches another resource."""
    return _quote(str(value), safe="")


class ShowResource(command.ShowOne):
    """``show <id>``: GET ``path`` with the quoted id (``PATH`` holds ``{}``)."""

    PATH = None
    ARG = "id"
    METAVAR = "<uuid>"
    ARG_HELP = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(self.ARG, metavar=self.METAVAR, help=self.ARG_HELP)
        return parser

    def take_action(self, args):
        return show(call(client(self).get, self.PATH.format(quote(getattr(args, self.ARG)))))


class ListResource(command.Lister):
    """``list``: GET ``PATH``, the ``KEY`` list of the answer, ``COLUMNS``; each name in
    ``FILTERS`` (option -> query parameter) narrows it."""

    PATH = KEY = None
    COLUMNS = ()
    FILTERS = {}  # option name -> (query parameter, help)

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        for option, (_param, text) in self.FILTERS.items():
            parser.add_argument(f"--{option}", metavar=f"<{option}>", help=text)
        return parser

    def take_action(self, args):
        params = {param: getattr(args, option.replace("-", "_"))
                  for option, (param, _text) in self.FILTERS.items()
                  if getattr(args, option.replace("-", "_")) is not None}
        doc = call(client(self).get, self.PATH, params=params)
        return rows(doc[self.KEY], self.COLUMNS)


class DeleteResource(command.Command):
    """``delete <id>...``: DELETE ``PATH`` for each; one line naming every refusal."""

    PATH = None
    ARG_HELP = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("ids", metavar="<uuid>", nargs="+", help=self.ARG_HELP)
        return parser

    def take_action(self, args):
        api = client(self)
        failed = []
        for ident in args.ids:
            try:
                api.delete(self.PATH.format(quote(ident)))
            except ClientError as exc:
                failed.append(str(exc))
        if failed:
            raise exceptions.CommandError("; ".join(failed))
