"""Claims: ARQs from device profiles, Nova's bind/unbind, and the one-call claim.

Where each idea lives:

* ``arqs`` — create ARQs from a device profile, read them, delete them;
* ``binding`` — bind and unbind (Nova's protocol), all or nothing;
* ``handles`` — taking and freeing attach handles atomically;
* ``one_call`` — the claim without Nova: host + resource class + traits;
* ``statements`` — the portable Core statements of these paths, built once;
* ``postgresql`` — bind, unbind and delete of one ARQ each in one statement;
* ``profiles`` — device profiles as creation reads them, cached (they never change);
* ``records`` — ``Arq`` and the profile-group helpers.
"""

from accel_api.claims.arqs import create_arqs, delete_arqs, get_arq
from accel_api.claims.binding import NoFreeHandle, bind, unbind
from accel_api.claims.one_call import claim, release
from accel_api.claims.records import (
    BIND_FIELDS,
    Arq,
    attach_handle_info,
    group_accel,
    group_units,
    handle_info,
    handle_uuid,
)
from accel_api.claims.statements import ARQ, ARQ_VIEW

__all__ = ["ARQ", "ARQ_VIEW", "BIND_FIELDS", "Arq", "NoFreeHandle", "attach_handle_info",
           "bind", "claim", "create_arqs", "delete_arqs", "get_arq", "group_accel",
           "group_units", "handle_info", "handle_uuid", "release", "unbind"]
