"""The admin panel: /admin, statistics and the audit log.

Every admin router (this one, admin_users, admin_categories, broadcast, review
moderation) is behind `protect(router, Role.admin)` (the role read from the database on
this very update), and every service re-checks it for forged buttons.
"""

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from handlers.context import Ctx
from handlers.filters import leaves_dialogs, protect
from handlers.states import leave_dialog
from keyboards.callback_data import AdminAction, AdminCb, MenuAction, MenuCb
from models import Role
from screens.admin import audit_screen, panel_screen, stats_screen
from screens.base import show
from services.admin import require_admin


async def cmd_admin(message: Message, ctx: Ctx, state: FSMContext) -> None:
    require_admin(ctx.user)
    await leave_dialog(state, message)  # a dialog left for the panel
    await show(message, panel_screen())


async def on_panel(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    require_admin(ctx.user)
    await leave_dialog(state, query)
    await show(query, panel_screen())


async def on_stats(query: CallbackQuery, ctx: Ctx) -> None:
    await show(query, stats_screen(await ctx.stats.collect(ctx.user)))


async def on_audit(query: CallbackQuery, callback_data: AdminCb, ctx: Ctx) -> None:
    page = await ctx.audit.latest_with_people(
        ctx.user, ctx.settings.page_size, callback_data.before or None
    )
    paged = bool(callback_data.before)
    screen = audit_screen(page, paged=paged, currency=ctx.settings.currency, locale=ctx.locale)
    await show(query, screen)


def build_router() -> Router:
    panel = leaves_dialogs(protect(Router(name=__name__), Role.admin))
    panel.message.register(cmd_admin, Command("admin"), StateFilter("*"))
    panel.callback_query.register(on_panel, MenuCb.filter(F.action == MenuAction.admin))
    panel.callback_query.register(on_panel, AdminCb.filter(F.action == AdminAction.panel))
    panel.callback_query.register(on_stats, AdminCb.filter(F.action == AdminAction.stats))
    panel.callback_query.register(on_audit, AdminCb.filter(F.action == AdminAction.audit))
    return panel
