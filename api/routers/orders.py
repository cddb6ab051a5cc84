"""Orders, read through `OrderService`: who may see one is the bot's rule (its customer,
the sellers of its lines, admins); a seller sees only their own lines and what they come
to (`services.order_rules.shown_amounts`, as the bot's order card)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import Caller, Session
from api.routers import ERRORS
from api.schemas import OrderItemOut, OrderOut, OrderPageOut, OrderSummaryOut
from services.catalog_reads import MAX_ID
from services.orders import OrderService

router = APIRouter(prefix="/orders", tags=["orders"], responses=ERRORS)
PAGE_SIZE = 20


@router.get("/me", response_model=OrderPageOut)
async def mine(
    user: Caller, session: Session, page: Annotated[int, Query(ge=1, le=10_000)] = 1
) -> OrderPageOut:
    """The caller's orders, newest first."""
    orders, has_next = await OrderService(session).page(page=page, size=PAGE_SIZE, customer=user)
    items = [OrderSummaryOut.model_validate(o) for o in orders]
    return OrderPageOut(items=items, page=page, has_next=has_next)


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
