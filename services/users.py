from dataclasses import dataclass
from types import EllipsisType

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.sql import upsert
from models import Role, User


@dataclass(frozen=True, slots=True)
class Profile:
    """What Telegram tells about a user on every update."""

    telegram_id: int
    username: str | None
    first_name: str
    last_name: str | None
    language_code: str | None


class UserService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Built once: building a statement costs more than running it (its cache key, too,
    # is then computed once). Run with {"telegram_id": ...}; callers may extend it.
    LOOKUP: Select = select(User).where(User.telegram_id == bindparam("telegram_id"))

    async def get_by_telegram_id(self, telegram_id: int) -> User | None:
        return await self.session.scalar(self.LOOKUP, {"telegram_id": telegram_id})

    async def sync(
        self,
        profile: Profile,
        *,
        language: str,
        admin_ids: frozenset[int] = frozenset(),
        start_payload: str | None = None,
        found: User | EllipsisType | None = ...,
    ) -> User:
        """The user's row, registered on first contact and kept in step with their profile.

        One SELECT on the usual path (none when the caller passes the row it already
        `found` with `LOOKUP`, None if there was none); an UPDATE only when the profile
        changed, or when a user who had blocked the bot is back (broadcasts reach them
        again).
        """
        user = await self.get_by_telegram_id(profile.telegram_id) if found is ... else found
        if user is None:
            return await self._register(profile, language, admin_ids, start_payload)
        if (user.username, user.first_name, user.last_name, user.language_code, user.is_active) != (
            profile.username,
            profile.first_name,
            profile.last_name,
            profile.language_code,
            True,
        ):
            if user.username != profile.username:
                await self._claim_username(profile)
            user.username = profile.username
            user.first_name = profile.first_name
            user.last_name = profile.last_name
            user.language_code = profile.language_code
            user.is_active = True
            await self.session.flush()
        return user

    async def _register(
        self, profile: Profile, language: str, admin_ids: frozenset[int], payload: str | None
    ) -> User:
        role = Role.admin if profile.telegram_id in admin_ids else Role.customer
        values = {
            "telegram_id": profile.telegram_id,
            "username": profile.username,
            "first_name": profile.first_name,
            "last_name": profile.last_name,
            "language_code": profile.language_code,
            "language": language,
            "role": role,
            "start_payload": payload,
        }
        # Two first updates racing from one user must not make two rows or fail.
        await self._claim_username(profile)
        stmt = upsert(self.session, User.__table__, values, ["telegram_id"], ["username"])
        await self.session.execute(stmt)
        user = await self.get_by_telegram_id(profile.telegram_id)
        assert user is not None
        return user

    async def _claim_username(self, profile: Profile) -> None:
        """A username is one person's at a time: Telegram gave it to this user, so a row
        still holding it (someone who gave it up and hasn't written since) lets it go,
        and `/promote @name` can't reach the wrong person."""
        if not profile.username:
            return
        await self.session.execute(
            update(User)
            .where(
                func.lower(User.username) == profile.username.lower(),
                User.telegram_id != profile.telegram_id,
            )
            .values(username=None)
            .execution_options(synchronize_session=False)
        )

    async def set_language(self, user: User, language: str) -> None:
        user.language = language
        await self.session.flush()

    async def mark_unreachable(self, user: User) -> None:
        """Telegram said this user blocked the bot."""
        user.is_active = False
        await self.session.flush()

    async def mark_ban_notified(self, user: User) -> None:
        user.ban_notified = True
        await self.session.flush()

    async def staff(self, limit: int) -> list[User]:
        """Sellers and admins with a chat (not banned, not blocking the bot), admins
        first: whose command menu is longer than a customer's."""
        return list(
            await self.session.scalars(
                select(User)
                .where(
                    User.role.in_((Role.seller, Role.admin)),
                    User.telegram_id.is_not(None),
                    User.is_banned.is_(False),
                    User.is_active.is_(True),
                )
                .order_by(User.role != Role.admin, User.id)
                .limit(limit)
            )
        )

    async def admins(self) -> list[User]:
        """The admins to tell about the shop's business: not banned, and not blocking the
        bot (a message to them would only fail), in id order."""
        return list(
            await self.session.scalars(
                select(User)
                .where(
                    User.role == Role.admin,
                    User.is_banned.is_(False),
                    User.is_active.is_(True),
                )
                .order_by(User.id)
            )
        )
