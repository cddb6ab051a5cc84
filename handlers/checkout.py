"""Checkout: name → phone → address (or pickup) → comment → summary → Confirm.

Every step has Back and Cancel; anything but the expected input gets a clear answer and
the same step again. FSM data holds only what the customer typed.
"""

import logging
import re
from contextlib import suppress
from decimal import Decimal

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.cart import cart_screen
from handlers.filters import TextInput
from handlers.orders import notify_sellers, order_text, payment_label
from handlers.payments import send_invoice
from handlers.states import CheckoutStates as S
from keyboards.callback_data import CartAction, CartCb, CheckoutAction, CheckoutCb, OrderScope
from keyboards.cart import (
    address_kb,
    back_label,
    cancel_label,
    comment_kb,
    phone_kb,
    step_kb,
    summary_kb,
)
from keyboards.formatting import fits, money, quote
from keyboards.orders import open_order_kb
from models import PaymentMethod, User
from screens.base import Screen, show
from services.cart import Cart, CartService
from services.errors import DomainError
from services.orders import (
    ALREADY_PLACED,
    Contact,
    OrderService,
    SummaryLine,
    SummaryOutdated,
    same_lines,
)
from services.payments import invoice_amount
from services.texts import N_

log = logging.getLogger(__name__)

NAME_MAX = 64
ADDRESS_MIN, ADDRESS_MAX = 5, 300
COMMENT_MAX = 500
_PHONE_JUNK = re.compile(r"[\s\-().]")
_PHONE = re.compile(r"\+?\d{10,15}")


def normalize_phone(text: str) -> str | None:
    """'+7 (999) 123-45-67' → '+79991234567'; None unless 10-15 digits."""
    bare = _PHONE_JUNK.sub("", text)
    return "+" + bare.lstrip("+") if _PHONE.fullmatch(bare) else None


def _complete(data: dict) -> bool:
    """The steps before the summary were all answered (a dialog from an older version of
    the bot, or edited storage, may lack some)."""
    return {"name", "phone", "address"} <= data.keys()


class ContactInput(Filter):
    """A shared contact; passes it on as `contact`."""

    async def __call__(self, message: Message):
        return {"contact": message.contact} if message.contact is not None else False


# -- the steps ---------------------------------------------------------------------------------


def name_screen() -> Screen:
    return Screen(
        "🧾 <b>" + _("Checkout") + "</b> · 1/4\n\n" + _("Who will receive the order? Send a name."),
        step_kb(),
    )


async def ask_name(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(S.name)
    await show(event, name_screen())


async def ask_phone(message: Message, state: FSMContext) -> None:
    await state.set_state(S.phone)
    await message.answer(
        "🧾 <b>"
        + _("Checkout")
        + "</b> · 2/4\n\n"
        + _("Your phone number: tap “Share my phone” below or type it, e.g. +79991234567."),
        reply_markup=phone_kb(),
    )


async def ask_address(event: Message | CallbackQuery, state: FSMContext, settings: Settings):
    await state.set_state(S.address)
    text = _("Send the delivery address.")
    if settings.pickup_available:
        text = _("Send the delivery address, or choose pickup.")
    screen = Screen(
        "🧾 <b>" + _("Checkout") + "</b> · 3/4\n\n" + text, address_kb(settings.pickup_available)
    )
    await show(event, screen)


async def ask_comment(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(S.comment)
    text = _("Anything we should know? Send a comment, or tap “No comment”.")
    await show(event, Screen("🧾 <b>" + _("Checkout") + "</b> · 4/4\n\n" + text, comment_kb()))


async def ask_confirm(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    service = CartService(session)
    # The summary shows today's prices: from here on they are the ones the customer saw.
    await service.acknowledge_prices(user)
    cart = await service.get(user)
    if not cart.lines:
        await state.clear()
        await show(event, await cart_screen(session, user, settings, locale))
        return
    data = await state.get_data()
    if not _complete(data):
        await ask_name(event, state)
        return
    await state.set_state(S.confirm)
    # What Confirm must order: exactly these lines at these prices.
    await state.update_data(
        lines=[[line.product_id, line.quantity, str(line.price)] for line in cart.lines]
    )
    cur = settings.currency
    out = ["<b>" + _("Total: {total}").format(total=money(cart.total, cur, locale)) + "</b>", ""]
    out.append(
        _("Recipient: {name}, {phone}").format(name=quote(data["name"]), phone=data["phone"])
    )
    if data.get("address") is None:
        out.append(_("Delivery: pickup"))
    else:
        out.append(_("Delivery: {address}").format(address=quote(data["address"])))
    if data.get("comment"):
        out.append(_("Comment: {comment}").format(comment=quote(data["comment"])))
    method = PaymentMethod(settings.payment_method)
    label = payment_label(method)
    if method is PaymentMethod.stars:
        stars = invoice_amount(cart.total, method, cur, settings.stars_per_unit)
        label += f" ({stars} ⭐)"
    out.append(_("Payment: {method}").format(method=label))
    # 20 long names, an address and a comment can pass Telegram's limit: shorter names.
    for name_limit in (60, 30, 12):
        lines = [
            f"{n}. {quote(line.name, name_limit)}: {line.quantity} × "
            f"{money(line.price, cur, locale)} = {money(line.total, cur, locale)}"
            for n, line in enumerate(cart.lines, 1)
        ]
        text = "\n".join(["🧾 <b>" + _("Check your order") + "</b>", "", *lines, *out])
        if fits(text):
            break
    await show(event, Screen(text, summary_kb()))


# -- entering and leaving ------------------------------------------------------------------------


async def on_checkout_start(
    query: CallbackQuery,
    session: AsyncSession,
    user: User,
    state: FSMContext,
    settings: Settings,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    cart = await CartService(session).get(user)
    if not cart.lines:
        raise DomainError(N_("Your cart is empty."))
    if cart.blocked:
        callback_answer.text = _("Some items can't be ordered as they are: see the cart.")
        callback_answer.show_alert = True
        await show(query, await cart_screen(session, user, settings, locale))
        return
    await state.set_data({})
    await ask_name(query, state)


async def on_back(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
    raw_state: str | None,
) -> None:
    if raw_state == S.name.state:
        await state.clear()
        await show(query, await cart_screen(session, user, settings, locale))
    elif raw_state == S.address.state:
        # The phone step's reply keyboard needs a new message.
        await show(query, Screen(_("Back to the phone number."), None))
        assert isinstance(query.message, Message)
        await ask_phone(query.message, state)
    elif raw_state == S.comment.state:
        await ask_address(query, state, settings)
    elif raw_state == S.confirm.state:
        await ask_comment(query, state)


async def on_edit(query: CallbackQuery, state: FSMContext) -> None:
    await ask_name(query, state)


# -- inputs ---------------------------------------------------------------------------------


async def on_name_input(message: Message, text: str, state: FSMContext) -> None:
    if not text or len(text) > NAME_MAX:
        await message.answer(
            _("Please send a name of up to {limit} characters.").format(limit=NAME_MAX),
            reply_markup=step_kb(),
        )
        return
    await state.update_data(name=text)
    await ask_phone(message, state)


async def on_phone_contact(
    message: Message, contact, user: User, state: FSMContext, settings: Settings
) -> None:
    if contact.user_id != user.telegram_id:
        await message.answer(
            _("Please share your own number, or type the phone number."),
            reply_markup=phone_kb(),
        )
        return
    phone = normalize_phone(contact.phone_number)
    if phone is None:
        await message.answer(_("That number doesn't look right. Type it, please."))
        return
    await _phone_done(message, phone, state, settings)


async def on_phone_input(
    message: Message,
    text: str,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    if text == back_label():
        await message.answer(_("Back to the name."), reply_markup=ReplyKeyboardRemove())
        await ask_name(message, state)
        return
    if text == cancel_label():
        await state.clear()
        await message.answer(_("Checkout cancelled."), reply_markup=ReplyKeyboardRemove())
        await show(message, await cart_screen(session, user, settings, locale))
        return
    phone = normalize_phone(text)
    if phone is None:
        await message.answer(
            _("A phone number has 10 to 15 digits, e.g. +79991234567. Try again."),
            reply_markup=phone_kb(),
        )
        return
    await _phone_done(message, phone, state, settings)


async def _phone_done(message: Message, phone: str, state: FSMContext, settings: Settings) -> None:
    await state.update_data(phone=phone)
    await message.answer("📱 " + phone, reply_markup=ReplyKeyboardRemove())
    await ask_address(message, state, settings)


async def on_address_input(
    message: Message, text: str, state: FSMContext, settings: Settings
) -> None:
    if not ADDRESS_MIN <= len(text) <= ADDRESS_MAX:
        await message.answer(
            _("Please send an address of {min} to {max} characters.").format(
                min=ADDRESS_MIN, max=ADDRESS_MAX
            ),
            reply_markup=address_kb(settings.pickup_available),
        )
        return
    await state.update_data(address=text)
    await ask_comment(message, state)


async def on_pickup(
    query: CallbackQuery, state: FSMContext, settings: Settings, callback_answer: CallbackAnswer
) -> None:
    if not settings.pickup_available:
        callback_answer.text = _("This shop doesn't offer pickup.")
        callback_answer.show_alert = True
        return
    await state.update_data(address=None)
    await ask_comment(query, state)


async def on_comment_input(
    message: Message,
    text: str,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    if len(text) > COMMENT_MAX:
        await message.answer(
            _("Please keep the comment under {limit} characters.").format(limit=COMMENT_MAX),
            reply_markup=comment_kb(),
        )
        return
    await state.update_data(comment=text)
    await ask_confirm(message, state, session, user, settings, locale)


async def on_comment_skip(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    await state.update_data(comment=None)
    await ask_confirm(query, state, session, user, settings, locale)


async def on_wrong_input(message: Message, raw_state: str | None, settings: Settings) -> None:
    """A sticker, photo, contact... where text was expected: say so, same step."""
    if raw_state == S.phone.state:
        await message.answer(
            _("Please type your phone number or tap “Share my phone”."), reply_markup=phone_kb()
        )
    elif raw_state == S.address.state:
        await message.answer(
            _("Please send the address as text."),
            reply_markup=address_kb(settings.pickup_available),
        )
    elif raw_state == S.comment.state:
        await message.answer(_("Please send the comment as text."), reply_markup=comment_kb())
    elif raw_state == S.confirm.state:
        await message.answer(
            _("Please use the buttons: Confirm, Edit or Cancel."), reply_markup=summary_kb()
        )
    else:
        await message.answer(_("Please send the name as text."), reply_markup=step_kb())


# -- confirm --------------------------------------------------------------------------------


def _summary(data: dict) -> list[SummaryLine] | None:
    """The lines of the summary the customer confirmed (None: a dialog from before the
    summary was stored, or edited storage)."""
    try:
        return [SummaryLine(int(p), int(q), Decimal(str(price))) for p, q, price in data["lines"]]
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None


async def on_confirm(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
    bot: Bot,
    i18n: I18n,
    callback_answer: CallbackAnswer,
) -> None:
    data = await state.get_data()
    if not _complete(data):
        await ask_name(query, state)
        return
    summary = _summary(data)
    cart = await CartService(session).get(user)
    # The cart buttons work while the summary is open: a changed cart gets a fresh
    # summary instead of an order the customer never saw. (The service checks again on
    # the rows it claims; an empty cart is its "already placed" answer.)
    outdated = _outdated(summary, cart) if cart.lines or summary is None else None
    if outdated:
        callback_answer.text = outdated
        callback_answer.show_alert = True
        await ask_confirm(query, state, session, user, settings, locale)
        return
    contact = Contact(
        name=data["name"],
        phone=data["phone"],
        address=data.get("address"),
        comment=data.get("comment"),
    )
    method = PaymentMethod(settings.payment_method)
    service = OrderService(session)
    order = await service.checkout(user, contact, method, settings.currency, summary)
    await state.clear()
    if method is PaymentMethod.cod:
        heading = "✅ " + _("Thank you! Your order is placed; you pay on delivery.")
    else:
        heading = "✅ " + _("Thank you! Your order is placed. Pay it with the invoice below.")
    text = order_text(order, list(order.items), locale, heading)
    await show(query, Screen(text, open_order_kb(order.id, OrderScope.mine)))
    if method is not PaymentMethod.cod:
        try:
            await send_invoice(bot, user.telegram_id, order, settings)
        except TelegramAPIError as exc:
            # The order stands (the customer was told so); it can be paid from its card.
            log.warning("Invoice for order %s not sent: %s", order.id, exc)
            with suppress(TelegramAPIError):  # Telegram is down: the card can send it later
                await bot.send_message(
                    user.telegram_id,
                    "⚠️ "
                    + _(
                        "We couldn't send the invoice just now. Open the order and press “💳 Pay”."
                    ),
                    reply_markup=open_order_kb(order.id, OrderScope.mine),
                )
    await notify_sellers(bot, i18n, service, order)


async def on_confirm_when_over(
    query: CallbackQuery, session: AsyncSession, user: User, callback_answer: CallbackAnswer
) -> None:
    """Confirm on a summary whose checkout is over. With the cart empty, that is a second
    tap after the order went through (it may read its dialog state before or after the
    first tap clears it: either way it gets this answer); otherwise the fallback's
    "out of date"."""
    if (await CartService(session).get(user)).lines:
        raise SkipHandler
    callback_answer.text = _(ALREADY_PLACED)
    callback_answer.show_alert = True  # as the first tap's refusal shows it


def _outdated(summary: list[SummaryLine] | None, cart: Cart) -> str | None:
    """Why the summary no longer shows the cart (None: it does)."""
    if summary is None or not same_lines(summary, {x.product_id: x.quantity for x in cart.lines}):
        return _(SummaryOutdated.message)
    prices = {line.product_id: line.price for line in summary}
    if any(line.price != prices[line.product_id] for line in cart.lines):
        return _("Prices have changed. Check the new summary and confirm again.")
    return None


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(
        on_checkout_start, CartCb.filter(F.action == CartAction.checkout), StateFilter("*")
    )
    steps = StateFilter(S.name, S.address, S.comment, S.confirm)
    router.callback_query.register(
        on_back, CheckoutCb.filter(F.action == CheckoutAction.back), steps
    )
    router.callback_query.register(
        on_edit, CheckoutCb.filter(F.action == CheckoutAction.edit), StateFilter(S.confirm)
    )
    router.callback_query.register(
        on_pickup, CheckoutCb.filter(F.action == CheckoutAction.pickup), StateFilter(S.address)
    )
    router.callback_query.register(
        on_comment_skip, CheckoutCb.filter(F.action == CheckoutAction.skip), StateFilter(S.comment)
    )
    router.callback_query.register(
        on_confirm, CheckoutCb.filter(F.action == CheckoutAction.confirm), StateFilter(S.confirm)
    )
    router.callback_query.register(
        on_confirm_when_over, CheckoutCb.filter(F.action == CheckoutAction.confirm)
    )
    router.message.register(on_name_input, StateFilter(S.name), TextInput())
    router.message.register(on_phone_contact, StateFilter(S.phone), ContactInput())
    router.message.register(on_phone_input, StateFilter(S.phone), TextInput())
    router.message.register(on_address_input, StateFilter(S.address), TextInput())
    router.message.register(on_comment_input, StateFilter(S.comment), TextInput())
    router.message.register(
        on_wrong_input, StateFilter(S.name, S.phone, S.address, S.comment, S.confirm)
    )
    return router
