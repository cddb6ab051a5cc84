"""Admin panel screens: the panel, statistics and the audit log."""

from datetime import UTC, datetime

from aiogram.utils.i18n import gettext as _

from keyboards.admin import admin_panel_kb, audit_kb, stats_kb
from keyboards.formatting import quote
from models import AuditEntry, User
from screens.base import Screen
from services.audit import AuditPage
from services.stats import Stats
from services.texts import N_

VALUE_LIMIT = 60

ACTION_LABELS = {
    "user.role": N_("role changed"),
    "user.ban": N_("banned"),
    "user.unban": N_("unbanned"),
    "category.create": N_("category created"),
    "category.rename": N_("category renamed"),
    "category.move": N_("category moved"),
    "category.reorder": N_("category reordered"),
    "category.hide": N_("category hidden"),
    "category.show": N_("category shown"),
    "category.delete": N_("category deleted"),
    # Recorded when an admin changes someone else's product (services/products.py).
    "product.update": N_("product changed"),
    "product.hide": N_("product hidden"),
    "product.show": N_("product shown again"),
    "product.delete": N_("product deleted"),
    # Recorded by review moderation (services/reviews.py).
    "review.hide": N_("review hidden"),
    "review.unhide": N_("review shown again"),
    "review.delete": N_("review deleted"),
    # Recorded when an admin edits a promo code (services/promo.py).
    "promo.edit": N_("promo code changed"),
}


def panel_screen() -> Screen:
    return Screen(_("<b>⚙️ Admin panel</b>\nChoose a section:"), admin_panel_kb())


# -- statistics ----------------------------------------------------------------------------


def stats_screen(s: Stats) -> Screen:
    lines = [
        _("<b>📊 Statistics</b>"),
        "",
        _("Users: {total} (new in 7 days: {new}, banned: {banned})").format(
            total=s.users, new=s.new_users, banned=s.banned
        ),
        _("Sellers: {sellers}, admins: {admins}").format(sellers=s.sellers, admins=s.admins),
        _("Products: {total}: visible {visible}, hidden {hidden}, out of stock {empty}").format(
            total=s.products, visible=s.visible, hidden=s.hidden, empty=s.out_of_stock
        ),
        _("Categories: {count}").format(count=s.categories),
        _("Reviews: {total} (hidden: {hidden})").format(total=s.reviews, hidden=s.hidden_reviews),
        "",
        # The time makes every refresh a change Telegram accepts, and tells it happened.
        _("<i>Updated at {time} UTC</i>").format(time=s.at.astimezone(UTC).strftime("%H:%M:%S")),
    ]
    return Screen("\n".join(lines), stats_kb())


# -- audit log -----------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M")


def _value(value: object) -> str:
    return quote("—" if value is None else str(value), VALUE_LIMIT)


def _changes(entry: AuditEntry) -> str:
    before, after = entry.before or {}, entry.after or {}
    parts = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if key in before and key in after:
            if old != new:
                parts.append(f"{quote(key)}: {_value(old)} → {_value(new)}")
        else:
            parts.append(f"{quote(key)}: {_value(new if key in after else old)}")
    return "; ".join(parts)


def _name(user: User | None) -> str:
    if user is None:
        return "—"
    name = quote(user.full_name, 40)
    return f"{name} (@{quote(user.username)})" if user.username else name


def audit_screen(page: AuditPage, *, paged: bool) -> Screen:
    """A page of the log, newest first; `paged`: not the newest page (it offers Newest)."""
    entries, people = page.entries, page.people
    lines = [_("<b>📜 Audit log</b>"), ""]
    if not entries:
        lines.append(_("Nothing has been recorded yet."))
    for e in entries:
        label = _(ACTION_LABELS[e.action]) if e.action in ACTION_LABELS else quote(e.action)
        target = f"{quote(e.target_type)} #{e.target_id}" if e.target_id else quote(e.target_type)
        if e.target_type == "user" and e.target_id in people:
            target = _name(people[e.target_id])
        line = f"<b>{_when(e.created_at)}</b> {_name(people.get(e.actor_id))}: {label}, {target}"
        changes = _changes(e)
        lines.append(f"{line}\n   {changes}" if changes else line)
    return Screen("\n".join(lines), audit_kb(page.older_than, paged=paged))
