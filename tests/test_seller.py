"""The seller panel and the add/edit product dialog, driven through the bot."""

from decimal import Decimal

import pytest
from aiogram.methods import SendPhoto
from sqlalchemy import func, select

from keyboards.callback_seller import (
    SellerAction,
    SellerCategoryCb,
    SellerCb,
    SellerProductCb,
    SellerStepAction,
    SellerStepCb,
)
from models import Category, Product, Role, User
from tests.conftest import ADMIN_ID
from tests.factories import make_category, make_product, make_user

SELLER = 10
OTHER = 11
CUSTOMER = 12


@pytest.fixture
async def shop(session):
    seller = await make_user(session, SELLER, Role.seller)
    other = await make_user(session, OTHER, Role.seller)
    await make_user(session, CUSTOMER)
    drinks = await make_category(session, "Напитки", position=1)
    tea = await make_category(session, "Чай", parent=drinks)
    food = await make_category(session, "Food & more", position=2)
    await session.commit()
    # Ids, not rows: tests expire the session to see what the bot wrote.
    return {
        "seller": seller.id,
        "other": other.id,
        "drinks": drinks.id,
        "tea": tea.id,
        "food": food.id,
    }


async def add_product(session, category_id, seller_id, name="", **fields):
    category = await session.get(Category, category_id)
    seller = await session.get(User, seller_id)
    return (await make_product(session, category, name, seller=seller, **fields)).id


async def products(session):
    session.expire_all()
    return (await session.scalars(select(Product).order_by(Product.id))).all()


async def state_of(env, user_id):
    from aiogram.fsm.storage.base import StorageKey

    key = StorageKey(bot_id=env.bot.id, chat_id=user_id, user_id=user_id)
    return await env.dp.storage.get_state(key)


async def to_name_step(u):
    await u.send("/seller")
    await u.press("Add product")
    return await u.press("Food")


async def publish(u, name: str, description: str) -> None:
    """The add dialog, start to Publish: `name` and `description` as sent, the rest
    plain (100, 3 in stock, no photo)."""
    await to_name_step(u)
    await u.send(name)
    await u.send(description)
    await u.send("100")
    await u.send("3")
    await u.press("Skip")
    await u.press("Publish")


async def fill_draft(u, name="Зелёный чай", photo=True):
    await to_name_step(u)
    await u.send(name)
    await u.send("Свежий урожай")
    await u.send("1 299,50")
    await u.send("5")
    return await (u.send_photo("photo-1") if photo else u.press("Skip"))


# -- the panel and roles -----------------------------------------------------------------


async def test_seller_panel_from_command_and_menu(env, shop):
    u = env.user(SELLER)
    reply = await u.send("/seller")
    assert "Seller panel" in reply.text
    assert reply.has_button("My products") and reply.has_button("Add product")
    await u.send("/start")
    reply = await u.press("Seller panel")
    assert "Seller panel" in reply.text


async def test_customers_are_not_allowed_anywhere_in_the_panel(env, shop, session):
    from keyboards.callback_data import MenuAction, MenuCb
    from keyboards.callback_seller import (
        SellerAction,
        SellerCb,
        SellerProductAction,
        SellerProductCb,
    )

    product_id = await add_product(session, shop["tea"], shop["seller"])
    await session.commit()
    u = env.user(CUSTOMER)
    reply = await u.send("/seller")
    assert reply.text == "Not allowed."
    assert not (await u.send("/start")).has_button("Seller panel")
    for data in (
        MenuCb(action=MenuAction.seller),
        SellerCb(action=SellerAction.add),
        SellerCb(action=SellerAction.products),
        SellerProductCb(id=product_id, action=SellerProductAction.delete_ok),
    ):
        reply = await u.click(data)
        assert reply.alert == "Not allowed."
    assert not (await products(session))[0].is_deleted


async def test_admin_has_the_panel_too(env, shop):
    await env.user(ADMIN_ID).send("/start")
    reply = await env.user(ADMIN_ID).send("/seller")
    assert "Seller panel" in reply.text


# -- the add dialog ------------------------------------------------------------------------


async def test_whole_add_dialog_publishes_the_product(env, shop, session):
    u = env.user(SELLER)
    await u.send("/seller")
    reply = await u.press("Add product")
    assert "step 1 of 6" in reply.text
    assert reply.has_button("Напитки") and reply.has_button("Food") and not reply.has_button("Чай")
    reply = await u.press("Напитки")  # has a subcategory: the level opens
    assert reply.has_button("Чай") and reply.has_button("Put it here")
    reply = await u.press("Чай")  # a leaf: picked
    assert "step 2 of 6" in reply.text
    reply = await u.send("  Зелёный чай ")
    assert "step 3 of 6" in reply.text and reply.has_button("Skip")
    reply = await u.send("Свежий <урожай> & весна")
    assert "step 4 of 6" in reply.text and "RUB" in reply.text
    reply = await u.send("1 299,50 ₽")
    assert "step 5 of 6" in reply.text
    reply = await u.send("5")
    assert "step 6 of 6" in reply.text
    reply = await u.send_photo("photo-1")
    [sent] = reply.of(SendPhoto)
    assert sent.photo == "photo-1"
    assert "Зелёный чай" in sent.caption and "1,299.50" in sent.caption
    assert "&lt;урожай&gt; &amp; весна" in sent.caption
    assert reply.has_button("Publish") and reply.has_button("Edit a field")
    assert await products(session) == []
    reply = await u.press("Publish")
    assert "Published" in reply.text
    [product] = await products(session)
    assert (product.name, product.slug, product.description) == (
        "Зелёный чай",
        "zelenyi-chai",
        "Свежий <урожай> & весна",
    )
    assert (product.price, product.stock, product.photo_file_id) == (
        Decimal("1299.50"),
        5,
        "photo-1",
    )
    assert (product.category_id, product.seller_id) == (shop["tea"], shop["seller"])
    assert product.is_active and not product.is_deleted
    assert await state_of(env, SELLER) is None


async def test_put_it_here_places_a_product_in_a_parent_category(env, shop, session):
    u = env.user(SELLER)
    await u.send("/seller")
    await u.press("Add product")
    await u.press("Напитки")
    reply = await u.press("Put it here")
    assert "step 2 of 6" in reply.text
    await u.send("Вода")
    await u.press("Skip")
    await u.send("50")
    await u.send("0")
    reply = await u.press("Skip")
    assert reply.of(SendPhoto) == [] and "Preview" in reply.text
    await u.press("Publish")
    [product] = await products(session)
    assert (product.category_id, product.description, product.photo_file_id, product.stock) == (
        shop["drinks"],
        "",
        None,
        0,
    )


async def test_same_names_get_numbered_slugs(env, shop, session):
    u = env.user(SELLER)
    for _ in range(3):
        await fill_draft(u, name="Чай")
        await u.press("Publish")
    assert [p.slug for p in await products(session)] == ["chai", "chai-2", "chai-3"]


@pytest.mark.parametrize(
    ("step_input", "bad", "reason"),
    [
        (0, "x" * 101, "too long"),
        (1, "d" * 1001, "too long"),
        (2, "0", "greater than zero"),
        (2, "-10", "greater than zero"),
        (2, "дорого", "as a number"),
        (2, "12.345", "two digits"),
        (2, "100000000", "more than"),
        (3, "1.5", "whole number"),
        (3, "-1", "negative"),
        (3, "abc", "whole number"),
        (3, "2000000", "more than"),
    ],
)
async def test_each_rule_repeats_the_step_with_a_reason(env, shop, step_input, bad, reason):
    good = ["Чай", "Описание", "100", "3"]
    u = env.user(SELLER)
    await to_name_step(u)
    for value in good[:step_input]:
        await u.send(value)
    before = await state_of(env, SELLER)
    reply = await u.send(bad)
    assert reason in reply.text
    assert f"step {step_input + 2} of 6" in reply.text
    assert await state_of(env, SELLER) == before
    reply = await u.send(good[step_input])
    assert f"step {step_input + 3} of 6" in reply.text


async def test_a_price_in_yen_has_no_cents(make_env, settings, shop, session):
    """JPY has no minor unit: a price of 999.50 would show as ¥1,000 while two cost
    ¥1,999. The prompt's example follows the currency, and cents are refused."""
    u = make_env(settings.model_copy(update={"currency": "JPY"})).user(SELLER)
    await to_name_step(u)
    await u.send("Matcha")
    reply = await u.send("Stone-ground")
    assert "Send the price in JPY, a whole number, for example 1299." in reply.text
    assert "1 299,50" not in reply.text
    before = await state_of(u.env, SELLER)
    reply = await u.send("999.50")
    assert "Prices in JPY are whole numbers" in reply.text and "step 4 of 6" in reply.text
    assert await state_of(u.env, SELLER) == before
    assert "step 5 of 6" in (await u.send("1 000,00")).text  # zero cents are fine
    await u.send("3")
    await u.press("Skip")
    await u.press("Publish")
    [product] = await products(session)
    assert product.price == Decimal(1000)


async def test_wrong_content_types_get_a_clear_message(env, shop):
    u = env.user(SELLER)
    await u.send("/seller")
    await u.press("Add product")
    reply = await u.send("Food")
    assert "choose a category with the buttons" in reply.text
    await u.press("Food")
    reply = await u.send_sticker()
    assert "send text" in reply.text and "step 2 of 6" in reply.text
    await u.send("Чай")
    await u.send("Описание")
    reply = await u.send_photo()
    assert "send text" in reply.text and "step 4 of 6" in reply.text
    await u.send("100")
    await u.send("1")
    reply = await u.send("a photo")
    assert "send a photo" in reply.text and "step 6 of 6" in reply.text
    reply = await u.send_sticker()
    assert "send a photo" in reply.text
    reply = await u.send_photo("p")
    assert "Preview" in reply.text
    reply = await u.send("publish!")
    assert "buttons under the preview" in reply.texts[0]
    assert reply.has_button("Publish")


async def test_back_walks_to_the_previous_steps(env, shop):
    u = env.user(SELLER)
    await fill_draft(u)
    expected = ["step 6 of 6", "step 5 of 6", "step 4 of 6", "step 3 of 6", "step 2 of 6"]
    for text in expected:
        reply = await u.press("Back")
        assert text in reply.text
    reply = await u.press("Back")
    assert "step 1 of 6" in reply.text
    await u.press("Напитки")
    reply = await u.press("Back")  # up one level of the tree
    assert reply.has_button("Напитки") and not reply.has_button("Put it here")
    reply = await u.press("Back")  # before the first step: the panel
    assert "Seller panel" in reply.text
    assert await state_of(env, SELLER) is None


async def test_back_keeps_what_was_typed(env, shop, session):
    u = env.user(SELLER)
    await to_name_step(u)
    await u.send("Первое")
    await u.press("Back")
    await u.send("Второе")
    await u.send("Описание")
    await u.send("10")
    await u.send("1")
    await u.press("Skip")
    await u.press("Publish")
    [product] = await products(session)
    assert (product.name, product.description) == ("Второе", "Описание")


@pytest.mark.parametrize("how", ["button", "command"])
async def test_cancel_leaves_the_dialog_without_a_product(env, shop, session, how):
    u = env.user(SELLER)
    await to_name_step(u)
    await u.send("Чай")
    reply = await (u.press("Cancel") if how == "button" else u.send("/cancel"))
    assert "Cancelled" in reply.text
    assert await state_of(env, SELLER) is None
    reply = await u.send("100")
    assert "didn't understand" in reply.text
    assert await products(session) == []


async def test_dialog_survives_a_restart(make_env, settings, shop, session):
    first = make_env(settings)
    u = first.user(SELLER)
    await to_name_step(u)
    await u.send("Чай")
    await u.send("Описание")
    restarted = make_env(settings)
    u = restarted.user(SELLER)
    reply = await u.send("250")
    assert "step 5 of 6" in reply.text
    await u.send("4")
    reply = await u.send_photo("ph")
    assert reply.has_button("Publish")
    await u.press("Publish")
    [product] = await products(session)
    assert (product.name, product.price, product.stock) == ("Чай", Decimal(250), 4)


async def test_preview_edit_a_field_returns_to_the_preview(env, shop, session):
    u = env.user(SELLER)
    await fill_draft(u)
    reply = await u.press("Edit a field")
    assert reply.has_button("Price") and reply.has_button("Photo")
    reply = await u.press("Price")
    assert "Change: Price" in reply.text and "1,299.50" in reply.text
    assert "📦" not in reply.text  # a draft's own preview is on screen just before
    reply = await u.send("0")
    assert "greater than zero" in reply.text
    reply = await u.send("99")
    assert "Preview" in reply.text and "99.00" in reply.text
    await u.press("Edit a field")
    reply = await u.press("Photo")
    reply = await u.press("No photo")
    assert "Preview" in reply.text and reply.of(SendPhoto) == []
    await u.press("Edit a field")
    await u.press("Category")
    reply = await u.press("Напитки")
    reply = await u.press("Чай")
    assert "Preview" in reply.text and "Чай" in reply.text
    await u.press("Edit a field")
    await u.press("Name")
    reply = await u.press("Back")  # back from a field picked in preview: the preview
    assert "Preview" in reply.text
    await u.press("Publish")
    [product] = await products(session)
    assert (product.price, product.photo_file_id, product.category_id) == (
        Decimal(99),
        None,
        shop["tea"],
    )


# -- my products, edit, hide, delete --------------------------------------------------------


async def test_my_products_are_paged_with_price_stock_and_status(env, shop, session, settings):
    seller = shop["seller"]
    for i in range(settings.page_size + 2):
        await add_product(
            session, shop["food"], seller, f"P{i}", price="10", stock=i, is_active=i != 0
        )
    await add_product(session, shop["food"], shop["other"], "Someone else's")
    await session.commit()
    u = env.user(SELLER)
    await u.send("/seller")
    reply = await u.press("My products")
    assert f"P{settings.page_size + 1}" in reply.text and "P0" not in reply.text
    assert "10.00" in reply.text and "visible" in reply.text
    assert "Someone else" not in reply.text
    assert reply.buttons[settings.page_size : settings.page_size + 2] == ["1/2", "▶"]
    reply = await u.press("▶")
    assert "P0" in reply.text and "hidden" in reply.text and "0 in stock" in reply.text
    assert reply.has_button("◀") and reply.has_button("2/2") and not reply.has_button("▶")
    # A page past the end (a stale or forged button) is the last page, labelled so.
    await u.press("◀")
    reply = await u.click(SellerCb(action=SellerAction.products, page=999))
    assert "P0" in reply.text and reply.has_button("2/2") and not reply.has_button("▶")


async def test_empty_list_invites_to_add(env, shop):
    u = env.user(SELLER)
    await u.send("/seller")
    reply = await u.press("My products")
    assert "no products yet" in reply.text and reply.has_button("Add product")


@pytest.mark.parametrize(
    ("label", "typed", "column", "expected"),
    [
        ("Name", "Новое имя", "name", "Новое имя"),
        ("Description", "Новое описание", "description", "Новое описание"),
        ("Price", "1 000", "price", Decimal(1000)),
        ("Stock", "0", "stock", 0),
    ],
)
async def test_edit_each_text_field_of_a_saved_product(
    env, shop, session, label, typed, column, expected
):
    product_id = await add_product(session, shop["food"], shop["seller"], "Старое")
    await session.commit()
    u = env.user(SELLER)
    await u.send("/seller")
    await u.press("My products")
    await u.press("Старое")
    await u.press("Edit")
    reply = await u.press(label)
    assert f"Change: {label}" in reply.text and "Now:" in reply.text
    assert "📦 Старое" in reply.text  # which product, among ones alike
    if column in ("price", "stock"):
        reply = await u.send("-5")
        assert "Change:" in reply.text  # the same step again
    reply = await u.send(typed)
    assert "Saved." in reply.text
    session.expire_all()
    assert getattr(await session.get(Product, product_id), column) == expected
    assert await state_of(env, SELLER) is None


async def test_edit_category_photo_and_clear_description(env, shop, session):
    product_id = await add_product(
        session, shop["food"], shop["seller"], "Товар", description="old"
    )
    await session.commit()
    u = env.user(SELLER)
    await u.send("/seller")
    await u.press("My products")
    await u.press("Товар")
    await u.press("Edit")
    await u.press("Category")
    await u.press("Напитки")
    reply = await u.press("Put it here")
    assert "Saved." in reply.text and "Напитки" in reply.text
    await u.press("Edit")
    await u.press("Photo")
    reply = await u.send_photo("new-photo")
    assert reply.of(SendPhoto)[0].photo == "new-photo"
    await u.press("Edit")
    await u.press("Description")
    await u.press("No description")
    session.expire_all()
    row = await session.get(Product, product_id)
    assert (row.category_id, row.photo_file_id, row.description) == (
        shop["drinks"],
        "new-photo",
        "",
    )


async def test_back_from_editing_a_saved_field_returns_to_the_product(env, shop, session):
    await add_product(session, shop["food"], shop["seller"], "Товар", price="5")
    await session.commit()
    u = env.user(SELLER)
    await u.send("/seller")
    await u.press("My products")
    await u.press("Товар")
    await u.press("Edit")
    await u.press("Price")
    reply = await u.press("Back")
    assert "Товар" in reply.text and reply.has_button("Delete")
    assert await state_of(env, SELLER) is None


async def test_hide_show_and_delete(env, shop, session):
    product_id = await add_product(session, shop["food"], shop["seller"], "Товар")
    await session.commit()
    u = env.user(SELLER)
    await u.send("/seller")
    await u.press("My products")
    await u.press("Товар")
    reply = await u.press("Hide")
    assert "hidden from the catalog" in reply.alert and reply.has_button("Show")
    assert not (await products(session))[0].is_active
    reply = await u.press("Show")
    assert "back in the catalog" in reply.alert and reply.has_button("Hide")
    assert (await products(session))[0].is_active
    reply = await u.press("Delete")
    assert "Delete" in reply.text and reply.has_button("Yes, delete")
    assert not (await products(session))[0].is_deleted
    reply = await u.press("Yes, delete")
    assert "deleted" in reply.alert and "no products yet" in reply.text
    [row] = await products(session)
    assert row.id == product_id and row.is_deleted


async def test_forged_buttons_for_another_sellers_product_change_nothing(env, shop, session):
    from keyboards.callback_seller import SellerFieldCb, SellerProductAction, SellerProductCb

    product_id = await add_product(session, shop["food"], shop["other"], "Чужой", price="7")
    await session.commit()
    u = env.user(SELLER)
    await u.send("/start")
    for action in SellerProductAction:
        reply = await u.click(SellerProductCb(id=product_id, action=action))
        assert reply.alert == "Not allowed.", action
    reply = await u.click(SellerFieldCb(field="price", product_id=product_id))
    assert reply.alert == "Not allowed."
    assert await state_of(env, SELLER) is None
    [row] = await products(session)
    assert (row.price, row.is_active, row.is_deleted) == (Decimal(7), True, False)


async def test_a_refused_product_button_leaves_the_draft_where_it_was(env, shop, session):
    """Mid-draft, a button of another seller's product (or a forged one) is refused, and
    the draft's step is still the one that answers the next message."""
    from keyboards.callback_seller import SellerProductCb

    product_id = await add_product(session, shop["food"], shop["other"], "Чужой", price="7")
    await session.commit()
    u = env.user(SELLER)
    await to_name_step(u)
    reply = await u.click(SellerProductCb(id=product_id))
    assert reply.alert == "Not allowed."
    reply = await u.send("Green tea")
    assert "step 3 of 6" in reply.text


async def test_deleting_one_product_keeps_the_draft_of_another(env, shop, session):
    """Only an edit of the deleted product ends: a new product's draft goes on."""
    from keyboards.callback_seller import SellerProductAction, SellerProductCb

    old = await add_product(session, shop["food"], shop["seller"], "Old thing", price="7")
    await session.commit()
    u = env.user(SELLER)
    await to_name_step(u)
    await u.send("New thing")
    delete = SellerProductCb(id=old, action=SellerProductAction.delete_ok, page=1)
    reply = await u.click(delete, env.api.old_message(SELLER))
    assert reply.alert == "The product is deleted."
    reply = await u.send("A description")
    assert "step 4 of 6" in reply.text


async def test_admin_edits_any_product(env, shop, session):
    from keyboards.callback_seller import SellerFieldCb

    product_id = await add_product(session, shop["food"], shop["seller"], "Чужой")
    await session.commit()
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    await admin.click(SellerFieldCb(field="name", product_id=product_id))
    reply = await admin.send("Исправлено админом")
    assert "Saved." in reply.text
    [row] = await products(session)
    assert (row.name, row.seller_id) == ("Исправлено админом", shop["seller"])


async def test_a_seller_demoted_mid_dialog_is_stopped(env, shop, session):
    u = env.user(SELLER)
    await to_name_step(u)
    seller = await session.get(User, shop["seller"])
    seller.role = Role.customer
    await session.commit()
    reply = await u.send("Чай")
    assert reply.text == "Not allowed."
    assert await session.scalar(select(func.count()).select_from(Product)) == 0


# -- what customers see ---------------------------------------------------------------------


async def test_preview_is_the_customers_card(env, shop, session):
    from keyboards.callback_data import ProductCb

    u = env.user(SELLER)
    preview = await fill_draft(u)
    preview_caption = preview.of(SendPhoto)[0].caption
    await u.press("Publish")
    [product] = await products(session)
    card = await env.user(CUSTOMER).click(ProductCb(id=product.id))
    shown = card.texts[-1]
    assert preview_caption.endswith(shown)
    assert "Preview" in preview_caption and "Preview" not in shown


async def test_a_long_description_still_fits_the_photo_caption(env, shop, session):
    u = env.user(SELLER)
    await to_name_step(u)
    await u.send("N" * 100)
    await u.send("Д" * 1000)
    await u.send("10")
    await u.send("1")
    reply = await u.send_photo("ph")  # the fake API refuses captions over 1024
    assert reply.has_button("Publish")
    await u.press("Publish")
    [product] = await products(session)
    assert len(product.description) == 1000


async def test_edits_hide_and_delete_show_in_the_catalog_at_once(env, shop, session):
    from keyboards.callback_data import ProductCb

    product_id = await add_product(session, shop["food"], shop["seller"], "Товар", price="10")
    await session.commit()
    customer = env.user(CUSTOMER)
    u = env.user(SELLER)
    await u.send("/seller")
    await u.press("My products")
    await u.press("Товар")
    await u.press("Edit")
    await u.press("Price")
    await u.send("777")
    assert "777.00" in (await customer.click(ProductCb(id=product_id))).text
    await u.press("Hide")
    hidden = await customer.click(ProductCb(id=product_id))
    assert "no longer available" in hidden.alert
    await u.press("Show")
    assert "Товар" in (await customer.click(ProductCb(id=product_id))).text
    await u.press("Delete")
    await u.press("Yes, delete")
    gone = await customer.click(ProductCb(id=product_id))
    assert "no longer available" in gone.alert


async def test_the_dialog_speaks_russian(env, shop, session):
    seller = await session.get(User, shop["seller"])
    seller.language = "ru"
    await session.commit()
    u = env.user(SELLER, language_code="ru")
    reply = await u.send("/seller")
    assert "Панель продавца" in reply.text
    await u.press("Добавить товар")
    reply = await u.press("Food")
    assert "шаг 2 из 6" in reply.text
    await u.send("Чай")
    await u.press("Пропустить")
    reply = await u.send("0")
    assert "Цена должна быть больше нуля." in reply.text
    reply = await u.send("100000000")
    assert "не может быть больше 10 000 000" in reply.text


def dialog_of(u) -> int:
    """The number of the dialog whose step the seller sees (from its Back button)."""
    return SellerStepCb.unpack(u.find_button("Back")).dialog


async def test_a_category_hidden_meanwhile_is_asked_again(env, shop, session):
    u = env.user(SELLER)
    await fill_draft(u, photo=False)
    food = await session.get(Category, shop["food"])
    food.is_active = False
    await session.commit()
    reply = await u.press("Publish")
    assert "no longer available" in reply.alert
    back_to_preview = SellerStepCb(
        action=SellerStepAction.preview, at="preview", dialog=dialog_of(u)
    )
    reply = await u.click(back_to_preview)  # from the preview's "Edit a field"
    assert "no longer available" in reply.text and "Choose a category" in reply.text
    assert not reply.has_button("Food")
    await u.press("Напитки")
    reply = await u.press("Put it here")
    assert reply.has_button("Publish")
    await u.press("Publish")
    [product] = await products(session)
    assert product.category_id == shop["drinks"]


async def test_editing_a_saved_field_survives_a_restart(make_env, settings, shop, session):
    product_id = await add_product(session, shop["food"], shop["seller"], "Товар", stock=1)
    await session.commit()
    u = make_env(settings).user(SELLER)
    await u.send("/seller")
    await u.press("My products")
    await u.press("Товар")
    await u.press("Edit")
    await u.press("Stock")
    reply = await make_env(settings).user(SELLER).send("42")
    assert "Saved." in reply.text
    session.expire_all()
    assert (await session.get(Product, product_id)).stock == 42


async def test_publish_pressed_twice_makes_one_product(env, shop, session):
    u = env.user(SELLER)
    await fill_draft(u, photo=False)
    preview = u.last_bot_message
    await u.press("Publish")
    reply = await u.click(SellerStepCb(action=SellerStepAction.publish), preview)
    assert "out of date" in reply.alert
    assert len(await products(session)) == 1


# -- a product that goes away mid-edit ------------------------------------------------------


async def open_edit(u, name, field):
    await u.send("/seller")
    await u.press("My products")
    await u.press(name)
    await u.press("Edit")
    return await u.press(field)


async def delete_behind_their_back(session, product_id, **changes):
    session.expire_all()
    row = await session.get(Product, product_id)
    for key, value in (changes or {"is_deleted": True}).items():
        setattr(row, key, value)
    await session.commit()


GONE = "deleted or is no longer yours"


@pytest.mark.parametrize("lost", ["deleted", "given away"])
async def test_a_product_gone_mid_edit_ends_the_dialog_on_my_products(env, shop, session, lost):
    product_id = await add_product(session, shop["food"], shop["seller"], "Товар", price="5")
    await add_product(session, shop["food"], shop["seller"], "Другой")
    await session.commit()
    u = env.user(SELLER)
    await open_edit(u, "Товар", "Price")
    changes = {"is_deleted": True} if lost == "deleted" else {"seller_id": shop["other"]}
    await delete_behind_their_back(session, product_id, **changes)
    reply = await u.send("10")
    assert GONE in reply.text and "My products" in reply.text and "Другой" in reply.text
    assert await state_of(env, SELLER) is None
    assert (await session.get(Product, product_id)).price == Decimal(5)
    # The next message is an ordinary one again, not a dialog step.
    reply = await u.send("10")
    assert GONE not in reply.text and "no longer available" not in reply.text


async def test_a_product_gone_mid_edit_ends_wrong_input_back_and_skip(env, shop, session):
    product_id = await add_product(session, shop["food"], shop["seller"], "Товар")
    await session.commit()
    u = env.user(SELLER)
    await open_edit(u, "Товар", "Description")
    await delete_behind_their_back(session, product_id)
    reply = await u.send_sticker()  # wrong input asks the step again: the product is gone
    assert GONE in reply.text and await state_of(env, SELLER) is None

    await delete_behind_their_back(session, product_id, is_deleted=False)
    await open_edit(u, "Товар", "Description")
    await delete_behind_their_back(session, product_id)
    reply = await u.press("Back")
    assert GONE in reply.text and await state_of(env, SELLER) is None

    await delete_behind_their_back(session, product_id, is_deleted=False)
    await open_edit(u, "Товар", "Description")
    await delete_behind_their_back(session, product_id)
    reply = await u.press("No description")
    assert GONE in reply.text and await state_of(env, SELLER) is None


async def test_deleting_the_product_being_edited_ends_the_edit(env, shop, session):
    from keyboards.callback_seller import SellerProductAction, SellerProductCb

    product_id = await add_product(session, shop["food"], shop["seller"], "Товар")
    await session.commit()
    u = env.user(SELLER)
    await open_edit(u, "Товар", "Name")
    reply = await u.click(SellerProductCb(id=product_id, action=SellerProductAction.delete_ok))
    assert "deleted" in reply.alert
    assert await state_of(env, SELLER) is None


async def test_the_manage_screen_keeps_its_photo_with_long_everything(env, shop, session):
    from aiogram.methods import EditMessageMedia, SendMessage

    parent = await session.get(Category, shop["food"])
    for depth in range(6):  # a deep path of long names
        parent = await make_category(session, f"{depth}" + "К" * 99, parent=parent)
    deepest = parent.name
    await add_product(
        session,
        parent.id,
        shop["seller"],
        "<&>" * 33,
        description="Д<" * 500,
        photo_file_id="ph",
    )
    await session.commit()
    u = env.user(SELLER)
    await u.send("/seller")
    await u.press("My products")
    reply = await u.press("<&>")
    [shown] = reply.of(SendPhoto)  # the list was text: the photo comes as a new message
    assert not reply.of(SendMessage)
    assert "&lt;&amp;&gt;" in shown.caption and deepest in shown.caption
    assert "Д&lt;Д" in shown.caption  # the description is cut, not dropped
    await u.press("Edit")
    await u.press("Stock")
    reply = await u.send("3")  # with the "Saved." note on top
    [shown] = reply.of(SendPhoto)
    assert "Saved." in shown.caption and "In stock: 3" in shown.caption
    reply = await u.press("Hide")
    [edited] = reply.of(EditMessageMedia)
    assert "hidden" in edited.media.caption and deepest in edited.media.caption


async def test_a_forged_pick_under_a_hidden_category_is_refused(env, shop, session):
    from keyboards.callback_seller import SellerCategoryCb

    drinks = await session.get(Category, shop["drinks"])
    drinks.is_active = False
    await session.commit()
    u = env.user(SELLER)
    await u.send("/seller")
    reply = await u.press("Add product")
    assert not reply.has_button("Напитки")
    for pick in (True, False):
        await u.click(SellerCategoryCb(id=shop["tea"], pick=pick, dialog=dialog_of(u)))
        assert "This category is no longer available." in u.shown_text  # the top level again
        assert "Food & more" in " ".join(u.shown_buttons) and "Напитки" not in u.shown_text
    assert await state_of(env, SELLER) == "ProductStates:category"


async def test_a_seller_demoted_by_an_admin_mid_dialog_is_let_go(env, shop, session):
    u = env.user(SELLER)
    await to_name_step(u)
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    await admin.send(f"/promote {SELLER} customer")
    reply = await u.send("Чай")
    assert reply.texts == ["Not allowed."]
    assert await state_of(env, SELLER) is None
    reply = await u.send("Чай")  # an ordinary message now, not a step of the dialog
    assert "Not allowed." not in reply.texts and reply.texts
    reply = await u.send("/start")
    assert not reply.has_button("Seller panel")
    assert await session.scalar(select(func.count()).select_from(Product)) == 0


async def test_a_refused_command_keeps_the_sellers_dialog(env, shop, session):
    u = env.user(SELLER)
    await to_name_step(u)
    reply = await u.send("/admin")  # not theirs: refused, but the draft stays
    assert reply.texts == ["Not allowed."]
    assert await state_of(env, SELLER) == "ProductStates:name"
    reply = await u.send("Чай")
    assert "step 3 of 6" in reply.text


async def test_the_category_picker_pages_a_long_level(env, shop, session):
    """More categories than a page holds are paged (📂 n/N); a pager's press only turns
    the page, even one that names a category without subcategories (never picks it)."""
    for n in range(45):
        await make_category(session, f"Shelf {n}", position=3 + n)
    await session.commit()
    u = env.user(SELLER)
    await u.send("/seller")
    reply = await u.press("Add product")
    assert reply.has_button("Напитки") and reply.has_button("Shelf 37")
    assert not reply.has_button("Shelf 38") and "📂 1/2" in reply.buttons
    assert reply.has_button("Back") and reply.has_button("Cancel")
    reply = await u.press("▶")
    assert reply.has_button("Shelf 44") and "📂 2/2" in reply.buttons
    assert "step 1 of 6" in reply.text
    reply = await u.click(
        SellerCategoryCb(id=shop["tea"], page=1, dialog=dialog_of(u))
    )  # a leaf's "page"
    assert "step 1 of 6" in reply.text and reply.has_button("Put it here")
    reply = await u.press("Back")  # up a level, to Напитки
    assert reply.has_button("Put it here: Напитки")
    await u.press("Back")  # and the top, from its first page
    reply = await u.press("▶")
    reply = await u.press("Shelf 44")  # a leaf: picked
    assert "step 2 of 6" in reply.text


async def _draft(u, name: str, price: str):
    await u.send("/seller")
    await u.press("Add product")
    await u.press("Food")
    await u.send(name)
    await u.press("Skip")
    await u.send(price)
    await u.send("3")
    return await u.press("Skip")  # no photo: the preview


async def test_publish_on_an_earlier_drafts_preview_is_out_of_date(env, shop, session):
    """An earlier draft's preview can't publish the draft open now (nor itself: it is
    gone); the open draft still publishes from its own preview."""
    u = env.user(SELLER)
    reply = await _draft(u, "Cheap tea", "10")
    assert reply.has_button("Publish")
    first = u.last_bot_message
    await _draft(u, "Gold tea", "99999")
    reply = await u.click(u.find_button("Publish", first), first)
    assert "out of date" in (reply.alert or reply.text)
    assert await products(session) == []
    reply = await u.press("Publish")
    assert "Published" in reply.text
    assert [(p.name, p.price) for p in await products(session)] == [("Gold tea", 99999)]


async def test_a_product_under_a_hidden_category_is_not_called_visible(env, shop, session):
    """The seller's list and card say the product is hidden with its category, and Show
    says customers see it only once the category is shown."""
    drinks = await session.get(Category, shop["drinks"])
    drinks.is_active = False  # Чай sits under it
    product_id = await add_product(session, shop["tea"], shop["seller"], "Green tea")
    await session.commit()
    u = env.user(SELLER)
    await u.send("/seller")
    reply = await u.press("My products")
    assert "Green tea" in reply.text and "hidden with its category" in reply.text
    assert "👁 visible" not in reply.text
    reply = await u.click(SellerProductCb(id=product_id, page=1))
    assert "Status: 🙈 hidden with its category" in reply.text
    await u.press("Hide")
    reply = await u.press("Show")
    assert "its category is hidden" in reply.alert


async def test_a_description_may_start_with_a_slash(env, shop, session):
    """ "/5 kg bag" is a description, not an unknown command; /cancel still cancels."""
    u = env.user(SELLER)
    await publish(u, "Rice", "/5 kg bag")
    [product] = await products(session)
    assert product.description == "/5 kg bag"
    await to_name_step(u)
    await u.send("Beans")
    reply = await u.send("/cancel")
    assert "Cancelled" in reply.text
    assert len(await products(session)) == 1


async def test_manage_opened_from_the_card_goes_back_to_the_card(env, session):
    """An admin's Manage on another seller's card: Back (also after an edit) returns to
    that card, not to the admin's own My products; Delete ends on the card's category."""
    from keyboards.callback_data import ProductCb

    sam = await make_user(session, 501, Role.seller)
    await make_user(session, ADMIN_ID, Role.admin)
    tea = await make_category(session, "Tea")
    await make_product(session, tea, "Black tea", seller=sam)
    green = await make_product(session, tea, "Green tea", seller=sam)
    await session.commit()
    boss = env.user(ADMIN_ID)
    await boss.click(ProductCb(id=green.id))
    await boss.press("Manage")
    reply = await boss.press("Back")
    assert "Green tea" in reply.text and reply.has_button("Manage")
    await boss.press("Manage")
    await boss.press("Edit")
    await boss.press("Price")
    reply = await boss.send("777")
    assert "777" in reply.text
    reply = await boss.press("Back")
    assert "Green tea" in reply.text and "777" in reply.text and reply.has_button("Add to cart")
    await boss.press("Manage")
    await boss.press("Delete")
    reply = await boss.press("Yes, delete")
    assert reply.alert == "The product is deleted."
    assert "Tea" in reply.text and reply.has_button("Black tea")
    assert not reply.has_button("Green tea") and not reply.has_button("My products")


async def test_manage_from_the_card_goes_back_to_the_category_once_hidden(env, session):
    """Hidden from Manage (opened from its card), the product has no card for customers:
    Back goes to its category page, not to "no longer available"."""
    from keyboards.callback_data import ProductCb

    sam = await make_user(session, 501, Role.seller)
    tea = await make_category(session, "Tea")
    await make_product(session, tea, "Black tea", seller=sam)
    green = await make_product(session, tea, "Green tea", seller=sam)
    await session.commit()
    u = env.user(501)
    await u.click(ProductCb(id=green.id))
    await u.press("Manage")
    await u.press("Hide")
    reply = await u.press("Back")
    assert "no longer available" not in (reply.alert or "")
    assert reply.has_button("Black tea") and not reply.has_button("Green tea")
    reply = await u.click(ProductCb(id=green.id))
    assert "no longer available" in reply.alert  # customers' view: the seller's too


async def test_manage_from_a_card_deep_in_a_category_keeps_the_cards_place(env, session):
    """Manage on a card opened from page 2 of its category, then Back twice: the card,
    then page 2 (it used to be page 1: the manage buttons have no room for the place,
    so it is read back from the card's keyboard). Hiding and showing keep it too."""
    from keyboards.callback_data import CategoryCb

    sam = await make_user(session, 501, Role.seller)
    tea = await make_category(session, "Tea")
    for i in range(12):
        await make_product(session, tea, f"Tea {i:02}", seller=sam)
    await session.commit()
    u = env.user(501)
    await u.click(CategoryCb(id=tea.id))
    await u.press("▶")
    reply = await u.press("Tea 09")  # page 2, at 8 a page
    assert "Tea 09" in reply.text
    await u.press("Manage")
    await u.press("Hide")
    await u.press("Show")
    reply = await u.press("Back")
    assert "Tea 09" in reply.text and reply.has_button("Manage")
    reply = await u.press("Back")
    assert reply.has_button("Tea 08") and not reply.has_button("Tea 00")
    await u.press("Tea 09")
    await u.press("Manage")
    await u.press("Hide")  # no card for customers now: Back goes to the card's page
    reply = await u.press("Back")
    assert reply.has_button("Tea 08") and not reply.has_button("Tea 09")


async def test_a_description_of_invisible_characters_is_no_description(env, shop, session):
    """A description of zero-width characters shows nothing: saved as none, not blank."""
    await publish(env.user(SELLER), "Tea", "\u200b\u200b")
    [product] = await products(session)
    assert product.description == ""


async def test_the_russian_price_question_names_the_currency_grammatically(env, shop, session):
    """ "Пришлите цену в RUB" read as a word in the wrong case; "в валюте RUB" does not."""
    seller = await session.get(User, shop["seller"])
    seller.language = "ru"
    await session.commit()
    u = env.user(SELLER, language_code="ru")
    await u.send("/seller")
    await u.press("Добавить товар")
    await u.press("Food")
    await u.send("Чай")
    reply = await u.send("Свежий")
    assert "Пришлите цену в валюте RUB, например 1299 или 1 299,50." in reply.text
    reply = await u.send("100 $")
    assert "Цены здесь в валюте RUB: пришлите сумму в этой валюте." in reply.text


async def test_cancel_in_a_saved_products_edit_returns_to_the_product(env, shop, session):
    """Cancel at "Change: Price" showed the main menu: three screens from the product."""
    product_id = await add_product(session, shop["food"], shop["seller"], "Старое")
    await session.commit()
    u = env.user(SELLER)
    await open_edit(u, "Старое", "Price")

    async def cancelled_back_at_the_product():
        reply = await u.press("Cancel")
        assert reply.alert == "Edit cancelled: nothing was changed."
        assert "Старое" in reply.text and reply.has_button("Edit")

    await cancelled_back_at_the_product()
    await u.press("Edit")
    await u.press("Category")  # the picker's Cancel too
    await cancelled_back_at_the_product()
    product = await session.get(Product, product_id)
    await session.refresh(product)
    assert product.price == Decimal(100)
    state = env.dp.fsm.get_context(env.bot, chat_id=SELLER, user_id=SELLER)
    assert await state.get_state() is None
    # A new product's Cancel still ends the dialog at the menu.
    await to_name_step(u)
    reply = await u.press("Cancel")
    assert "Cancelled." in reply.text


async def test_a_forged_edit_cancel_in_a_new_products_dialog_ends_it(env, shop):
    from keyboards.callback_seller import SellerStepAction, SellerStepCb

    u = env.user(SELLER)
    await to_name_step(u)
    state = env.dp.fsm.get_context(env.bot, chat_id=SELLER, user_id=SELLER)
    dialog = (await state.get_data())["dialog"]  # this dialog's own button, forged
    forged = SellerStepCb(action=SellerStepAction.cancel, at="name", dialog=dialog)
    reply = await u.click(forged)
    assert "Seller panel" in reply.text
    assert await state.get_state() is None
