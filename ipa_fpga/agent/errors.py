"""The errors accel-agent answers over JSON-RPC; accel-api rebuilds them by class name
(ironic-lib's client only imports exceptions of the namespaces it is told to trust)."""

from ironic_lib import exception as il_exc

#: What accel-api's JSON-RPC client trusts (``accel_api.agents.rpc``).
NAMESPACE = "ipa_fpga.agent.errors."


class InvalidJob(il_exc.IronicException):
    _msg_fmt = "invalid job: %(reason)s"
    code = 400


class PartitionFailed(il_exc.IronicException):
    """A GPU partition could not be made or removed; the message says why."""

    _msg_fmt = "%(reason)s"
    code = 409
