"""The cart screen."""

from decimal import Decimal

from aiogram.utils.i18n import gettext as _

from keyboards.cart import cart_kb
from keyboards.formatting import fits, money, quote
from screens.base import Screen
from services.cart import Cart


def cart_screen(cart: Cart, currency: str, locale: str) -> Screen:
    return Screen(cart_text(cart, currency, locale), cart_kb(cart))


def cart_text(cart: Cart, currency: str, locale: str) -> str:
    """The cart screen, always within Telegram's limit: 20 lines of long names with notes
    would pass it, so names get shorter and notes terser until it fits."""
    if not cart.lines:
        return _("🛒 Your cart is empty. Find something in the catalog!")
    for name_limit, terse in ((60, False), (30, False), (30, True), (12, True)):
        text = _cart_text(cart, currency, locale, name_limit, terse)
        if fits(text):
            break
    return text


def _cart_text(cart: Cart, currency: str, locale: str, name_limit: int, terse: bool) -> str:
    def cash(amount: Decimal) -> str:
        return money(amount, currency, locale)

    out = ["🛒 <b>" + _("Your cart") + "</b>", ""]
    for n, line in enumerate(cart.lines, 1):
        out.append(f"{n}. <b>{quote(line.name, name_limit)}</b>")
        if not line.available:
            out.append(
                "   ⛔ "
                + (_("unavailable") if terse else _("No longer available: remove it to check out."))
            )
            continue
        row = f"   {line.quantity} × {cash(line.price)} = {cash(line.total)}"
        notes = []
        if line.price_changed:
            if terse:
                notes.append(_("was {old}").format(old=cash(line.seen_price)))
            else:
                notes.append(
                    _("Price changed: was {old}, now {new}.").format(
                        old=cash(line.seen_price), new=cash(line.price)
                    )
                )
        if line.short:
            if terse:
                notes.append(_("only {stock} left").format(stock=line.stock))
            else:
                notes.append(_("Only {stock} in stock.").format(stock=line.stock))
        if terse:
            out.append(row + "".join(" ⚠️ " + note for note in notes))
        else:
            out += [row, *("   ⚠️ " + note for note in notes)]
    out += ["", "<b>" + _("Total: {total}").format(total=cash(cart.total)) + "</b>"]
    return "\n".join(out)
