"""Roles, set by admins through `AdminService.set_role`: the bot's rule (the last admin
stays, a banned user can't be made admin, a demoted seller's products go off sale) and
the bot's audit log."""

from fastapi import APIRouter

from api.deps import Accounts, Admin, Session, about, commit
from api.routers import ERRORS
from api.schemas import PermissionIn, UserOut
from models import NoticeKind, User
from services.admin import AdminService
from services.errors import NotFound
from services.notices import NoticeService
from services.texts import N_

router = APIRouter(prefix="/permission", tags=["permission"], responses=ERRORS)


@router.patch("", response_model=UserOut)
async def set_role(body: PermissionIn, admin: Admin, session: Session, accounts: Accounts) -> User:
    """Set a user's role; name them by id, login, Telegram id or @username."""
    service = AdminService(session)
    names = ("user_id", "login", "telegram_id", "username")
    field = next(f for f in names if getattr(body, f) is not None)  # exactly one is given
    with about(field, missing=True):  # nobody by that name: the field's fault, a 422
        if body.user_id is not None:
            target = await service.get(admin, body.user_id)
        elif body.login is not None:
            found = await accounts.by_login(body.login)
            if found is None:
                raise NotFound(N_("Nobody has this login."))
            target = found
        elif body.telegram_id is not None:
            target = await service.by_telegram_id(admin, body.telegram_id)
        else:
            target = await service.find(admin, "@" + (body.username or "").removeprefix("@"))
    change = await service.set_role(admin, target.id, body.role)
    if change.changed:  # told in the chat, as the bot's admin panel tells them
        await NoticeService(session).owe(NoticeKind.role, change.user.id, admin.id)
    await commit(session)
    return change.user
