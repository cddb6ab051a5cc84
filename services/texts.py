"""Marking of messages that are defined in one place and translated where they are shown."""


def N_(message: str) -> str:
    """Marks an English msgid for extraction; the caller translates it with gettext later."""
    return message
