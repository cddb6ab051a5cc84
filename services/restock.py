"""Back-in-stock alerts: subscribing on an out-of-stock card, and the durable queue the
sender (jobs/restock.py) works through.

A subscription is one `RestockAlert` row. When a product's stock is set above zero
(`stock_raised`, called by every service that raises stock), its waiting rows become
due, in the same transaction as the stock change: a rollback leaves them waiting, a
commit makes them durable. The sender claims due rows (`claim`), sends, and records the
outcome (`record`): sent, blocked or failed, all of which consume the subscription, so a
stock going 0 → 5 → 0 → 5 tells each subscriber once. Subscribing again is explicit.

At most once, as broadcasts: a row left `sending` by a crash counts as failed
(`recover`), never resent.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import ACTIVE_ALERT, AlertStatus, Product, RestockAlert, User
from models.base import utcnow
from services.catalog import CatalogService
from services.catalog_reads import MAX_ID, listed, shown_category_ids
from services.errors import DomainError, NotFound
from services.texts import N_

# `session.info` key: this transaction made alerts due (the sender can be woken after it).
DUE_FLAG = "restock_due"


class AlreadyInStock(DomainError):
    message = N_("Good news: it is in stock now.")


@dataclass(frozen=True, slots=True)
class Claimed:
    """One alert the sender owes: to whom, in which language, about what."""

    id: int
    user_id: int
    telegram_id: int
    language: str
    product_id: int
    product_name: str


class RestockService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- the customer's toggle ---------------------------------------------------------

    async def subscribe(self, user: User, product_id: int) -> None:
        """Asks for one message when the product is back (again, after a message)."""
        product = await CatalogService(self.session).visible_product(product_id)
        if product is None:
            raise NotFound(N_("This product is no longer available."))
        if product.stock > 0:
            raise AlreadyInStock()
        alert = await self.session.scalar(
            select(RestockAlert).where(
                RestockAlert.user_id == user.id, RestockAlert.product_id == product_id
            )
        )
        if alert is None:
            self.session.add(RestockAlert(user_id=user.id, product_id=product_id))
        elif alert.status not in ACTIVE_ALERT:
            alert.status, alert.due_at, alert.sent_at = AlertStatus.waiting, None, None
        await self.session.flush()

    async def unsubscribe(self, user: User, product_id: int) -> None:
        if not 0 < product_id <= MAX_ID:
            return
        await self.session.execute(
            delete(RestockAlert).where(
                RestockAlert.user_id == user.id,
                RestockAlert.product_id == product_id,
                RestockAlert.status.in_(ACTIVE_ALERT[:2]),  # one being sent is sent
            )
        )

    # -- the trigger -------------------------------------------------------------------

    async def stock_raised(self, product_ids: Iterable[int]) -> int:
        """The stock of these products was just set or raised: the waiting alerts of each
        one now in stock become due. Returns how many; `session.info[DUE_FLAG]` says so."""
        ids = sorted(set(product_ids))
        if not ids:
            return 0
        return await self._due(select(Product.id).where(Product.id.in_(ids), Product.stock > 0))

    async def back_in_view(self) -> int:
        """A category was shown or moved, so products may be in view again: the waiting
        alerts of every shown product in stock become due (the sender puts back those
        of a product still hidden). Returns how many (on SQLite -1, unknown: it counts no
        rows for an UPDATE that starts with WITH, as this one does)."""
        shown = and_(listed(), Product.category_id.in_(shown_category_ids()))
        return await self._due(select(Product.id).where(shown, Product.stock > 0))

    async def _due(self, products: Select) -> int:
        result = await self.session.execute(
            update(RestockAlert)
            .where(
                RestockAlert.product_id.in_(products),
                RestockAlert.status == AlertStatus.waiting,
            )
            .values(status=AlertStatus.due, due_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:
            self.session.info[DUE_FLAG] = True
        return result.rowcount

    # -- the sender's queue ------------------------------------------------------------

    async def recover(self) -> int:
        """Rows a dead sender left `sending`: maybe delivered, so failed, not resent."""
        result = await self.session.execute(
            update(RestockAlert)
            .where(RestockAlert.status == AlertStatus.sending)
            .values(status=AlertStatus.failed, sent_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return result.rowcount

    async def claim(self, limit: int) -> list[Claimed]:
        """Up to `limit` due alerts, marked `sending`. Customers who blocked the bot are
        skipped (their alert consumed as blocked); an alert whose product is hidden or
        sold out again by now goes back to waiting (it fires on the next restock)."""
        shown = and_(listed(), Product.category_id.in_(shown_category_ids()), Product.stock > 0)
        stmt = (
            select(
                RestockAlert.id,
                RestockAlert.user_id,
                User.telegram_id,
                User.language,
                RestockAlert.product_id,
                Product.name,
                (User.is_active.is_(True) & User.is_banned.is_(False)).label("reachable"),
                shown.label("shown"),
            )
            .join(User, User.id == RestockAlert.user_id)
            .join(Product, Product.id == RestockAlert.product_id)
            .where(RestockAlert.status == AlertStatus.due)
            .order_by(RestockAlert.id)
            .limit(limit)
        )
        while rows := (await self.session.execute(stmt)).all():
            unreachable = [r.id for r in rows if not r.reachable]
            gone = [r.id for r in rows if r.reachable and not r.shown]
            if unreachable:
                await self._set(unreachable, AlertStatus.blocked)
            if gone:
                await self._set(gone, AlertStatus.waiting, due_at=None)
            wanted = [r for r in rows if r.reachable and r.shown]
            if wanted:
                claimed = set(await self._set([r.id for r in wanted], AlertStatus.sending))
                return [Claimed(*r[:6]) for r in wanted if r.id in claimed]
        return []

    async def record(self, outcomes: dict[int, AlertStatus]) -> None:
        """The sender's results: alert id → sent, blocked or failed."""
        by_status: dict[AlertStatus, list[int]] = {}
        for alert_id, status in outcomes.items():
            by_status.setdefault(status, []).append(alert_id)
        for status, ids in by_status.items():
            await self._set(ids, status, from_=AlertStatus.sending)
        if AlertStatus.blocked in by_status:
            await self.session.execute(
                update(User)
                .where(
                    User.id.in_(
                        select(RestockAlert.user_id).where(
                            RestockAlert.id.in_(by_status[AlertStatus.blocked])
                        )
                    )
                )
                .values(is_active=False)
                .execution_options(synchronize_session=False)
            )

    async def _set(
        self,
        ids: list[int],
        status: AlertStatus,
        *,
        from_: AlertStatus = AlertStatus.due,
        **values: object,
    ) -> list[int]:
        if status not in (AlertStatus.waiting, AlertStatus.sending):
            values.setdefault("sent_at", utcnow())
        result = await self.session.execute(
            update(RestockAlert)
            .where(RestockAlert.id.in_(ids), RestockAlert.status == from_)
            .values(status=status, **values)
            .returning(RestockAlert.id)
            .execution_options(synchronize_session=False)
        )
        return list(result.scalars())
