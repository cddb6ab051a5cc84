from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.admin import panel_button
from keyboards.callback_owner import BooksAction, BooksCb, ExportRange
from keyboards.common import back_label, button, cancel_button


def range_label(r: ExportRange) -> str:
    return {
        ExportRange.today: _("Today"),
        ExportRange.week: _("7 days"),
        ExportRange.month30: _("30 days"),
        ExportRange.this_month: _("This month"),
        ExportRange.everything: _("All time"),
    }[r]


def books_kb() -> InlineKeyboardMarkup:
    def export(r: ExportRange):
        return button(range_label(r), BooksCb(action=BooksAction.export, range=r))

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [export(ExportRange.today), export(ExportRange.week), export(ExportRange.month30)],
            [export(ExportRange.this_month), export(ExportRange.everything)],
            [button("✍️ " + _("Other dates…"), BooksCb(action=BooksAction.typed))],
            [button("⭐ " + _("Check Stars payments"), BooksCb(action=BooksAction.reconcile))],
            [panel_button()],
        ]
    )


def back_to_books_kb(again: BooksCb | None = None) -> InlineKeyboardMarkup:
    rows = []
    if again is not None:
        rows.append([button("🔄 " + _("Check again"), again)])
    rows.append([button(back_label(), BooksCb(action=BooksAction.menu))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def typed_kb() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(back_label(), BooksCb(action=BooksAction.menu)), cancel_button()]]
    )
