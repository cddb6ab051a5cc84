"""Admin panel screens: the panel, statistics and the audit log."""

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from aiogram.utils.i18n import gettext as _

from keyboards.admin import admin_panel_kb, audit_kb, role_label, stats_kb
from keyboards.formatting import fits, moment, money, number, quote
from keyboards.orders import status_label
from models import AuditEntry, OrderStatus, PromoKind, Role, User
from screens.base import Screen
from screens.promo import discount_text, moment_text
from services.audit import CATEGORY_KEYS, PERSON_KEYS, PRODUCT_KEYS, AuditPage
from services.names import staff_name
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
    "promo.create": N_("promo code created"),
    "promo.disable": N_("promo code switched off"),
    "promo.enable": N_("promo code switched on"),
    "order.status": N_("order status changed"),
    "order.refund": N_("refund"),  # services/refunds.py
}

TARGET_LABELS = {
    "user": N_("user"),
    "category": N_("category"),
    "product": N_("product"),
    "review": N_("review"),
    "order": N_("order"),
    "promo": N_("promo code"),
}

# The keys the services put in an entry's `before` and `after`.
FIELD_LABELS = {
    "role": N_("role"),
    "is_banned": N_("banned"),
    "products_hidden": N_("products taken off sale"),
    "name": N_("name"),
    "slug": N_("link name"),
    "is_active": N_("shown"),
    "is_visible": N_("shown"),
    "parent_id": N_("parent category"),
    "position": N_("position"),
    "category": N_("category"),
    "description": N_("description"),
    "price": N_("price"),
    "stock": N_("stock"),
    "photo": N_("photo"),
    "user_id": N_("author"),
    "product_id": N_("product"),
    "grade": N_("stars"),
    "comment": N_("comment"),
    "seller_reply": N_("seller's reply"),
    "kind": N_("kind"),
    "value": N_("discount"),
    "min_order": N_("minimum order"),
    "code": N_("code"),
    "category_id": N_("category"),
    "total_uses": N_("total uses"),
    "per_customer": N_("uses per customer"),
    "expires_at": N_("valid until"),
    "status": N_("status"),
    "amount": N_("amount"),
    "line": N_("line"),
    "quantity": N_("quantity"),
    "restocked": N_("back in stock"),
    "via": N_("refunded through"),
    "late": N_("late payment"),
}


# Values some keys hold, as the admin reads them (a key's other values show as stored).
VALUE_LABELS = {
    "kind": {"percent": N_("percent"), "fixed": N_("fixed amount")},
    "via": {"telegram": N_("Telegram (the Stars returned)"), "manual": N_("the shop, by hand")},
}
MONEY_KEYS = ("amount", "price", "min_order")
TIME_KEYS = ("expires_at",)


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
        _("Products: {total} (visible {visible}, hidden {hidden}, out of stock {empty})").format(
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


@dataclass(frozen=True, slots=True)
class _Reading:
    """What an entry's values are read with: the shop's currency and the reader's
    locale for amounts, and the names of the categories the page names."""

    currency: str
    locale: str
    categories: dict[int, str]
    people: dict[int, User]
    products: dict[int, str]


def _value(key: str, value: object, side: dict, r: _Reading) -> str:
    """`side`: the entry's `before` or `after` that `value` is in (a discount's `value`
    is read with its `kind`)."""
    if key in CATEGORY_KEYS:
        if value is None:
            return _("top level") if key == "parent_id" else "—"
        if isinstance(value, int):
            return quote(r.categories.get(value, number(value)), VALUE_LIMIT)
    # A user by name, never by the database's id (it reads like a Telegram id); a product
    # by name and the id its links (p<id>) carry.
    if key in PERSON_KEYS and isinstance(value, int):
        return _name(r.people[value]) if value in r.people else _("a deleted user")
    if key in PRODUCT_KEYS and isinstance(value, int):
        name = r.products.get(value)
        return f"{quote(name, VALUE_LIMIT)} {number(value)}" if name else _("a deleted product")
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✔" if value else "✖"  # the same in every language
    if key == "role" and value in Role._value2member_map_:
        return role_label(Role(value))
    if key == "status" and value in OrderStatus._value2member_map_:
        return status_label(OrderStatus(value))
    if isinstance(value, str) and value in VALUE_LABELS.get(key, {}):
        return _(VALUE_LABELS[key][value])
    with contextlib.suppress(ArithmeticError, ValueError):
        if key == "value" and side.get("kind") in PromoKind._value2member_map_:
            return discount_text(PromoKind(side["kind"]), Decimal(str(value)), r.currency, r.locale)
        if key in MONEY_KEYS:
            return money(Decimal(str(value)), r.currency, r.locale)
        if key in TIME_KEYS and isinstance(value, str):
            return moment_text(datetime.fromisoformat(value), r.locale)  # as the code's card
    return quote(str(value), VALUE_LIMIT)


def _photo_change(old: object, new: object) -> str:
    """A photo is a file id nobody can read: what happened to it."""
    if not old:
        return _("added")
    return _("removed") if not new else _("replaced")


def _field(key: str) -> str:
    return _(FIELD_LABELS[key]) if key in FIELD_LABELS else quote(key)


def _changes(entry: AuditEntry, r: _Reading) -> str:
    before, after = entry.before or {}, entry.after or {}
    parts = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if key in before and key in after:
            if old == new:
                continue
            if key == "photo":
                parts.append(f"{_field(key)}: {_photo_change(old, new)}")
                continue
            was, now = _value(key, old, before, r), _value(key, new, after, r)
            if was == now and key in CATEGORY_KEYS:  # names are unique among siblings only
                was, now = f"{was} {number(old)}", f"{now} {number(new)}"
            if was != now:  # ("10" and "10.00" read the same)
                parts.append(f"{_field(key)}: {was} → {now}")
        elif (only := new if key in after else old) is not None:  # nothing to say of None
            side = after if key in after else before
            parts.append(f"{_field(key)}: {_value(key, only, side, r)}")
    return "; ".join(parts)


def _target(entry: AuditEntry) -> str:
    kind = entry.target_type
    label = _(TARGET_LABELS[kind]) if kind in TARGET_LABELS else quote(kind)
    return f"{label} {number(entry.target_id)}" if entry.target_id else label


def _name(user: User | None) -> str:
    if user is None:
        return "—"
    name = quote(staff_name(user), 40)
    return f"{name} (@{quote(user.username)})" if user.username else name


def audit_screen(page: AuditPage, *, paged: bool, currency: str, locale: str) -> Screen:
    """A page of the log, newest first; `paged`: not the newest page (it offers Newest).
    Amounts are in the shop's `currency`, as the reader's `locale` writes them."""
    entries, people = page.entries, page.people
    reading = _Reading(currency, locale, page.categories, people, page.products)
    lines = [_("<b>📜 Audit log</b>"), ""]
    if not entries:
        lines.append(_("Nothing has been recorded yet."))
    older_than = page.older_than
    for n, e in enumerate(entries):
        label = _(ACTION_LABELS[e.action]) if e.action in ACTION_LABELS else quote(e.action)
        target = _target(e)
        if e.target_type == "user" and e.target_id in people:
            target = _name(people[e.target_id])
        when, who = moment(e.created_at, locale), _name(people.get(e.actor_id))
        line = f"<b>{when}</b> {who}: {label}, {target}"
        changes = _changes(e, reading)
        line = f"{line}\n   {changes}" if changes else line
        if n and not fits("\n".join([*lines, line])):  # Telegram's 4096: Older goes on
            older_than = entries[n - 1].id  # from the last one shown
            break
        lines.append(line)
    return Screen("\n".join(lines), audit_kb(older_than, paged=paged))
