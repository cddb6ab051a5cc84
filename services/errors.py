"""Domain exceptions. The errors router translates `message` and shows it to the user."""

from collections.abc import Callable

from services.texts import N_


class DomainError(Exception):
    """A rule said no. `message` is an English msgid marked with N_ (or a singular and
    plural pair marked with Nn_, chosen by the `count` param); params fill it in."""

    message: str | tuple[str, str] = N_("This action can't be done.")

    def __init__(self, message: str | tuple[str, str] | None = None, **params: object) -> None:
        if message is not None:
            self.message = message
        self.params = params
        english = self.message
        if isinstance(english, tuple):
            english = english[0] if params.get("count") == 1 else english[1]
        super().__init__(english.format(**params) if params else english)

    def render(
        self, gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str]
    ) -> str:
        """The message in a language (`gettext`, and `ngettext` for a plural pair, chosen
        by the `count` param), its params filled in: the bot's and the API's alike."""
        if isinstance(self.message, tuple):
            count = self.params.get("count")
            text = ngettext(*self.message, count if isinstance(count, int) else 2)
        else:
            text = gettext(self.message)
        return text.format(**self.params) if self.params else text


class NotFound(DomainError):
    message = N_("This item is no longer available.")


class NotAllowed(DomainError):
    message = N_("Not allowed.")


class InvalidInput(DomainError):
    message = N_("That doesn't look right.")


class NotSaved(DomainError):
    """The database refused to commit what the update wrote (a constraint, a lost
    connection, a serialization failure): nothing of it was kept."""

    message = N_("That could not be saved, so nothing has changed. Please try again.")
