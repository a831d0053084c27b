"""The extension point where a bind programs the deployable (issue 5 plugs in here).

``claims.bind`` calls ``Programmer.prepare(request)`` after it has taken an attach
handle and before the ARQ becomes ``Bound``, inside the bind transaction. A programmer
is loaded by name from the ``accel_api.programmers`` stevedore namespace
(option ``[claims] programmer``).

The built-in ``none`` programmer binds requests that ask for no programming and
refuses, with a clear message, those whose profile group asks for
``accel:bitstream_id`` or ``accel:function_id``: binding a device without the
function the instance asked for would hand it the wrong hardware silently.
"""

import dataclasses

from accel_api import errors

PROGRAMMING_KEYS = ("accel:bitstream_id", "accel:function_id")


def wants_programming(accel):
    """Whether a group's ``accel:`` keys ask for a bitstream or a function."""
    return any(accel.get(key) for key in PROGRAMMING_KEYS)


@dataclasses.dataclass
class ProgramRequest:
    """What a bind asks a programmer to do."""

    arq_uuid: str
    hostname: str
    deployable_uuid: str
    device_address: str
    attach_handle_address: str
    #: ``accel:*`` keys of the profile group (or ``accel:bitstream_id`` of a claim).
    accel: dict
    #: The bind's session (its transaction), so a programmer records what it did in it.
    session: object = None
    #: Project of the ARQ (whose bitstreams it may use).
    project_id: str | None = None
    #: Nova's bind: the programmer may leave the work to the background (see
    #: ``Programmer.prepare``); a one-call claim waits for it.
    may_defer: bool = False

    @property
    def wants_programming(self):
        return wants_programming(self.accel)


class ProgrammingRefused(errors.Conflict):
    """The programmer cannot (or will not) program what the request asks."""


class Programmer:
    """Base class: programs the deployable a bind is about to hand out."""

    def prepare(self, request: ProgramRequest) -> str | None:
        """Program (or check) the deployable; raise ApiError to fail the bind.

        With ``request.may_defer``, a programmer may instead record a programming job in
        the bind's session and return its uuid: the ARQ is then ``BindStarted`` and
        ``claims.async_binds`` drives that job in the background. None: done."""
        raise NotImplementedError

    def acts_on(self, accel: dict) -> bool:
        """Whether ``prepare`` has anything to do (or refuse) for a group with these
        ``accel:`` keys. When False a bind may skip it and take its handle in a single
        statement; a programmer that does not say is always asked."""
        return True


class NoProgrammer(Programmer):
    """Default: nothing to program; programming requests are refused clearly."""

    def acts_on(self, accel):
        return wants_programming(accel)

    def prepare(self, request):
        if request.wants_programming:
            raise ProgrammingRefused(
                "this accel-api has no programmer configured ([claims] programmer); "
                f"cannot program {request.accel} onto deployable {request.deployable_uuid}")


def load(name, conf=None):
    if name in (None, "", "none"):
        return NoProgrammer()
    from stevedore import driver

    return driver.DriverManager("accel_api.programmers", name, invoke_on_load=True,
                                invoke_kwds={"conf": conf}).driver
