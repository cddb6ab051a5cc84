"""A product's shareable link, and the buttons that open it."""

from urllib.parse import urlencode

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _


def product_link(bot_username: str, product_id: int) -> str:
    """The shareable deep link that opens the product card: /start p<id>."""
    return f"https://t.me/{bot_username}?start=p{product_id}"


def share_url(link: str) -> str:
    return "https://t.me/share/url?" + urlencode({"url": link})


def open_in_bot_kb(link: str) -> InlineKeyboardMarkup:
    """Under a product posted through inline mode: opens the card in the bot."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="🛍 " + _("Open in the shop"), url=link)]]
    )
