"""Broadcast keyboards: compose, preview (audience, confirm), progress (stop)."""

from enum import StrEnum

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import BroadcastAudienceCb, BroadcastCb, MenuAction, MenuCb
from keyboards.common import back_label, button, cancel_button
from models import Audience


class BroadcastAction(StrEnum):
    new = "new"  # the admin panel's entry point
    confirm = "ok"
    edit = "edit"
    stop = "stop"


def audience_label(audience: Audience) -> str:
    return {
        Audience.everyone: _("Everyone"),
        Audience.en: "English",
        Audience.ru: "Русский",
    }[audience]


def compose_kb() -> InlineKeyboardMarkup:
    back = button(back_label(), MenuCb(action=MenuAction.admin))
    return InlineKeyboardMarkup(inline_keyboard=[[back, cancel_button()]])


def preview_kb(broadcast_id: int, audience: Audience, recipients: int) -> InlineKeyboardMarkup:
    audiences = [
        button(
            ("✅ " if a is audience else "") + audience_label(a),
            BroadcastAudienceCb(id=broadcast_id, audience=a.value),
        )
        for a in Audience
    ]
    confirm = button(
        "📣 " + _("Send to {n}").format(n=recipients),
        BroadcastCb(action=BroadcastAction.confirm, id=broadcast_id),
    )
    edit = button("✏️ " + _("Edit"), BroadcastCb(action=BroadcastAction.edit, id=broadcast_id))
    return InlineKeyboardMarkup(inline_keyboard=[audiences, [confirm], [edit, cancel_button()]])


def progress_kb(broadcast_id: int) -> InlineKeyboardMarkup:
    stop = button("⏹ " + _("Stop"), BroadcastCb(action=BroadcastAction.stop, id=broadcast_id))
    return InlineKeyboardMarkup(inline_keyboard=[[stop]])
