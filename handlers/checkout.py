"""Checkout: name → phone → address (or pickup) → comment → summary → Confirm.

Every step has Back and Cancel; anything but the expected input gets a clear answer and
the same step again. FSM data holds only what the customer typed.
"""

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.common import cart_page, offer_invoice, unpayable
from handlers.context import Ctx
from handlers.filters import CommentInput, ContactInput, NotCommand, SameDialog, TextInput
from handlers.states import (
    DIALOG,
    SAVED_ANSWERS,
    begin_dialog,
    checkout_answers,
    end_dialog,
    leave_dialog,
)
from handlers.states import CheckoutStates as S
from jobs.notify import notify_sellers
from keyboards.callback_data import CartAction, CartCb, CheckoutAction, CheckoutCb
from keyboards.cart import cancel_label, keep_label, phone_kb
from keyboards.common import back_label
from models import PaymentMethod
from screens.base import Screen, domain_message, show, tell
from screens.checkout import (
    address_screen,
    card_limit_screen,
    comment_screen,
    name_kept_screen,
    name_screen,
    phone_text,
    placed_screen,
    step_markup,
    summary_screen,
    wrong_input_text,
)
from services.checkout import (
    address_problem,
    comment_problem,
    complete,
    confirmed_summary,
    name_problem,
    normalize_phone,
    outdated,
    summary_lines,
)
from services.errors import DomainError
from services.orders import ALREADY_PLACED, Contact
from services.payments import BelowMinimum, invoice_amount
from services.promo import PromoService, promo_terms, to_pay_for
from services.texts import N_

STEPS = (S.name.state, S.phone.state, S.address.state, S.comment.state, S.confirm.state)
PROMO_CHANGED = N_(
    "Your promo code's discount has changed. Check the new summary and confirm again."
)
CANT_ORDER = N_("Some items can't be ordered as they are: see the cart.")

# -- the steps (each shows the answer given before, after Back or Edit, with Keep) --------------


async def ask_name(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(S.name)
    await show(event, name_screen((await state.get_data()).get("name")))


async def ask_phone(message: Message, state: FSMContext) -> None:
    await state.set_state(S.phone)
    phone = (await state.get_data()).get("phone")
    await message.answer(phone_text(phone), reply_markup=phone_kb(keep=bool(phone)))


async def ask_address(event: Message | CallbackQuery, state: FSMContext, ctx: Ctx) -> None:
    await state.set_state(S.address)
    await show(event, address_screen(ctx.settings.pickup_available, await state.get_data()))


async def ask_comment(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(S.comment)
    await show(event, comment_screen((await state.get_data()).get("comment")))


async def ask_confirm(event: Message | CallbackQuery, state: FSMContext, ctx: Ctx) -> None:
    cart = await ctx.cart.get(ctx.user)
    if not cart.lines or cart.blocked:  # emptied, or a product hidden or sold out meanwhile:
        # left, its answers kept for the next Checkout; the cart says which line to fix.
        await leave_dialog(state, None)
        await show(event, await cart_page(ctx, _(CANT_ORDER) if cart.lines else ""))
        return
    data = await state.get_data()
    if not complete(data):
        await ask_name(event, state)
        return
    was = {line.product_id: line.seen_price for line in cart.lines if line.price_changed}
    await ctx.cart.acknowledge_prices(ctx.user)
    cart = await ctx.cart.get(ctx.user)
    await state.set_state(S.confirm)
    # The summary shows today's prices (and what they were, `was`): Confirm must order
    # exactly these lines at these prices (and this discount).
    promo = await PromoService(ctx.session).quote(ctx.user, cart, ctx.settings.currency)
    problem = unpayable(ctx, cart, promo)
    # No order or invoice: the cart can change, or the code go if it leaves too little.
    code = promo.code if promo is not None and promo.discount else None
    if not isinstance(problem, BelowMinimum) or unpayable(ctx, cart, None):
        code = None
    terms = {"promo": promo_terms(promo), "card_limit": None if problem is None else code or ""}
    await state.update_data(lines=summary_lines(cart), editing=False, **terms)
    if problem:
        await show(event, card_limit_screen(problem, code, ctx.locale))
        return
    settings = ctx.settings
    method = PaymentMethod(settings.payment_method)
    stars, to_pay = None, to_pay_for(cart, promo)
    if method is PaymentMethod.stars and to_pay:
        stars = invoice_amount(to_pay, method, settings.currency, settings.stars_per_unit)
    screen = summary_screen(
        cart,
        data,
        method=method,
        stars=stars,
        currency=settings.currency,
        locale=ctx.locale,
        promo=promo,
        free=not to_pay,
        dialog=data.get(DIALOG, 0),
        was=was,
    )
    await show(event, screen)


# -- entering and leaving ------------------------------------------------------------------------


async def on_checkout_start(
    query: CallbackQuery, ctx: Ctx, state: FSMContext, callback_answer: CallbackAnswer
) -> None:
    cart = await ctx.cart.get(ctx.user)
    if not cart.lines:
        raise DomainError(N_("Your cart is empty."))
    if cart.blocked:
        callback_answer.text = _(CANT_ORDER)
        callback_answer.show_alert = True
        await show(query, await cart_page(ctx))
        return
    # A fresh dialog, with the answers given before, taken (not offered again after it);
    # the saved search outlives it (Back to the results still works).
    saved = await checkout_answers(state)
    await begin_dialog(state, S.name, {**saved, SAVED_ANSWERS: None}, query)
    await ask_name(query, state)


async def on_back(query: CallbackQuery, state: FSMContext, ctx: Ctx, raw_state: str | None) -> None:
    if raw_state == S.name.state and (await state.get_data()).get("editing"):
        await ask_confirm(query, state, ctx)  # Edit, then Back: the summary, answers kept
    elif raw_state == S.name.state:  # to fix the cart: the answers wait for Checkout
        await leave_dialog(state, None)
        await show(query, await cart_page(ctx))
    elif raw_state == S.address.state:
        # The phone step's reply keyboard needs a new message.
        await show(query, Screen(_("Back to the phone number."), None))
        assert isinstance(query.message, Message)
        await ask_phone(query.message, state)
    elif raw_state == S.comment.state:
        await ask_address(query, state, ctx)
    elif raw_state == S.confirm.state:
        await ask_comment(query, state)


async def on_edit(query: CallbackQuery, state: FSMContext) -> None:
    await state.update_data(editing=True)  # Back on the name: the summary again
    await ask_name(query, state)  # every step from there offers Keep


async def on_keep(query: CallbackQuery, state: FSMContext, ctx: Ctx, raw_state: str | None) -> None:
    """Keep on a step answered before: the answer stays, on to the next step."""
    data = await state.get_data()
    if raw_state == S.name.state and data.get("name"):
        await show(query, name_kept_screen(data["name"]))  # the phone step needs a new message
        assert isinstance(query.message, Message)
        await ask_phone(query.message, state)
    elif raw_state == S.address.state and "address" in data:
        await ask_comment(query, state)
    elif raw_state == S.comment.state and data.get("comment"):
        await ask_confirm(query, state, ctx)


async def on_summary_promo_off(
    query: CallbackQuery, state: FSMContext, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    """The total was too small to pay by card: the same order without the code."""
    await PromoService(ctx.session).drop(ctx.user)
    callback_answer.text = _("The promo code is removed from the cart.")
    await ask_confirm(query, state, ctx)


# -- inputs ---------------------------------------------------------------------------------


async def _retry(message: Message, state: FSMContext, ctx: Ctx, problem: str) -> None:
    """What was wrong with the input, with the same step's buttons (Keep included)."""
    step, data = await state.get_state(), await state.get_data()
    pickup = ctx.settings.pickup_available
    markup = step_markup(STEPS.index(step), data, pickup, data.get(DIALOG, 0))
    await message.answer(problem, reply_markup=markup)


async def on_name_input(message: Message, text: str, state: FSMContext, ctx: Ctx) -> None:
    if problem := name_problem(text):
        await _retry(message, state, ctx, domain_message(problem))
        return
    await state.update_data(name=text)
    await ask_phone(message, state)


async def on_phone_contact(message: Message, contact, ctx: Ctx, state: FSMContext) -> None:
    if contact.user_id != ctx.user.telegram_id:
        await _retry(
            message, state, ctx, _("Please share your own number, or type the phone number.")
        )
        return
    if (phone := normalize_phone(contact.phone_number)) is None:
        await _retry(message, state, ctx, _("That number doesn't look right. Type it, please."))
        return
    await _phone_done(message, phone, state, ctx)


async def on_phone_input(message: Message, text: str, state: FSMContext, ctx: Ctx) -> None:
    if text == back_label():
        await message.answer(_("Back to the name."), reply_markup=ReplyKeyboardRemove())
        await ask_name(message, state)
        return
    if text == keep_label() and (phone := (await state.get_data()).get("phone")):
        await _phone_done(message, phone, state, ctx)
        return
    if text == cancel_label():  # as the inline Cancel: the answers wait for Checkout
        await leave_dialog(state, None)
        await message.answer(_("Checkout cancelled."), reply_markup=ReplyKeyboardRemove())
        await show(message, await cart_page(ctx))
        return
    phone = normalize_phone(text)
    if phone is None:
        problem = _("A phone number has 10 to 15 digits, e.g. +79991234567. Try again.")
        await _retry(message, state, ctx, problem)
        return
    await _phone_done(message, phone, state, ctx)


async def _phone_done(message: Message, phone: str, state: FSMContext, ctx: Ctx) -> None:
    await state.update_data(phone=phone)
    await message.answer("📱 " + phone, reply_markup=ReplyKeyboardRemove())
    await ask_address(message, state, ctx)


async def on_address_input(message: Message, text: str, state: FSMContext, ctx: Ctx) -> None:
    if problem := address_problem(text):
        await _retry(message, state, ctx, domain_message(problem))
        return
    await state.update_data(address=text)
    await ask_comment(message, state)


async def on_pickup(
    query: CallbackQuery, state: FSMContext, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    if not ctx.settings.pickup_available:
        callback_answer.text = _("This shop doesn't offer pickup.")
        callback_answer.show_alert = True
        return
    await state.update_data(address=None)
    await ask_comment(query, state)


async def on_comment_input(message: Message, text: str, state: FSMContext, ctx: Ctx) -> None:
    if problem := comment_problem(text):
        await _retry(message, state, ctx, domain_message(problem))
        return
    await state.update_data(comment=text)
    await ask_confirm(message, state, ctx)


async def on_comment_skip(query: CallbackQuery, state: FSMContext, ctx: Ctx) -> None:
    await state.update_data(comment=None)
    await ask_confirm(query, state, ctx)


async def on_wrong_input(message: Message, state: FSMContext, ctx: Ctx) -> None:
    """A sticker, photo, contact... where text was expected: say so, same step."""
    await _retry(message, state, ctx, wrong_input_text(STEPS.index(await state.get_state())))


# -- confirm --------------------------------------------------------------------------------


async def on_confirm(
    query: CallbackQuery,
    state: FSMContext,
    ctx: Ctx,
    bot: Bot,
    i18n: I18n,
    callback_answer: CallbackAnswer,
) -> None:
    data = await state.get_data()
    if not complete(data):
        await ask_name(query, state)
        return
    summary = confirmed_summary(data)
    cart = await ctx.cart.get(ctx.user)
    if not cart.lines or cart.blocked:  # emptied from another message, or a line blocked
        callback_answer.text = _(CANT_ORDER if cart.lines else ALREADY_PLACED)
        callback_answer.show_alert = True
        await ask_confirm(query, state, ctx)  # the cart instead of the summary
        return
    # The cart buttons work while the summary is open: a changed cart gets a fresh
    # summary instead of an order the customer never saw (the service checks again).
    why = outdated(summary, cart)
    promo = await PromoService(ctx.session).quote(ctx.user, cart, ctx.settings.currency)
    if not why and promo_terms(promo) != data.get("promo"):
        why = PROMO_CHANGED  # the code expired, ran out or was removed meanwhile
    problem = unpayable(ctx, cart, promo)
    if why or problem:
        if why and not problem:  # else the screen shown says why, and has no Confirm
            callback_answer.text = _(why)
            callback_answer.show_alert = True
        await ask_confirm(query, state, ctx)  # a fresh summary, or why it can't be paid
        return
    contact = Contact(
        name=data["name"],
        phone=data["phone"],
        address=data.get("address"),
        comment=data.get("comment"),
    )
    method = PaymentMethod(ctx.settings.payment_method)
    order = await ctx.orders.checkout(ctx.user, contact, method, ctx.settings.currency, summary)
    await PromoService(ctx.session).apply(order, promo)
    free = not order.total  # the code covers it all: paid now, no invoice for nothing
    if method is PaymentMethod.cod or free:
        # The use counts now (prepaid orders count it at payment). PromoRejected rolls
        # the order back; the next Confirm shows a fresh summary.
        await PromoService(ctx.session).redeem(order)
    if free:
        await ctx.orders.settle_free(order)
    await PromoService(ctx.session).drop(ctx.user)  # the cart is empty: so is its code
    await end_dialog(state)
    await ctx.commit()  # "Order placed" only once it is
    await tell(query, placed_screen(order, ctx.locale))
    if not free and method is not PaymentMethod.cod:
        await offer_invoice(ctx, bot, order)
    # A free order is paid: its sellers hear it as of a paid one ("it can be shipped").
    await notify_sellers(bot, i18n, ctx.orders, order, paid=free)


async def on_confirm_when_over(
    query: CallbackQuery, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    """Confirm on a summary whose checkout is over. With the cart empty, that is a second
    tap after the order went through (it may read its dialog state before or after the
    first tap clears it: either way it gets this answer); otherwise the fallback's
    "out of date"."""
    if (await ctx.cart.get(ctx.user)).lines:
        raise SkipHandler
    callback_answer.text = _(ALREADY_PLACED)
    callback_answer.show_alert = True  # as the first tap's refusal shows it


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(
        on_checkout_start, CartCb.filter(F.action == CartAction.checkout), StateFilter("*")
    )
    steps = StateFilter(S.name, S.address, S.comment, S.confirm)
    buttons = (
        (on_back, CheckoutAction.back, steps),
        (on_edit, CheckoutAction.edit, StateFilter(S.confirm)),
        (on_keep, CheckoutAction.keep, steps),
        (on_pickup, CheckoutAction.pickup, StateFilter(S.address)),
        (on_summary_promo_off, CheckoutAction.promo_off, StateFilter(S.confirm)),
        (on_comment_skip, CheckoutAction.skip, StateFilter(S.comment)),
    )
    for handler, action, step in buttons:
        router.callback_query.register(handler, CheckoutCb.filter(F.action == action), step)
    confirm = CheckoutCb.filter(F.action == CheckoutAction.confirm)
    router.callback_query.register(on_confirm, confirm, StateFilter(S.confirm), SameDialog())
    router.callback_query.register(on_confirm_when_over, confirm)
    router.message.register(on_name_input, StateFilter(S.name), TextInput())
    router.message.register(on_phone_contact, StateFilter(S.phone), ContactInput())
    router.message.register(on_phone_input, StateFilter(S.phone), TextInput())
    router.message.register(on_address_input, StateFilter(S.address), CommentInput())
    router.message.register(on_comment_input, StateFilter(S.comment), CommentInput())
    steps = StateFilter(S.name, S.phone, S.address, S.comment, S.confirm)
    router.message.register(on_wrong_input, steps, NotCommand())  # commands: to their owners
    return router
