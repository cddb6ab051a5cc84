"""Admins edit a promo code: "✏️ Edit" on its card opens what can change (discount, valid
until, uses in all, uses per customer) with the terms as they will be; each one is a
step (the discount two: percent or fixed, then how much) that comes back there, and Save
writes them all at once. Every step has Back and Cancel; nothing is written before Save.
FSM data: the code's id, the list's page and the changes as plain values."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from handlers.context import Ctx
from handlers.filters import AtStep, NotCommand, TextInput, leaves_dialogs, protect
from handlers.states import DIALOG, begin_dialog, end_dialog
from handlers.states import AdminPromoEditStates as S
from keyboards.callback_owner import PromoEditAction as Action
from keyboards.callback_owner import PromoEditCb, PromoField
from models import PromoCode, PromoKind, Role
from screens.base import domain_message, show
from screens.promo import promo_card_screen
from screens.promo_edit import promo_edit_screen, promo_edit_step_screen
from services.errors import DomainError
from services.promo import PromoDraft, PromoService
from services.promo_rules import (
    check_total_uses,
    parse_amount_off,
    parse_count,
    parse_expiry,
    parse_percent,
)

TYPED = ("value", "total_uses", "per_customer", "expires")
FIELD_STEP = {
    PromoField.discount: "kind",
    PromoField.total_uses: "total_uses",
    PromoField.per_customer: "per_customer",
    PromoField.expires: "expires",
}


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    """The FSM's plain values as the service's terms."""
    plain = data.get("changes") or {}
    out: dict[str, Any] = {}
    if "kind" in plain:
        out["kind"], out["value"] = PromoKind(plain["kind"]), Decimal(plain["value"])
    for key in ("total_uses", "per_customer"):
        if key in plain:
            out[key] = plain[key]
    if "expires_at" in plain:
        out["expires_at"] = (
            datetime.fromisoformat(plain["expires_at"]) if plain["expires_at"] else None
        )
    return out


def _terms(promo: PromoCode, changes: dict[str, Any]) -> PromoDraft:
    """The code as it will be once saved."""
    return PromoDraft(
        code=promo.code,
        kind=changes.get("kind", promo.kind),
        value=changes.get("value", promo.value),
        min_order=promo.min_order,
        expires_at=changes.get("expires_at", promo.expires_at),
        total_uses=changes.get("total_uses", promo.total_uses),
        per_customer=changes.get("per_customer", promo.per_customer),
        category_id=promo.category_id,
    )


async def _promo(ctx: Ctx, state: FSMContext) -> tuple[PromoCode, dict[str, Any]]:
    data = await state.get_data()
    return await PromoService(ctx.session).get(ctx.user, data.get("promo_id") or 0), data


async def _menu(event, ctx: Ctx, state: FSMContext, error: str | None = None) -> None:
    await state.set_state(S.menu)
    promo, data = await _promo(ctx, state)
    changes = _changes(data)
    category = await PromoService(ctx.session).category_name(promo.category_id)
    terms = _terms(promo, changes)
    changed = terms != _terms(promo, {})  # "No limit" on a code without one changes nothing
    currency = ctx.settings.currency
    dialog = data.get(DIALOG, 0)
    screen = promo_edit_screen(promo, terms, changed, category, currency, ctx.locale, error, dialog)
    await show(event, screen)


async def _ask(event, ctx: Ctx, state: FSMContext, step: str, error: str | None = None) -> None:
    await state.set_state(getattr(S, step))
    promo, data = await _promo(ctx, state)
    terms = _terms(promo, _changes(data))
    kind = PromoKind(data["kind"]) if data.get("kind") else terms.kind  # as just chosen
    screen = promo_edit_step_screen(
        step, terms, promo.used, ctx.settings.currency, ctx.locale, error, kind, data.get(DIALOG, 0)
    )
    await show(event, screen)


async def _change(event, ctx: Ctx, state: FSMContext, **plain: Any) -> None:
    data = await state.get_data()
    await state.update_data(changes={**(data.get("changes") or {}), **plain})
    await _menu(event, ctx, state)


async def on_start(query: CallbackQuery, callback_data: PromoEditCb, ctx: Ctx, state: FSMContext):
    promo = await PromoService(ctx.session).get(ctx.user, callback_data.id)
    data = {"promo_id": promo.id, "page": callback_data.page, "changes": {}}
    await begin_dialog(state, S.menu, data, query)
    await _menu(query, ctx, state)


async def on_field(query: CallbackQuery, callback_data: PromoEditCb, ctx: Ctx, state: FSMContext):
    await _ask(query, ctx, state, FIELD_STEP[callback_data.field])


async def on_kind(query: CallbackQuery, callback_data: PromoEditCb, ctx: Ctx, state: FSMContext):
    kind = PromoKind.percent if callback_data.action is Action.percent else PromoKind.fixed
    await state.update_data(kind=kind.value)  # kept with the amount, once it is sent
    await _ask(query, ctx, state, "value")


async def on_none(query: CallbackQuery, ctx: Ctx, state: FSMContext, raw_state: str) -> None:
    step = raw_state.split(":")[-1]
    if step == "total_uses":
        await _change(query, ctx, state, total_uses=None)
    elif step == "expires":
        await _change(query, ctx, state, expires_at=None)


async def on_text(message: Message, text: str, ctx: Ctx, state: FSMContext, raw_state: str):
    step = raw_state.split(":")[-1]
    if step not in TYPED:
        await _back_to(message, ctx, state, step, _("Please use the buttons."))
        return
    promo, data = await _promo(ctx, state)
    try:
        if step == "value":
            kind = PromoKind(data.get("kind") or promo.kind)
            if kind is PromoKind.percent:
                value = parse_percent(text)
            else:
                value = parse_amount_off(text, ctx.settings.max_price, ctx.settings.currency)
            plain = {"kind": kind.value, "value": str(value)}
        elif step == "expires":
            plain = {"expires_at": parse_expiry(text, datetime.now(UTC)).isoformat()}
        else:
            count = parse_count(text)
            if step == "total_uses":
                check_total_uses(count, promo.used)
            plain = {step: count}
    except DomainError as exc:
        await _ask(message, ctx, state, step, domain_message(exc))
        return
    await _change(message, ctx, state, **plain)


async def _back_to(event, ctx: Ctx, state: FSMContext, step: str, error: str) -> None:
    if step == "menu":
        await _menu(event, ctx, state, error)
    else:
        await _ask(event, ctx, state, step, error)


async def on_wrong_input(message: Message, ctx: Ctx, state: FSMContext, raw_state: str) -> None:
    step = raw_state.split(":")[-1]
    error = _("Please send it as text.") if step in TYPED else _("Please use the buttons.")
    await _back_to(message, ctx, state, step, error)


async def on_back(query: CallbackQuery, ctx: Ctx, state: FSMContext, raw_state: str) -> None:
    step = raw_state.split(":")[-1]
    if step == "value":
        await _ask(query, ctx, state, "kind")
    elif step != "menu":
        await _menu(query, ctx, state)
    else:  # back to the code's card, unchanged
        await _card(query, ctx, state)


async def _card(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    promo, data = await _promo(ctx, state)
    await end_dialog(state)
    service = PromoService(ctx.session)
    category = await service.category_name(promo.category_id)
    screen = promo_card_screen(
        promo, data.get("page") or 1, category, ctx.settings.currency, ctx.locale
    )
    await show(query, screen)


async def on_save(
    query: CallbackQuery, ctx: Ctx, state: FSMContext, callback_answer: CallbackAnswer
) -> None:
    promo, data = await _promo(ctx, state)
    try:
        await PromoService(ctx.session).edit(ctx.user, promo.id, _changes(data))
    except DomainError as exc:  # e.g. used past the new limit meanwhile: the menu again
        await _menu(query, ctx, state, domain_message(exc))
        return
    await ctx.commit()  # "Saved" only once it is
    callback_answer.text = _("Promo code {code} saved.").format(code=promo.code)
    await _card(query, ctx, state)


def build_router() -> Router:
    router = leaves_dialogs(protect(Router(name=__name__), Role.admin))
    cb = PromoEditCb.filter
    register = router.callback_query.register
    register(on_start, cb(F.action == Action.start), StateFilter("*"))
    # The dialog's buttons act only at the step and in the dialog they were shown in.
    register(on_field, cb(F.action == Action.field), StateFilter(S.menu), AtStep())
    kinds = cb(F.action.in_({Action.percent, Action.fixed}))
    register(on_kind, kinds, StateFilter(S.kind), AtStep())
    register(on_none, cb(F.action == Action.none), StateFilter(S.total_uses, S.expires), AtStep())
    register(on_back, cb(F.action == Action.back), StateFilter(S), AtStep())
    register(on_save, cb(F.action == Action.save), StateFilter(S.menu), AtStep())
    router.message.register(on_text, StateFilter(S), TextInput())
    router.message.register(on_wrong_input, StateFilter(S), NotCommand())
    return router
