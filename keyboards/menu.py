from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import LangCb, MenuAction, MenuCb
from keyboards.common import button, home_button
from locales import LANGUAGES
from models import Role


def main_menu_kb(role: Role) -> InlineKeyboardMarkup:
    def item(text: str, action: MenuAction):
        return button(text, MenuCb(action=action))

    rows = [
        [
            item("🛍 " + _("Catalog"), MenuAction.catalog),
            item("🔍 " + _("Search"), MenuAction.search),
        ],
        [item("🛒 " + _("Cart"), MenuAction.cart), item("📦 " + _("My orders"), MenuAction.orders)],
        [item("♥ " + _("Favourites"), MenuAction.favourites)],
    ]
    staff = []
    if role in (Role.seller, Role.admin):
        staff.append(item("🏪 " + _("Seller panel"), MenuAction.seller))
    if role is Role.admin:
        staff.append(item("⚙️ " + _("Admin panel"), MenuAction.admin))
    if staff:
        rows.append(staff)
    rows.append(
        [item("🌐 " + _("Language"), MenuAction.language), item("❓ " + _("Help"), MenuAction.help)]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def language_kb(current: str) -> InlineKeyboardMarkup:
    rows = [
        [button(("✅ " if code == current else "") + title, LangCb(code=code))]
        for code, title in LANGUAGES.items()
    ]
    rows.append([home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)
