"""Admin actions on users: find them, change roles, ban and unban. Every action is audited.

The acting user's role is checked here too (not only by the router's gate): a forged
button or a handler that forgot the gate still cannot change anything.
"""

import re
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import Order, OrderItem, OrderStatus, Product, Review, Role, User
from services.access import can_sell, require_admin
from services.audit import AuditService
from services.errors import InvalidInput, NotAllowed, NotFound
from services.texts import N_

UNDER_WAY = (OrderStatus.new, OrderStatus.paid, OrderStatus.shipped)

# A Telegram id as typed: digits only (not "²", which int() refuses), at most 52 bits.
_TELEGRAM_ID = re.compile(r"-?[0-9]{1,16}")


def telegram_id_of(text: str) -> int | None:
    """The Telegram id `text` is, typed as admins and the owner type one, or None."""
    text = text.strip()
    return int(text) if _TELEGRAM_ID.fullmatch(text) else None


# Role names an admin may type in /promote, in both languages.
ROLE_NAMES: dict[str, Role] = {
    "customer": Role.customer,
    "buyer": Role.customer,
    "покупатель": Role.customer,
    "клиент": Role.customer,
    "seller": Role.seller,
    "продавец": Role.seller,
    "admin": Role.admin,
    "админ": Role.admin,
    "администратор": Role.admin,
}


def parse_role(text: str) -> Role:
    role = ROLE_NAMES.get(text.strip().lower())
    if role is None:
        raise InvalidInput(N_("Unknown role. Use customer, seller or admin."))
    return role


@dataclass(frozen=True, slots=True)
class Change:
    """The outcome of a role change or a ban."""

    user: User
    changed: bool  # False: the user already had this role or ban
    products_hidden: int = 0  # their products taken off sale by this change
    open_orders: int = 0  # orders of their goods under way, now the admins' to move


@dataclass(frozen=True, slots=True)
class UserCard:
    user: User
    reviews: int
    orders: int
    on_sale: int = 0  # their products customers see (`asked`): a ban or a demotion hides them


LAST_ADMIN = N_("This is the last admin: make someone else admin first.")


class AdminService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.audit = AuditService(session)

    # -- finding ---------------------------------------------------------------------

    async def find(self, actor: User, query: str) -> User:
        """A user by Telegram id ('123456') or username ('@ann' or 'ann')."""
        require_admin(actor)
        query = query.strip()
        if not query:
            raise InvalidInput(N_("Send a Telegram id or an @username."))
        if (telegram_id := telegram_id_of(query)) is not None:
            return await self.by_telegram_id(actor, telegram_id)
        name = query.removeprefix("@")
        # A username starts with a letter: digits are an id, too long to be one.
        if not name or len(name) > 64 or not name.replace("_", "").isalnum() or name[0].isdigit():
            raise InvalidInput(N_("Send a Telegram id or an @username."))
        users = list(
            await self.session.scalars(
                select(User).where(func.lower(User.username) == name.lower()).limit(2)
            )
        )
        if not users:
            raise NotFound(N_("Nobody with this username has used the bot yet."))
        if len(users) > 1:  # rows from before usernames were released on a change
            raise InvalidInput(
                N_("More than one user has had this username: send their Telegram id.")
            )
        return users[0]

    async def by_telegram_id(self, actor: User, telegram_id: int) -> User:
        require_admin(actor)
        if not -(2**63) <= telegram_id < 2**63:
            raise InvalidInput(N_("Send a Telegram id or an @username."))
        user = await self.session.scalar(select(User).where(User.telegram_id == telegram_id))
        if user is None:
            raise NotFound(N_("Nobody with this id has used the bot yet."))
        return user

    async def get(self, actor: User, user_id: int) -> User:
        require_admin(actor)
        user = await self.session.get(User, user_id)
        if user is None:
            raise NotFound(N_("This user no longer exists."))
        return user

    async def card(self, actor: User, user_id: int) -> UserCard:
        user = await self.get(actor, user_id)
        reviews = await self.session.scalar(
            select(func.count()).select_from(Review).where(Review.user_id == user.id)
        )
        orders = await self.session.scalar(
            select(func.count()).select_from(Order).where(Order.user_id == user.id)
        )
        return UserCard(user, reviews or 0, orders or 0)

    async def asked(self, actor: User, user_id: int, role: Role | None) -> UserCard:
        """The card a ban (`role` None) or a change to `role` is asked on: refused now
        as the change itself would be (yourself, an admin, the last admin)."""
        card = await self.card(actor, user_id)
        if role is None:
            _can_ban(actor, card.user)
        else:
            await self._keeps_an_admin(card.user, role)
        on_sale = await self.session.scalar(
            select(func.count()).select_from(Product).where(*_on_sale(card.user))
        )
        return replace(card, on_sale=on_sale or 0)

    async def _keeps_an_admin(self, user: User, role: Role) -> None:
        """Refuses to take the role of the last admin."""
        if role is not Role.admin and user.role is Role.admin:
            admins = await self.session.scalar(
                select(func.count()).select_from(User).where(User.role == Role.admin)
            )
            if (admins or 0) <= 1:
                raise InvalidInput(LAST_ADMIN)

    # -- roles -----------------------------------------------------------------------

    async def set_role(self, actor: User, user_id: int, role: Role) -> Change:
        """Demoted to customer, the user's products go off sale: nobody manages them."""
        require_admin(actor)
        # Admin rows are locked first: two admins demoting each other at once can't
        # leave the shop without one (PostgreSQL; SQLite serialises writers anyway).
        admins = list(
            await self.session.scalars(
                select(User.id).where(User.role == Role.admin).with_for_update()
            )
        )
        if actor.id not in admins:
            raise NotAllowed()  # demoted by another admin a moment ago
        user = await self.get(actor, user_id)
        if user.role is role:
            return Change(user, False)
        if user.role is Role.admin and admins == [user.id]:
            raise InvalidInput(LAST_ADMIN)
        if role is Role.admin and user.is_banned:
            raise InvalidInput(N_("Unban this user before making them admin."))
        before, after = {"role": user.role.value}, {"role": role.value}
        orphaned = await self._orphaned(user, role)
        user.role = role
        hidden = await self._hide_products(user) if role is Role.customer else 0
        if hidden:
            after["products_hidden"] = hidden
        await self.session.flush()
        # Counted again, now that this change holds the write lock: on SQLite the list
        # above may predate another admin's demotion that committed meanwhile.
        if not await self.session.scalar(select(exists().where(User.role == Role.admin))):
            raise InvalidInput(LAST_ADMIN)
        await self.audit.record(actor, "user.role", "user", user.id, before, after)
        return Change(user, True, hidden, orphaned)

    # -- bans ------------------------------------------------------------------------

    async def ban(self, actor: User, user_id: int) -> Change:
        """A banned seller's products go off sale; an unban doesn't bring them back."""
        require_admin(actor)
        user = await self.get(actor, user_id)
        _can_ban(actor, user)
        if user.is_banned:
            return Change(user, False)
        user.is_banned = True
        # The notice goes out on their next message, once.
        user.ban_notified = False
        hidden = await self._hide_products(user)
        after: dict[str, object] = {"is_banned": True}
        if hidden:
            after["products_hidden"] = hidden
        await self.session.flush()
        await self.audit.record(actor, "user.ban", "user", user.id, {"is_banned": False}, after)
        return Change(user, True, hidden, await self._open_orders(user))

    async def unban(self, actor: User, user_id: int) -> User:
        require_admin(actor)
        user = await self.get(actor, user_id)
        if not user.is_banned:
            return user
        user.is_banned = False
        # A later ban notifies them again.
        user.ban_notified = False
        await self.session.flush()
        await self.audit.record(
            actor, "user.unban", "user", user.id, {"is_banned": True}, {"is_banned": False}
        )
        return user

    async def _orphaned(self, user: User, role: Role) -> int:
        """The orders a change to `role` leaves to the admins: none unless it takes away
        the selling of someone who could sell (a banned seller's went to them already)."""
        if role is not Role.customer or not can_sell(user) or user.is_banned:
            return 0
        return await self._open_orders(user)

    async def _open_orders(self, user: User) -> int:
        """Orders under way (new, paid, shipped) that the user moved alone (only their
        goods): once they can't sell, the admins move them (and hear of them:
        `OrderService.sellers`). An order holding others' goods too was the admins' to
        move already."""
        other = aliased(OrderItem)
        others_goods = exists().where(
            other.order_id == OrderItem.order_id,
            or_(other.seller_id.is_(None), other.seller_id != user.id),
        )
        count = await self.session.scalar(
            select(func.count(func.distinct(OrderItem.order_id)))
            .join(Order, Order.id == OrderItem.order_id)
            .where(OrderItem.seller_id == user.id, Order.status.in_(UNDER_WAY), ~others_goods)
        )
        return count or 0

    async def _hide_products(self, user: User) -> int:
        """Takes the user's visible products off sale; how many there were.

        Through the ORM, so the flush events keep the categories' product counts right.
        The seller (or an admin) shows them again by hand.
        """
        products = await self.session.scalars(select(Product).where(*_on_sale(user)))
        hidden = 0
        for product in products:
            product.is_active = False
            hidden += 1
        await self.session.flush()
        return hidden

    # -- the owner's shell -----------------------------------------------------------
    # `python -m bot admin ...` and ADMIN_IDS at start-up: whoever can run the bot owns
    # the shop, so there is no acting admin; the audit log records the change without one.

    async def lookup(self, query: str) -> User | None:
        """A user by Telegram id or @username, for the owner; None when nobody matches."""
        query = query.strip()
        if (telegram_id := telegram_id_of(query)) is not None:
            return await self.session.scalar(select(User).where(User.telegram_id == telegram_id))
        name = query.removeprefix("@").lower()
        return await self.session.scalar(
            select(User).where(func.lower(User.username) == name).limit(1)
        )

    async def owner_set_role(self, user: User, role: Role) -> Change:
        """The owner's role change: an admin is unbanned; the last admin stays one."""
        await self._keeps_an_admin(user, role)
        if user.role is role and not (role is Role.admin and user.is_banned):
            return Change(user, False)
        before = {"role": user.role.value, "is_banned": user.is_banned}
        orphaned = await self._orphaned(user, role)
        user.role = role
        if role is Role.admin:
            user.is_banned = False
        hidden = await self._hide_products(user) if role is Role.customer else 0
        after: dict[str, object] = {"role": role.value, "is_banned": user.is_banned}
        if hidden:
            after["products_hidden"] = hidden
        await self.session.flush()
        await self.audit.record(None, "user.role", "user", user.id, before, after)
        return Change(user, True, hidden, orphaned)

    async def admins(self) -> list[User]:
        """Every admin, banned or not, in id order."""
        stmt = select(User).where(User.role == Role.admin).order_by(User.id)
        return list(await self.session.scalars(stmt))


def _on_sale(user: User) -> tuple[ColumnElement[bool], ...]:
    """The user's products customers can see (a ban or a demotion hides them)."""
    return (
        Product.seller_id == user.id,
        Product.is_active.is_(True),
        Product.is_deleted.is_(False),
    )


def _can_ban(actor: User, user: User) -> None:
    if user.id == actor.id:
        raise InvalidInput(N_("You can't ban yourself."))
    if user.role is Role.admin:
        raise InvalidInput(N_("Admins can't be banned: change their role first."))
