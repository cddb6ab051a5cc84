"""A seller's Manage opened from a product card keeps the card's place (the category
page, the search results page) through every screen after it: Edit and its Back, a
field saved, Delete and its Back, and a delete, which returns to where the card was."""

import pytest

from models import Role
from tests.factories import make_category, make_product, make_user

SELLER = 10


@pytest.fixture
async def twelve(session):
    """12 products of the seller in Food: page 2 (8 a page) holds Item 08..11."""
    food = await make_category(session, "Food")
    seller = await make_user(session, SELLER, role=Role.seller)
    for i in range(12):
        await make_product(session, food, f"Item {i:02d}", seller=seller)
    await session.commit()


@pytest.mark.parametrize("detour", ["edit_back", "edit_field", "delete_back"])
async def test_manage_from_a_card_keeps_its_place_through_edit_and_delete(env, twelve, detour):
    u = env.user(SELLER)
    await u.send("/catalog")
    await u.press("Food")
    await u.press("▶")
    await u.press("Item 09")
    await u.press("Manage")
    if detour == "edit_back":
        await u.press("Edit")
        await u.press("Back")
    elif detour == "edit_field":
        await u.press("Edit")
        await u.press("Price")
        assert "Saved" in (await u.send("500")).text
    else:
        await u.press("Delete")
        await u.press("Back")
    reply = await u.press("Back")
    assert "Item 09" in reply.text and reply.has_button("Manage")  # the card
    reply = await u.press("Back")  # and the card's Back: page 2, where it was opened
    assert reply.has_button("2/2") and reply.has_button("Item 09")


async def test_a_product_deleted_from_its_card_returns_to_where_the_card_was(env, twelve):
    u = env.user(SELLER)
    await u.send("/search item")
    await u.press("▶")
    await u.press("Item 02")
    await u.press("Manage")
    await u.press("Delete")
    reply = await u.press("Yes, delete")
    assert reply.alert == "The product is deleted."
    assert "Results for «item»" in reply.text and reply.has_button("2/2")
    assert not reply.has_button("Item 02")
    # From page 2 of its category: page 2 again.
    await u.send("/catalog")
    await u.press("Food")
    await u.press("▶")
    await u.press("Item 10")
    await u.press("Manage")
    await u.press("Delete")
    reply = await u.press("Yes, delete")
    assert reply.has_button("2/2") and reply.has_button("Item 11")
    assert not reply.has_button("Item 10")
