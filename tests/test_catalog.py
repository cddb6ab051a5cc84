"""Browsing the catalog: categories, pages, product cards, hidden items, deep links."""

from decimal import Decimal

import pytest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageMedia,
    EditMessageText,
    SendMessage,
    SendPhoto,
)

from keyboards.callback_data import CartAddCb, CategoryCb, ProductCb, ReviewStartCb
from models import Product, Review
from services.catalog import ProductCard
from tests.factories import make_category, make_product, make_user
from tests.tg import BOT_USERNAME, forged


async def _tree(session):
    electronics = await make_category(session, "Electronics")
    phones = await make_category(session, "Phones", parent=electronics)
    books = await make_category(session, "Книги")
    return electronics, phones, books


async def test_catalog_shows_top_level_categories_only_active(env, session):
    _electronics, _phones, books = await _tree(session)
    await make_category(session, "Secret", is_active=False)
    await session.commit()
    reply = await env.user(1).send("/catalog")
    assert reply.has_button("Electronics") and reply.has_button("Книги")
    assert not reply.has_button("Phones") and not reply.has_button("Secret")
    assert books.name in reply.buttons[1]


async def test_empty_catalog_says_so(env):
    reply = await env.user(1).send("/catalog")
    assert "empty" in reply.text
    assert reply.has_button("Main menu")


async def test_menu_catalog_button_edits_in_place(env, session):
    await _tree(session)
    await session.commit()
    ann = env.user(1)
    await ann.send("/start")
    first = ann.last_bot_message.message_id
    reply = await ann.press("Catalog")
    assert reply.has_button("Electronics")
    assert ann.last_bot_message.message_id == first


async def test_category_with_children_and_products_and_back(env, session):
    electronics, phones, _books = await _tree(session)
    await make_product(session, electronics, "Cable", price="9.99")
    await make_product(session, phones, "Pixel")
    await session.commit()
    ann = env.user(1)
    await ann.send("/catalog")
    reply = await ann.press("Electronics")
    assert reply.has_button("Phones") and reply.has_button("Cable")
    assert not reply.has_button("Pixel")
    reply = await ann.press("Phones")
    assert reply.has_button("Pixel") and "Phones" in reply.text
    reply = await ann.press("Back")
    assert "Electronics" in reply.text and reply.has_button("Cable")
    reply = await ann.press("Back")
    assert reply.has_button("Книги") and reply.has_button("Search")


async def test_empty_category(env, session):
    _e, phones, _b = await _tree(session)
    await session.commit()
    reply = await env.user(1).click(CategoryCb(id=phones.id))
    assert "Nothing here yet" in reply.text
    assert reply.buttons == ["⬅️ Back", "🏠 Main menu"]


async def test_exactly_one_page_has_no_navigation(env, session, settings):
    _e, phones, _b = await _tree(session)
    for i in range(settings.page_size):
        await make_product(session, phones, f"Phone {i}")
    await session.commit()
    reply = await env.user(1).click(CategoryCb(id=phones.id))
    assert len([b for b in reply.buttons if b.startswith("Phone")]) == settings.page_size
    assert not reply.has_button("▶") and not reply.has_button("1/1")


async def test_paging_forward_to_last_page_and_back(env, session, settings):
    _e, phones, _b = await _tree(session)
    total = settings.page_size * 2 + 3
    for i in range(total):
        await make_product(session, phones, f"Phone {i:02}")
    await session.commit()
    ann = env.user(1)
    reply = await ann.click(CategoryCb(id=phones.id))
    assert reply.has_button("1/3") and reply.has_button("▶")
    assert "◀" not in reply.buttons
    reply = await ann.press("▶")
    assert reply.has_button("2/3") and reply.has_button(f"Phone {settings.page_size:02}")
    reply = await ann.press("▶")
    last = [b for b in reply.buttons if b.startswith("Phone")]
    assert reply.has_button("3/3") and not reply.has_button("▶")
    assert len(last) == 3 and last[-1].startswith(f"Phone {total - 1:02}")
    reply = await ann.click(_prev(ann))
    assert reply.has_button("2/3") and reply.has_button(f"Phone {settings.page_size:02}")
    assert len([b for b in reply.buttons if b.startswith("Phone")]) == settings.page_size
    reply = await ann.click(_prev(ann))
    assert reply.has_button("1/3") and reply.has_button("Phone 00")
    # All of it happened in one message.
    assert len(ann.env.api.chats[ann.id]) == 1


def _prev(user) -> str:
    """The callback data of the ◀ page button (not '⬅️ Back')."""
    for row in user.last_bot_message.reply_markup.inline_keyboard:
        for btn in row:
            if btn.text == "◀":
                return btn.callback_data
    raise AssertionError("no ◀ button")


async def test_product_back_returns_to_the_same_page(env, session, settings):
    _e, phones, _b = await _tree(session)
    for i in range(settings.page_size + 2):
        await make_product(session, phones, f"Phone {i:02}")
    await session.commit()
    ann = env.user(1)
    await ann.click(CategoryCb(id=phones.id))
    await ann.press("▶")
    await ann.press(f"Phone {settings.page_size + 1:02}")
    reply = await ann.press("Back")
    assert reply.has_button("2/2") and reply.has_button(f"Phone {settings.page_size:02}")


async def test_product_card_contents_and_buttons(env, session):
    _e, phones, _b = await _tree(session)
    seller = await make_user(session, 500, first_name="Sam")
    product = await make_product(
        session,
        phones,
        "Pixel 9",
        price="44990.50",
        stock=12,
        seller=seller,
        description="Good phone",
        rating_sum=9,
        rating_count=2,
    )
    await session.commit()
    reply = await env.user(1).click(ProductCb(id=product.id, category_id=phones.id))
    text = reply.text
    assert "Pixel 9" in text and "44,990.50" in text and "In stock: 12" in text
    assert "★★★★★ 4.5" in text and "reviews: 2" in text
    assert "Sam" in text and "Good phone" in text and "Phones" in text
    assert reply.has_button("Add to cart") and reply.has_button("Reviews (2)")
    assert reply.has_button("Leave a review") and reply.has_button("Share")
    markup = env.api.last_message(1).reply_markup
    datas = [b.callback_data for row in markup.inline_keyboard for b in row]
    urls = [b.url for row in markup.inline_keyboard for b in row if b.url]
    # The card's own buttons carry its place (so a way back to it keeps its Back).
    assert CartAddCb(product_id=product.id, category_id=phones.id).pack() in datas
    assert ReviewStartCb(product_id=product.id, category_id=phones.id).pack() in datas
    assert CategoryCb(id=phones.id).pack() in datas
    assert urls == [
        f"https://t.me/share/url?url=https%3A%2F%2Ft.me%2F{BOT_USERNAME}%3Fstart%3Dp{product.id}"
    ]


async def test_card_out_of_stock_no_cart_and_russian(env, session):
    _e, phones, _b = await _tree(session)
    product = await make_product(session, phones, "Телефон", price="1299.5", stock=0)
    await session.commit()
    reply = await env.user(1, language_code="ru").click(ProductCb(id=product.id))
    assert "Нет в наличии" in reply.text and "Отзывов пока нет" in reply.text
    assert "1\xa0299,50" in reply.text and "₽" in reply.text
    assert not reply.has_button("В корзину") and reply.has_button("Отзывы (0)")


async def test_card_review_button_depends_on_viewer(env, session):
    _e, phones, _b = await _tree(session)
    seller = await make_user(session, 500)
    reviewer = await make_user(session, 501)
    product = await make_product(session, phones, "Pixel", seller=seller)
    session.add(Review(user_id=reviewer.id, product_id=product.id, grade=5))
    await session.commit()
    cb = ProductCb(id=product.id)
    assert (await env.user(501).click(cb)).has_button("Edit my review")
    own = await env.user(500).click(cb)
    assert not own.has_button("review") and own.has_button("Add to cart")
    assert (await env.user(502).click(cb)).has_button("Leave a review")


async def test_photo_card_and_back_to_text(env, session):
    _e, phones, _b = await _tree(session)
    product = await make_product(session, phones, "Pixel", photo_file_id="AgAC-photo")
    await session.commit()
    ann = env.user(1)
    await ann.click(CategoryCb(id=phones.id))
    reply = await ann.press("Pixel")
    [photo] = reply.of(SendPhoto)
    assert photo.photo == "AgAC-photo" and "Pixel" in photo.caption
    reply = await ann.press("Back")
    assert reply.of(SendMessage) and reply.has_button("Pixel")
    assert len(env.api.chats[ann.id]) == 1
    # Photo card to photo card edits the media in place.
    other = await make_product(session, phones, "Other", image_url="https://example.com/x.jpg")
    await session.commit()
    await ann.click(ProductCb(id=product.id))
    reply = await ann.click(ProductCb(id=other.id))
    assert reply.of(EditMessageMedia)


async def test_long_description_is_trimmed_to_caption_limit(env, session):
    _e, phones, _b = await _tree(session)
    product = await make_product(
        session, phones, "P" * 255, photo_file_id="AgAC-photo", description="😀<&> " * 900
    )
    await session.commit()
    reply = await env.user(1).click(ProductCb(id=product.id))
    [photo] = reply.of(SendPhoto)  # the fake API refuses an over-long or broken caption
    assert photo.caption.endswith("…")
    text_product = await make_product(session, phones, "Q", description="ж" * 5000)
    await session.commit()
    reply = await env.user(1).click(ProductCb(id=text_product.id))
    assert reply.of(SendMessage) and reply.text.endswith("…")  # the fake API checks 4096


async def test_names_are_escaped_everywhere(env, session):
    cat = await make_category(session, "<Tools & Co>")
    name = "<b>Hammer</b> & «nails» 🔨" + "x" * 170
    product = await make_product(session, cat, name, description="<script>")
    await session.commit()
    ann = env.user(1)
    reply = await ann.send("/catalog")
    assert reply.has_button("<Tools & Co>")
    reply = await ann.press("Tools")
    assert "&lt;Tools &amp; Co&gt;" in reply.text
    assert all(len(b) <= 64 for b in reply.buttons)
    reply = await ann.click(ProductCb(id=product.id))
    assert "&lt;b&gt;Hammer&lt;/b&gt; &amp; «nails» 🔨" in reply.text
    assert "&lt;script&gt;" in reply.text


async def test_hidden_products_and_categories_never_show(env, session):
    electronics, phones, _b = await _tree(session)
    await make_product(session, phones, "Visible")
    await make_product(session, phones, "Hidden", is_active=False)
    await make_product(session, phones, "Deleted", is_deleted=True)
    await session.commit()
    ann = env.user(1)
    reply = await ann.click(CategoryCb(id=phones.id))
    assert reply.has_button("Visible")
    assert not reply.has_button("Hidden") and not reply.has_button("Deleted")
    electronics.is_active = False
    await session.commit()
    reply = await ann.send("/catalog")
    assert not reply.has_button("Electronics")
    # A subcategory of a hidden category is hidden too, even opened directly.
    reply = await ann.click(CategoryCb(id=phones.id))
    assert reply.alert == "This category is no longer available."
    assert "📂 Книги" in ann.shown_buttons and "Visible" not in str(ann.shown_buttons)


async def test_stale_product_button_says_no_longer_available(env, session):
    _e, phones, _b = await _tree(session)
    product = await make_product(session, phones, "Pixel")
    await make_product(session, phones, "Other")
    await session.commit()
    ann = env.user(1)
    await ann.click(CategoryCb(id=phones.id))
    product.is_active = False
    await session.commit()
    reply = await ann.press("Pixel")
    assert reply.alert == "This product is no longer available."
    assert "Phones" in reply.text and reply.has_button("Other") and not reply.has_button("Pixel")
    await session.delete(await session.get(Product, product.id))
    await session.commit()
    reply = await ann.click(ProductCb(id=product.id, category_id=phones.id))
    assert reply.alert == "This product is no longer available."


async def test_product_in_hidden_category_is_not_available(env, session):
    electronics, phones, _b = await _tree(session)
    product = await make_product(session, phones, "Pixel")
    electronics.is_active = False
    await session.commit()
    reply = await env.user(1).click(ProductCb(id=product.id, category_id=phones.id))
    assert reply.alert == "This product is no longer available."
    assert not reply.has_button("Pixel")


async def test_deep_link_opens_card_for_a_new_user(env, session):
    _e, phones, _b = await _tree(session)
    product = await make_product(session, phones, "Pixel")
    await session.commit()
    reply = await env.user(77, "New").send(f"/start p{product.id}")
    assert "Pixel" in reply.text and reply.has_button("Add to cart")
    assert reply.has_button("Back")


async def test_deep_link_to_hidden_or_unknown_product(env, session):
    _e, phones, _b = await _tree(session)
    product = await make_product(session, phones, "Pixel", is_active=False)
    await session.commit()
    reply = await env.user(1).send(f"/start p{product.id}")
    assert "no longer available" in reply.texts[0]
    assert reply.has_button("Electronics")
    reply = await env.user(1).send("/start p99999999999")  # too big: the main menu
    assert reply.has_button("Catalog")
    reply = await env.user(1).send("/start promo")
    assert reply.has_button("Catalog") and "Welcome" in reply.text


async def test_callback_data_fits_for_large_ids(env, session):
    big = 2**31 - 1
    for cb in (
        ProductCb(id=big, category_id=big, page=big, after=big),
        CategoryCb(id=big, page=big, after=-big),
    ):
        assert len(cb.pack().encode()) <= 64
    reply = await env.user(1).click(ProductCb(id=big, category_id=big, page=3, after=big))
    assert reply.alert == "This product is no longer available."
    reply = await env.user(1).click(forged(ProductCb, id=2**40, category_id=0, page=1, after=0))
    assert "out of date" in reply.alert


async def test_product_screen_of_a_draft_has_no_actions(env):
    """The seller's preview: a product not saved yet renders without action buttons."""
    from screens.catalog import product_screen

    draft = Product(name="<Draft>", description="", price=Decimal("5"), stock=3)
    draft.rating_count = 0
    draft.rating_sum = 0
    with env.dp["i18n"].context(), env.dp["i18n"].use_locale("en"):
        screen = product_screen(
            ProductCard(product=draft, seller_name="Sam"),
            locale="en",
            currency="RUB",
            back=None,
            bot_username="",
        )
    labels = [b.text for row in screen.markup.inline_keyboard for b in row]
    assert labels == ["🏠 Main menu"] and "&lt;Draft&gt;" in screen.text and "Sam" in screen.text


async def test_manage_button_for_the_seller_and_admins_only(env, session):
    from models import Role
    from tests.conftest import ADMIN_ID
    from tests.factories import make_category, make_product, make_user

    seller = await make_user(session, 501, Role.seller)
    await make_user(session, 502, Role.seller)  # a seller, but not of this product
    await make_user(session, ADMIN_ID, Role.admin)
    category = await make_category(session, "Tea")
    product = await make_product(session, category, "Green tea", seller=seller)
    await session.commit()

    def card_for(telegram_id):
        return env.user(telegram_id).click(ProductCb(id=product.id))

    assert (await card_for(501)).has_button("Manage")
    assert (await card_for(ADMIN_ID)).has_button("Manage")
    assert not (await card_for(502)).has_button("Manage")
    assert not (await card_for(7)).has_button("Manage")
    reply = await env.user(ADMIN_ID).press("Manage")
    assert "Green tea" in reply.text and reply.has_button("Edit")


# -- the pager is the same however a page is reached ------------------------------------


def _labels(user) -> list[str]:
    return user.shown_buttons


async def test_page_one_looks_the_same_however_it_is_reached(env, session, settings):
    _e, phones, _b = await _tree(session)
    for i in range(settings.page_size * 2):  # exactly two pages
        await make_product(session, phones, f"Phone {i:02}")
    await session.commit()
    ann = env.user(1)
    await ann.click(CategoryCb(id=phones.id))
    first = _labels(ann)
    assert "1/2" in first and "◀" not in first and "▶" in first
    await ann.press("▶")
    assert "2/2" in _labels(ann) and "◀" in _labels(ann)
    await ann.click(_prev(ann))
    assert _labels(ann) == first
    await ann.press("Phone 03")
    await ann.press("Back")
    assert _labels(ann) == first
    # The counter says where you are: pressing it changes nothing and sends nothing.
    reply = await ann.press("1/2")
    assert [type(c) for c in reply.calls] == [AnswerCallbackQuery]
    assert _labels(ann) == first


async def test_a_one_page_list_never_gains_a_pager(env, session):
    _e, phones, _b = await _tree(session)
    await make_product(session, phones, "Phone X")
    await session.commit()
    ann = env.user(1)
    await ann.click(CategoryCb(id=phones.id))
    await ann.press("Phone X")
    await ann.press("Back")
    assert not any("/" in b or b in ("◀", "▶") for b in _labels(ann))


async def test_a_press_that_changes_nothing_sends_nothing(env, session, settings):
    _e, phones, _b = await _tree(session)
    for i in range(settings.page_size + 1):
        await make_product(session, phones, f"Phone {i:02}")
    await session.commit()
    ann = env.user(1)
    await ann.click(CategoryCb(id=phones.id))
    # Page 1 was read for a while before ▶ was tapped twice: both taps carry it as it was.
    page_one = ann.last_bot_message
    page_one = page_one.model_copy(update={"edit_date": page_one.edit_date - 5})
    reply = await ann.click(ann.find_button("▶", page_one), page_one)
    assert reply.of(EditMessageText)
    reply = await ann.click(ann.find_button("▶", page_one), page_one)  # the second tap
    assert [type(c) for c in reply.calls] == [AnswerCallbackQuery]
    assert "2/2" in _labels(ann)


async def test_forged_page_numbers_show_a_real_page(env, session, settings):
    _e, phones, _b = await _tree(session)
    products = [
        await make_product(session, phones, f"Phone {i:02}")
        for i in range(settings.page_size * 2 + 1)
    ]
    await session.commit()
    ann = env.user(1)
    await ann.click(forged(CategoryCb, id=phones.id, page=99999, after=products[3].id))
    assert "3/3" in _labels(ann) and "▶" not in _labels(ann)
    assert any(f"Phone {len(products) - 1:02}" in b for b in _labels(ann))
    await ann.click(forged(CategoryCb, id=phones.id, page=-5, after=products[9].id))
    assert "1/3" in _labels(ann) and "◀" not in _labels(ann)
    assert any("Phone 00" in b for b in _labels(ann))
    # No cursor at all: past the end is still the last page; inside the list, the page
    # asked for, with its own ◀ and ▶.
    await ann.click(forged(CategoryCb, id=phones.id, page=999))
    assert "3/3" in _labels(ann) and "▶" not in _labels(ann)
    size = settings.page_size
    await ann.click(forged(CategoryCb, id=phones.id, page=2))
    assert "2/3" in _labels(ann)
    shown = [b.split(" · ")[0] for b in _labels(ann) if " · " in b]
    assert shown == [f"Phone {i:02}" for i in range(size, 2 * size)]
    await ann.press("▶")
    assert "3/3" in _labels(ann) and any(f"Phone {2 * size:02}" in b for b in _labels(ann))
    await ann.click(forged(CategoryCb, id=phones.id, page=2))
    await ann.press("◀")
    assert "1/3" in _labels(ann) and any("Phone 00" in b for b in _labels(ann))


async def test_a_page_shows_a_changed_price_or_stock_at_once(env, session):
    """Page keyboards are reused for the same content: never for changed content."""
    _e, phones, _b = await _tree(session)
    phone = await make_product(session, phones, "Phone X", price=Decimal("100"), stock=3)
    await session.commit()
    ann, bob = env.user(1), env.user(2)
    await ann.click(CategoryCb(id=phones.id))
    assert any("100" in b for b in ann.shown_buttons)
    phone.price, phone.stock = Decimal("120"), 0
    await session.commit()
    await bob.click(CategoryCb(id=phones.id))
    [label] = [b for b in bob.shown_buttons if "Phone X" in b]
    assert "120" in label and "out of stock" in label


@pytest.mark.parametrize("opened_from", ["category", "search"])
async def test_every_button_of_a_dead_card_shows_where_it_came_from(env, session, opened_from):
    _e, phones, _b = await _tree(session)
    pixel = await make_product(session, phones, "Pixel 9", stock=3)
    await make_product(session, phones, "Pixel 8", stock=3)
    await session.commit()
    ann = env.user(1)
    for label in ("Add to cart", "Add to favourites", "Reviews", "Leave a review"):
        pixel.is_deleted = False
        await session.commit()
        if opened_from == "category":
            await ann.click(CategoryCb(id=phones.id))
        else:
            await ann.send("/search pixel")
        await ann.press("Pixel 9")
        pixel.is_deleted = True  # deleted by its seller while the card is on screen
        await session.commit()
        reply = await ann.press(label)
        assert reply.alert == "This product is no longer available.", label
        # The dead card is replaced by the list it was opened from.
        assert reply.has_button("Pixel 8") and not reply.has_button("Pixel 9"), label
        assert not reply.has_button("Add to cart"), label


def _last_button(reply, label: str) -> str:
    """The callback data of the last button labelled `label` (the products' pager comes
    after the subcategories')."""
    found = [b for row in reply.markup.inline_keyboard for b in row if b.text == label]
    assert found, (label, reply.buttons)
    return found[-1].callback_data


async def test_subcategories_are_paged_beside_the_products(make_env, settings, session):
    """More subcategories than a page holds are paged with their own pager (📂 n/N), and
    the products' page stays where it is while they turn, and the other way round. At
    the most (40 subcategories, 50 products, both pagers and the way back) a page stays
    within Telegram's 100 buttons: the fake Bot API refuses more, and a refusal fails
    the test. The top level pages the same way."""
    env = make_env(settings.model_copy(update={"page_size": 50}))
    top = await make_category(session, "Top")
    for n in range(95):
        await make_category(session, f"Sub {n}", parent=top)
    for n in range(84):
        await make_category(session, f"Other {n}")
    for n in range(60):
        await make_product(session, top, f"Tea {n}")
    await session.commit()
    ann = env.user(1)
    reply = await ann.click(CategoryCb(id=top.id))
    subs = [b for b in reply.buttons if b.startswith("📂 Sub ")]
    assert subs == [f"📂 Sub {n}" for n in range(40)]
    assert "📂 1/3" in reply.buttons and "1/2" in reply.buttons
    assert reply.has_button("Tea 0") and reply.has_button("Tea 49")
    reply = await ann.press("▶")  # the first pager: the subcategories'
    assert "📂 Sub 40" in reply.buttons and "📂 Sub 79" in reply.buttons
    assert "📂 Sub 39" not in reply.buttons and "📂 2/3" in reply.buttons
    assert reply.has_button("Tea 49") and "1/2" in reply.buttons  # products unmoved
    reply = await ann.click(_last_button(reply, "▶"))  # the products' pager
    assert reply.has_button("Tea 59") and not reply.has_button("Tea 49")
    assert "📂 Sub 40" in reply.buttons and "📂 2/3" in reply.buttons  # subcategories unmoved
    reply = await ann.press("▶")
    assert "📂 Sub 94" in reply.buttons and "📂 3/3" in reply.buttons
    assert reply.has_button("Tea 59")
    # A forged page past the end shows the last one; a subcategory still opens.
    reply = await ann.click(CategoryCb(id=top.id, sub=99))
    assert "📂 3/3" in reply.buttons and "📂 Sub 94" in reply.buttons
    reply = await ann.press("Sub 94")
    assert "Sub 94" in reply.text
    reply = await ann.press("Back")  # to the page of subcategories it is listed on
    assert "📂 3/3" in reply.buttons and "📂 Sub 94" in reply.buttons
    reply = await ann.send("/catalog")
    assert "📂 Other 38" in reply.buttons and "📂 Other 40" not in reply.buttons
    assert "📂 1/3" in reply.buttons and reply.has_button("Search")
    reply = await ann.press("▶")
    assert "📂 Other 40" in reply.buttons and "📂 2/3" in reply.buttons
    await ann.press("Other 40")
    reply = await ann.press("Back")
    assert "📂 2/3" in reply.buttons and "📂 Other 40" in reply.buttons


async def test_a_catalog_button_from_before_the_subcategory_pager_still_opens(env, session):
    """Messages sent before CategoryCb gained `sub` carry 'c:<id>:<page>:<after>'."""
    tea = await make_category(session, "Tea")
    await make_product(session, tea, "Sencha")
    await session.commit()
    reply = await env.user(1).click(f"c:{tea.id}:1:0")
    assert "Tea" in reply.text and reply.has_button("Sencha")


async def test_a_product_card_keeps_both_pages_for_back(env, session):
    """A card opened on subcategory page 2 of a category (itself on page 2 of the top
    level) goes Back to that page, also after Add to cart and a toggle redrew it, and
    that page's Back goes to the top level's page 2."""
    for n in range(45):
        await make_category(session, f"Other {n:02}")
    top = await make_category(session, "Top")  # the 46th: on the top level's page 2
    for n in range(45):
        await make_category(session, f"Sub {n:02}", parent=top)
    await make_product(session, top, "Tea")
    await session.commit()
    ann = env.user(1)
    await ann.send("/catalog")
    await ann.press("▶")
    await ann.press("Top")
    reply = await ann.press("▶")
    assert "📂 2/2" in reply.buttons and "📂 Sub 44" in reply.buttons
    await ann.press("Tea")
    await ann.press("Add to cart")
    await ann.press("Add to favourites")
    reply = await ann.press("Back")
    assert "📂 2/2" in reply.buttons and "📂 Sub 44" in reply.buttons and reply.has_button("Tea")
    reply = await ann.press("Back")
    assert "📂 2/2" in reply.buttons and "📂 Top" in reply.buttons


async def test_forged_subcategory_pages_show_a_real_page(env, session):
    """As a forged products' page: 0 or below is the first, past the end the last; the
    card's Back carries them as they were read."""
    tea = await make_category(session, "Tea")
    product = await make_product(session, tea, "Sencha")
    await session.commit()
    ann = env.user(1)
    for press in (
        f"c:{tea.id}:1:0:1:-1",
        f"c:{tea.id}:1:0:-7:0",
        f"c:{tea.id}:1:0:99999999:1",
        f"p:{product.id}:{tea.id}:1:0:-1:-1",
    ):
        reply = await ann.click(press)  # (the same page again: not redrawn)
        assert "went wrong" not in (reply.alert or ""), press
        shown = " ".join(ann.shown_buttons)
        assert "Sencha" in shown or "Add to cart" in shown, press
    reply = await ann.press("Back")
    assert reply.has_button("Sencha")
