"""The catalog's reads: what each screen costs in statements, the read-ahead that carries
a page or a card with the user's row, the visibility rule and the keyset pages' edges.
(User stories are in test_catalog.py.)"""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy import event, select

from db import readahead
from keyboards.callback_data import CategoryCb, ProductCb
from models import Category, Review, User
from services.catalog import CatalogService
from services.catalog_reads import category_read
from services.users import UserService
from tests.factories import make_category, make_product, make_user
from tests.test_catalog import _tree
from tests.tg import forged


@contextmanager
def recorded(engine) -> Iterator[list[str]]:
    """The SQL statements run on `engine` inside the block, in order."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_kept_counts_follow_product_changes(session):
    _e, phones, books = await _tree(session)
    a = await make_product(session, phones, "A")
    b = await make_product(session, phones, "B")
    await make_product(session, phones, "C", is_active=False)

    async def counts():
        await session.flush()
        rows = await session.execute(select(Category.id, Category.product_count))
        return dict(rows.all())

    assert (await counts())[phones.id] == 2
    a.is_active = False
    assert (await counts())[phones.id] == 1
    b.category_id = books.id
    got = await counts()
    assert (got[phones.id], got[books.id]) == (0, 1)
    b.is_deleted = True
    assert (await counts())[books.id] == 0
    a.is_active = True
    await session.flush()
    await session.delete(a)
    assert (await counts())[phones.id] == 0


async def test_a_page_press_is_one_statement_with_the_user_row(env, session, engine, settings):
    """A category page comes in the statement that reads the user and their dialog state
    (`db.readahead`), paging forward or backward; a card is that statement and its
    own (the category, children, path and keyset page in one, the card in one)."""
    _e, phones, _b = await _tree(session)
    phones_ = [await make_product(session, phones, f"Phone {i:02}") for i in range(20)]
    await session.commit()
    ann = env.user(1)
    await ann.send("/start")
    size = settings.page_size
    with recorded(engine) as seen:
        reply = await ann.click(CategoryCb(id=phones.id, page=2, after=phones_[size - 1].id))
        assert len(seen) == 1 and "users" in seen[0] and "products.id >" in seen[0]
        assert reply.has_button(f"Phone {size:02}") and not reply.has_button("Phone 00")
        assert reply.has_button(f"2/{-(-20 // size)}")
        seen.clear()
        await ann.click(CategoryCb(id=phones.id, page=2, after=-phones_[2 * size].id))
        assert len(seen) == 1 and "users" in seen[0] and "products.id <" in seen[0]
        shown = ann.shown_buttons  # the same page as before: the message stays as it was
        assert any(f"Phone {size:02}" in b for b in shown)
        assert any(f"Phone {2 * size - 1}" in b for b in shown)
        seen.clear()
        reply = await ann.click(ProductCb(id=phones_[3].id, category_id=phones.id))
        assert len(seen) == 1 and "users" in seen[0] and "products" in seen[0]
        assert "Phone 03" in reply.text


async def test_a_page_press_is_one_statement_with_the_dialog_state_elsewhere(
    make_env, settings, session, engine
):
    """With the dialog state in Redis (here: in memory), the page still comes with the
    user's row."""
    _e, phones, _b = await _tree(session)
    await make_product(session, phones, "Phone X")
    await session.commit()
    ann = make_env(settings, storage=MemoryStorage()).user(1)
    await ann.send("/start")
    with recorded(engine) as seen:
        reply = await ann.click(CategoryCb(id=phones.id))
    assert reply.has_button("Phone X") and len(seen) == 1 and "fsm_records" not in seen[0]


async def test_prefetched_rows_are_served_once(session):
    """What a lookup carried is what the service gets, once; then it reads for itself."""
    _e, phones, _b = await _tree(session)
    await make_product(session, phones, "Phone X")
    await session.flush()
    read = category_read(phones.id, 1, 0, 8)
    fused = readahead.joined(UserService.LOOKUP, read.stmt)
    user = await make_user(session, telegram_id=5)
    row = (await session.execute(fused.stmt, readahead.bound({"telegram_id": 5}, read))).one()
    assert row[0] is user
    readahead.keep(session, read, fused, row)
    await make_product(session, phones, "Phone Y")
    await session.flush()
    assert [r.name for r in await readahead.rows(session, read)] == ["Phones", "Phone X"]
    again = await readahead.rows(session, read)
    assert [r.name for r in again] == ["Phones", "Phone X", "Phone Y"]
    # The lookup must not have a column by the carried rows' name.
    with pytest.raises(ValueError, match="must not have a column"):
        lookup = UserService.LOOKUP.add_columns(User.first_name.label(readahead.CARRIED))
        readahead.joined(lookup, read.stmt)
    # Nor share a parameter name: a read rebinding `telegram_id` would load another user.
    with pytest.raises(ValueError, match="must not repeat"):
        readahead.bound({"telegram_id": 5, "category_id": 1}, read)


async def test_carried_rows_come_back_as_the_columns_types(session):
    """Rows travel inside the lookup as JSON: each value comes back as a plain read of
    the same statement gives it (prices as Decimal, flags as bool, any text intact),
    and a column JSON would not carry faithfully is refused."""
    category = await make_category(session, 'Quotes "\\ <&> 🍵')
    tricky = 'Tea "green" \\ back\\slash ё 🍵 <b>&amp;'
    await make_product(session, category, tricky, price=Decimal("199.90"), stock=0)
    await make_product(session, category, "Cheap", price=Decimal("0.10"), stock=7)
    await make_user(session, telegram_id=5)
    await session.flush()
    read = category_read(category.id, 1, 0, 8)
    plain = list((await session.execute(read.stmt, dict(read.params))).all())
    fused = readahead.joined(UserService.LOOKUP, read.stmt)
    row = (await session.execute(fused.stmt, readahead.bound({"telegram_id": 5}, read))).one()
    readahead.keep(session, read, fused, row)
    carried = await readahead.rows(session, read)
    assert [tuple(r) for r in carried] == [tuple(r) for r in plain]
    for got, want in zip(carried, plain, strict=True):
        assert [type(v) for v in got] == [type(v) for v in want]
    assert {r.name: r.price for r in carried if r.kind == 1} == {
        tricky: Decimal("199.90"),
        "Cheap": Decimal("0.10"),
    }
    # Quantized to the column's scale, as the plain read gives them.
    assert {r.name: str(r.price) for r in carried if r.kind == 1} == {
        tricky: "199.90",
        "Cheap": "0.10",
    }
    with pytest.raises(ValueError, match="can't travel as JSON"):
        readahead.joined(UserService.LOOKUP, select(Category.id, Category.created_at))
    with pytest.raises(ValueError, match="can't travel as JSON"):
        readahead.joined(UserService.LOOKUP, select(User.id, User.role))


async def test_a_carried_card_is_the_card(env, session):
    """A product button brings its card in the user's statement: the same card as one
    read for itself, down to the viewer's own review and the seller's Manage button."""
    from models import Role

    seller = await make_user(session, 501, Role.seller, first_name="Sam", last_name="Lee")
    viewer = await make_user(session, 502)
    category = await make_category(session, "Tea")
    product = await make_product(
        session, category, "Green & <tea>", seller=seller, price=Decimal("5.50"), stock=2
    )
    session.add(Review(product_id=product.id, user_id=viewer.id, grade=4))
    await session.commit()
    catalog = CatalogService(session)
    for who in (viewer, seller):
        card = await catalog.product_card(product.id, who.telegram_id)
        assert card.viewer_id == who.id and card.product.price == Decimal("5.50")
        assert card.viewer_has_review is (who is viewer) and card.seller_name == "Sam Lee"
        assert card.viewer_is_seller is (who is seller)
    assert (await catalog.product_card(product.id, 999)).viewer_id is None
    reply = await env.user(502).click(ProductCb(id=product.id, category_id=category.id))
    assert "Green &amp; &lt;tea&gt;" in reply.text and "Sam Lee" in reply.text
    assert "5.50" in reply.text and "In stock: 2" in reply.text
    assert reply.has_button("✍️ Edit my review") and not reply.has_button("✏️ Manage")
    reply = await env.user(501).click(ProductCb(id=product.id, category_id=category.id))
    assert reply.has_button("✏️ Manage") and not reply.has_button("✍️ Leave a review")


async def test_a_first_or_banned_press_on_a_page_button(env, session):
    """Someone with no row yet gets the page (and a row); a banned user gets the notice
    and no page, however the page was read."""
    _e, phones, _b = await _tree(session)
    await make_product(session, phones, "Phone X")
    await make_user(session, telegram_id=66, is_banned=True)
    await session.commit()
    reply = await env.user(55).click(CategoryCb(id=phones.id))
    assert "Phones" in reply.text and reply.has_button("Phone X")
    assert await session.scalar(select(User.id).where(User.telegram_id == 55)) is not None
    reply = await env.user(66).click(CategoryCb(id=phones.id))
    assert reply.alert == "You are banned from this shop." and not reply.buttons
    # A gone category read with the user's row, and a forged id no row can have.
    reply = await env.user(55).click(CategoryCb(id=2**31 - 1))
    assert "no longer available" in reply.alert and reply.has_button("Electronics")
    reply = await env.user(55).click(forged(CategoryCb, id=2**40, page=1, after=0))
    assert "out of date" in (reply.alert or reply.text)


async def test_visible_product_rule(session):
    top = await make_category(session, "Top")
    mid = await make_category(session, "Mid", parent=top)
    leaf = await make_category(session, "Leaf", parent=mid)
    product = await make_product(session, leaf, "Deep")
    hidden = await make_product(session, leaf, "Hidden", is_active=False)
    deleted = await make_product(session, leaf, "Deleted", is_deleted=True)
    await session.flush()
    catalog = CatalogService(session)
    assert (await catalog.visible_product(product.id)).id == product.id
    assert await catalog.visible_product(hidden.id) is None
    assert await catalog.visible_product(deleted.id) is None
    assert await catalog.visible_product(10**6) is None
    top.is_active = False  # a hidden grandparent hides the whole branch
    await session.flush()
    assert await catalog.visible_product(product.id) is None
    assert await catalog.product_card(product.id) is None
    assert await catalog.product_card(hidden.id) is None
    assert await catalog.product_card(deleted.id) is None


async def test_category_screen_reads_category_children_and_page_together(session):
    top = await make_category(session, "Top")
    leaf = await make_category(session, "Leaf", parent=top, position=2)
    first = await make_category(session, "First", parent=top, position=1)
    await make_category(session, "Off", parent=top, position=0, is_active=False)
    later = await make_category(session, "Later", parent=top, position=2)
    await make_category(session, "Grandchild", parent=leaf)  # not a child of Top
    products = [
        await make_product(session, top, f"P{i}", price=f"{i + 1}.50", stock=i) for i in range(5)
    ]
    await make_product(session, top, "Hidden", is_active=False)
    await make_product(session, leaf, "Elsewhere")
    await session.flush()
    catalog = CatalogService(session)

    screen = await catalog.category_screen(top.id, 1, 0, 2)
    assert screen is not None and screen.category.name == "Top"
    assert screen.category.parent_id is None and screen.category.product_count == 5
    # Only active children, by position then id; never the category itself.
    assert [c.name for c in screen.children] == ["First", "Leaf", "Later"]
    assert [c.id for c in screen.children] == [first.id, leaf.id, later.id]
    page = screen.products
    assert [p.id for p in page.items] == [products[0].id, products[1].id]
    assert [p.price for p in page.items] == [Decimal("1.50"), Decimal("2.50")]
    assert [p.stock for p in page.items] == [0, 1]
    assert (page.page, page.pages, page.has_prev, page.has_next) == (1, 3, False, True)

    # ▶, then ◀ from the last page: the page before it, in id order.
    screen = await catalog.category_screen(top.id, 2, products[1].id, 2)
    assert [p.name for p in screen.products.items] == ["P2", "P3"]
    screen = await catalog.category_screen(top.id, 3, products[3].id, 2)
    assert [p.name for p in screen.products.items] == ["P4"]
    assert (screen.products.page, screen.products.has_next) == (3, False)
    screen = await catalog.category_screen(top.id, 2, -products[4].id, 2)
    assert [p.name for p in screen.products.items] == ["P2", "P3"]
    assert (screen.products.page, screen.products.has_prev, screen.products.has_next) == (
        2,
        True,
        True,
    )
    assert [c.name for c in screen.children] == ["First", "Leaf", "Later"]

    # A category with no products and no children.
    screen = await catalog.category_screen(later.id, 1, 0, 2)
    assert screen is not None and screen.children == [] and screen.products.items == []
    assert (screen.products.pages, screen.products.has_next) == (1, False)


async def test_category_screen_hidden_gone_and_forged(session):
    top = await make_category(session, "Top")
    mid = await make_category(session, "Mid", parent=top)
    leaf = await make_category(session, "Leaf", parent=mid)
    await make_product(session, leaf, "Deep")
    await session.flush()
    catalog = CatalogService(session)
    assert (await catalog.category_screen(leaf.id, 1, 0, 8)) is not None
    for category_id in (-1, 10**6, 2**31, 2**40):
        assert await catalog.category_screen(category_id, 1, 0, 8) is None
    top.is_active = False  # a hidden grandparent hides the whole branch, whatever the cursor
    await session.flush()
    for after in (0, 5, -5):
        assert await catalog.category_screen(leaf.id, 2, after, 8) is None
        assert await catalog.category_screen(top.id, 2, after, 8) is None


async def test_category_screen_stale_and_forged_cursors(session, engine):
    """Numbers in a button are never trusted: whatever a press says, the screen is a real
    page with a true n/N (five products, two a page: three pages)."""
    cat = await make_category(session, "Cat")
    ids = [(await make_product(session, cat, f"P{i}")).id for i in range(5)]
    await session.commit()
    catalog = CatalogService(session)

    async def page(n: int, after: int) -> tuple[list[int], int, int, bool, bool]:
        p = (await catalog.category_screen(cat.id, n, after, 2)).products
        return [i.id for i in p.items], p.page, p.pages, p.has_prev, p.has_next

    with recorded(engine) as statements:
        # A page past the last (rows were removed since, or forged): the last page, as
        # forward paging would show it, one statement more.
        assert await page(4, ids[-1]) == ([ids[4]], 3, 3, True, False)
        assert len(statements) == 2
        statements.clear()
        # ◀ with fewer than a page before it: start over from the top.
        assert await page(3, -ids[1]) == (ids[:2], 1, 3, False, True)
        assert len(statements) == 2
        statements.clear()
        # ◀ with exactly one page before it: that page is page 1, with no ◀ of its own.
        assert await page(2, -ids[2]) == (ids[:2], 1, 3, False, True)
        assert len(statements) == 1
    # Forged numbers: huge pages and cursors, negative pages, page 1 with a cursor.
    assert await page(99999, 2**40) == ([ids[4]], 3, 3, True, False)
    assert await page(99999, ids[1]) == ([ids[4]], 3, 3, True, False)
    assert await page(-3, -(2**40)) == (ids[:2], 1, 3, False, True)
    assert await page(-1, ids[1]) == (ids[:2], 1, 3, False, True)
    assert await page(1, ids[1]) == (ids[:2], 1, 3, False, True)
    # A page inside the list without its cursor: that page, its cursor found by offset.
    with recorded(engine) as statements:
        assert await page(2, 0) == (ids[2:4], 2, 3, True, True)
        assert len(statements) == 3
    # From the last page, ◀ walks back page by page on the same boundaries.
    assert await page(2, -ids[4]) == (ids[2:4], 2, 3, True, True)


async def test_page_count_comes_from_the_kept_count(session):
    cat = await make_category(session, "Cat")
    for i in range(5):
        await make_product(session, cat, f"P{i}")
    await session.flush()
    catalog = CatalogService(session)
    assert (await catalog.category_screen(cat.id, 1, 0, 2)).products.pages == 3
    cat.product_count = 9  # lagging a bulk change: the kept count is what the screen says
    await session.flush()
    assert (await catalog.category_screen(cat.id, 1, 0, 2)).products.pages == 5
    cat.product_count = 0  # ...but never fewer pages than the query saw
    await session.flush()
    assert (await catalog.category_screen(cat.id, 1, 0, 2)).products.pages == 2
