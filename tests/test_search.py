"""Search (command, dialog, pages) and inline mode."""

from decimal import Decimal

import pytest
from aiogram.methods import AnswerInlineQuery

from keyboards.callback_data import SearchCb
from services.catalog_search import word_stem
from tests.factories import make_category, make_product
from tests.test_migrations import scratch_url  # noqa: F401 (a fixture)
from tests.tg import BOT_USERNAME, forged


async def _shop(session):
    cat = await make_category(session, "Phones")
    await make_product(session, cat, "Смартфон ЁЛКА", description="Большой ЭКРАН")
    await make_product(session, cat, "Pixel PHONE", description="Great camera", stock=0)
    await make_product(session, cat, "Чехол", description="для телефона")
    await make_product(session, cat, "Hidden phone", is_active=False)
    hidden_cat = await make_category(session, "Secret", is_active=False)
    sub = await make_category(session, "Under secret", parent=hidden_cat)
    await make_product(session, sub, "Secret phone")
    await session.commit()
    return cat


def _products(reply) -> list[str]:
    return [b for b in reply.buttons if "·" in b]


async def test_search_english_is_case_insensitive(env, session):
    await _shop(session)
    reply = await env.user(1).send("/search phone")
    found = _products(reply)
    assert len(found) == 1 and "Pixel PHONE" in found[0] and "out of stock" in found[0]
    assert "1 found" in reply.text


async def test_search_folds_cyrillic_and_yo(env, session):
    await _shop(session)
    ann = env.user(1, language_code="ru")
    assert "Смартфон" in _products(await ann.send("/search смартфон"))[0]
    assert "Смартфон" in _products(await ann.send("/search елка экран"))[0]
    assert "Чехол" in _products(await ann.send("/search ТЕЛЕФОНА"))[0]
    reply = await ann.send("/search смартфон чехол")  # every word must match
    assert _products(reply) == [] and "ничего не найдено" in reply.text


async def test_search_reads_what_shows_not_how_it_is_encoded(env, session):
    """ "е" with a combining diaeresis is "ё" (so "е"); a pasted zero-width space shows
    nothing; full-width letters are letters: each finds what it reads as."""
    await _shop(session)
    ann = env.user(1, language_code="ru")
    assert "Смартфон" in _products(await ann.send("/search е\u0308лка"))[0]
    assert "Смартфон" in _products(await ann.send("/search \u200bсмарт\u2060фон"))[0]
    assert "Pixel PHONE" in _products(await ann.send("/search ｐｈｏｎｅ"))[0]


async def test_search_leaves_out_hidden_products_and_categories(env, session):
    await _shop(session)
    reply = await env.user(1).send("/search secret")
    assert _products(reply) == []
    reply = await env.user(1).send("/search hidden")
    assert _products(reply) == []


async def test_wildcards_are_plain_characters(env, session):
    cat = await make_category(session)
    await make_product(session, cat, "100% cotton")
    await make_product(session, cat, "Linen")
    await session.commit()
    assert len(_products(await env.user(1).send("/search %"))) == 1
    assert _products(await env.user(1).send("/search _")) == []


@pytest.mark.parametrize(
    "query", ["iphone,", "iphone!", "(iphone)", '"iphone"', "iphone?", "чехол, чёрный", "«чехол»."]
)
async def test_punctuation_typed_around_a_word_is_not_part_of_it(env, session, query):
    cat = await make_category(session)
    await make_product(session, cat, "iPhone 15 black")
    await make_product(session, cat, "Чехол чёрный", description="кожаный")
    await make_product(session, cat, "C++ for beginners")
    await session.commit()
    found = _products(await env.user(1).send(f"/search {query}"))
    assert len(found) == 1 and found[0].split(" · ")[0] in ("iPhone 15 black", "Чехол чёрный")
    # A dash or marks standing alone are no words.
    for query in ("iphone — black", "iphone - 15", "iphone ...", "iphone ?"):
        assert len(_products(await env.user(1).send(f"/search {query}"))) == 1, query
    # A hyphen joins words one may write apart, either way.
    await make_product(session, cat, "Чай Эрл Грей")
    await make_product(session, cat, "Эрл-Грей крупнолистовой")
    await session.commit()
    found = _products(await env.user(1).send("/search эрл-грей"))
    assert len(found) == 2, found
    assert len(_products(await env.user(1).send("/search эрл грей"))) == 2
    # What a name holds at its ends stays as typed.
    found = _products(await env.user(1).send("/search c++"))
    assert len(found) == 1 and "C++" in found[0]


async def test_other_forms_of_a_word_find_the_product(env, session):
    """Customers type a plural or another case; the name holds one form of the word."""
    cat = await make_category(session)
    await make_product(session, cat, "Футболка белая", description="хлопок")
    await make_product(session, cat, "Платье летнее")
    await make_product(session, cat, "Термос", description="Бесплатная доставка")
    await make_product(session, cat, "Кабель USB-C")
    await make_product(session, cat, "Кофта синяя")
    await make_product(session, cat, "Кофе молотый")
    await make_product(session, cat, "Phone case", description="Fits every phone")
    await make_product(session, cat, "Candle")
    await make_product(session, cat, "Toilet paper")
    await make_product(session, cat, "Headphones", description="Набор:футболки,носки")
    # Newer, so first among equals, but "плат" is in its name only inside a word.
    await make_product(session, cat, "Бесплатный подарок", description="к любому платью")
    await session.commit()
    ann = env.user(1, language_code="ru")

    async def names(query):
        return [b.split(" · ")[0] for b in _products(await ann.send(f"/search {query}"))]

    assert await names("футболки") == ["Футболка белая", "Headphones"]  # after ":"
    assert await names("белая футболку") == ["Футболка белая"]
    # The word as typed is still found anywhere, as it was before stems.
    assert await names("phones") == ["Headphones", "Phone case"]
    assert await names("кабели") == ["Кабель USB-C"]
    # A stem is looked for where a word starts: "платья" is not in "бесплатная", and
    # a name holding it only inside a word ranks as a description match.
    assert await names("платья") == ["Платье летнее", "Бесплатный подарок"]
    # A word whose stem would be short, or rewritten, is searched as typed: "кофе" is no
    # stem of "кофта", "белый" none of "кабель", "candy" none of "candle".
    assert await names("кофе") == ["Кофе молотый"]
    assert await names("кофты") == ["Кофта синяя"]
    for query in ("белый", "candy", "oils"):
        assert await names(query) == [], query
    # Every word must still match, each in any of its forms.
    assert await names("футболки синие") == []
    [answer] = (await env.user(2).inline("футболки")).of(AnswerInlineQuery)
    assert [r.title for r in answer.results] == ["Футболка белая", "Headphones"]


@pytest.mark.parametrize("word", ["футболки", "деревянные", "зеленый", "сталь", "phones"])
def test_a_words_stem_is_only_ever_its_start(word):
    """So whatever the word itself finds where a word starts, its stem finds too."""
    stem = word_stem(word)
    assert word.startswith(stem) and len(stem) < len(word)


async def test_words_past_the_eighth_are_said_to_be_left_out(env, session):
    cat = await make_category(session)
    await make_product(session, cat, "iPhone 15 black")
    await session.commit()
    ann = env.user(1)
    reply = await ann.send("/search iphone 15 black iphone 15 black iphone 15 zzzz")
    assert len(_products(reply)) == 1
    assert "Only the first 8 words were searched for." in reply.text
    reply = await ann.send("/search iphone 15 black")
    assert "Only the first" not in reply.text


def test_a_count_past_the_cap_is_written_in_groups():
    from bot.i18n import create_i18n
    from screens.search import results_screen
    from services.catalog import COUNT_CAP, ListedProduct, Page

    item = ListedProduct(id=1, name="Bulb", price=Decimal(1), stock=1)
    page = Page([item], 1, 50, has_prev=False, has_next=True)
    i18n = create_i18n()
    said = {}
    for locale in ("en", "ru"):
        with i18n.context(), i18n.use_locale(locale):
            screen = results_screen("bulb", page, COUNT_CAP + 1, currency="RUB", locale=locale)
            said[locale] = screen.text
    assert "more than 1 000 found" in said["en"]
    assert "1 000" in said["ru"] and "1000" not in said["ru"]


async def test_search_dialog_from_the_menu(env, session):
    await _shop(session)
    ann = env.user(1)
    await ann.send("/start")
    reply = await ann.press("Search")
    assert "looking for" in reply.text and reply.has_button("Cancel") and reply.has_button("Back")
    reply = await ann.send_sticker()
    assert "as text" in reply.text and "looking for" in reply.text
    reply = await ann.send("camera")
    assert len(_products(reply)) == 1
    # The dialog is over: plain text is no longer a search.
    reply = await ann.send("camera")
    assert "didn't understand" in reply.text


async def test_search_command_without_words_asks_for_them(env, session):
    await _shop(session)
    ann = env.user(1)
    reply = await ann.send("/search")
    assert "looking for" in reply.text
    reply = await ann.send("чехол")
    assert "Чехол" in _products(reply)[0]


async def test_search_pages_and_back_from_a_product(env, session, settings):
    cat = await make_category(session)
    total = settings.page_size + 3
    for i in range(total):
        await make_product(session, cat, f"Lamp {i:02}", description="лампа")
    await session.commit()
    ann = env.user(1)
    reply = await ann.send("/search ЛАМПА")
    assert f"{total} found" in reply.text and reply.has_button("1/2")
    # Equally good matches: the newest first.
    assert _products(reply)[0].startswith(f"Lamp {total - 1:02}")
    reply = await ann.press("▶")
    assert reply.has_button("2/2") and len(_products(reply)) == 3
    reply = await ann.press("Lamp 00")
    assert "Lamp" in reply.text and reply.has_button("Add to cart")
    reply = await ann.press("Back")
    assert reply.has_button("2/2") and reply.has_button("Lamp 00"), reply.buttons
    reply = await ann.press("◀")
    assert reply.has_button("1/2") and reply.has_button(f"Lamp {total - 1:02}")
    # Page 1 looks the same however it is reached: it says how many were found.
    assert f"{total} found" in reply.text
    await ann.press("▶")
    await ann.press("◀")
    await ann.press(f"Lamp {total - 1:02}")
    reply = await ann.press("Back")
    assert f"{total} found" in reply.text and reply.has_button("1/2")


async def test_old_search_page_after_restart_of_dialogs(env, session):
    await _shop(session)
    ann = env.user(1)
    await ann.send("/search phone")
    await ann.send("/start")  # clears the dialog data, saved words included
    reply = await ann.click(SearchCb(page=2, after=1))
    assert "out of date" in reply.text
    reply = await ann.send("pixel")
    assert len(_products(reply)) == 1


async def test_inline_query_lists_matching_products(env, session):
    cat = await _shop(session)
    await make_product(
        session, cat, "Phone <Pro> & Co", price="10", image_url="https://example.com/p.jpg"
    )
    await session.commit()
    reply = await env.user(1).inline("PHONE")
    [answer] = reply.of(AnswerInlineQuery)
    titles = [r.title for r in answer.results]
    assert titles == ["Phone <Pro> & Co", "Pixel PHONE"]
    first = answer.results[0]
    assert first.thumbnail_url == "https://example.com/p.jpg"
    assert "10.00" in first.description
    assert "&lt;Pro&gt; &amp; Co" in first.input_message_content.message_text
    [[button]] = first.reply_markup.inline_keyboard
    assert button.url == f"https://t.me/{BOT_USERNAME}?start=p{first.id}"
    # Texts and prices are in the asker's language: Telegram must not share the cache.
    assert answer.cache_time == 30 and answer.is_personal
    assert answer.results[1].thumbnail_url is None


async def test_inline_empty_query_shows_newest_and_pages(env, session):
    cat = await make_category(session)
    for i in range(25):
        await make_product(session, cat, f"Item {i:02}")
    await session.commit()
    user = env.user(1)
    [answer] = (await user.inline("")).of(AnswerInlineQuery)
    assert len(answer.results) == 20 and answer.results[0].title == "Item 24"
    [more] = (await user.inline("", offset=answer.next_offset)).of(AnswerInlineQuery)
    assert [r.title for r in more.results] == [f"Item {i:02}" for i in range(4, -1, -1)]
    assert more.next_offset == ""


async def test_product_hidden_after_search_shows_the_results_again(env, session):
    cat = await make_category(session)
    lamp = await make_product(session, cat, "Lamp", description="лампа")
    await make_product(session, cat, "Desk lamp")
    await session.commit()
    ann = env.user(1)
    await ann.send("/search lamp")
    lamp.is_deleted = True
    await session.commit()
    reply = await ann.click(ann.find_button("Lamp ·"))
    assert reply.alert == "This product is no longer available."
    assert reply.has_button("Desk lamp") and not reply.has_button("Lamp ·")


async def test_page_count_stays_right_on_every_page(env, session, settings):
    cat = await make_category(session)
    for i in range(settings.page_size * 5):
        await make_product(session, cat, f"Bulb {i:02}", description="bulb")
    await session.commit()
    ann = env.user(1)
    reply = await ann.send("/search bulb")
    assert reply.has_button("1/5")
    for n in range(2, 6):
        reply = await ann.press("▶")
        assert reply.has_button(f"{n}/5"), reply.buttons


async def test_forged_search_pages_show_a_real_page(env, session, settings):
    """The count of a search is kept with its words, not in the button: a forged page
    shows a real page with a true n/N."""
    cat = await make_category(session)
    total = settings.page_size * 2 + 1
    lamps = [
        await make_product(session, cat, f"Lamp {i:02}", description="лампа") for i in range(total)
    ]
    await session.commit()
    ann = env.user(1)
    await ann.send("/search lamp")
    assert "1/3" in ann.shown_buttons
    await ann.click(forged(SearchCb, page=99999, after=lamps[2].id))
    assert "3/3" in ann.shown_buttons and "▶" not in ann.shown_buttons
    await ann.click(forged(SearchCb, page=-4, after=lamps[9].id))
    assert "1/3" in ann.shown_buttons and "◀" not in ann.shown_buttons
    # A page past the end with no cursor at all is the last page too, not the first.
    await ann.click(forged(SearchCb, page=999))
    assert "3/3" in ann.shown_buttons and "▶" not in ann.shown_buttons
    await ann.press("◀")
    # Inside the list with no cursor: the page asked for, the same as paging to it.
    await ann.click(forged(SearchCb, page=2))
    assert "2/3" in ann.shown_buttons and "◀" in ann.shown_buttons and "▶" in ann.shown_buttons
    forged_page = ann.shown_buttons
    await ann.click(forged(SearchCb, page=1))
    await ann.press("▶")
    assert ann.shown_buttons == forged_page
    await ann.press("◀")
    assert "1/3" in ann.shown_buttons and "found" in ann.shown_text
    # Back from a card on page 2 is still page 2 of 3.
    await ann.press("▶")
    await ann.press(f"Lamp {settings.page_size:02}")  # newest first: on page 2 of 3
    await ann.press("Back")
    assert "2/3" in ann.shown_buttons
    assert any(b.startswith(f"Lamp {settings.page_size:02}") for b in ann.shown_buttons)


async def test_products_added_since_the_search_are_reached_by_paging(env, session, settings):
    """The count kept with a search is checked again when a press does not fit it."""
    cat = await make_category(session)
    size = settings.page_size
    for i in range(size + 1):
        await make_product(session, cat, f"Lamp {i:02}")
    await session.commit()
    ann = env.user(1)
    await ann.send("/search lamp")
    assert "1/2" in ann.shown_buttons
    # A page more is added meanwhile; the word only in their description, so they
    # come after the name matches the user is paging through.
    for i in range(size + 2):
        await make_product(session, cat, f"Bulb {i:02}", description="for a lamp")
    await session.commit()
    await ann.press("▶")
    await ann.press("▶")
    assert "3/3" in ann.shown_buttons
    assert any(b.startswith("Bulb 00") for b in ann.shown_buttons)


@pytest.mark.parametrize(
    "dialog",
    ["checkout: Back", "checkout: Cancel on the phone step", "checkout: order placed", "promo"],
)
async def test_the_cart_dialogs_keep_the_saved_search(env, session, settings, dialog):
    """Checkout and the promo code step begin and end like every dialog: the customer's
    saved search outlives them, so Back on a result's card still leads to its page."""
    cat = await make_category(session)
    for i in range(settings.page_size + 2):
        await make_product(session, cat, f"Lamp {i:02}", description="лампа")
    await session.commit()
    ann = env.user(1)
    await ann.send("/search lamp")
    await ann.press("▶")
    await ann.press("Lamp 00")
    card = ann.last_bot_message
    await ann.press("Add to cart")
    await ann.send("/cart")
    if dialog == "promo":
        await ann.press("Promo code")
        await ann.press("Back")
    else:
        await ann.press("Checkout")
        if dialog == "checkout: Back":
            await ann.press("Back")
        elif dialog == "checkout: Cancel on the phone step":
            await ann.send("Ann")
            await ann.send("✖️ Cancel")
        else:
            await to_summary_from_name(ann)
            assert "Order #1" in (await ann.press("Confirm")).text
    reply = await ann.click(ann.find_button("Back", card), card)
    # (A sale moves Lamp 00 up to page 1: the most sold come first.)
    assert "Results for «lamp»" in reply.text and reply.has_button("2/2")


async def to_summary_from_name(user):
    await user.send("Ann Smith")
    await user.send_contact("+7 999 123-45-67")
    await user.send("Baker Street 221b")
    await user.send("Ring twice")


async def test_revision_0012_refolds_the_products_saved_before(scratch_url):  # noqa: F811
    """A name saved under the fold before 0012 kept its zero-width space and its combining
    mark in `search_text`: the revision folds it again (and its downgrade back)."""
    from sqlalchemy import text

    from bot import migrate
    from db.engine import create_engine, create_session_pool

    name = "\u200bе\u0308лка"
    engine = create_engine(scratch_url)
    try:
        await migrate.upgrade(engine, "0011")  # the same tables as the head's
        async with create_session_pool(engine)() as session:
            await make_product(session, await make_category(session, "Trees"), name)
            await session.commit()
        before = f"{name}\n".casefold()  # as 0002-0011 folded it
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE products SET search_text = :t"), {"t": before})
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT search_text FROM products")) == "елка\n"
        await migrate.downgrade(engine, "0011")
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT search_text FROM products")) == before
    finally:
        await engine.dispose()
