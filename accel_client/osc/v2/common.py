"""What the commands share: the client, errors as CommandError, row formatting."""

import json

from osc_lib import exceptions

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
    from urllib.parse import quote as _quote

    return _quote(str(value), safe="")
