"""Errors that carry their HTTP status, raised by the logic layers, rendered by the API."""


class ApiError(Exception):
    status = 400
    title = "Bad Request"

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class BadRequest(ApiError):
    status = 400


class Forbidden(ApiError):
    status = 403
    title = "Forbidden"


class NotFound(ApiError):
    status = 404
    title = "Not Found"


class Conflict(ApiError):
    status = 409
    title = "Conflict"


class NotAcceptable(ApiError):
    status = 406
    title = "Not Acceptable"

