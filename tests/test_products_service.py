"""ProductService, the input rules and slugs, straight against a session."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from models import Category, Product, Review, Role
from services.errors import InvalidInput, NotAllowed, NotFound
from services.products import ProductField, ProductService
from services.slugs import make_slug, unique_slug
from services.validation import (
    clean_description,
    clean_name,
    parse_price,
    parse_stock,
    visible,
)
from tests.factories import make_category, make_product, make_user

MAX = Decimal("10000000")


# -- price and stock ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1299", "1299.00"),
        ("1 299,50", "1299.50"),
        ("1\u00a0299,50", "1299.50"),
        ("1\u202f299", "1299.00"),
        ("1299.5", "1299.50"),
        ("1299 ₽", "1299.00"),
        ("1299₽", "1299.00"),
        ("1299 руб", "1299.00"),
        ("1299 руб.", "1299.00"),
        ("1,299.50", "1299.50"),
        ("0.01", "0.01"),
        ("0,500", "0.50"),  # not thousands: a fraction with a zero more
        ("10000000", "10000000.00"),
    ],
)
def test_price_accepts_what_people_type(text, expected):
    assert parse_price(text, MAX, "RUB") == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "greater than zero"),
        ("0,00", "greater than zero"),
        ("-5", "greater than zero"),
        ("abc", "as a number"),
        ("12e3", "as a number"),
        ("12 apples", "as a number"),
        ("", "as a number"),
        ("1.234", "two digits"),
        ("1,299", "Did you mean 1299? Send it without the comma."),
        ("12,345,678", "Did you mean 12345678?"),
        ("10000000.01", "more than"),
        ("99999999999999999999", "more than"),
    ],
)
def test_price_rejects_nonsense_with_a_reason(text, message):
    with pytest.raises(InvalidInput) as info:
        parse_price(text, MAX)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("1 299", "JPY", "1299"),
        ("999.00", "JPY", "999"),
        ("999.5", "USD", "999.50"),
        ("1,299", "JPY", "1299"),  # no cents in yen: the comma can only group thousands
        ("1,299,000", "JPY", "1299000"),
    ],
)
def test_price_has_the_currencys_precision(text, currency, expected):
    assert parse_price(text, MAX, currency) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [("999.50", "Prices in JPY are whole numbers"), ("¥", "as a whole number, for example 1299.")],
)
def test_a_price_with_cents_is_refused_where_the_currency_has_none(text, message):
    with pytest.raises(InvalidInput) as info:
        parse_price(text, MAX, "JPY")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("$100", "USD", "100"),
        ("100 $", "USD", "100"),
        ("100 USD", "USD", "100"),
        ("usd 12.50", "USD", "12.50"),
        ("€10,50", "EUR", "10.50"),
        ("1000 JPY", "JPY", "1000"),
        ("1 299 рублей", "RUB", "1299"),
        ("RUB 1299", "RUB", "1299"),
        ("₽ 99", "RUB", "99"),
        # Another currency's sign or code: refused, not taken in the shop's currency.
        ("100 ₽", "USD", None),
        ("100 руб", "USD", None),
        ("100р", "USD", None),
        ("100 $", "RUB", None),
        ("100 EUR", "USD", None),
        # Signs Babel writes as codes, the ruble's words before the amount, a minus.
        ("100 ₸", "KZT", "100"),
        ("₺100", "TRY", "100"),
        ("¥100", "CNY", "100"),
        ("руб. 100", "RUB", "100"),
        ("100 рубля", "RUB", "100"),
        ("100 рублей", "USD", None),
    ],
)
def test_a_price_may_name_the_shops_currency_and_no_other(text, currency, expected):
    """Only the ruble's marks were understood: '$100' in a dollar shop was "not a number"
    while '100 ₽' was saved there as $100 (found by a seller walk)."""
    if expected is not None:
        assert parse_price(text, MAX, currency) == Decimal(expected)
        return
    with pytest.raises(InvalidInput) as info:
        parse_price(text, MAX, currency)
    assert info.value.params == {"currency": currency}
    assert str(info.value) == f"Prices here are in {currency}: send the amount in {currency}."
    assert parse_price("300", MAX, currency) == Decimal(300)


@pytest.mark.parametrize(("text", "currency"), [("Рубашка", "RUB"), ("-$5", "USD")])
def test_a_word_or_a_minus_is_not_taken_for_another_currency(text, currency):
    with pytest.raises(InvalidInput) as info:
        parse_price(text, MAX, currency)
    assert "Prices here are in" not in str(info.value)


def test_price_limit_comes_from_the_caller():
    with pytest.raises(InvalidInput, match="more than 500"):
        parse_price("501", Decimal(500))


@pytest.mark.parametrize(("text", "expected"), [("0", 0), ("25", 25), (" 7 ", 7), ("1 000", 1000)])
def test_stock_accepts_whole_numbers_from_zero(text, expected):
    assert parse_stock(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("1.5", "whole number"), ("-1", "negative"), ("abc", "whole number"), ("1000001", "more")],
)
def test_stock_rejects(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_stock(text)


def test_name_and_description_limits():
    assert clean_name("  Green   tea ") == "Green tea"
    assert clean_name("x" * 100) == "x" * 100
    with pytest.raises(InvalidInput, match="too long"):
        clean_name("x" * 101)
    with pytest.raises(InvalidInput, match="empty"):
        clean_name("   ")
    for blank in ("\u200b", "\u2060\ufeff", "\u3164", "\u2800", "\u202e", "\ufe0f", "\u034f"):
        with pytest.raises(InvalidInput, match="empty"):
            clean_name(blank)  # the same helper as every field that must say something
    assert clean_name("\u200bTea") == "\u200bTea"
    assert visible("🍵") and visible("…") and not visible("\u00a0\u2003\n")
    assert visible("❤\ufe0f") and visible("e\u0301")  # a mark on something shows
    assert clean_description("d" * 1000) == "d" * 1000
    with pytest.raises(InvalidInput, match="too long"):
        clean_description("d" * 1001)


# -- slugs ----------------------------------------------------------------------------------


def test_slug_transliterates_cyrillic():
    assert make_slug("Чай") == "chai"
    assert make_slug("Зелёный чай с жасмином") == "zelenyi-chai-s-zhasminom"
    assert make_slug("!!!") == "item"


async def test_unique_slug_adds_the_first_free_suffix(session):
    category = await make_category(session)
    assert await unique_slug(session, Product.slug, "Чай") == "chai"
    await make_product(session, category, name="Чай", slug="chai")
    assert await unique_slug(session, Product.slug, "ЧАЙ") == "chai-2"
    await make_product(session, category, slug="chai-2")
    await make_product(session, category, slug="chai-4")
    await make_product(session, category, slug="chai-sencha")  # a longer slug is no clash
    assert await unique_slug(session, Product.slug, "чай") == "chai-3"


async def test_unique_slug_works_for_categories_and_ignores_the_renamed_row(session):
    tea = await make_category(session, "Чай", slug="chai")
    assert await unique_slug(session, Category.slug, "Чай") == "chai-2"
    assert await unique_slug(session, Category.slug, "Чай", exclude_id=tea.id) == "chai"


async def test_very_long_names_still_fit_the_column(session):
    slug = await unique_slug(session, Product.slug, "Щ" * 100)
    assert 0 < len(slug) <= 280


# -- the service ------------------------------------------------------------------------------


@pytest.fixture
async def world(session):
    seller = await make_user(session, 1, Role.seller)
    other = await make_user(session, 2, Role.seller)
    admin = await make_user(session, 3, Role.admin)
    customer = await make_user(session, 4)
    tea = await make_category(session, "Чай")
    return seller, other, admin, customer, tea


async def create(session, seller, category, name="Чай", **fields):
    values = {
        "description": "",
        "price": "100",
        "stock": 1,
        "photo_file_id": None,
    } | fields
    return await ProductService(session).create(
        seller, category_id=category.id, name=name, **values
    )


async def test_create_makes_unique_cyrillic_slugs(session, world):
    seller, other, *_, tea = world
    first = await create(session, seller, tea, "Чай")
    second = await create(session, other, tea, " чай ", price="1 299,50", stock="3")
    assert (first.slug, second.slug) == ("chai", "chai-2")
    assert (second.name, second.price, second.stock) == ("чай", Decimal("1299.50"), 3)
    assert second.seller_id == other.id and second.is_active and not second.is_deleted


async def test_create_checks_role_category_and_values(session, world):
    seller, _other, _admin, customer, tea = world
    with pytest.raises(NotAllowed):
        await create(session, customer, tea)
    hidden = await make_category(session, "Old", is_active=False)
    with pytest.raises(NotFound):
        await create(session, seller, hidden)
    with pytest.raises(InvalidInput):
        await create(session, seller, tea, price="0")
    with pytest.raises(InvalidInput):
        await create(session, seller, tea, stock="-1")
    assert await session.scalar(select(Product.id)) is None


async def test_owner_edits_each_field(session, world):
    seller, *_, tea = world
    coffee = await make_category(session, "Кофе")
    product = await create(session, seller, tea)
    svc = ProductService(session)
    await svc.update_field(seller, product.id, ProductField.category, coffee.id)
    await svc.update_field(seller, product.id, ProductField.name, "Пуэр")
    await svc.update_field(seller, product.id, ProductField.description, "Крепкий")
    await svc.update_field(seller, product.id, ProductField.price, "250,5")
    await svc.update_field(seller, product.id, ProductField.stock, "0")
    await svc.update_field(seller, product.id, ProductField.photo, "file-1")
    assert (product.category_id, product.name, product.description) == (
        coffee.id,
        "Пуэр",
        "Крепкий",
    )
    assert (product.price, product.stock, product.photo_file_id) == (Decimal("250.50"), 0, "file-1")
    assert product.slug == "chai"  # links keep working after a rename
    await svc.update_field(seller, product.id, ProductField.photo, None)
    assert product.photo_file_id is None
    with pytest.raises(InvalidInput):
        await svc.update_field(seller, product.id, ProductField.price, "-3")
    assert product.price == Decimal("250.50")


async def test_other_sellers_and_customers_change_nothing(session, world):
    seller, other, _admin, customer, tea = world
    product = await create(session, seller, tea, price="100")
    svc = ProductService(session)
    for actor in (other, customer):
        with pytest.raises(NotAllowed):
            await svc.update_field(actor, product.id, ProductField.price, "1")
        with pytest.raises(NotAllowed):
            await svc.set_visible(actor, product.id, False)
        with pytest.raises(NotAllowed):
            await svc.delete(actor, product.id)
    assert (product.price, product.is_active, product.is_deleted) == (Decimal(100), True, False)


async def test_admin_may_manage_any_product(session, world):
    seller, _other, admin, *_rest, tea = world
    product = await create(session, seller, tea)
    svc = ProductService(session)
    await svc.update_field(admin, product.id, ProductField.name, "Renamed")
    await svc.set_visible(admin, product.id, False)
    assert (product.name, product.is_active, product.seller_id) == ("Renamed", False, seller.id)


async def test_hide_show_and_soft_delete_keep_reviews(session, world):
    seller, _other, _admin, customer, tea = world
    product = await create(session, seller, tea)
    session.add(Review(user_id=customer.id, product_id=product.id, grade=5, comment="ok"))
    await session.flush()
    svc = ProductService(session)
    assert not (await svc.set_visible(seller, product.id, False)).is_active
    assert (await svc.set_visible(seller, product.id, True)).is_active
    await svc.delete(seller, product.id)
    assert product.is_deleted
    assert await session.scalar(select(Review.product_id)) == product.id
    with pytest.raises(NotFound):
        await svc.get_own(seller, product.id)
    with pytest.raises(NotFound):
        await svc.set_visible(seller, product.id, True)


async def test_list_own_pages_newest_first_without_deleted(session, world):
    seller, other, *_, tea = world
    mine = [await create(session, seller, tea, f"P{i}") for i in range(5)]
    await create(session, other, tea, "Not mine")
    svc = ProductService(session)
    await svc.delete(seller, mine[4].id)
    first = await svc.list_own(seller, 1, 3)
    assert [p.name for p in first.items] == ["P3", "P2", "P1"] and first.pages == 2
    second = await svc.list_own(seller, 2, 3)
    assert [p.name for p in second.items] == ["P0"] and (second.page, second.pages) == (2, 2)
    past = await svc.list_own(seller, 9, 3)  # past the end: the last page
    assert [p.name for p in past.items] == ["P0"] and past.page == 2


async def test_category_tree_helpers(session):
    top = await make_category(session, "Drinks", position=2)
    await make_category(session, "Food", position=1)
    await make_category(session, "Hidden", is_active=False)
    tea = await make_category(session, "Tea", parent=top)
    svc = ProductService(session)
    assert [c.name for c in await svc.child_categories(None)] == ["Food", "Drinks"]
    assert [c.id for c in await svc.child_categories(top.id)] == [tea.id]
    assert [c.name for c in await svc.category_path(tea.id)] == ["Drinks", "Tea"]


async def test_admin_changes_to_others_products_are_audited(session, world):
    from models import AuditEntry

    seller, _other, admin, *_rest, tea = world
    product = await create(session, seller, tea, price="10")
    own = await create(session, admin, tea, "Admin's own")
    svc = ProductService(session)
    await svc.update_field(seller, product.id, ProductField.stock, "2")  # the owner: no entry
    await svc.update_field(admin, own.id, ProductField.stock, "2")  # their own: no entry
    await svc.update_field(admin, product.id, ProductField.price, "12,5")
    await svc.set_visible(admin, product.id, False)
    await svc.delete(admin, product.id)
    entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(e.action, e.target_id, e.actor_id) for e in entries] == [
        ("product.update", product.id, admin.id),
        ("product.hide", product.id, admin.id),
        ("product.delete", product.id, admin.id),
    ]
    assert (entries[0].before, entries[0].after) == ({"price": "10.00"}, {"price": "12.50"})


async def test_category_counts_follow_publish_move_hide_and_delete(session, world):
    seller, *_rest, tea = world
    coffee = await make_category(session, "Кофе")
    svc = ProductService(session)
    product = await create(session, seller, tea)
    await session.refresh(tea)
    assert tea.product_count == 1
    await svc.update_field(seller, product.id, ProductField.category, coffee.id)
    await svc.set_visible(seller, product.id, False)
    await svc.set_visible(seller, product.id, True)
    await session.refresh(tea)
    await session.refresh(coffee)
    assert (tea.product_count, coffee.product_count) == (0, 1)
    await svc.delete(seller, product.id)
    await session.refresh(coffee)
    assert coffee.product_count == 0


async def test_a_category_under_a_hidden_one_takes_no_products(session, world):
    from services.categories import CategoryService

    seller, *_ = world
    drinks = await make_category(session, "Drinks", is_active=False)
    tea = await make_category(session, "Tea", parent=drinks)
    green = await make_category(session, "Green", parent=tea)
    food = await make_category(session, "Food")
    for category in (tea, green):
        with pytest.raises(NotFound, match="category is no longer available"):
            await create(session, seller, category)
    product = await create(session, seller, food)
    with pytest.raises(NotFound, match="category is no longer available"):
        await ProductService(session).update_field(
            seller, product.id, ProductField.category, green.id
        )
    # One walk up the tree serves sellers and admins.
    admin = await make_user(session, 9, Role.admin)
    svc = ProductService(session)
    assert await svc.category_path(green.id) == await CategoryService(session).path(admin, green)
    assert [c.name for c in await svc.category_path(green.id)] == ["Drinks", "Tea", "Green"]
