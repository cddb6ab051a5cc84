"""The command menu Telegram shows next to the input field: a customer's, and the longer
one of a seller or an admin (set on their own chat, in the language they chose)."""

from collections.abc import Callable

from aiogram.types import BotCommand

from models import Role
from services.texts import N_

COMMANDS = (
    ("start", N_("Main menu")),
    ("catalog", N_("Browse the catalog")),
    ("search", N_("Find products")),
    ("cart", N_("Your cart")),
    ("orders", N_("Your orders")),
    ("paysupport", N_("Help with a payment")),
    ("language", N_("Change the language")),
    ("help", N_("What the bot can do")),
    ("cancel", N_("Leave the current dialog")),
    ("login", N_("A password for the shop's website")),
)
SELLER_COMMANDS = (("seller", N_("Your products: add and edit them")),)
ADMIN_COMMANDS = (
    ("admin", N_("The admin panel")),
    ("reviews", N_("Latest reviews to moderate")),
    ("promocodes", N_("Promo codes")),
    ("broadcast", N_("A message to all users")),
    ("books", N_("Orders as a CSV file, the Stars check")),
)


def command_menu(role: Role, gettext: Callable[[str], str]) -> list[BotCommand]:
    """The commands of a role, described in the language `gettext` translates to."""
    rows = list(COMMANDS)
    if role in (Role.seller, Role.admin):
        rows += SELLER_COMMANDS
    if role is Role.admin:
        rows += ADMIN_COMMANDS
    return [BotCommand(command=name, description=gettext(text)) for name, text in rows]
