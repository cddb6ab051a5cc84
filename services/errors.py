"""Domain exceptions. The errors router translates `message` and shows it to the user."""

from services.texts import N_


class DomainError(Exception):
    """A rule said no. `message` is an English msgid marked with N_; params fill it in."""

    message = N_("This action can't be done.")

    def __init__(self, message: str | None = None, **params: object) -> None:
        if message is not None:
            self.message = message
        self.params = params
        super().__init__(self.message.format(**params) if params else self.message)


class NotFound(DomainError):
    message = N_("This item is no longer available.")


class NotAllowed(DomainError):
    message = N_("Not allowed.")


class InvalidInput(DomainError):
    message = N_("That doesn't look right.")
