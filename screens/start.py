"""The main menu, help and language screens."""

from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd

from keyboards.menu import language_kb, main_menu_kb
from models import Role, User
from screens.base import Screen


def home_screen(user: User) -> Screen:
    text = _("Hello, <b>{name}</b>! Welcome to the shop. What would you like to do?").format(
        name=hd.quote(user.first_name or user.full_name)
    )
    return Screen(text, main_menu_kb(user.role))


def help_text(role: Role) -> str:
    lines = [
        _("<b>What I can do</b>"),
        _("/start: main menu"),
        _("/catalog: browse the catalog"),
        _("/search &lt;words&gt;: find products"),
        _("/cart: your cart"),
        _("/orders: your orders"),
        _("/paysupport: help with a payment"),
        _("/language: change the language"),
        _("/login: a login and password for the shop's website"),
        _("/cancel: leave the current dialog"),
    ]
    if role in (Role.seller, Role.admin):
        lines += ["", _("<b>Seller</b>"), _("/seller: your products, add and edit them")]
    if role is Role.admin:
        lines += [
            "",
            _("<b>Admin</b>"),
            _("/admin: users, roles, categories, statistics and broadcasts"),
            _("/promote &lt;id or @username&gt; &lt;role&gt;: change someone's role"),
            _("/reviews: latest reviews to moderate"),
            _("/broadcast: a message to all users or to one language"),
            _("/promocodes: create, list, edit and disable promo codes"),
            _("/books: orders as a CSV file, and the Stars check"),
        ]
    return "\n".join(lines)


def help_screen(role: Role) -> Screen:
    return Screen(help_text(role), main_menu_kb(role))


def language_screen(current: str) -> Screen:
    return Screen(_("Choose your language:"), language_kb(current))


def cancelled_screen(role: Role, *, had_dialog: bool = True, button: bool = False) -> Screen:
    """After /cancel or a Cancel button; with no dialog to end, /cancel says there was
    nothing to cancel, and a button (of a screen that changes nothing) that nothing was."""
    if had_dialog:
        text = _("Cancelled.")
    else:
        text = _("Nothing was changed.") if button else _("There is nothing to cancel.")
    return Screen(text, main_menu_kb(role))
