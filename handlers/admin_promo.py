"""Admins' promo codes: /promocodes (or the admin panel's button) lists them; a code's
card disables or enables it ("✏️ Edit" is `handlers.admin_promo_edit`); "➕ New promo
code" is a guided dialog: code → percent or fixed → how much → minimum order → expiry →
uses in all → uses per customer → category → preview → Create. Every step has Back and
Cancel; optional ones have Skip.
FSM data holds plain values only (amounts as strings), so a restart resumes."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from handlers.context import Ctx
from handlers.filters import AtStep, NotCommand, TextInput, leaves_dialogs, protect
from handlers.states import DIALOG, begin_dialog, end_dialog, leave_dialog
from handlers.states import AdminPromoStates as S
from keyboards.callback_owner import AdminPromoCb, PromoAction
from models import PromoKind, Role
from screens.base import domain_message, show
from screens.promo import (
    promo_card_screen,
    promo_list_screen,
    promo_preview_screen,
    promo_step_screen,
)
from services.categories import CategoryService
from services.errors import DomainError, InvalidInput, NotFound
from services.promo import PromoDraft, PromoService
from services.promo_rules import (
    clean_code,
    parse_amount_off,
    parse_count,
    parse_expiry,
    parse_min_order,
    parse_percent,
)

STEPS = ["code", "kind", "value", "min_order", "expires", "total_uses", "per_customer", "category"]
OPTIONAL = {"min_order": None, "expires": None, "total_uses": None, "per_customer": 1}


async def _list(ctx: Ctx, page: int):
    codes, page, pages = await PromoService(ctx.session).page(ctx.user, page)
    return promo_list_screen(codes, page, pages, ctx.settings.currency, ctx.locale)


async def cmd_promocodes(message: Message, ctx: Ctx, state: FSMContext) -> None:
    await leave_dialog(state, message)
    await show(message, await _list(ctx, 1))


async def on_list(query: CallbackQuery, callback_data: AdminPromoCb, ctx: Ctx) -> None:
    await show(query, await _list(ctx, callback_data.page))


async def on_open(query: CallbackQuery, callback_data: AdminPromoCb, ctx: Ctx) -> None:
    service = PromoService(ctx.session)
    promo = await service.get(ctx.user, callback_data.id)
    category = await service.category_name(promo.category_id)
    screen = promo_card_screen(
        promo, callback_data.page, category, ctx.settings.currency, ctx.locale
    )
    await show(query, screen)


async def on_toggle(
    query: CallbackQuery, callback_data: AdminPromoCb, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    active = callback_data.action is PromoAction.enable
    await PromoService(ctx.session).set_active(ctx.user, callback_data.id, active)
    callback_answer.text = _("Enabled.") if active else _("Disabled: customers can't use it.")
    await on_open(query, callback_data, ctx)


# -- the create dialog ----------------------------------------------------------------


async def _ask(
    event, ctx: Ctx, state: FSMContext, step: str, error: str | None = None, page: int = 1
) -> None:
    if step == "preview":
        await state.set_state(S.preview)
        data = await state.get_data()
        draft = _draft(data)
        category = await PromoService(ctx.session).category_name(draft.category_id)
        currency, dialog = ctx.settings.currency, data.get(DIALOG, 0)
        screen = promo_preview_screen(draft, category, currency, ctx.locale, dialog)
        if error:
            screen = replace(screen, text=f"{error}\n\n{screen.text}")
        await show(event, screen)
        return
    await state.set_state(getattr(S, step))
    tree = await CategoryService(ctx.session).tree(ctx.user) if step == "category" else ()
    data = await state.get_data()
    kind = PromoKind(data["kind"]) if data.get("kind") else None
    screen = promo_step_screen(step, error, tree, page, kind, data.get(DIALOG, 0))
    await show(event, screen)


def _draft(data: dict[str, Any]) -> PromoDraft:
    def money(key: str) -> Decimal | None:
        return Decimal(data[key]) if data.get(key) is not None else None

    expires = data.get("expires")
    return PromoDraft(
        code=data["code"],
        kind=PromoKind(data["kind"]),
        value=Decimal(data["value"]),
        min_order=money("min_order"),
        expires_at=datetime.fromisoformat(expires) if expires else None,
        total_uses=data.get("total_uses"),
        per_customer=data.get("per_customer") or 1,
        category_id=data.get("category_id"),
    )


async def _next(event, ctx: Ctx, state: FSMContext, step: str, **values: Any) -> None:
    await state.update_data(**values)
    data = await state.get_data()
    position = STEPS.index(step)
    following = "preview" if data.get("to_preview") or step == STEPS[-1] else STEPS[position + 1]
    await _ask(event, ctx, state, following)


async def on_new(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    await begin_dialog(state, S.code, {}, query)
    await _ask(query, ctx, state, "code")


def _parse(step: str, text: str, data: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """The step's answer as FSM values; InvalidInput says what is wrong."""
    if step == "code":
        return {"code": clean_code(text)}
    if step == "value":
        if data.get("kind") == PromoKind.percent:
            return {"value": str(parse_percent(text))}
        return {"value": str(parse_amount_off(text, ctx.settings.max_price, ctx.settings.currency))}
    if step == "min_order":
        return {
            "min_order": str(parse_min_order(text, ctx.settings.max_price, ctx.settings.currency))
        }
    if step == "expires":
        return {"expires": parse_expiry(text, datetime.now(UTC)).isoformat()}
    if step in ("total_uses", "per_customer"):
        return {step: parse_count(text)}
    raise InvalidInput()


async def on_text(message: Message, text: str, ctx: Ctx, state: FSMContext, raw_state: str) -> None:
    step = raw_state.split(":")[-1]
    if step in BUTTON_STEPS:
        await _ask(message, ctx, state, step, _hint(step))
        return
    try:
        values = _parse(step, text, await state.get_data(), ctx)
        if step == "code":
            await PromoService(ctx.session).check_new(values["code"])
    except DomainError as exc:
        await _ask(message, ctx, state, step, domain_message(exc))
        return
    await _next(message, ctx, state, step, **values)


BUTTON_STEPS = ("kind", "category", "preview")


def _hint(step: str) -> str:
    return _("Please use the buttons.") if step in BUTTON_STEPS else _("Please send it as text.")


async def on_wrong_input(message: Message, ctx: Ctx, state: FSMContext, raw_state: str) -> None:
    step = raw_state.split(":")[-1]
    await _ask(message, ctx, state, step, _hint(step))


async def on_kind(query: CallbackQuery, callback_data: AdminPromoCb, ctx: Ctx, state: FSMContext):
    kind = PromoKind.percent if callback_data.action is PromoAction.percent else PromoKind.fixed
    data = await state.get_data()
    if data.get("kind") != kind:  # a changed kind asks for the amount again
        await state.update_data(kind=kind.value, value=None, to_preview=False)
    await _next(query, ctx, state, "kind")


async def on_skip(query: CallbackQuery, ctx: Ctx, state: FSMContext, raw_state: str) -> None:
    step = raw_state.split(":")[-1]
    if step not in OPTIONAL:
        return
    await _next(query, ctx, state, step, **{step: OPTIONAL[step]})


async def on_category(
    query: CallbackQuery, callback_data: AdminPromoCb, ctx: Ctx, state: FSMContext
):
    category_id = callback_data.id or None
    if category_id is not None:
        await CategoryService(ctx.session).get(ctx.user, category_id)  # NotFound if gone
    await _next(query, ctx, state, "category", category_id=category_id)


async def on_category_page(
    query: CallbackQuery, callback_data: AdminPromoCb, ctx: Ctx, state: FSMContext
) -> None:
    await _ask(query, ctx, state, "category", page=callback_data.page)


async def on_back(query: CallbackQuery, ctx: Ctx, state: FSMContext, raw_state: str) -> None:
    step = raw_state.split(":")[-1]
    await state.update_data(to_preview=False)
    if step == "preview":
        await _ask(query, ctx, state, STEPS[-1])
    elif step != "code":
        await _ask(query, ctx, state, STEPS[STEPS.index(step) - 1])


async def on_create(
    query: CallbackQuery, ctx: Ctx, state: FSMContext, callback_answer: CallbackAnswer
) -> None:
    data = await state.get_data()
    try:
        draft = _draft(data)
    except (KeyError, ValueError, ArithmeticError):
        await _ask(query, ctx, state, "code")  # a dialog from before a change, or edited
        return
    service = PromoService(ctx.session)
    try:
        promo = await service.create(ctx.user, draft)
    except NotFound as exc:  # its category, deleted by another admin meanwhile
        await state.update_data(category_id=None)
        await _ask(query, ctx, state, "category", domain_message(exc))
        return
    except DomainError as exc:
        await _ask(query, ctx, state, "code", domain_message(exc))
        return
    await end_dialog(state)
    await ctx.commit()  # "Created" only once it is
    callback_answer.text = _("Promo code {code} created.").format(code=promo.code)
    category = await service.category_name(promo.category_id)
    await show(query, promo_card_screen(promo, 1, category, ctx.settings.currency, ctx.locale))


def build_router() -> Router:
    router = leaves_dialogs(protect(Router(name=__name__), Role.admin))
    router.message.register(cmd_promocodes, Command("promocodes"), StateFilter("*"))
    cb = AdminPromoCb.filter
    router.callback_query.register(on_list, cb(F.action == PromoAction.list), StateFilter("*"))
    router.callback_query.register(on_open, cb(F.action == PromoAction.open))
    router.callback_query.register(
        on_toggle, cb(F.action.in_({PromoAction.disable, PromoAction.enable}))
    )
    router.callback_query.register(on_new, cb(F.action == PromoAction.new), StateFilter("*"))
    dialog = StateFilter(S)
    # The dialog's buttons act only at the step and in the dialog they were shown in.
    buttons = (
        (on_kind, F.action.in_({PromoAction.percent, PromoAction.fixed}), StateFilter(S.kind)),
        (on_skip, F.action == PromoAction.skip, dialog),
        (on_category, F.action == PromoAction.category, StateFilter(S.category)),
        (on_category_page, F.action == PromoAction.categories, StateFilter(S.category)),
        (on_back, F.action == PromoAction.back, dialog),
        (on_create, F.action == PromoAction.create, StateFilter(S.preview)),
    )
    for handler, action, where in buttons:
        router.callback_query.register(handler, cb(action), where, AtStep())
    router.message.register(on_text, dialog, TextInput())
    router.message.register(on_wrong_input, dialog, NotCommand())
    return router
