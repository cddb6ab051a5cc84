"""Promo codes' screens: the admins' list and card, the create dialog's steps."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

from aiogram.utils.i18n import gettext as _
from babel.numbers import format_percent

from keyboards.common import CATEGORIES_PER_PAGE
from keyboards.formatting import moment, money, quote
from keyboards.promo import (
    promo_card_kb,
    promo_category_kb,
    promo_kind_kb,
    promo_list_kb,
    promo_preview_kb,
    promo_step_kb,
)
from models import PromoCode, PromoKind
from screens.base import Screen
from services.categories import TreeItem
from services.paging import chunk
from services.promo import PromoDraft


def discount_text(kind: PromoKind, value: Decimal, currency: str, locale: str) -> str:
    """ "−15%", "−12,5 %" in Russian, or an amount off in the shop's currency."""
    if kind is PromoKind.percent:
        return "−" + format_percent(value / 100, locale=locale, decimal_quantization=False)
    return "−" + money(value, currency, locale)


def value_prompt(kind: PromoKind | None) -> str:
    """The amount's question, for the kind of discount chosen."""
    if kind is PromoKind.percent:
        return _("How much off? Send the percent, from 1 to 99, for example 10 or 12.5.")
    if kind is PromoKind.fixed:
        return _("How much off? Send the amount, for example 500 or 99,50.")
    return _("How much off? Send a number: the percent, or the amount.")


def describe(
    promo: PromoCode | PromoDraft,
    currency: str,
    locale: str,
    category: str | None = None,
    used: int | None = None,
) -> str:
    """The code's terms, one a line."""
    lines = [
        f"🏷 <b>{promo.code}</b> · {discount_text(promo.kind, promo.value, currency, locale)}",
    ]
    if promo.min_order is not None:
        lines.append(
            _("Minimum order: {amount}").format(amount=money(promo.min_order, currency, locale))
        )
    if promo.expires_at is not None:
        lines.append(
            _("Valid until: {moment}").format(moment=moment_text(promo.expires_at, locale))
        )
    else:
        lines.append(_("No expiry date"))
    total = promo.total_uses
    if used is not None:
        lines.append(
            _("Used: {used} of {total}").format(used=used, total=total)
            if total is not None
            else _("Used: {used} (no limit)").format(used=used)
        )
    else:
        lines.append(
            _("Uses in all: {total}").format(total=total) if total else _("Uses in all: no limit")
        )
    lines.append(_("Uses per customer: {n}").format(n=promo.per_customer))
    lines.append(
        _("Only for the category: {name}").format(name=quote(category, 100))
        if category
        else _("For every product")
    )
    return "\n".join(lines)


def moment_text(end: datetime, locale: str) -> str:
    """A code's end, in UTC, as the reader's language writes it; one set as a day ends at
    the midnight after it: that day's last minute is shown, so "2026-12-31" reads as
    "Dec 31, 2026, 23:59 UTC", not as the next day's 00:00 (a number of days ends at the
    minute it was set, never exactly at midnight)."""
    if end.tzinfo is not None:
        end = end.astimezone(UTC)
    if (end.hour, end.minute, end.second, end.microsecond) == (0, 0, 0, 0):
        end -= timedelta(minutes=1)
    return moment(end, locale)


def promo_list_screen(
    codes: Sequence[PromoCode], page: int, pages: int, currency: str, locale: str
) -> Screen:
    if not codes:
        text = "🏷 <b>" + _("Promo codes") + "</b>\n" + _("No promo codes yet.")
    else:
        lines = [
            f"{'🏷' if c.is_active else '⛔'} <b>{c.code}</b> · "
            f"{discount_text(c.kind, c.value, currency, locale)} · "
            + (f"{c.used}/{c.total_uses}" if c.total_uses is not None else f"{c.used}/∞")
            for c in codes
        ]
        text = "🏷 <b>" + _("Promo codes") + "</b>\n\n" + "\n".join(lines)
    return Screen(text, promo_list_kb(codes, page, pages))


def promo_card_screen(
    promo: PromoCode, page: int, category: str | None, currency: str, locale: str
) -> Screen:
    text = describe(promo, currency, locale, category, used=promo.used)
    if not promo.is_active:
        text += "\n\n⛔ " + _("Disabled: customers can't use it.")
    return Screen(text, promo_card_kb(promo, page))


def _step(n: int, text: str) -> str:
    return "🏷 <b>" + _("New promo code") + f"</b> · {n}/8\n\n" + text


def promo_step_screen(
    step: str,
    error: str | None = None,
    tree: Sequence[TreeItem] = (),
    page: int = 1,
    kind: PromoKind | None = None,
    dialog: int = 0,
) -> Screen:
    """The prompt of a step of the create dialog (an error first when the answer was
    not right); the category step shows page `page` of the category tree, the amount's
    asks for the `kind` chosen. `dialog`: the dialog's number, on its buttons."""
    shown, page, pages = chunk(tree, page, CATEGORIES_PER_PAGE)
    optional = partial(promo_step_kb, step, dialog, skip=True)
    prompts = {
        "code": (
            1,
            _("Send the code customers will type, for example WINTER10."),
            promo_step_kb(step, dialog, back=False),
        ),
        "kind": (2, _("A percent off, or a fixed amount off?"), promo_kind_kb(dialog)),
        "value": (3, value_prompt(kind), promo_step_kb(step, dialog)),
        "min_order": (
            4,
            _("The minimum order total for the code to work, or Skip for none."),
            optional(),
        ),
        "expires": (
            5,
            _(
                "Valid until which day? Send YYYY-MM-DD or DD.MM.YYYY, or a number of days, or "
                "Skip for no expiry."
            ),
            optional(),
        ),
        "total_uses": (
            6,
            _("How many uses in all? Send a number, or Skip for no limit."),
            optional(),
        ),
        "per_customer": (
            7,
            _("How many uses per customer? Send a number, or Skip for one."),
            optional(),
        ),
        "category": (
            8,
            _("Only for one category (and its subcategories)?"),
            promo_category_kb(shown, (page, pages), dialog),
        ),
    }
    n, text, markup = prompts[step]
    text = _step(n, text)
    if error:
        text = "⚠️ " + error + "\n\n" + text
    return Screen(text, markup)


def promo_preview_screen(
    draft: PromoDraft, category: str | None, currency: str, locale: str, dialog: int
) -> Screen:
    text = (
        "🏷 <b>"
        + _("Check the new promo code")
        + "</b>\n\n"
        + describe(draft, currency, locale, category)
    )
    return Screen(text, promo_preview_kb(dialog))
