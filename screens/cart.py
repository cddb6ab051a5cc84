"""The cart screen."""

from decimal import Decimal

from aiogram.utils.i18n import gettext as _

from keyboards.cart import cart_kb
from keyboards.formatting import TEXT_LIMIT, fits, money, quote, visible_length
from screens.base import Screen, domain_message
from services.cart import Cart
from services.promo import PromoQuote
from services.promo_rules import PromoRejected


def cart_screen(
    cart: Cart,
    currency: str,
    locale: str,
    promo: PromoQuote | None = None,
    note: str = "",
    *,
    entered: bool = False,
) -> Screen:
    """`entered`: the customer has just sent the code. It says "applied" only when it gives
    a discount; otherwise that it is kept (more in the cart may make it work) with no
    discount yet, and the code's line below says why."""
    if entered and promo is not None:
        if promo.problem is None:
            note = "✅ " + _("Promo code {code} applied.").format(code=promo.code)
        else:
            note = "☑️ " + _(
                "Promo code {code} is kept on your cart, but gives no discount yet."
            ).format(code=promo.code)
    head = note + "\n\n" if note and cart.lines else ""
    text = head + cart_text(cart, currency, locale, promo, room=visible_length(head))
    return Screen(text, cart_kb(cart, promo.code if promo else None))


def promo_lines(promo: PromoQuote | None, total: Decimal, currency: str, locale: str) -> list[str]:
    """The cart's and the summary's last lines: the code and its discount (or why it
    gives none now), and what is to pay."""
    if promo is None:
        return ["<b>" + _("Total: {total}").format(total=money(total, currency, locale)) + "</b>"]
    if promo.problem is not None:
        return [
            "🏷 " + promo_problem(promo.problem, currency, locale),
            "<b>" + _("Total: {total}").format(total=money(total, currency, locale)) + "</b>",
        ]
    return [
        _("Subtotal: {total}").format(total=money(total, currency, locale)),
        "🏷 "
        + _("Promo code {code}: −{amount}").format(
            code=promo.code, amount=money(promo.discount, currency, locale)
        ),
        "<b>"
        + _("Total: {total}").format(total=money(total - promo.discount, currency, locale))
        + "</b>",
    ]


def promo_problem(exc: PromoRejected, currency: str, locale: str) -> str:
    """Why a code gives no discount, in the current language (a minimum as money)."""
    amount = exc.params.get("amount")
    if isinstance(amount, Decimal):
        exc = PromoRejected(
            exc.message, **{**exc.params, "amount": money(amount, currency, locale)}
        )
    return domain_message(exc)


def cart_text(
    cart: Cart, currency: str, locale: str, promo: PromoQuote | None = None, room: int = 0
) -> str:
    """The cart screen, always within Telegram's limit (less `room`, taken by a note
    above it): 20 lines of long names with notes would pass it, so names get shorter and
    notes terser until it fits."""
    if not cart.lines:
        return _("🛒 Your cart is empty. Find something in the catalog!")
    for name_limit, terse in ((60, False), (30, False), (30, True), (12, True)):
        text = _cart_text(cart, currency, locale, name_limit, terse, promo)
        if fits(text, TEXT_LIMIT - room):
            break
    return text


def _cart_text(
    cart: Cart,
    currency: str,
    locale: str,
    name_limit: int,
    terse: bool,
    promo: PromoQuote | None = None,
) -> str:
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
        # The row counts what the Total counts (`CartLine.payable`): a sold-out line
        # struck through, a short one's units in stock after its quantity struck.
        if line.sold_out:
            row = f"   <s>{line.quantity} × {cash(line.price)}</s>"
        elif line.short:
            counted = f"<s>{line.quantity}</s> {line.stock}"
            row = f"   {counted} × {cash(line.price)} = {cash(line.payable)}"
        else:
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
        if line.sold_out:
            if terse:
                notes.append(_("sold out"))
            else:
                notes.append(
                    _(
                        "Sold out. Remove it (❌) to check out; its card's 🔔 button tells "
                        "you when it is back."
                    )
                )
        elif line.short:
            if terse:
                notes.append(_("only {stock} left").format(stock=line.stock))
            else:
                notes.append(
                    _("Only {stock} in stock: lower it to {stock} (➖) to check out.").format(
                        stock=line.stock
                    )
                )
        if terse:
            out.append(row + "".join(" ⚠️ " + note for note in notes))
        else:
            out += [row, *("   ⚠️ " + note for note in notes)]
    out += ["", *promo_lines(promo, cart.total, currency, locale)]
    return "\n".join(out)
