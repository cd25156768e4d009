"""Use cases. Each owns its transaction: lock → load → decide → write → commit."""

from booking.domain.values import N_


class ServiceError(Exception):
    """A refusal the user can act on; `message` is a translatable text, `field` the input it is about, if one."""

    status_code = 400
    field: str | None = None

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class InputRefused(ServiceError):
    """A refusal about one input of the form, named `field`: shown beside it."""

    def __init__(self, field: str, message: str, **params: object) -> None:
        super().__init__(message, **params)
        self.field = field


class NotFound(ServiceError):
    status_code = 404

    def __init__(self) -> None:
        super().__init__(N_("Not found."))


class Stale(ServiceError):
    """The object changed since the user looked at it."""

    status_code = 409
