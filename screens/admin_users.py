"""Admin's user screens: finding a user, their card, what a role change or ban did, and
the notice a user gets about their new role."""

from aiogram.utils.i18n import gettext as _

from keyboards.admin import confirm_user_kb, find_user_kb, role_label, user_card_kb
from keyboards.formatting import day, quote
from keyboards.menu import main_menu_kb
from models import Role, User
from screens.base import Screen
from services.admin import Change, UserCard
from services.names import staff_name


def with_hidden_note(text: str, change: Change) -> str:
    """Tells the acting admin what a ban or a demotion took off sale, if anything, and
    which orders under way it left to the admins."""
    if change.products_hidden:
        text += "\n" + _("Their products hidden from the catalog: {count}.").format(
            count=change.products_hidden
        )
    if change.open_orders:
        text += "\n" + _("Their orders under way now wait for the admins: {count}.").format(
            count=change.open_orders
        )
    return text


def find_prompt() -> str:
    return _(
        "Send the user's Telegram id or @username, or forward me a message of theirs.\n"
        "They must have used the bot at least once."
    )


def find_screen(problem: str = "") -> Screen:
    """The prompt, after what was wrong with the last answer if there was one."""
    text = f"{problem}\n\n{find_prompt()}" if problem else find_prompt()
    return Screen(text, find_user_kb())


def hidden_sender_text() -> str:
    return _(
        "This user hides their account in forwarded messages. "
        "Send their Telegram id or @username instead."
    )


def not_from_person_text() -> str:
    return _("This message was not forwarded from a person.")


def not_a_user_text() -> str:
    return _("That is not an id, a username or a forwarded message.")


def card_screen(card: UserCard, actor: User, locale: str) -> Screen:
    u = card.user
    lines = [f"<b>👤 {quote(staff_name(u), 100)}</b>"]
    handle = f"@{quote(u.username)} · " if u.username else ""
    if u.telegram_id is not None:
        lines.append(f"{handle}id <code>{u.telegram_id}</code>")
    if u.login:
        lines.append(f"login <code>{quote(u.login)}</code>")
    lines.append(_("Role: {role}").format(role=role_label(u.role)))
    lines.append(_("Registered: {date}").format(date=day(u.created_at, locale)))
    lines.append(_("Status: banned") if u.is_banned else _("Status: active"))
    lines.append(
        _("Orders: {orders} · Reviews: {reviews}").format(orders=card.orders, reviews=card.reviews)
    )
    return Screen("\n".join(lines), user_card_kb(u, actor))


def confirm_screen(card: UserCard, role: Role | None, actor: User) -> Screen:
    """Asked before a ban (`role` None) or a demotion to `role`: what it will do."""
    name = quote(staff_name(card.user), 100)
    if card.user.id == actor.id:  # an admin stepping down (there is another)
        lines = [
            "<b>" + _("Make yourself a customer?") + "</b>",
            _("You will no longer sell or manage the shop."),
        ]
    elif role is None:
        lines = [
            "<b>" + _("Ban {name}?").format(name=name) + "</b>",
            _("They will get one notice, and the shop will ignore them after that."),
        ]
    else:
        lines = [
            "<b>" + _("Make {name} a customer?").format(name=name) + "</b>",
            _("They will no longer sell or manage the shop."),
        ]
    if card.on_sale:
        lines.append(
            _(
                "Their products on sale, which will be hidden from the catalog (an unban or "
                "a new role doesn't show them again): {count}."
            ).format(count=card.on_sale)
        )
    return Screen("\n".join(lines), confirm_user_kb(card.user.id, role.value if role else ""))


def stepped_down_screen(role: Role) -> Screen:
    """An admin who just stepped down: the panel is no longer theirs."""
    text = {
        Role.customer: _("You are now a customer."),
        Role.seller: _("You are now a seller."),
        Role.admin: _("You are now an admin."),
    }[role]
    return Screen(text, main_menu_kb(role))


def _with_notes(text: str, change: Change) -> str:
    """What a role change did besides: products taken off sale, and a banned user not told
    (jobs/notify.py, `notify_new_role`, does not write to them)."""
    if change.changed and change.user.is_banned:
        text += "\n" + _("They are banned, so they were not told.")
    return with_hidden_note(text, change)


def role_changed_text(target: User, change: Change) -> str:
    """The callback answer after a role button."""
    return _with_notes(_("Role: {role}").format(role=role_label(target.role)), change)


def banned_text(change: Change) -> str:
    text = _("Banned. They will get one notice and be ignored after that.")
    return with_hidden_note(text, change)


def unbanned_text() -> str:
    return _("Unbanned.")


def promote_usage_text() -> str:
    return _(
        "Usage: <code>/promote &lt;id|@username&gt; &lt;role&gt;</code>, "
        "where the role is customer, seller or admin."
    )


def promoted_screen(change: Change, card: Screen) -> Screen:
    """/promote's answer: what changed, then the user's card."""
    target = change.user
    name = quote(staff_name(target), 100)
    if not change.changed:
        done = "ℹ️ " + _("{name} already has this role: nothing changed.").format(name=name)
        return Screen(f"{done}\n\n{card.text}", card.markup)
    done = {
        Role.customer: _("✅ {name} is now a customer."),
        Role.seller: _("✅ {name} is now a seller."),
        Role.admin: _("✅ {name} is now an admin."),
    }[target.role].format(name=name)
    done = _with_notes(done, change)
    return Screen(f"{done}\n\n{card.text}", card.markup)


def new_role_screen(role: Role) -> Screen:
    """What a user is told when an admin changes their role."""
    text = {
        Role.customer: _("Your role in this shop is now: customer."),
        Role.seller: _("🎉 You are now a seller in this shop: open /seller to add products."),
        Role.admin: _("🎉 You are now an admin of this shop: open /admin."),
    }[role]
    return Screen(text, main_menu_kb(role))
