"""Admin panel: entry, statistics, audit log, and the gate against everyone else."""

from datetime import UTC, datetime, timedelta

import pytest
from aiogram.methods import SendMessage
from aiogram.types import ReplyKeyboardMarkup, ReplyKeyboardRemove
from sqlalchemy import func, select

from handlers.states import CheckoutStates
from keyboards.callback_data import (
    AdminAction,
    AdminCategoryAction,
    AdminCategoryCb,
    AdminCb,
    AdminUserAction,
    AdminUserCb,
    BroadcastCb,
    CartAction,
    CartAddCb,
    CartCb,
    MenuAction,
    MenuCb,
    ModAction,
    ModReviewCb,
    ModReviewsCb,
)
from models import AuditEntry, Category, Review, Role, User
from screens.dialogs import REPLY_KEYBOARD_STATES
from services.audit import AuditService
from tests.conftest import ADMIN_ID
from tests.factories import make_category, make_product, make_user


@pytest.fixture
async def admin(env):
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/start")
    return admin


async def test_panel_from_command_and_menu(admin):
    reply = await admin.send("/admin")
    assert "Admin panel" in reply.text
    for label in ("Users and roles", "Categories", "Statistics", "Audit log", "Reviews"):
        assert reply.has_button(label)
    assert admin.find_button("Broadcast") == BroadcastCb(action="new").pack()
    assert admin.find_button("Reviews") == ModReviewsCb(page=1).pack()
    await admin.send("/start")
    reply = await admin.press("Admin panel")
    assert "Choose a section" in reply.text


async def test_panel_in_russian(env):
    boss = env.user(ADMIN_ID, "Босс", language_code="ru")
    await boss.send("/start")
    reply = await boss.send("/admin")
    assert "Панель администратора" in reply.text
    reply = await boss.press("Статистика")
    assert "Пользователи: 1" in reply.text


async def test_statistics_screen_and_refresh(admin, session):
    old = await make_user(session, 1, Role.seller)
    old.created_at = datetime.now(UTC) - timedelta(days=30)
    await make_user(session, 2, is_banned=True)
    cat = await make_category(session)
    visible = await make_product(session, cat, seller=old)
    await make_product(session, cat, stock=0)
    await make_product(session, cat, is_active=False)
    await make_product(session, cat, is_deleted=True, stock=0)
    await make_product(session, await make_category(session, "Secret", is_active=False))
    session.add(Review(user_id=old.id, product_id=visible.id, grade=4))
    await session.commit()
    await admin.send("/admin")
    reply = await admin.press("Statistics")
    text = reply.text
    assert "Users: 3 (new in 7 days: 2, banned: 1)" in text
    assert "Sellers: 1, admins: 1" in text
    # Under a hidden category counts as hidden, as customers can't see it anywhere.
    assert "Products: 4 (visible 2, hidden 2, out of stock 1)" in text
    assert "Categories: 2" in text and "Reviews: 1 (hidden: 0)" in text
    assert "Updated at" in text
    message_id = admin.last_bot_message.message_id
    await make_user(session, 3)
    await session.commit()
    reply = await admin.press("Refresh")
    assert "Users: 4 (new in 7 days: 3" in reply.text
    assert admin.last_bot_message.message_id == message_id
    assert reply.alert is None  # answered quietly, no error


async def test_audit_log_pages_newest_first(admin, session, settings):
    boss = await session.scalar(select(User).where(User.telegram_id == ADMIN_ID))
    audit = AuditService(session)
    for n in range(settings.page_size + 2):
        await audit.record(
            boss, "category.rename", "category", n + 1, {"name": f"Old{n}"}, {"name": f"New<{n}>"}
        )
    await session.commit()
    await admin.send("/admin")
    reply = await admin.press("Audit log")
    assert reply.text.count("category renamed") == settings.page_size
    assert "New&lt;9&gt;" in reply.text and "Old9 → " in reply.text and "Boss" in reply.text
    assert "Old1 →" not in reply.text
    reply = await admin.press("Older")
    assert reply.text.count("category renamed") == 2 and "Old0" in reply.text
    assert not reply.has_button("Older")
    reply = await admin.press("Newest")
    assert "Old9" in reply.text


async def test_a_page_of_long_entries_is_cut_to_fit_and_older_goes_on(make_env, settings, session):
    """With PAGE_SIZE at its top (50) and long names, a page is cut to what one message
    holds, and Older goes on from the last entry shown: none is skipped."""
    env = make_env(settings.model_copy(update={"page_size": 50}))
    boss = await make_user(session, ADMIN_ID, Role.admin)
    audit = AuditService(session)
    for n in range(60):
        name = f"Категория {n:02} " + "я" * 70
        await audit.record(
            boss, "category.rename", "category", n + 1, {"name": name}, {"name": "x"}
        )
    await session.commit()
    admin = env.user(ADMIN_ID, "Boss")
    seen = 0
    reply = await admin.click(AdminCb(action=AdminAction.audit))
    while True:
        on_page = reply.text.count("category renamed")
        assert 0 < on_page < 50 and f"Категория {59 - seen:02}" in reply.text
        seen += on_page
        if not reply.has_button("Older"):
            break
        reply = await admin.press("Older")
    assert seen == 60


async def test_audit_log_shows_user_actions(admin, session):
    await make_user(session, 5, first_name="Ann")
    await session.commit()
    await admin.send("/promote 5 seller")
    await admin.send("/admin")
    reply = await admin.press("Audit log")
    assert "role changed, Ann" in reply.text and "customer → seller" in reply.text


async def test_audit_log_names_a_deleted_reviews_author_and_product(admin, session):
    """A deleted review's entry read "author: 2; product: 1": the database's row ids,
    which the admin took for a Telegram id (another user's there). It names them."""
    sam = await make_user(session, 2, Role.seller, first_name="Sam")
    ann = await make_user(session, 5, first_name="Ann", username="ann_t")
    tea = await make_product(session, await make_category(session), "Green tea", seller=sam)
    review = Review(user_id=ann.id, product_id=tea.id, grade=1, comment="spam")
    session.add(review)
    await session.commit()
    await admin.click(ModReviewCb(action=ModAction.confirm, review_id=review.id, page=1))
    reply = await admin.click(AdminCb(action=AdminAction.audit))
    assert "author: Ann (@ann_t)" in reply.text and f"author: {ann.id}" not in reply.text
    assert f"product: Green tea #{tea.id}" in reply.text


# -- the gate -------------------------------------------------------------------------------


async def snapshot(session) -> tuple:
    session.expire_all()
    users = (
        await session.execute(
            select(User.id, User.role, User.is_banned, User.ban_notified).order_by(User.id)
        )
    ).all()
    cats = (
        await session.execute(
            select(
                Category.id,
                Category.name,
                Category.slug,
                Category.parent_id,
                Category.is_active,
                Category.position,
            ).order_by(Category.id)
        )
    ).all()
    audit = await session.scalar(select(func.count()).select_from(AuditEntry))
    return users, cats, audit


def forged(target_id: int, cat_id: int, other_cat_id: int) -> list:
    u, c = AdminUserAction, AdminCategoryAction
    out = [MenuCb(action=MenuAction.admin)]
    out += [AdminCb(action=a) for a in AdminAction]
    out += [AdminUserCb(action=u.card, id=target_id), AdminUserCb(action=u.ban, id=target_id)]
    out += [AdminUserCb(action=u.unban, id=target_id)]
    out += [AdminUserCb(action=u.role, id=target_id, role=r.value) for r in Role]
    out += [AdminCategoryCb(action=a, id=cat_id, target=other_cat_id) for a in c]
    out += [AdminCategoryCb(action=c.new, id=0), AdminCategoryCb(action=c.open, id=0)]
    return out


@pytest.mark.parametrize("role", [Role.customer, Role.seller])
async def test_non_admins_are_refused_everything(env, session, role):
    await make_user(session, ADMIN_ID, Role.admin)
    outsider = await make_user(session, 1, role)
    target = await make_user(session, 2, is_banned=True)
    cat = await make_category(session, "Tea")
    other = await make_category(session, "Coffee", position=1)
    calls = forged(target.id, cat.id, other.id) + forged(outsider.id, other.id, 0)
    await session.commit()
    before = await snapshot(session)
    user = env.user(1)
    for data in calls:
        reply = await user.click(data)
        assert reply.alert == "Not allowed.", data
    for command in ("/admin", "/promote 2 admin", "/promote 1 admin", "/promote @x seller"):
        reply = await user.send(command)
        assert reply.texts == ["Not allowed."], command
    assert await snapshot(session) == before


async def test_demoted_admin_mid_dialog_is_refused(admin, session):
    await admin.send("/admin")
    await admin.press("Categories")
    await admin.press("New category")
    second_id = (await make_user(session, 2, Role.admin)).id
    boss = await session.scalar(select(User).where(User.telegram_id == ADMIN_ID))
    boss.role = Role.seller
    await session.commit()
    reply = await admin.send("Sneaky")
    assert reply.texts == ["Not allowed."]
    reply = await admin.send("/promote 2 customer")
    assert reply.texts == ["Not allowed."]
    assert await session.scalar(select(func.count()).select_from(Category)) == 0
    session.expire_all()
    assert (await session.get(User, second_id)).role is Role.admin


async def test_broadcast_and_reviews_buttons_lead_somewhere(admin):
    await admin.send("/admin")
    reply = await admin.press("Broadcast")
    assert reply.text and reply.alert is None
    await admin.send("/admin")
    reply = await admin.press("Reviews")
    assert reply.text and reply.alert is None


async def test_audit_log_names_product_changes(admin, session):
    from keyboards.callback_seller import SellerProductAction, SellerProductCb

    seller = await make_user(session, 5, Role.seller, first_name="Ann")
    product = await make_product(session, await make_category(session), "Tea", seller=seller)
    await session.commit()
    for action in (SellerProductAction.hide, SellerProductAction.show):
        await admin.click(SellerProductCb(id=product.id, action=action))
    await admin.send("/admin")
    reply = await admin.press("Audit log")
    assert "product hidden, product #" in reply.text
    assert "product shown again, product #" in reply.text
    assert "product.hide" not in reply.text


async def test_audit_log_speaks_russian_for_product_changes(env, session):
    from services.products import ProductService

    boss = await make_user(session, ADMIN_ID, Role.admin, language="ru")
    seller = await make_user(session, 5, Role.seller)
    product = await make_product(session, await make_category(session), seller=seller)
    await ProductService(session).delete(boss, product.id)
    await session.commit()
    admin = env.user(ADMIN_ID, "Boss", language_code="ru")
    await admin.send("/admin")
    reply = await admin.press("Журнал")
    assert "товар удалён" in reply.text


async def test_audit_log_says_what_changed_in_the_admins_language(env, session):
    """Targets, fields and values in words, not the database's names ("is_active",
    "category #3", "customer → seller" in English on a Russian screen)."""
    from services.admin import AdminService
    from services.categories import CategoryService

    boss = await make_user(session, ADMIN_ID, Role.admin, language="ru")
    ann = await make_user(session, 5, first_name="Ann")
    category = await make_category(session, "Teas")
    await AdminService(session).set_role(boss, ann.id, Role.seller)
    await CategoryService(session).set_visible(boss, category.id, False)
    await session.commit()
    admin = env.user(ADMIN_ID, "Boss", language_code="ru")
    await admin.send("/admin")
    text = (await admin.press("Журнал")).text
    assert "роль: покупатель → продавец" in text
    assert f"категория №{category.id}" in text and "видимость: ✔ → ✖" in text
    assert "is_active" not in text and "customer" not in text


async def test_audit_listing_is_for_admins_only(session):
    from services.errors import NotAllowed

    boss = await make_user(session, ADMIN_ID, Role.admin)
    await AuditService(session).record(boss, "user.ban", "user", boss.id)
    seller = await make_user(session, 5, Role.seller)
    banned = await make_user(session, 6, Role.admin, is_banned=True)
    for actor in (seller, banned):
        with pytest.raises(NotAllowed):
            await AuditService(session).latest_with_people(actor)
    page = await AuditService(session).latest_with_people(boss)
    assert [e.action for e in page.entries] == ["user.ban"] and page.people == {boss.id: boss}
    assert page.older_than is None


async def test_a_banned_admin_is_refused_by_every_admin_service(session):
    from services.broadcast import BroadcastService
    from services.errors import NotAllowed
    from services.reviews import ReviewService

    banned = await make_user(session, 6, Role.admin, is_banned=True)
    refused = [
        ReviewService(session).moderated_item(banned, 1),
        ReviewService(session).set_visible(banned, 1, False),
        BroadcastService(session).save_draft(banned, "Hello", None),
        BroadcastService(session).stop(banned, 1),
        AuditService(session).latest_with_people(banned),
    ]
    for call in refused:
        with pytest.raises(NotAllowed):
            await call


LEAVE_FOR_THE_ADMIN_SIDE = {
    "/admin": lambda u: u.send("/admin"),
    "the menu's Admin panel": lambda u: u.click(MenuCb(action=MenuAction.admin)),
    "the panel's Back": lambda u: u.click(AdminCb(action=AdminAction.panel)),
    "/broadcast": lambda u: u.send("/broadcast"),
    "the panel's Broadcast": lambda u: u.click(BroadcastCb(action="new")),
    "/login": lambda u: u.send("/login"),
    "/promote": lambda u: u.send("/promote 5 seller"),
    "/reviews": lambda u: u.send("/reviews"),
}


@pytest.mark.parametrize("leave", LEAVE_FOR_THE_ADMIN_SIDE)
async def test_the_admin_side_takes_away_the_phone_steps_keyboard(admin, session, env, leave):
    """An admin shopping leaves checkout's phone step for the panel: the "Share my phone"
    keyboard goes, as when /start, /cancel or a menu button leaves it."""
    tea = await make_product(session, await make_category(session), "Tea")
    await make_user(session, 5)
    await session.commit()
    await admin.click(CartAddCb(product_id=tea.id))
    await admin.click(CartCb(action=CartAction.checkout))
    reply = await admin.send("Boss")
    assert isinstance(reply.of(SendMessage)[0].reply_markup, ReplyKeyboardMarkup)
    reply = await LEAVE_FOR_THE_ADMIN_SIDE[leave](admin)
    first = reply.of(SendMessage)[0]
    assert first.text == "Cancelled." and isinstance(first.reply_markup, ReplyKeyboardRemove)
    assert len(reply.texts) >= 2  # and the screen asked for
    context = env.dp.fsm.get_context(env.bot, chat_id=ADMIN_ID, user_id=ADMIN_ID)
    assert await context.get_state() != CheckoutStates.phone.state


def test_the_reply_keyboard_steps_are_the_dialogs_own():
    assert REPLY_KEYBOARD_STATES == {CheckoutStates.phone.state}


async def test_audit_log_values_are_words_dates_and_money(env, session):
    """A promo code's kind, a refund's way back, dates and amounts read as the admin
    reads them, in their language and the shop's currency; a refund of the whole order
    doesn't list its empty line and quantity."""
    boss = await make_user(session, ADMIN_ID, Role.admin, language="ru")
    audit = AuditService(session)
    before = {"kind": "percent", "expires_at": None}
    after = {"kind": "fixed", "expires_at": "2027-01-01T00:00:00"}
    await audit.record(boss, "promo.edit", "promo", 1, before, after)
    after = {"status": "refunded", "amount": "200.00", "line": None, "quantity": None}
    after["via"] = "manual"
    await audit.record(boss, "order.refund", "order", 7, {"status": "paid"}, after)
    await session.commit()
    admin = env.user(ADMIN_ID, "Boss", language_code="ru")
    await admin.send("/admin")
    text = (await admin.press("Журнал")).text
    assert (
        "процент → фиксированная сумма" in text and "— → 31 дек. 2026\u202fг., 23:59 UTC" in text
    )  # as the card
    assert "200,00\xa0₽" in text and "магазин, вручную" in text
    assert "percent" not in text and "manual" not in text and "T00:00:00" not in text
    assert "—;" not in text and not text.rstrip().endswith("—")


async def test_audit_log_names_categories_and_reads_discounts_and_photos(env, session):
    """A discount reads as −15% or as money even when only its value changed; a category
    by its name (a deleted one by its number, the top level as such; two of one name
    with their numbers); a photo as added, replaced or removed, never as a file id."""
    from decimal import Decimal

    from models import PromoCode, PromoKind
    from services.promo import PromoService

    boss = await make_user(session, ADMIN_ID, Role.admin)
    food = await make_category(session, "Food")
    session.add(promo := PromoCode(code="WINTER10", kind=PromoKind.percent, value=Decimal(10)))
    await session.flush()
    await PromoService(session).edit(boss, promo.id, {"value": Decimal(15)})
    audit = AuditService(session)
    await audit.record(
        boss, "promo.edit", "promo", 9, {"kind": "percent", "value": "10"}, {"kind": "fixed"}
    )
    await audit.record(
        boss, "product.update", "product", 3, {"category": food.id}, {"category": 987}
    )
    extras = [await make_category(session, "Extras", parent=p) for p in (food, None)]
    moved = {"category": extras[0].id}, {"category": extras[1].id}
    await audit.record(boss, "product.update", "product", 4, *moved)
    await audit.record(
        boss, "category.move", "category", food.id, {"parent_id": None}, {"parent_id": food.id}
    )
    await audit.record(boss, "product.update", "product", 3, {"photo": None}, {"photo": "AgAC-1"})
    await audit.record(
        boss, "product.update", "product", 3, {"photo": "AgAC-1"}, {"photo": "AgAC-2"}
    )
    await session.commit()
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/admin")
    text = (await admin.press("Audit log")).text
    assert "discount: −10% → −15%" in text
    assert "kind: percent → fixed amount" in text
    assert "category: Food → #987" in text
    assert f"category: Extras #{extras[0].id} → Extras #{extras[1].id}" in text
    assert "parent category: top level → Food" in text
    assert "photo: added" in text and "photo: replaced" in text and "AgAC" not in text
