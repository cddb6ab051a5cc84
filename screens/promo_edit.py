"""The promo code edit dialog's screens: the code's terms with the changes so far (what to
change, and Save), and each step's prompt with the term as it is now."""

from functools import partial

from aiogram.utils.i18n import gettext as _

from keyboards.promo_edit import promo_edit_kb, promo_edit_kind_kb, promo_edit_step_kb
from models import PromoCode, PromoKind
from screens.base import Screen
from screens.promo import describe, discount_text, moment_text, value_prompt
from services.promo import PromoDraft


def _head(code: str) -> str:
    return "✏️ <b>" + _("Edit promo code {code}").format(code=code) + "</b>"


def _with_error(text: str, error: str | None) -> str:
    return "⚠️ " + error + "\n\n" + text if error else text


def promo_edit_screen(
    promo: PromoCode,
    terms: PromoDraft,
    changed: bool,
    category: str | None,
    currency: str,
    locale: str,
    error: str | None = None,
    dialog: int = 0,
) -> Screen:
    """`terms`: the code as it will be once saved (its terms now, with the changes);
    `dialog`: the dialog Save belongs to."""
    parts = [_head(promo.code), describe(terms, currency, locale, category, used=promo.used)]
    if changed:
        parts.append("✏️ " + _("Changed, not saved yet: press Save."))
    else:
        parts.append(_("What do you want to change?"))
    return Screen(_with_error("\n\n".join(parts), error), promo_edit_kb(changed, dialog))


def promo_edit_step_screen(
    step: str,
    terms: PromoDraft,
    used: int,
    currency: str,
    locale: str,
    error: str | None = None,
    kind: PromoKind | None = None,
    dialog: int = 0,
) -> Screen:
    """The prompt of a step, the term's value now (with the changes so far) under it;
    `kind`: the discount's kind chosen for the amount asked (else the terms'); `dialog`:
    the dialog's number, on its buttons."""
    limit = terms.total_uses
    typed = partial(promo_edit_step_kb, step, dialog)
    steps = {
        "kind": (
            _("A percent off, or a fixed amount off?"),
            discount_text(terms.kind, terms.value, currency, locale),
            promo_edit_kind_kb(dialog),
        ),
        "value": (
            value_prompt(kind or terms.kind),
            discount_text(terms.kind, terms.value, currency, locale),
            typed(),
        ),
        "total_uses": (
            _(
                "How many uses in all? Send a number, at least {used} (the uses so far), "
                "or press No limit."
            ).format(used=used)
            if used
            else _("How many uses in all? Send a number, or press No limit."),
            str(limit) if limit is not None else _("no limit"),
            typed("♾ " + _("No limit")),
        ),
        "per_customer": (
            _("How many uses per customer? Send a number."),
            str(terms.per_customer),
            typed(),
        ),
        "expires": (
            _(
                "Valid until which day? Send YYYY-MM-DD or DD.MM.YYYY, or a number of days, or "
                "press No expiry."
            ),
            moment_text(terms.expires_at, locale) if terms.expires_at else _("no expiry"),
            typed("♾ " + _("No expiry")),
        ),
    }
    prompt, now, markup = steps[step]
    text = _head(terms.code) + "\n\n" + prompt + "\n" + _("Now: {value}").format(value=now)
    return Screen(_with_error(text, error), markup)
