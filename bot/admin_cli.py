"""The owner's way to the admin role: ADMIN_IDS applied at every start, and
`python -m bot admin add|remove|list` from the shell.

Whoever can start the bot owns the shop, so nothing here asks for an acting admin.
"""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import ConfigError, Settings
from models import Role, User
from services.admin import AdminService, telegram_id_of
from services.errors import DomainError
from services.users import Profile, UserService
from services.validation import without_bidi_controls


def describe(user: User) -> str:
    """'123 @ann Ann Lee', or '123 (has not written to the bot yet)'."""
    username = f" @{user.username}" if user.username else ""
    # A name is set in Telegram: its direction controls would turn the owner's line around.
    name = without_bidi_controls(user.full_name) if user.first_name or user.last_name else ""
    new = "" if user.first_name or user.username else " (has not written to the bot yet)"
    banned = " (banned)" if user.is_banned else ""
    ident = user.telegram_id if user.telegram_id is not None else f"login:{user.login}"
    return f"{ident}{username} {name}".rstrip() + new + banned


async def apply_admin_ids(
    pool: async_sessionmaker[AsyncSession], admin_ids: frozenset[int]
) -> list[str]:
    """Registered users listed in ADMIN_IDS become admins (and are unbanned); who changed.

    Listed ids that have not used the bot yet become admins on their first update.
    """
    changed: list[str] = []
    async with pool() as session, session.begin():
        service = AdminService(session)
        for telegram_id in sorted(admin_ids):
            user = await service.lookup(str(telegram_id))
            if user is not None and (await service.owner_set_role(user, Role.admin)).changed:
                changed.append(describe(user))
    return changed


async def admin_command(
    settings: Settings, pool: async_sessionmaker[AsyncSession], action: str, who: str | None
) -> str:
    """What `python -m bot admin <action> [who]` prints; `ConfigError` for a refusal."""
    async with pool() as session, session.begin():
        service = AdminService(session)
        if action == "list":
            if who:
                raise ConfigError(f"admin list takes no id or @username (got {who!r})")
            admins = await service.admins()
            if not admins:
                return "No admins yet: python -m bot admin add <your Telegram id>"
            return "\n".join(describe(user) for user in admins)
        if not who:
            raise ConfigError(f"admin {action} needs a Telegram id or @username")
        user = await service.lookup(who)
        if user is None:
            user = await _register(session, settings, who, action)
        if action == "remove" and user.role is not Role.admin:  # a seller stays a seller
            return f"{describe(user)} is not an admin ({user.role.value}): nothing changed"
        role = Role.admin if action == "add" else Role.customer
        try:
            change = await service.owner_set_role(user, role)
        except DomainError as exc:
            raise ConfigError(str(exc)) from None
    if not change.changed:
        return f"{describe(user)} is already {'an admin' if action == 'add' else 'not an admin'}"
    if action == "add":
        return f"{describe(user)} is now an admin"
    notes = []
    if change.products_hidden:
        notes.append(f"{change.products_hidden} of their products taken off sale")
    if change.open_orders:
        notes.append(f"{change.open_orders} of their orders under way now wait for the admins")
    note = "".join(f"; {n}" for n in notes)
    kept = (
        " (still in ADMIN_IDS: remove it there too, or the next start makes them admin again)"
        if user.telegram_id in settings.admin_ids
        else ""
    )
    return f"{describe(user)} is now a customer{note}{kept}"


async def _register(session: AsyncSession, settings: Settings, who: str, action: str) -> User:
    """An admin-to-be who has never written to the bot: their row, made ahead."""
    who = who.strip()
    telegram_id = telegram_id_of(who)  # as /promote reads one, so `remove` finds it
    if action != "add" or (telegram_id is None and not who.lstrip("-").isdigit()):
        raise ConfigError(
            f"Nobody matching {who!r} has used the bot yet"
            + (": use their numeric Telegram id" if action == "add" else "")
        )
    if telegram_id is None or telegram_id <= 0:
        raise ConfigError(f"{who} is not a Telegram user id")
    profile = Profile(telegram_id, None, "", None, None)
    return await UserService(session).sync(profile, language=settings.default_locale)
