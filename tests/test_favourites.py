"""Favourites: ♥ on the product card, the paged list in the main menu, products that
go away, one keyboard per viewer's state, Russian."""

from keyboards.callback_data import CardToggle, CardToggleCb, CategoryCb, FavouritesCb, ProductCb
from models import Favourite
from tests.factories import make_category, make_product, make_user


async def _shop(session, n: int = 1, **fields):
    category = await make_category(session, "Teas")
    products = [await make_product(session, category, f"Tea {i}", **fields) for i in range(n)]
    await session.commit()
    return category, products


async def test_a_customer_keeps_a_product_and_finds_it_in_the_menu(env, session):
    category, [_tea] = await _shop(session)
    ann = env.user(1)
    await ann.send("/start")
    await ann.click(CategoryCb(id=category.id))
    card = await ann.press("Tea 0")
    assert card.has_button("♥ Add to favourites")
    reply = await ann.press("Add to favourites")
    assert reply.alert == "Added to your favourites."
    assert "💔 Remove from favourites" in ann.shown_buttons
    # The card redrawn keeps its way back to the page it was opened from.
    reply = await ann.press("Back")
    assert "Teas" in reply.text and reply.has_button("Tea 0")

    await ann.press("Main menu")
    reply = await ann.press("Favourites")
    assert "Favourites" in reply.text and reply.has_button("Tea 0")
    card = await ann.press("Tea 0")
    assert "Tea 0" in card.text and card.has_button("Remove from favourites")
    reply = await ann.press("Back")  # back to the favourites, not the category
    assert "Favourites" in reply.text and reply.has_button("Tea 0")

    await ann.press("Tea 0")
    reply = await ann.press("Remove from favourites")
    assert reply.alert == "Removed from your favourites."
    reply = await ann.press("Back")
    assert "Nothing here yet" in reply.text and not reply.has_button("Tea 0")
    assert reply.has_button("Catalog")
    reply = await ann.press("Back")
    assert reply.has_button("Favourites") and reply.has_button("Catalog")


async def test_a_double_tap_asks_for_the_same_state_twice(env, session):
    _category, [tea] = await _shop(session)
    ann = env.user(1)
    await ann.click(ProductCb(id=tea.id))
    add = ann.find_button("Add to favourites")
    await ann.click(add)
    reply = await ann.click(add)  # the same button again: still a favourite, once
    assert reply.alert == "Added to your favourites."
    assert len((await session.execute(Favourite.__table__.select())).all()) == 1


async def test_each_viewer_sees_their_own_toggle_on_the_same_card(env, session):
    _category, [tea] = await _shop(session)
    ann, bob = env.user(1), env.user(2, "Bob")
    await ann.click(ProductCb(id=tea.id))
    await ann.press("Add to favourites")
    reply = await bob.click(ProductCb(id=tea.id))
    assert reply.has_button("Add to favourites") and not reply.has_button("Remove")
    await ann.click(ProductCb(id=tea.id))
    assert "💔 Remove from favourites" in ann.shown_buttons
    assert "♥ Add to favourites" in bob.shown_buttons


async def test_the_list_is_paged_newest_first(env, session, settings):
    size = settings.page_size
    _category, products = await _shop(session, size + 2)
    ann = env.user(1)
    for product in products:
        await ann.click(CardToggleCb(id=product.id, what=CardToggle.favourite, on=True))
    reply = await ann.click(FavouritesCb())
    names = [b for b in reply.buttons if b.startswith("Tea")]
    assert len(names) == size and names[0].startswith(f"Tea {size + 1}")
    assert "1/2" in reply.buttons and "▶" in reply.buttons and "◀" not in reply.buttons
    reply = await ann.press("▶")
    assert [b.split(" ·")[0] for b in reply.buttons if b.startswith("Tea")] == ["Tea 1", "Tea 0"]
    assert "2/2" in reply.buttons and "◀" in reply.buttons and "▶" not in reply.buttons
    await ann.press("◀")
    # A forged page past the end shows the last page with a true n/N.
    await ann.click(FavouritesCb(page=99))
    assert "2/2" in ann.shown_buttons and any(b.startswith("Tea 0") for b in ann.shown_buttons)


async def test_hidden_and_deleted_products_leave_the_list(env, session):
    _category, [tea, coffee] = await _shop(session, 2)
    ann = env.user(1)
    for product in (tea, coffee):
        await ann.click(CardToggleCb(id=product.id, what=CardToggle.favourite, on=True))
    await ann.click(FavouritesCb())  # the list, with both products on it
    tea.is_active = False
    coffee.is_deleted = True
    await session.commit()
    reply = await ann.press("Tea 0")  # a button of the list as it was
    assert reply.alert == "This product is no longer available."
    assert "Nothing here yet" in ann.shown_text
    # Shown again, it is back on the list (the row was kept).
    tea.is_active = True
    await session.commit()
    reply = await ann.click(FavouritesCb())
    assert reply.has_button("Tea 0") and not reply.has_button("Tea 1")


async def test_a_gone_product_cannot_be_added(env, session):
    _category, [tea] = await _shop(session)
    ann = env.user(1)
    await ann.click(ProductCb(id=tea.id))
    tea.is_deleted = True
    await session.commit()
    reply = await ann.press("Add to favourites")
    assert reply.alert == "This product is no longer available."
    assert (await session.execute(Favourite.__table__.select())).all() == []


async def test_in_russian(env, session):
    await make_user(session, 7, language="ru")
    _category, [tea] = await _shop(session)
    ivan = env.user(7, "Иван", language_code="ru")
    reply = await ivan.click(ProductCb(id=tea.id))
    assert reply.has_button("♥ В избранное")
    reply = await ivan.press("В избранное")
    assert reply.alert == "Добавлено в избранное."
    reply = await ivan.click(FavouritesCb())
    assert "Избранное" in reply.text and reply.has_button("Tea 0")


async def test_the_card_with_its_toggles_is_still_one_statement(env, session, engine):
    """The favourite and alert flags come in the card's statement, which comes with the
    presser's row (the read-ahead): no extra round trip for them."""
    from tests.test_catalog_reads import recorded

    _category, [tea, sold_out] = await _shop(session, 2)
    sold_out.stock = 0
    await session.commit()
    ann = env.user(1)
    await ann.send("/start")
    for product in (tea, sold_out):
        await ann.click(CardToggleCb(id=product.id, what=CardToggle.favourite, on=True))
    await ann.click(CardToggleCb(id=sold_out.id, what=CardToggle.alert, on=True))
    await ann.send("/start")
    with recorded(engine) as seen:
        reply = await ann.click(ProductCb(id=sold_out.id))
    assert len(seen) == 1 and "users" in seen[0] and "favourites" in seen[0]
    assert reply.has_button("Remove from favourites") and reply.has_button("Don't notify me")


async def test_the_limit_counts_only_what_the_list_shows(env, session, monkeypatch):
    """Favourites of deleted products (never listed, so never removable) don't fill the
    list: only products it can show count towards the limit."""
    import services.favourites

    monkeypatch.setattr(services.favourites, "MAX_FAVOURITES", 3)
    _category, products = await _shop(session, 6)
    ann = await make_user(session, 1)
    for gone in products[:3]:
        gone.is_deleted = True
        session.add(Favourite(user_id=ann.id, product_id=gone.id))
    await session.commit()
    u = env.user(1)
    for product in products[3:]:
        reply = await u.click(CardToggleCb(id=product.id, what=CardToggle.favourite, on=True))
        assert reply.alert == "Added to your favourites."
    more = await make_product(session, _category, "Tea 6")
    await session.commit()
    reply = await u.click(CardToggleCb(id=more.id, what=CardToggle.favourite, on=True))
    assert reply.alert == "Your favourites list is full (3). Remove something first."
