"""Admin panel keyboards: the panel, user cards, statistics, the audit log, categories."""

from collections.abc import Sequence
from typing import Protocol

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import (
    AdminAction,
    AdminCategoryAction,
    AdminCategoryCb,
    AdminCb,
    AdminUserAction,
    AdminUserCb,
    BroadcastCb,
    ModReviewsCb,
)
from keyboards.callback_owner import AdminPromoCb, BooksAction, BooksCb, PromoAction
from keyboards.common import back_label, button, cancel_button, home_button, numbered_pager
from keyboards.formatting import trim
from models import Role
from services.categories import TreeItem

BUTTON_NAME_LIMIT = 40


class CategoryLike(Protocol):
    """What the category keyboards read of a category (a row, or any data that has it)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def parent_id(self) -> int | None: ...
    @property
    def is_active(self) -> bool: ...


class UserLike(Protocol):
    """What the user card's buttons read of a user."""

    @property
    def id(self) -> int: ...
    @property
    def role(self) -> Role: ...
    @property
    def is_banned(self) -> bool: ...


def role_label(role: Role) -> str:
    return {
        Role.customer: _("customer"),
        Role.seller: _("seller"),
        Role.admin: _("admin"),
    }[role]


def panel_button() -> InlineKeyboardButton:
    return button("⬅️ " + _("Admin panel"), AdminCb(action=AdminAction.panel))


def _screen(action: AdminAction) -> AdminCb:
    return AdminCb(action=action)


def admin_panel_kb() -> InlineKeyboardMarkup:
    rows = [
        [
            button("👤 " + _("Users and roles"), _screen(AdminAction.find)),
            button("🗂 " + _("Categories"), _screen(AdminAction.categories)),
        ],
        [
            button("📊 " + _("Statistics"), _screen(AdminAction.stats)),
            button("📜 " + _("Audit log"), _screen(AdminAction.audit)),
        ],
        # Entry points of the broadcast and review moderation features.
        [
            button("📣 " + _("Broadcast"), BroadcastCb(action="new")),
            button("📝 " + _("Reviews"), ModReviewsCb(page=1)),
        ],
        [button("📒 " + _("Orders export and Stars check"), BooksCb(action=BooksAction.menu))],
        [button("🏷 " + _("Promo codes"), AdminPromoCb(action=PromoAction.list))],
        [home_button()],
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def find_user_kb() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[panel_button(), cancel_button()]])


def user_card_kb(user: UserLike, actor: UserLike) -> InlineKeyboardMarkup:
    """A demotion to customer (their products go off sale) and a ban are asked first."""
    roles = [
        button(
            _("Make {role}").format(role=role_label(role)),
            AdminUserCb(
                action=AdminUserAction.ask if role is Role.customer else AdminUserAction.role,
                id=user.id,
                role=role.value,
            ),
        )
        for role in Role
        if role is not user.role
    ]
    rows = [roles]
    if user.id != actor.id and user.role is not Role.admin:
        if user.is_banned:
            rows.append(
                [button("✅ " + _("Unban"), AdminUserCb(action=AdminUserAction.unban, id=user.id))]
            )
        else:
            rows.append(
                [button("🚫 " + _("Ban"), AdminUserCb(action=AdminUserAction.ask, id=user.id))]
            )
    rows.append([button("🔍 " + _("Find another user"), _screen(AdminAction.find)), panel_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_user_kb(user_id: int, role: str) -> InlineKeyboardMarkup:
    """Yes (a ban when `role` is empty, else the new role) or Back to the card."""
    if role:
        yes = button(
            _("Yes, make {role}").format(role=role_label(Role(role))),
            AdminUserCb(action=AdminUserAction.role, id=user_id, role=role),
        )
    else:
        yes = button("🚫 " + _("Yes, ban"), AdminUserCb(action=AdminUserAction.ban, id=user_id))
    back = button(back_label(), AdminUserCb(action=AdminUserAction.card, id=user_id))
    return InlineKeyboardMarkup(inline_keyboard=[[yes], [back]])


def stats_kb() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button("🔄 " + _("Refresh"), _screen(AdminAction.stats))],
            [panel_button()],
        ]
    )


def audit_kb(older_than: int | None, paged: bool) -> InlineKeyboardMarkup:
    nav = []
    if paged:
        nav.append(button("« " + _("Newest"), _screen(AdminAction.audit)))
    if older_than is not None:
        nav.append(button(_("Older") + " ›", AdminCb(action=AdminAction.audit, before=older_than)))
    rows = [nav] if nav else []
    rows.append([panel_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


# -- categories ----------------------------------------------------------------------------


def _cat(action: AdminCategoryAction, category_id: int = 0, **fields: int) -> AdminCategoryCb:
    return AdminCategoryCb(action=action, id=category_id, **fields)


def category_label(name: str, is_active: bool) -> str:
    return ("🙈 " if not is_active else "📁 ") + trim(name, BUTTON_NAME_LIMIT)


def categories_kb(
    category: CategoryLike | None,
    children: Sequence[CategoryLike],
    paging: tuple[int, int] = (1, 1),
    back_page: int = 1,
) -> InlineKeyboardMarkup:
    """A level of the tree: a page of its subcategories (`paging`: its number and the
    page count), and the actions on the category itself; Back opens the parent's page
    `back_page`, where this category is listed."""
    a = AdminCategoryAction
    rows = [[button(category_label(c.name, c.is_active), _cat(a.open, c.id))] for c in children]
    here = category.id if category else 0
    nav = numbered_pager(*paging, lambda n: _cat(a.open, here, page=n), "📁 ")
    if nav:
        rows.append(nav)
    rows.append(
        [
            button(
                "➕ " + (_("New subcategory") if category else _("New category")),
                _cat(AdminCategoryAction.new, here),
            )
        ]
    )
    if category is not None:
        rows += [
            [
                button("✏️ " + _("Rename"), _cat(a.rename, here)),
                button("↪️ " + _("Move"), _cat(a.move, here)),
            ],
            [
                button("⬆️ " + _("Up"), _cat(a.up, here)),
                button("⬇️ " + _("Down"), _cat(a.down, here)),
            ],
            [
                button("🙈 " + _("Hide"), _cat(a.hide, here))
                if category.is_active
                else button("👁 " + _("Show"), _cat(a.show, here)),
                button("🗑 " + _("Delete"), _cat(a.delete, here)),
            ],
            [button(back_label(), _cat(a.open, category.parent_id or 0, page=back_page))],
        ]
    rows.append([panel_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def move_targets_kb(
    category: CategoryLike, targets: list[TreeItem], page: int, pages: int
) -> InlineKeyboardMarkup:
    a = AdminCategoryAction
    rows = []
    if page == 1 and category.parent_id is not None:
        rows.append([button("🔝 " + _("Top level"), _cat(a.move_to, category.id, target=0))])
    for item in targets:
        label = "· " * item.indent + ("" if item.is_active else "🙈 ")
        label += trim(item.name, BUTTON_NAME_LIMIT)
        if item.id == category.parent_id:
            label = "✅ " + label
        rows.append([button(label, _cat(a.move_to, category.id, target=item.id))])
    nav = numbered_pager(page, pages, lambda n: _cat(a.move, category.id, page=n))
    if nav:
        rows.append(nav)
    rows.append([button(back_label(), _cat(a.open, category.id)), cancel_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def delete_confirm_kb(category: CategoryLike) -> InlineKeyboardMarkup:
    a = AdminCategoryAction
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button("🗑 " + _("Yes, delete"), _cat(a.delete_ok, category.id))],
            [button(back_label(), _cat(a.open, category.id))],
        ]
    )


def category_step_kb(back_to: int) -> InlineKeyboardMarkup:
    """A name step of the category dialogs: Back to the category screen, or Cancel."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(back_label(), _cat(AdminCategoryAction.open, back_to)), cancel_button()]
        ]
    )
