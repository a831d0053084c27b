"""Typed errors of the shared contract."""


class AccelError(Exception):
    """Base of every ironic-accel error: carries a message a person can act on."""


class InventoryError(AccelError, ValueError):
    """An inventory document does not follow the contract.

    ``problems`` lists each violation as ``"<json path>: <what is wrong>"``.
    """

    def __init__(self, problems):
        self.problems = list(problems)
        shown = "; ".join(self.problems[:5])
        more = len(self.problems) - 5
        if more > 0:
            shown += f"; and {more} more"
        super().__init__(f"invalid accelerator inventory: {shown}")


class NamingError(AccelError, ValueError):
    """A trait or resource class name cannot be made valid for Placement."""
