"""Orders, read through `OrderService`: who may see one is the bot's rule (its customer,
the sellers of its lines, admins); a seller sees only their own lines and what they come
to (`services.order_rules.shown_amounts`, as the bot's order card)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import Caller, Rt, Session
from api.routers import ERRORS
from api.schemas import OrderItemOut, OrderOut, OrderPageOut, OrderSummaryOut, PaymentOut
from services.catalog_reads import MAX_ID
from services.orders import OrderService
from services.payments import check_chargeable, invoice_amount, invoice_currency

router = APIRouter(prefix="/orders", tags=["orders"], responses=ERRORS)
PAGE_SIZE = 20


@router.get("/me", response_model=OrderPageOut)
async def mine(
    user: Caller, session: Session, page: Annotated[int, Query(ge=1, le=10_000)] = 1
) -> OrderPageOut:
    """The caller's orders, newest first; a page past the end is empty (the bot shows
    the last page instead, but a client paging until an empty page must get one)."""
    found = await OrderService(session).page(page=page, size=PAGE_SIZE, customer=user)
    if found.page < page:
        return OrderPageOut(items=[], page=page, has_next=False)
    items = [OrderSummaryOut.model_validate(o) for o in found.items]
    return OrderPageOut(items=items, page=found.page, has_next=found.has_next)


@router.get("/{order_id}", response_model=OrderOut)
async def one(
    order_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: Caller, session: Session
) -> OrderOut:
    service = OrderService(session)
    view = service.view(user, await service.get(user, order_id))
    order = view.order
    return OrderOut(
        id=order.id,
        user_id=order.user_id,
        status=order.status,
        total=view.total,
        discount=view.discount,
        currency=order.currency,
        payment_method=order.payment_method,
        created_at=order.created_at,
        items=[OrderItemOut.model_validate(i) for i in view.items],
    )


@router.get("/{order_id}/payment", response_model=PaymentOut)
async def payment(
    order_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: Caller, session: Session, rt: Rt
) -> PaymentOut:
    """What paying the caller's order charges, by the bot's rules for its invoice (for a
    Mini App's Pay button). 409, saying why, when it can't be paid now: paid on delivery,
    no longer awaiting payment, or under the smallest card payment Telegram takes (a
    promo code left too little) or over the largest. An order a code covers in full was
    paid when placed."""
    order = await OrderService(session).payable_by(user, order_id)
    config = rt.config
    method, currency = order.payment_method, order.currency
    check_chargeable(order.total, method, currency, config.card_limits)
    return PaymentOut(
        order_id=order.id,
        total=order.total,
        currency=invoice_currency(method, currency),
        amount=invoice_amount(order.total, method, currency, config.stars_per_unit),
    )
