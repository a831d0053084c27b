"""ARQ states, as Cyborg names them (cyborg/common/constants.py)."""

INITIAL = "Initial"
BIND_STARTED = "BindStarted"
BOUND = "Bound"
UNBOUND = "Unbound"
BIND_FAILED = "BindFailed"
DELETING = "Deleting"

#: States ``?bind_state=resolved`` accepts (Cyborg's ARQ_BIND_STATES_STATUS_MAP keys).
RESOLVED = (BOUND, BIND_FAILED, DELETING)
#: States from which a bind may start.
BINDABLE = (INITIAL, UNBOUND)
