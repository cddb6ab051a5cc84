"""Seller buttons pressed late. The product dialog's step buttons act only at their
step, in their dialog: an old prompt keeps its Skip and Back when the step was answered
by typing or by a photo, and pressed later they must not act on whatever step (or
product) is open now. And a product deleted meanwhile leaves no screen without a way on."""

import pytest
from sqlalchemy import select

from keyboards.callback_seller import SellerStepAction, SellerStepCb
from models import Product, Role
from tests.factories import make_category, make_user
from tests.test_seller import SELLER, add_product, fill_draft, products, to_name_step

OUT_OF_DATE = "This button is out of date"


@pytest.fixture
async def food(session):
    """The seller's user id and the category Food."""
    seller = await make_user(session, SELLER, Role.seller)
    food = await make_category(session, "Food")
    await session.commit()
    return seller.id, food.id


async def _edit(u, name: str, field: str) -> None:
    await u.send("/seller")
    await u.press("My products")
    await u.press(name)
    await u.press("Edit")
    await u.press(field)


async def test_an_old_no_photo_does_not_empty_another_products_description(env, food, session):
    seller, category = food
    await add_product(session, category, seller, "Apples", photo_file_id="a1")
    bread = await add_product(session, category, seller, "Bread", description="Baked today, rye")
    await session.commit()
    u = env.user(SELLER)
    await _edit(u, "Apples", "Photo")
    old_photo_prompt = u.last_bot_message
    await u.send_photo("a2")  # answered: the prompt keeps its "No photo"
    await _edit(u, "Bread", "Description")
    reply = await u.click(u.find_button("No photo", old_photo_prompt), old_photo_prompt)
    assert OUT_OF_DATE in (reply.alert or "") and "Saved" not in reply.text
    description = await session.scalar(select(Product.description).where(Product.id == bread))
    assert description == "Baked today, rye"
    # The step open now still takes its answer.
    assert "Saved" in (await u.send("Baked today, wheat")).text


async def test_an_old_back_does_not_rewind_the_dialog(env, food, session):
    u = env.user(SELLER)
    await to_name_step(u)
    name_prompt = u.last_bot_message
    await u.send("Green tea")
    await u.send("Fresh spring harvest")  # now at the price
    reply = await u.click(u.find_button("Back", name_prompt), name_prompt)
    assert OUT_OF_DATE in (reply.alert or "")
    await u.send("1299")
    await u.send("5")
    await u.press("Skip")
    await u.press("Publish")
    [product] = await products(session)
    assert (product.description, product.price, product.stock) == ("Fresh spring harvest", 1299, 5)


async def test_buttons_of_an_earlier_dialog_are_out_of_date(env, food, session):
    """Publish, Edit a field and Back of an earlier draft's preview, at the preview of a
    new one: out of date, nothing published twice."""
    u = env.user(SELLER)
    for name in ("Tea", "Coffee"):
        await fill_draft(u, name, photo=False)
        if name == "Tea":
            first_preview = u.last_bot_message
    for label in ("Publish", "Edit a field", "Back"):
        reply = await u.click(u.find_button(label, first_preview), first_preview)
        assert OUT_OF_DATE in (reply.alert or ""), label
    assert await products(session) == []
    await u.press("Publish")
    assert [p.name for p in await products(session)] == ["Coffee"]


async def test_a_skip_of_another_step_is_out_of_date(env, food, session):
    """A Skip naming the photo step, pressed at the description (whose Skip it is not)."""
    u = env.user(SELLER)
    await to_name_step(u)
    await u.send("Tea")  # now at the description
    dialog = SellerStepCb.unpack(u.find_button("Skip")).dialog
    photo_skip = SellerStepCb(action=SellerStepAction.skip, at="photo", dialog=dialog)
    assert OUT_OF_DATE in ((await u.click(photo_skip)).alert or "")
    assert "step 4 of 6" in (await u.press("Skip")).text  # its own Skip: on to the price


async def test_buttons_sent_by_the_version_before_keep_working(env, food, session):
    """Messages sent before the buttons carried their step (and the picker its dialog)
    keep working after the upgrade, as they did: the picker, Back, and Publish (which
    carried its dialog already) in its own dialog."""
    _seller, category = food
    u = env.user(SELLER)
    await u.send("/seller")
    await u.press("Add product")
    reply = await u.click(f"sk:{category}:0:0")  # the picker's button, packed as before
    assert "step 2 of 6" in reply.text
    await u.send("Tea")
    assert "step 1 of 6" not in (await u.click("ss:back")).text  # Back: the name again
    assert "step 2 of 6" in u.shown_text
    await u.send("Tea")
    await u.press("Skip")
    await u.send("100")
    await u.send("3")
    await u.press("Skip")
    dialog = SellerStepCb.unpack(u.find_button("Publish")).dialog
    reply = await u.click(f"ss:pub:{dialog}")
    assert OUT_OF_DATE not in (reply.alert or "")
    assert [p.name for p in await products(session)] == ["Tea"]


@pytest.mark.parametrize(
    ("screen", "label"),
    [("Edit", "Name"), ("Edit", "Photo"), ("Edit", "Back"), ("Delete", "Yes"), ("Delete", "Back")],
)
async def test_screens_of_a_product_deleted_meanwhile_lead_to_my_products(
    env, food, session, screen, label
):
    """An admin deletes the product while its seller has its Edit or Delete screen open:
    a button there says so and shows My products, never a dead end."""
    from keyboards.callback_seller import SellerProductAction, SellerProductCb
    from tests.conftest import ADMIN_ID

    seller, category = food
    bread = await add_product(session, category, seller, "Bread")
    await add_product(session, category, seller, "Rolls")
    await session.commit()
    await env.user(ADMIN_ID).send("/start")
    u = env.user(SELLER)
    await u.send("/seller")
    await u.press("My products")
    await u.press("Bread")
    await u.press(screen)
    admin = env.user(ADMIN_ID)
    await admin.click(SellerProductCb(id=bread, action=SellerProductAction.delete_ok))
    reply = await u.press(label)
    assert "This product was deleted or is no longer yours" in reply.text
    assert reply.has_button("Rolls") and not reply.has_button("Bread")
    assert [p.name for p in await products(session) if not p.is_deleted] == ["Rolls"]


@pytest.mark.parametrize("gone", ["hidden", "deleted"])
@pytest.mark.parametrize("then", ["a sticker", "Put it here", "Small"])
async def test_the_picker_on_a_level_gone_meanwhile_shows_the_top(env, food, session, gone, then):
    """The seller has the level "Boxes" open in the category picker; an admin hides it
    (or it is deleted). The next answer or press shows the top level, not "no categories
    yet" or buttons that are each refused."""
    from sqlalchemy import delete, update

    from models import Category

    boxes = await make_category(session, "Boxes", position=3)
    small = await make_category(session, "Small", parent=boxes)
    ids = (small.id, boxes.id)
    await session.commit()
    u = env.user(SELLER)
    await u.send("/seller")
    await u.press("Add product")
    await u.press("Boxes")
    if gone == "hidden":
        await session.execute(
            update(Category).where(Category.id == boxes.id).values(is_active=False)
        )
    else:
        for category_id in ids:
            await session.execute(delete(Category).where(Category.id == category_id))
    await session.commit()
    reply = await u.send_sticker() if then == "a sticker" else await u.press(then)
    assert "There are no categories yet" not in reply.text
    assert reply.has_button("Food") and not reply.has_button("Boxes")
    assert "step 1 of 6" in reply.text
    if then != "a sticker":
        assert "This category is no longer available." in reply.text
    reply = await u.press("Food")
    assert "step 2 of 6" in reply.text, reply.text


async def _album(u, group: str) -> list[str]:
    from aiogram.types import PhotoSize

    texts = []
    for i in range(3):
        photo = [PhotoSize(file_id=f"{group}{i}", file_unique_id=f"{group}{i}", width=8, height=6)]
        texts += (await u.send_message(photo=photo, media_group_id=group)).texts
    return texts


async def test_an_album_where_text_is_wanted_is_answered_once(env, food, session):
    """An album at the name step (or at the preview) got one warning and one step per
    photo: 4 photos, 4 copies (found by a seller walk). An album is answered once."""
    u = env.user(SELLER)
    await to_name_step(u)
    texts = await _album(u, "at-name")
    assert len(texts) == 1 and "Please send text" in texts[0]
    await u.send("Tea")
    await u.press("Skip")
    await u.send("100")
    await u.send("3")
    await u.press("Skip")
    texts = await _album(u, "at-preview")
    assert len(texts) == 2 and "Please use the buttons" in texts[0]
    # Out of any dialog too: one "didn't understand", not three.
    await u.press("Publish")
    texts = await _album(u, "no-dialog")
    assert len(texts) == 1


async def test_an_album_at_the_photo_step_takes_its_first_photo_once(env, food, session):
    """Several photos sent at once arrive one by one: the first is the product's, the
    others are dropped quietly (no 'use the buttons', no second preview)."""
    u = env.user(SELLER)
    await to_name_step(u)
    await u.send("Tea")
    await u.press("Skip")
    await u.send("100")
    await u.send("3")
    texts = await _album(u, "new")
    assert not any("Please use the buttons" in t for t in texts)
    await u.press("Publish")
    [product] = await products(session)
    assert product.photo_file_id == "new0"
    # Changing a saved product's photo: "Saved." once, then nothing for the others.
    await _edit(u, "Tea", "Photo")
    texts = await _album(u, "again")
    assert sum("Saved" in t for t in texts) == 1
    assert not any("didn't understand" in t for t in texts)
    assert (await products(session))[0].photo_file_id == "again0"
    # A lone photo later is answered as usual (here: no dialog, so not understood).
    assert (await u.send_photo("later")).texts
