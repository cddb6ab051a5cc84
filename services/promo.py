"""Promo codes: admins create, list and disable them; a customer puts one on the cart;
the discount is quoted on the cart and the summary, stored on the order, and the use is
counted once, atomically (`redeem`): at payment for prepaid orders (pre-checkout, before
the money moves), at placement for cash on delivery and for an order the code covers in
full (paid when placed: there is no payment to wait for).

Counting is one conditional UPDATE (`used = used + 1 WHERE used < total_uses`, with the
code still active and unexpired): of any number of customers racing for the last uses,
exactly as many as are left get them. The customer's own limit is a row per use,
numbered, unique per (code, customer, n): two racing uses by one customer can't both be
the n-th. Both happen in a savepoint, so a refusal undoes either.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import CartPromo, Category, Order, PromoCode, PromoKind, PromoRedemption, Role, User
from services.audit import AuditService
from services.cart import Cart
from services.catalog_reads import MAX_ID
from services.errors import DomainError, InvalidInput, NotAllowed, NotFound
from services.line_discounts import split_discount
from services.paging import fit_page
from services.promo_rules import (
    MAX_COUNT,
    RAN_OUT,
    UNKNOWN,
    USED_UP,
    Priced,
    PromoRejected,
    check_discount,
    check_total_uses,
    clean_code,
    discount,
    usable,
)
from services.texts import N_

PAGE_SIZE = 8
# What an admin may change of a code once it exists (its name, minimum order and
# category are set once, when it is created).
EDITABLE = ("kind", "value", "total_uses", "per_customer", "expires_at")


@dataclass(frozen=True, slots=True)
class PromoQuote:
    """The code on a cart and what it gives now: a discount, or why it gives none."""

    code: str
    discount: Decimal
    problem: PromoRejected | None = None


def promo_terms(quote: PromoQuote | None) -> list[str] | None:
    """What the summary promised of the code, as the dialog stores it: Confirm orders
    with this discount or shows a fresh summary."""
    return [quote.code, str(quote.discount)] if quote is not None and quote.discount else None


def to_pay_for(cart: Cart, quote: PromoQuote | None) -> Decimal:
    """What the cart comes to with the code's discount: what an order of it would cost."""
    return cart.total - (quote.discount if quote is not None else 0)


@dataclass(frozen=True, slots=True)
class PromoDraft:
    """What the admin's dialog collected."""

    code: str
    kind: PromoKind
    value: Decimal
    min_order: Decimal | None = None
    expires_at: datetime | None = None
    total_uses: int | None = None
    per_customer: int = 1
    category_id: int | None = None


class PromoService:
    def __init__(self, session: AsyncSession, clock=lambda: datetime.now(UTC)) -> None:
        self.session = session
        self.clock = clock

    # -- admins ------------------------------------------------------------------------

    async def check_new(self, code: str) -> None:
        if await self.session.scalar(select(PromoCode.id).where(PromoCode.code == code)):
            raise DomainError(N_("The promo code {code} already exists."), code=code)

    async def create(self, actor: User, draft: PromoDraft) -> PromoCode:
        _admin(actor)
        code = clean_code(draft.code)
        await self.check_new(code)
        if draft.category_id is not None:  # kept until the commit (a delete waits for it)
            held = select(Category.id).where(Category.id == draft.category_id)
            if await self.session.scalar(held.with_for_update(key_share=True)) is None:
                raise NotFound(N_("That category has been deleted meanwhile: choose another one."))
        promo = PromoCode(
            code=code,
            kind=draft.kind,
            value=draft.value,
            min_order=draft.min_order,
            expires_at=draft.expires_at,
            total_uses=draft.total_uses,
            per_customer=draft.per_customer,
            category_id=draft.category_id,
            created_by=actor.id,
        )
        self.session.add(promo)
        await self.session.flush()
        terms = {key: _plain(getattr(promo, key)) for key in ("code", *EDITABLE, "min_order")}
        terms["category_id"] = promo.category_id
        audit = AuditService(self.session)
        await audit.record(actor, "promo.create", "promo", promo.id, None, terms)
        return promo

    async def page(self, actor: User, page: int) -> tuple[list[PromoCode], int, int]:
        """Codes newest first: (this page's, page, pages)."""
        _admin(actor)
        total = await self.session.scalar(select(func.count()).select_from(PromoCode)) or 0
        page, pages = fit_page(page, total, PAGE_SIZE)
        rows = await self.session.scalars(
            select(PromoCode)
            .order_by(PromoCode.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
        return list(rows), page, pages

    async def get(self, actor: User, promo_id: int) -> PromoCode:
        _admin(actor)
        promo = await self.session.get(PromoCode, promo_id) if 0 < promo_id <= MAX_ID else None
        if promo is None:
            raise NotFound()
        return promo

    async def set_active(self, actor: User, promo_id: int, active: bool) -> PromoCode:
        """Switches a code on or off. Conditional, so of two admins pressing the same
        switch at once (both read it off), one switches it and is audited; the other's
        UPDATE, waiting on the row, then finds it switched and changes nothing."""
        promo = await self.get(actor, promo_id)
        stmt = update(PromoCode).where(PromoCode.id == promo.id, PromoCode.is_active != active)
        changed = await self.session.execute(
            stmt.values(is_active=active).execution_options(synchronize_session=False)
        )
        await self.session.refresh(promo)
        if changed.rowcount == 1:
            action = "promo.enable" if active else "promo.disable"
            await AuditService(self.session).record(actor, action, "promo", promo.id)
        return promo

    async def edit(self, actor: User, promo_id: int, changes: Mapping[str, Any]) -> PromoCode:
        """Changes these terms of a code (keys of EDITABLE; the rest stays as it is now, so
        another admin's change to another term is kept), and audits it.

        Uses already counted stay counted: the limit in all can't go below them, checked
        in the UPDATE itself, so a use counted meanwhile (`redeem`) can't slip under it.
        A lower limit per customer stops further uses by those who reached it. Orders
        keep the discount they were placed with; carts and summaries quote the new one."""
        promo = await self.get(actor, promo_id)
        if not set(changes) <= set(EDITABLE):
            raise ValueError(f"not editable: {sorted(set(changes) - set(EDITABLE))}")
        if "kind" in changes or "value" in changes:  # a code made under older rules keeps its own
            check_discount(changes.get("kind", promo.kind), changes.get("value", promo.value))
        for key in ("total_uses", "per_customer"):
            if changes.get(key) is not None and not 0 < changes[key] <= MAX_COUNT:
                raise InvalidInput(N_("Send a whole number from 1 to {max}."), max=MAX_COUNT)
        # The discount is read as its kind and value together: both are kept if either is.
        audited = [*changes, *(("kind", "value") if {"kind", "value"} & set(changes) else ())]
        before = {key: _plain(getattr(promo, key)) for key in audited}
        stmt = update(PromoCode).where(PromoCode.id == promo.id).values(**changes)
        if changes.get("total_uses") is not None:
            stmt = stmt.where(PromoCode.used <= changes["total_uses"])
        result = await self.session.execute(stmt.execution_options(synchronize_session=False))
        await self.session.refresh(promo)
        if result.rowcount != 1:  # counted past the new limit since the admin looked
            check_total_uses(changes["total_uses"], promo.used)
            raise DomainError(N_("The promo code has changed meanwhile. Open it again."))
        after = {key: _plain(getattr(promo, key)) for key in audited}
        await AuditService(self.session).record(
            actor, "promo.edit", "promo", promo.id, before, after
        )
        return promo

    async def category_name(self, category_id: int | None) -> str | None:
        if category_id is None:
            return None
        return await self.session.scalar(select(Category.name).where(Category.id == category_id))

    # -- the customer's cart -----------------------------------------------------------

    async def enter(self, user: User, text: str) -> PromoCode:
        """Puts a code on the customer's cart (replacing one there), if it can be used."""
        code = clean_code(text)
        promo = await self.session.scalar(select(PromoCode).where(PromoCode.code == code))
        if promo is None:
            raise PromoRejected(UNKNOWN, code=code)
        usable(promo, self.clock(), len(await self._slots(promo.id, user.id)))
        await self.session.execute(delete(CartPromo).where(CartPromo.user_id == user.id))
        self.session.add(CartPromo(user_id=user.id, promo_id=promo.id))
        await self.session.flush()
        return promo

    async def drop(self, user: User) -> None:
        await self.session.execute(delete(CartPromo).where(CartPromo.user_id == user.id))

    async def quote(self, user: User, cart: Cart, currency: str | None = None) -> PromoQuote | None:
        """The code on the cart and its discount on these lines now (None: no code), in
        the shop's currency's precision."""
        promo = await self.session.scalar(
            select(PromoCode)
            .join(CartPromo, CartPromo.promo_id == PromoCode.id)
            .where(CartPromo.user_id == user.id)
        )
        if promo is None:
            return None
        try:
            usable(promo, self.clock(), len(await self._slots(promo.id, user.id)))
            lines = [Priced(line.category_id, line.payable) for line in cart.lines if line.payable]
            amount = discount(promo, lines, await self._subtree(promo.category_id), currency)
        except PromoRejected as exc:
            return PromoQuote(promo.code, Decimal(0), exc)
        return PromoQuote(promo.code, amount)

    # -- counting a use ----------------------------------------------------------------

    async def redeem(self, order: Order) -> None:
        """Counts the order's code once (again for the same order: nothing); raises
        PromoRejected, changing nothing, when it ran out, expired or was disabled, or the
        customer has used it up meanwhile."""
        if order.promo_code is None or not order.discount:
            return
        if await self._counted(order):
            return
        code = order.promo_code
        promo = await self.session.scalar(select(PromoCode).where(PromoCode.code == code))
        if promo is None:
            raise PromoRejected(UNKNOWN, code=code)
        n = await self._free_slot(promo.id, order.user_id, promo.per_customer)
        now = self.clock()
        try:
            async with self.session.begin_nested():
                if n is None:
                    raise PromoRejected(USED_UP, code=code)  # may be this order's: below
                counted = await self.session.execute(
                    update(PromoCode)
                    .where(
                        PromoCode.id == promo.id,
                        PromoCode.is_active.is_(True),
                        or_(PromoCode.expires_at.is_(None), PromoCode.expires_at > now),
                        or_(PromoCode.total_uses.is_(None), PromoCode.used < PromoCode.total_uses),
                    )
                    .values(used=PromoCode.used + 1)
                    .execution_options(synchronize_session=False)
                )
                if counted.rowcount != 1:
                    await self.session.refresh(promo)
                    usable(promo, now, 0)  # says which rule failed
                    raise PromoRejected(RAN_OUT, code=code)
                self.session.add(
                    PromoRedemption(
                        promo_id=promo.id, user_id=order.user_id, n=n, order_id=order.id
                    )
                )
                await self.session.flush()
        except (IntegrityError, PromoRejected) as exc:
            # Two invoices of this one order at pre-checkout at once: the other counted
            # its use (and waited for our row lock, or met the unique order_id). Counted
            # once is all it needs; refusing would put the order back at full price
            # while the other invoice is paid at the discount.
            if await self._counted(order):
                return
            if isinstance(exc, IntegrityError):
                raise PromoRejected(USED_UP, code=code) from None
            raise

    async def _counted(self, order: Order) -> bool:
        """Whether the order's use is counted (committed by anyone, on PostgreSQL)."""
        found = await self.session.scalar(
            select(PromoRedemption.id).where(PromoRedemption.order_id == order.id)
        )
        return found is not None

    async def apply(self, order: Order, quote: PromoQuote | None) -> None:
        """A new order takes the discount the customer confirmed (quoted on the same
        lines, which checkout has just checked): off what is charged."""
        if quote is None or not quote.discount:
            return
        order.discount = quote.discount
        order.promo_code = quote.code
        order.total = order.total - quote.discount
        category_id = await self.session.scalar(
            select(PromoCode.category_id).where(PromoCode.code == quote.code)
        )
        await split_discount(self.session, order, await self._subtree(category_id))

    async def without_code(self, order: Order) -> None:
        """The order at its full price: the code it carried could not be counted."""
        order.total = order.total + order.discount
        order.discount = Decimal(0)
        order.promo_code = None
        await self.session.flush()

    async def release(self, order: Order) -> None:
        """An order that will never be paid gives its counted use back."""
        use = await self.session.scalar(
            select(PromoRedemption).where(PromoRedemption.order_id == order.id)
        )
        if use is None:
            return
        await self.session.delete(use)
        await self.session.execute(
            update(PromoCode)
            .where(PromoCode.id == use.promo_id, PromoCode.used > 0)
            .values(used=PromoCode.used - 1)
            .execution_options(synchronize_session=False)
        )

    async def _slots(self, promo_id: int, user_id: int) -> set[int]:
        """The numbers of this customer's counted uses (a released one leaves a gap)."""
        rows = await self.session.scalars(
            select(PromoRedemption.n).where(
                PromoRedemption.promo_id == promo_id, PromoRedemption.user_id == user_id
            )
        )
        return set(rows)

    async def _free_slot(self, promo_id: int, user_id: int, per_customer: int) -> int | None:
        """The lowest unused number up to `per_customer` (None: used up). Two uses racing
        for one number meet the unique constraint: one of them is refused."""
        taken = await self._slots(promo_id, user_id)
        return next((n for n in range(1, per_customer + 1) if n not in taken), None)

    async def reclaim(self, order: Order) -> None:
        """A released use counted again, past every limit: an order whose use was given
        back (its reservation ran out) was paid at the discounted price after all. A limit
        in all that the uses now pass rises to them: the uses made are what happened."""
        if order.promo_code is None or not order.discount:
            return
        promo = await self.session.scalar(
            select(PromoCode).where(PromoCode.code == order.promo_code)
        )
        if promo is None or await self._counted(order):
            return
        n = max(await self._slots(promo.id, order.user_id), default=0) + 1
        self.session.add(
            PromoRedemption(promo_id=promo.id, user_id=order.user_id, n=n, order_id=order.id)
        )
        await self.session.execute(
            update(PromoCode)
            .where(PromoCode.id == promo.id)
            .values(
                used=PromoCode.used + 1,
                total_uses=case(
                    (PromoCode.total_uses <= PromoCode.used, PromoCode.used + 1),
                    else_=PromoCode.total_uses,
                ),
            )
            .execution_options(synchronize_session=False)
        )
        await self.session.flush()

    async def _subtree(self, category_id: int | None) -> set[int] | None:
        """The category and every category under it (None: no limit)."""
        if category_id is None:
            return None
        found, level = {category_id}, {category_id}
        while level:
            level = (
                set(
                    await self.session.scalars(
                        select(Category.id).where(Category.parent_id.in_(level))
                    )
                )
                - found
            )
            found |= level
        return found


def _plain(value: Any) -> Any:
    """A term as the audit log's JSON keeps it."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal | PromoKind) else value


def _admin(actor: User) -> None:
    if actor.role is not Role.admin:
        raise NotAllowed()
