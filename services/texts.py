"""Marking of messages that are defined in one place and translated where they are shown."""


def N_(message: str) -> str:
    """Marks an English msgid for extraction; the caller translates it with gettext later."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Marks an English msgid with a plural form ('{count} subcategory', '{count}
    subcategories'); it is translated with ngettext where it is shown."""
    return singular, plural
