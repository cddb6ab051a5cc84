"""Admin: finding users, their card, roles (/promote and buttons), bans."""

from datetime import UTC, datetime

import pytest
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import Chat, MessageOriginChannel, MessageOriginHiddenUser, MessageOriginUser
from aiogram.types import User as TgUserType
from sqlalchemy import select, update

from keyboards.callback_data import AdminUserAction, AdminUserCb, OrderAction
from models import AuditEntry, Product, Role, User
from services.admin import AdminService
from services.errors import InvalidInput, NotAllowed
from tests.conftest import ADMIN_ID, PG_URL
from tests.factories import make_category, make_product, make_user


async def row(session, telegram_id: int) -> User:
    session.expire_all()
    return await session.scalar(select(User).where(User.telegram_id == telegram_id))


def shown(reply, chat_id: int = ADMIN_ID) -> str:
    """The last text the bot sent or edited in this chat (the admin's, by default)."""
    texts = [
        c.text for c in reply.of(SendMessage, EditMessageText) if int(c.chat_id or 0) == chat_id
    ]
    return texts[-1] if texts else ""


async def audit(session) -> list[AuditEntry]:
    session.expire_all()
    return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


@pytest.fixture
async def admin(env):
    boss = env.user(ADMIN_ID, "Boss", username="boss")
    await boss.send("/start")
    return boss


@pytest.fixture
async def ann(env):
    ann = env.user(5, "Ann", username="Ann_Shop")
    await ann.send("/start")
    return ann


async def open_find(admin):
    await admin.send("/admin")
    return await admin.press("Users and roles")


async def test_find_by_id_username_and_forward(admin, ann, session):
    reply = await open_find(admin)
    assert "Telegram id or @username" in reply.text
    reply = await admin.send("5")
    assert "Ann" in reply.text and "Role: customer" in reply.text and "<code>5</code>" in reply.text
    await admin.press("Find another user")
    reply = await admin.send("@ann_shop")  # case does not matter
    assert "@Ann_Shop" in reply.text
    await admin.press("Find another user")
    origin = MessageOriginUser(
        date=datetime.now(UTC), sender_user=TgUserType(id=5, is_bot=False, first_name="Ann")
    )
    reply = await admin.send_message(text="hi from ann", forward_origin=origin)
    assert "Role: customer" in reply.text and "Ann" in reply.text


async def test_find_explains_what_went_wrong_and_asks_again(admin, ann):
    await open_find(admin)
    hidden = MessageOriginHiddenUser(date=datetime.now(UTC), sender_user_name="Ghost")
    reply = await admin.send_message(text="boo", forward_origin=hidden)
    assert "hides their account" in reply.text and "@username" in reply.text
    channel = MessageOriginChannel(
        date=datetime.now(UTC), chat=Chat(id=-100, type="channel", title="News"), message_id=1
    )
    reply = await admin.send_message(text="news", forward_origin=channel)
    assert "not forwarded from a person" in reply.text
    reply = await admin.send("777")
    assert "Nobody with this id" in reply.text
    reply = await admin.send("@nobody_here")
    assert "Nobody with this username" in reply.text
    reply = await admin.send_sticker()
    assert "not an id, a username" in reply.text and reply.has_button("Cancel")
    reply = await admin.send("5")  # still in the step
    assert "Role: customer" in reply.text


async def test_role_change_takes_effect_on_the_next_update(admin, ann, session):
    await open_find(admin)
    await admin.send("5")
    reply = await admin.press("Make seller")
    assert reply.alert == "Role: seller"
    assert "Role: seller" in shown(reply)
    [told] = [m for m in reply.of(SendMessage) if m.chat_id == 5]
    assert "You are now a seller" in told.text
    assert (await row(session, 5)).role is Role.seller
    # No restart, no cache: Ann's very next /start shows the seller button.
    reply = await ann.send("/start")
    assert reply.has_button("Seller panel") and not reply.has_button("Admin panel")
    await admin.press("Make admin")
    reply = await ann.send("/help")
    assert "/admin" in reply.text
    reply = await ann.send("/admin")
    assert "Admin panel" in reply.text
    await admin.press("Make customer")  # asked first
    await admin.press("Yes, make customer")
    reply = await ann.send("/admin")
    assert reply.text == "Not allowed."
    reply = await ann.send("/start")
    assert not reply.has_button("Seller panel")
    boss_id, ann_id = (await row(session, ADMIN_ID)).id, (await row(session, 5)).id
    entries = await audit(session)
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("user.role", {"role": "customer"}, {"role": "seller"}),
        ("user.role", {"role": "seller"}, {"role": "admin"}),
        ("user.role", {"role": "admin"}, {"role": "customer"}),
    ]
    assert {(e.actor_id, e.target_type, e.target_id) for e in entries} == {
        (boss_id, "user", ann_id)
    }


async def test_promote_command(admin, ann, session):
    reply = await admin.send("/promote @ann_shop seller")
    assert "Ann is now a seller." in shown(reply) and "Role: seller" in shown(reply)
    assert (await row(session, 5)).role is Role.seller
    reply = await admin.send("/promote 5 продавец")
    assert (await row(session, 5)).role is Role.seller
    reply = await admin.send("/promote 5 king")
    assert "Unknown role" in reply.text
    reply = await admin.send("/promote 5")
    assert "Usage" in reply.text
    reply = await admin.send("/promote 9999 admin")
    assert "Nobody with this id" in reply.text
    assert (await row(session, 5)).role is Role.seller
    assert len(await audit(session)) == 1


async def test_promote_in_russian(env, session, ann):
    boss = env.user(ADMIN_ID, "Босс", language_code="ru")
    await boss.send("/start")
    reply = await boss.send("/promote 5 admin")
    assert "теперь администратор" in shown(reply)
    reply = await boss.send("/promote 5 кто")
    assert "Неизвестная роль" in reply.text
    reply = await boss.send(f"/promote {ADMIN_ID} покупатель")  # Ann is admin now
    assert "Теперь вы покупатель." in reply.text


async def test_last_admin_cannot_be_removed(admin, session):
    reply = await admin.send("/promote @boss customer")
    assert "last admin" in reply.text
    assert (await row(session, ADMIN_ID)).role is Role.admin
    second = admin.env.user(7, "Second")
    await second.send("/start")
    await admin.send("/promote 7 admin")
    # Now there are two: one may step down, and the other is then the last.
    reply = await admin.send("/promote @boss seller")
    assert "You are now a seller." in reply.text and reply.has_button("Seller panel")
    assert not reply.has_button("Admin panel")
    reply = await second.send("/promote 7 customer")
    assert "last admin" in reply.text
    assert (await row(session, 7)).role is Role.admin


async def test_ban_notice_once_then_unban_resets_it(admin, ann, session):
    await admin.send("/promote 5 customer")  # opens Ann's card
    await admin.press("Ban")  # asked first
    reply = await admin.press("Yes, ban")
    assert "Banned" in reply.alert and "Status: banned" in reply.text
    assert reply.has_button("Unban")
    first = await ann.send("/start")
    assert first.texts == ["You are banned from this shop."]
    assert (await ann.send("/start")).calls == []
    reply = await admin.press("Unban")
    assert reply.alert == "Unbanned." and "Status: active" in reply.text
    ann_row = await row(session, 5)
    assert not ann_row.is_banned and not ann_row.ban_notified
    assert "Welcome" in (await ann.send("/start")).text
    await admin.press("Ban")  # asked first
    await admin.press("Yes, ban")
    # Banned again: they hear about it again, once.
    assert (await ann.send("/start")).texts == ["You are banned from this shop."]
    assert [e.action for e in await audit(session)] == ["user.ban", "user.unban", "user.ban"]


async def test_a_banned_user_is_not_told_of_a_new_role(admin, ann, session):
    await admin.send("/promote 5 customer")  # opens Ann's card
    await admin.press("Ban")  # asked first
    await admin.press("Yes, ban")
    reply = await admin.press("Make seller")
    assert reply.alert == "Role: seller\nThey are banned, so they were not told."
    assert not [m for m in reply.of(SendMessage) if m.chat_id == 5]
    reply = await admin.send("/promote 5 customer")
    assert "Ann is now a customer.\nThey are banned, so they were not told." in shown(reply)
    assert not [m for m in reply.of(SendMessage) if m.chat_id == 5]
    assert (await row(session, 5)).role is Role.customer
    await admin.press("Unban")
    reply = await admin.press("Make seller")  # unbanned: told again
    assert reply.alert == "Role: seller"
    [told] = [m for m in reply.of(SendMessage) if m.chat_id == 5]
    assert "You are now a seller" in told.text


async def test_admins_and_self_cannot_be_banned(admin, ann, session):
    boss_id = (await row(session, ADMIN_ID)).id
    reply = await admin.click(AdminUserCb(action=AdminUserAction.ban, id=boss_id))
    assert reply.alert == "You can't ban yourself."
    await admin.send("/promote 5 admin")
    assert (
        not admin.env.api.last_message(ADMIN_ID)
        .reply_markup.inline_keyboard[1][0]
        .text.endswith("Ban")
    )
    ann_id = (await row(session, 5)).id
    reply = await admin.click(AdminUserCb(action=AdminUserAction.ban, id=ann_id))
    assert "Admins can't be banned" in reply.alert
    assert not (await row(session, 5)).is_banned
    # Asking first refuses what the change would: no "Ban …?" that Yes then refuses.
    for who, said in ((boss_id, "You can't ban yourself."), (ann_id, "Admins can't be banned")):
        reply = await admin.click(AdminUserCb(action=AdminUserAction.ask, id=who))
        assert said in reply.alert and "?" not in (reply.text or "")


async def test_asking_to_step_down_speaks_to_you_and_the_last_admin_is_refused(admin, ann, session):
    boss = await row(session, ADMIN_ID)
    ask_self = AdminUserCb(action=AdminUserAction.ask, id=boss.id, role="customer")
    reply = await admin.click(ask_self)
    assert "last admin" in reply.alert  # at once, not after Yes
    await admin.send("/promote 5 admin")
    reply = await admin.click(ask_self)
    assert "Make yourself a customer?" in reply.text and "You will no longer" in reply.text
    # A forged ask for another role is no demotion to customer.
    reply = await admin.click(AdminUserCb(action=AdminUserAction.ask, id=boss.id, role="admin"))
    assert "Make yourself" not in (reply.text or "")
    assert (await row(session, ADMIN_ID)).role is Role.admin


async def test_user_card_counts_reviews_and_orders(admin, ann, session):
    from models import Review

    ann_id = (await row(session, 5)).id
    category = await make_category(session)
    product = await make_product(session, category)
    session.add(Review(user_id=ann_id, product_id=product.id, grade=5))
    await session.commit()
    reply = await admin.send("/promote 5 customer")
    assert "Orders: 0 · Reviews: 1" in reply.text
    assert "Registered: " in reply.text


async def test_service_refuses_non_admins(session):
    from tests.factories import make_user

    seller = await make_user(session, 1, Role.seller)
    target = await make_user(session, 2)
    service = AdminService(session)
    for call in (
        service.set_role(seller, target.id, Role.admin),
        service.ban(seller, target.id),
        service.unban(seller, target.id),
        service.find(seller, "2"),
        service.card(seller, target.id),
    ):
        with pytest.raises(NotAllowed):
            await call
    admin = await make_user(session, 3, Role.admin)
    with pytest.raises(InvalidInput):
        await service.find(admin, "not a name!")


async def test_new_role_is_announced_in_their_language_even_if_blocked(env, admin, session):
    ivan = env.user(6, "Иван", language_code="ru")
    await ivan.send("/start")
    reply = await admin.send("/promote 6 admin")
    [told] = [m for m in reply.of(SendMessage) if m.chat_id == 6]
    assert "администратор" in told.text
    assert "Панель администратора" in str(told.reply_markup)

    def blocked(method):
        if isinstance(method, SendMessage) and method.chat_id == 6:
            return TelegramForbiddenError(method=method, message="Forbidden: bot was blocked")
        return None

    env.api.hook = blocked
    reply = await admin.send("/promote 6 seller")
    assert "Иван is now a seller." in shown(reply)
    assert (await row(session, 6)).role is Role.seller
    assert (await row(session, 6)).is_active is False  # blocked: broadcasts skip him


@pytest.mark.skipif(not PG_URL, reason="row locks: PostgreSQL only")
async def test_two_admins_demoting_each_other_at_once_leave_one(pool, session):
    import asyncio

    from tests.factories import make_user

    x_id = (await make_user(session, 1, Role.admin)).id
    y_id = (await make_user(session, 2, Role.admin)).id
    await session.commit()

    async def demote(actor_id: int, target_id: int) -> str:
        async with pool() as s, s.begin():
            actor = await s.get(User, actor_id)
            try:
                await AdminService(s).set_role(actor, target_id, Role.customer)
            except (InvalidInput, NotAllowed) as exc:
                return type(exc).__name__
            await asyncio.sleep(0.2)  # hold the locks while the other one tries
            return "done"

    results = await asyncio.gather(demote(x_id, y_id), demote(y_id, x_id))
    assert sorted(results) in (["NotAllowed", "done"], ["InvalidInput", "done"])
    session.expire_all()
    roles = [(await session.get(User, i)).role for i in (x_id, y_id)]
    assert roles.count(Role.admin) == 1


async def test_other_commands_pass_through_the_find_step(admin):
    await open_find(admin)
    reply = await admin.send("/reviews")
    assert reply.text and "not an id" not in reply.text
    reply = await admin.send("/nonsense")
    assert "not an id" not in reply.text


# -- a banned or demoted seller's products go off sale --------------------------------------


@pytest.fixture
async def sellers_goods(env, session):
    """Ann sells two visible products (one deleted, one hidden); Bob's stay on sale."""
    from tests.factories import make_user

    ann = await make_user(session, 5, Role.seller, first_name="Ann")
    bob = await make_user(session, 8, Role.seller, first_name="Bob")
    tea = await make_category(session, "Tea")
    green = await make_product(session, tea, "Green", seller=ann)
    black = await make_product(session, tea, "Black", seller=ann)
    await make_product(session, tea, "Old", seller=ann, is_deleted=True)
    await make_product(session, tea, "Shelved", seller=ann, is_active=False)
    await make_product(session, tea, "Bobs", seller=bob)
    await session.commit()
    return {"tea": tea.id, "green": green.id, "black": black.id}


async def assert_off_sale(env, session, goods) -> None:
    from keyboards.callback_data import CartAddCb, CategoryCb, ProductCb
    from models import Category, Product

    buyer = env.user(9, "Buyer")
    await buyer.send("/start")
    reply = await buyer.click(ProductCb(id=goods["green"]))
    assert "no longer available" in reply.alert
    reply = await buyer.click(CartAddCb(product_id=goods["black"]))
    assert "no longer available" in reply.alert
    reply = await buyer.click(CategoryCb(id=goods["tea"]))
    assert "Bobs" in str(reply.buttons) and "Green" not in str(reply.buttons)
    session.expire_all()
    tea = await session.get(Category, goods["tea"])
    assert tea.product_count == 1  # only Bob's is listed
    on_sale = await session.scalars(
        select(Product.name).where(Product.is_active.is_(True), Product.is_deleted.is_(False))
    )
    assert list(on_sale) == ["Bobs"]


async def test_banning_a_seller_takes_their_products_off_sale(admin, session, sellers_goods):
    reply = await admin.send("/promote 5 seller")  # opens Ann's card
    await admin.press("Ban")  # asked first
    reply = await admin.press("Yes, ban")
    assert "Banned" in reply.alert and "products hidden from the catalog: 2" in reply.alert
    await assert_off_sale(admin.env, session, sellers_goods)
    [entry] = [e for e in await audit(session) if e.action == "user.ban"]
    assert entry.after == {"is_banned": True, "products_hidden": 2}
    # An unban doesn't put them back on sale: the seller decides that.
    await admin.press("Unban")
    await assert_off_sale(admin.env, session, sellers_goods)


async def test_a_ban_and_a_demotion_are_asked_first_saying_what_goes_off_sale(
    admin, session, sellers_goods
):
    """One stray tap banned a seller and hid their whole catalogue (an unban doesn't
    show it again). Now the card asks first, and Back leaves everything as it was."""
    await admin.send("/promote 5 seller")  # Ann's card
    for button, question in (("Ban", "Ban Ann?"), ("Make customer", "Make Ann a customer?")):
        reply = await admin.press(button)
        assert question in reply.text and "hidden from the catalog" in reply.text
        assert reply.text.rstrip().endswith(": 2.")  # Green and Black, not Old or Shelved
        reply = await admin.press("Back")
        assert "Status: active" in reply.text and "Role: seller" in reply.text
    ann = await session.scalar(select(User).where(User.telegram_id == 5))
    await session.refresh(ann)
    assert not ann.is_banned and ann.role is Role.seller
    on_sale = await session.scalars(
        select(Product.name).where(Product.is_active.is_(True), Product.is_deleted.is_(False))
    )
    assert sorted(on_sale) == ["Black", "Bobs", "Green"]
    assert await audit(session) == []
    # A customer with nothing on sale is asked too, without the products' line.
    await admin.send("/promote 8 customer")
    reply = await admin.press("Ban")
    assert "Ban Bob?" in reply.text and "hidden" not in reply.text


async def test_demoting_a_seller_to_customer_takes_their_products_off_sale(
    admin, session, sellers_goods
):
    reply = await admin.send("/promote 5 customer")
    assert "Ann is now a customer.\nTheir products hidden from the catalog: 2." in shown(reply)
    await assert_off_sale(admin.env, session, sellers_goods)
    [entry] = await audit(session)
    assert entry.after == {"role": "customer", "products_hidden": 2}
    # Made a seller again, nothing comes back by itself.
    reply = await admin.press("Make seller")
    assert reply.alert == "Role: seller"
    await assert_off_sale(admin.env, session, sellers_goods)


async def test_demoting_a_seller_by_button_says_what_was_hidden(admin, session, sellers_goods):
    await admin.send("/promote 8 seller")  # Bob's card, nothing changes
    await admin.press("Make customer")  # asked first
    reply = await admin.press("Yes, make customer")
    assert reply.alert == "Role: customer\nTheir products hidden from the catalog: 1."
    reply = await admin.press("Make admin")
    assert reply.alert == "Role: admin"


async def test_a_username_taken_over_reaches_its_new_owner(admin, env, session):
    """Telegram gave @ann to someone else; the old holder hasn't written since. The name
    is the new owner's: /promote @ann can't make the old holder an admin. A number too
    long for an id is not looked up as a username."""
    await env.user(6, "Old", username="ann").send("/start")
    await env.user(7, "New", username="Ann").send("/start")
    reply = await admin.send("/promote @ann seller")
    assert "✅ New is now a seller." in reply.texts[0]
    roles = dict((await session.execute(select(User.telegram_id, User.role))).all())
    assert (roles[6], roles[7]) == (Role.customer, Role.seller)
    # Two rows left holding one name from before: ask for the id instead of guessing.
    await session.execute(update(User).where(User.telegram_id == 6).values(username="ANN"))
    await session.commit()
    reply = await admin.send("/promote @ann admin")
    assert "send their Telegram id" in reply.text and len(reply.texts) == 1
    await open_find(admin)
    reply = await admin.send("12345678901234567890")
    assert "Send a Telegram id or an @username." in reply.text


async def test_a_ban_ends_the_dialog_and_an_inline_query_keeps_the_notice(admin, ann, env, session):
    """A seller banned mid-edit and unbanned later: their first message is not taken as
    the new name. An inline query can't carry the ban notice, so it is kept for the next
    message."""
    await admin.send("/promote 5 seller")
    await ann.send("/seller")
    await ann.press("Add product")  # a dialog: the category step
    await admin.press("Ban")  # asked first
    await admin.press("Yes, ban")
    reply = await ann.inline("tea")
    assert reply.texts == [] and not (await row(session, 5)).ban_notified
    assert (await ann.send("Tea")).texts == ["You are banned from this shop."]
    await admin.press("Unban")
    reply = await ann.send("Green tea")
    assert "step" not in reply.text and "didn't understand" in reply.text
    state = env.dp.fsm.get_context(env.bot, chat_id=5, user_id=5)
    assert await state.get_state() is None


async def test_promote_to_the_role_someone_has_says_nothing_changed(admin, ann, session):
    await admin.send("/promote @ann_shop seller")
    reply = await admin.send("/promote @ann_shop seller")
    assert "Ann already has this role: nothing changed." in reply.text
    assert "is now a seller" not in reply.text
    assert [e.action for e in await audit(session)] == ["user.role"]


async def test_a_seller_made_customer_leaves_their_orders_under_way_to_the_admins(env, session):
    """A cash order waited for Sam's confirmation; Sam was made a customer: his notice's
    button found nothing, and no admin had heard of the order. The admin who demotes him
    is told how many orders now wait for the admins, and the order's notices go to them."""
    from keyboards.callback_data import CartAddCb, OrderCb, OrderScope
    from tests.test_checkout import to_summary
    from tests.test_orders import sent_to

    await make_user(session, ADMIN_ID, Role.admin)
    sam = await make_user(session, 10, Role.seller, first_name="Sam")
    bob = await make_user(session, 11, Role.seller, first_name="Bob")
    cake = await make_product(session, await make_category(session), "Cake", seller=sam)
    tea = await make_product(session, await make_category(session), "Tea", seller=bob)
    await session.commit()
    cake_id, tea_id = cake.id, tea.id
    ann, bea = env.user(1), env.user(2)
    await ann.click(CartAddCb(product_id=cake_id))
    await to_summary(ann)
    reply = await ann.press("Confirm")
    assert sent_to(reply, 10) and not sent_to(reply, ADMIN_ID)  # Sam's alone to confirm
    # An order of Sam's and Bob's goods was the admins' to move already: not counted.
    await bea.click(CartAddCb(product_id=cake_id))
    await bea.click(CartAddCb(product_id=tea_id))
    await to_summary(bea)
    assert sent_to(await bea.press("Confirm"), ADMIN_ID)
    boss = env.user(ADMIN_ID)
    reply = await boss.send("/promote 10 customer")
    [done] = sent_to(reply, ADMIN_ID)
    assert "Their orders under way now wait for the admins: 1." in done.text
    # The owner's shell counts them the same way.
    await boss.send("/promote 10 seller")
    session.expire_all()
    change = await AdminService(session).owner_set_role(await row(session, 10), Role.customer)
    assert change.open_orders == 1
    await session.commit()
    # A banned seller's orders went to the admins with the ban: a demotion after it
    # doesn't count them again.
    await boss.send("/promote 10 seller")
    await boss.press("Ban")
    reply = await boss.press("Yes, ban")
    assert "now wait for the admins: 1." in reply.alert
    reply = await boss.send("/promote 10 customer")
    [done] = sent_to(reply, ADMIN_ID)
    assert "Sam is now a customer." in done.text and "wait for the admins" not in done.text
    # From now on the order's notices reach the admins, who can move it.
    reply = await ann.click(OrderCb(id=1, action=OrderAction.cancel_yes, scope=OrderScope.mine))
    assert sent_to(reply, ADMIN_ID) and not sent_to(reply, 10)
