"""A promo code on the cart: "🏷 Promo code" → the code → the cart with its discount;
"🏷 Remove the code" takes it off."""

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from handlers.common import cart_page
from handlers.context import Ctx
from handlers.filters import NotCommand, TextInput
from handlers.states import PromoStates, begin_dialog, end_dialog
from keyboards.callback_data import CartAction, CartCb
from keyboards.cart import promo_prompt_kb
from screens.base import Screen, domain_message, show
from screens.cart import promo_problem
from services.errors import DomainError
from services.promo import PromoService
from services.promo_rules import PromoRejected


def _prompt(error: str | None = None) -> Screen:
    text = "🏷 " + _("Send your promo code.")
    return Screen(("⚠️ " + error + "\n\n" + text) if error else text, promo_prompt_kb())


async def on_promo_ask(query: CallbackQuery, state: FSMContext) -> None:
    await begin_dialog(state, PromoStates.code, {}, query)
    await show(query, _prompt())


async def on_promo_input(message: Message, text: str, ctx: Ctx, state: FSMContext) -> None:
    try:
        await PromoService(ctx.session).enter(ctx.user, text)
    except PromoRejected as exc:
        await show(message, _prompt(promo_problem(exc, ctx.settings.currency, ctx.locale)))
        return
    except DomainError as exc:  # not a code at all
        await show(message, _prompt(domain_message(exc)))
        return
    await end_dialog(state)
    await show(message, await cart_page(ctx, entered=True))


async def on_promo_wrong_input(message: Message) -> None:
    await show(message, _prompt(_("Please send the promo code as text.")))


async def on_promo_back(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    await end_dialog(state)
    await show(query, await cart_page(ctx))


async def on_promo_off(
    query: CallbackQuery, ctx: Ctx, state: FSMContext, callback_answer: CallbackAnswer
) -> None:
    await PromoService(ctx.session).drop(ctx.user)
    callback_answer.text = _("The promo code is removed from the cart.")
    await show(query, await cart_page(ctx))


def build_router() -> Router:
    """Included before the cart's router: Back from the code step (the cart's own
    button) must also leave the step."""
    router = Router(name=__name__)
    router.callback_query.register(on_promo_ask, CartCb.filter(F.action == CartAction.promo))
    router.callback_query.register(on_promo_off, CartCb.filter(F.action == CartAction.promo_off))
    router.callback_query.register(
        on_promo_back, CartCb.filter(F.action == CartAction.show), StateFilter(PromoStates.code)
    )
    router.message.register(on_promo_input, StateFilter(PromoStates.code), TextInput())
    router.message.register(on_promo_wrong_input, StateFilter(PromoStates.code), NotCommand())
    return router
