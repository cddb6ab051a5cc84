"""The cart: /cart, the menu button, "Add to cart" on a product card, − / + / remove."""

from decimal import Decimal

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.common import leave_dialog
from keyboards.callback_data import CartAction, CartAddCb, CartCb, MenuAction, MenuCb
from keyboards.cart import cart_kb
from keyboards.formatting import fits, money, quote
from models import User
from screens.base import Screen, show
from services.cart import Cart, CartService


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


async def cart_screen(session: AsyncSession, user: User, settings: Settings, locale: str) -> Screen:
    cart = await CartService(session).get(user)
    return Screen(cart_text(cart, settings.currency, locale), cart_kb(cart))


async def cmd_cart(
    message: Message,
    session: AsyncSession,
    user: User,
    state: FSMContext,
    settings: Settings,
    locale: str,
) -> None:
    await leave_dialog(state, message)
    await show(message, await cart_screen(session, user, settings, locale))


async def on_cart_show(
    query: CallbackQuery, session: AsyncSession, user: User, settings: Settings, locale: str
) -> None:
    await show(query, await cart_screen(session, user, settings, locale))


async def on_cart_add(
    query: CallbackQuery,
    callback_data: CartAddCb,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    # The product card stays as it is; the answer says what happened.
    quantity = await CartService(session).add(user, callback_data.product_id)
    callback_answer.text = _("Added to the cart ({quantity} in it).").format(quantity=quantity)


async def on_cart_change(
    query: CallbackQuery,
    callback_data: CartCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    service = CartService(session)
    if callback_data.action is CartAction.inc:
        await service.change(user, callback_data.product_id, 1)
    elif callback_data.action is CartAction.dec:
        await service.change(user, callback_data.product_id, -1)
    elif callback_data.action is CartAction.remove:
        await service.remove(user, callback_data.product_id)
        callback_answer.text = _("Removed.")
    else:
        await service.clear(user)
        callback_answer.text = _("The cart is empty now.")
    await show(query, await cart_screen(session, user, settings, locale))


def build_commands_router() -> Router:
    """/cart works in any dialog (it leaves it, like /start): included before them."""
    router = Router(name=__name__ + ".commands")
    router.message.register(cmd_cart, Command("cart"), StateFilter("*"))
    return router


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_cart_show, MenuCb.filter(F.action == MenuAction.cart))
    router.callback_query.register(on_cart_show, CartCb.filter(F.action == CartAction.show))
    router.callback_query.register(on_cart_add, CartAddCb.filter())
    router.callback_query.register(
        on_cart_change,
        CartCb.filter(
            F.action.in_({CartAction.inc, CartAction.dec, CartAction.remove, CartAction.clear})
        ),
    )
    return router
