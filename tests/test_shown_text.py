"""Text that others are shown: a name is one line, and nothing typed may carry the bidi
controls that turn text around (U+202E makes "\u202egnp.exe" read "exe.png"). Each
field that takes such text, through the bot, with a message saying what is wrong."""

import pytest
from sqlalchemy import select

from keyboards.callback_data import CartAction, CartAddCb, CartCb, ReviewReplyCb, ReviewStartCb
from models import Broadcast, Category, Order, Product, Review, Role
from services.categories import CategoryService
from services.errors import InvalidInput
from services.validation import clean_description, clean_name, shown_problem
from tests.conftest import ADMIN_ID
from tests.factories import make_category, make_product, make_user

BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
LINE_BREAKS = ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\v", "\f"]
ONE_LINE = "The name must be on one line"
DIRECTION = "without text direction control characters"


async def rows(session, model):
    session.expire_all()
    return list(await session.scalars(select(model).order_by(model.id)))


# -- the rules -----------------------------------------------------------------------------


@pytest.mark.parametrize("control", BIDI, ids=ascii)
def test_every_bidi_control_is_refused_anywhere(control):
    for text in (control + "gnp.exe", "Tea " + control + "cup", "Tea" + control):
        assert shown_problem(text) == shown_problem(text, one_line=True)
        with pytest.raises(InvalidInput, match=DIRECTION):
            clean_name(text)
        with pytest.raises(InvalidInput, match=DIRECTION):
            clean_description(text)


@pytest.mark.parametrize("brk", LINE_BREAKS, ids=ascii)
def test_a_name_is_one_line_a_description_may_have_several(brk):
    with pytest.raises(InvalidInput, match=ONE_LINE):
        clean_name(f"Green{brk}tea")
    assert clean_description(f"Fresh{brk}crop") == f"Fresh{brk}crop"
    # Breaks around the name are only trimmed, as spaces are.
    assert clean_name(f"{brk}Green tea{brk}") == "Green tea"


def test_what_stays_allowed():
    # The marks that only nudge neutral characters, and right-to-left letters themselves.
    for text in ("Tea\u200e", "\u200fשלום", "مرحبا", "Зелёный\tчай", "🍵 Tea"):
        assert shown_problem(text, one_line=True) is None, ascii(text)


# -- through the bot -----------------------------------------------------------------------


async def test_checkout_name_is_one_line_and_no_field_takes_bidi_controls(env, session):
    category = await make_category(session)
    tea = await make_product(session, category, name="Tea")
    await session.commit()
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartCb(action=CartAction.checkout))
    reply = await ann.send("Ann\nSmith")
    assert ONE_LINE in reply.text and reply.has_button("Cancel")
    reply = await ann.send("\u202enhoJ")
    assert DIRECTION in reply.text and reply.has_button("Cancel")
    await ann.send("Ann Smith")
    await ann.send_contact("+7 999 123-45-67")
    reply = await ann.send("Baker Street\u2066 221b")
    assert DIRECTION in reply.text and reply.has_button("Cancel")
    await ann.send("Baker Street 221b\nFlat 2")  # an address may have several lines
    reply = await ann.send("Ring \u202d twice")
    assert DIRECTION in reply.text and reply.has_button("No comment")
    reply = await ann.send("Ring twice,\nthen knock")
    assert "Check your order" in reply.text
    await ann.press("Confirm")
    [order] = await rows(session, Order)
    assert (order.contact_name, order.address, order.comment) == (
        "Ann Smith",
        "Baker Street 221b\nFlat 2",
        "Ring twice,\nthen knock",
    )


async def test_a_product_name_on_two_lines_is_asked_again(env, session):
    await make_user(session, 10, Role.seller)
    await make_category(session, "Food")
    await session.commit()
    sam = env.user(10)
    await sam.send("/seller")
    await sam.press("Add product")
    await sam.press("Food")
    reply = await sam.send("Green tea\nBest price!")
    assert ONE_LINE in reply.text and "step 2 of 6" in reply.text
    reply = await sam.send("Green tea")
    assert "step 3 of 6" in reply.text
    reply = await sam.send("Fresh\u202e crop")
    assert DIRECTION in reply.text and "step 3 of 6" in reply.text
    reply = await sam.send("Fresh crop.\nLoose leaf.")
    assert "step 4 of 6" in reply.text
    await sam.send("100")
    await sam.send("5")
    await sam.press("Skip")
    await sam.press("Publish")
    [product] = await rows(session, Product)
    assert (product.name, product.description) == ("Green tea", "Fresh crop.\nLoose leaf.")


async def test_category_names_through_the_service(session):
    boss = await make_user(session, ADMIN_ID, Role.admin)
    service = CategoryService(session)
    with pytest.raises(InvalidInput, match=ONE_LINE):
        await service.create(boss, "Tea\nCoffee")
    with pytest.raises(InvalidInput, match=DIRECTION):
        await service.create(boss, "\u2067Tea")
    tea = await service.create(boss, "Tea")
    with pytest.raises(InvalidInput, match=ONE_LINE):
        await service.rename(boss, tea.id, "Tea\u2028Coffee")
    with pytest.raises(InvalidInput, match=DIRECTION):
        await service.rename(boss, tea.id, "Tea\u202b")
    assert [c.name for c in await rows(session, Category)] == ["Tea"]


async def test_a_category_name_on_two_lines_is_asked_again_in_the_chat(env, session):
    await make_user(session, ADMIN_ID, Role.admin)
    await session.commit()
    boss = env.user(ADMIN_ID)
    await boss.send("/admin")
    await boss.press("Categories")
    await boss.press("New category")
    reply = await boss.send("Tea\nCoffee")
    assert ONE_LINE in reply.text and reply.has_button("Cancel")
    await boss.send("Tea")
    assert [c.name for c in await rows(session, Category)] == ["Tea"]


async def test_review_comments_and_replies_refuse_bidi_controls_not_lines(env, session):
    seller = await make_user(session, 2, Role.seller)
    product = await make_product(session, await make_category(session), "Tea", seller=seller)
    await session.commit()
    ann = env.user(1)
    await ann.click(ReviewStartCb(product_id=product.id))
    await ann.press("5⭐")
    reply = await ann.send("Great \u202etea")
    assert DIRECTION in reply.texts[0]
    await ann.send("Great tea.\nWill buy again.")
    await ann.press("Publish")
    [review] = await rows(session, Review)
    assert review.comment == "Great tea.\nWill buy again."
    sam = env.user(2)
    await sam.click(ReviewReplyCb(review_id=review.id))
    reply = await sam.send("Thank you\u2069!")
    assert DIRECTION in reply.texts[0]
    await sam.send("Thank you!\nCome again.")
    [review] = await rows(session, Review)
    assert review.seller_reply == "Thank you!\nCome again."


async def test_a_broadcast_with_bidi_controls_is_not_saved(env, session):
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/start")
    await admin.send("/broadcast")
    reply = await admin.send("Big sale \u202etoday")
    assert DIRECTION in reply.text
    assert await rows(session, Broadcast) == []
    reply = await admin.send("Big sale\ntoday")  # still composing; lines are fine
    assert "Recipients" in reply.text
    [broadcast] = await rows(session, Broadcast)
    assert broadcast.text == "Big sale\ntoday"
