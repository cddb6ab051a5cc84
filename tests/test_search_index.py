"""Search at scale: the ranking, the index staying in step with products, the capped
count, the SQLite fallbacks, inline photos. (Speed is in benchmarks/search.py.)"""

import pytest
from aiogram.methods import AnswerInlineQuery
from aiogram.types import InlineQueryResultArticle, InlineQueryResultCachedPhoto
from sqlalchemy import delete, inspect, select, text

import screens.search
import services.catalog
import services.catalog_search
from bot import migrate
from db.engine import create_engine, create_session_pool
from models import Base, Product
from models.search_index import FTS_TABLE, FTS_TRIGGERS, products_fts
from services.catalog import CatalogService
from services.catalog_search import uses_fts
from services.orders import OrderService
from tests.factories import make_category, make_product, make_user


def _names(reply) -> list[str]:
    return [b.split(" · ")[0] for b in reply.buttons if "·" in b]


async def test_name_matches_first_then_sold_then_rating(env, session):
    cat = await make_category(session)
    await make_product(session, cat, "Desk", description="a lamp holder", sold=500)
    await make_product(session, cat, "Lamp plain")
    await make_product(session, cat, "Lamp rated", rating_sum=9, rating_count=2)
    await make_product(session, cat, "Lamp liked", rating_sum=5, rating_count=1)
    await make_product(session, cat, "Lamp sold", sold=3)
    await make_product(session, cat, "Lamp old hidden", is_deleted=True, sold=900)
    await session.commit()
    reply = await env.user(1).send("/search LAMP")
    # All the name matches before the popular description match; among them the most
    # sold, then the best average grade (5.0 before 4.5), then the rest.
    assert _names(reply) == ["Lamp sold", "Lamp liked", "Lamp rated", "Lamp plain", "Desk"]


async def test_a_name_match_needs_every_word_in_the_name(env, session):
    cat = await make_category(session)
    await make_product(session, cat, "Red lamp", description="bright", sold=1)
    await make_product(session, cat, "Bright red lamp")
    await make_product(session, cat, "Red bright lamp", description="lamp")
    await session.commit()
    reply = await env.user(1).send("/search lamp bright")
    assert _names(reply) == ["Red bright lamp", "Bright red lamp", "Red lamp"]


async def test_pages_follow_the_ranking_both_ways(env, session, settings, monkeypatch):
    # SQLite tries the most popular few first: fewer than the list, so both ways are used.
    monkeypatch.setattr(services.catalog_search, "PROBE", 5)
    cat = await make_category(session)
    size = settings.page_size
    for i in range(size + 2):
        await make_product(session, cat, f"Lamp {i:02}", sold=i % 3)
    for i in range(size):
        await make_product(session, cat, f"Shade {i:02}", description="lamp")
    await session.commit()
    catalog = CatalogService(session)
    whole = []
    page, after = 1, 0
    while True:
        found, total = await catalog.search("lamp", page, after, size)
        whole += [p.name for p in found.items]
        if not found.has_next:
            break
        page, after = page + 1, found.last_id
    assert total == 2 * size + 2 and len(whole) == total == len(set(whole))
    assert all(n.startswith("Lamp") for n in whole[: size + 2])
    assert [int(n[-2:]) % 3 for n in whole[: size + 2]] == sorted(
        [i % 3 for i in range(size + 2)], reverse=True
    )
    # ◀ from the last page gives back the page before it, in the same order.
    last, _ = await catalog.search("lamp", page, after, size, total)
    back, _ = await catalog.search("lamp", page - 1, -last.first_id, size, total)
    assert [p.name for p in back.items] == whole[(page - 2) * size : (page - 1) * size]


async def test_the_index_follows_edits_and_deletes(env, session):
    cat = await make_category(session)
    lamp = await make_product(session, cat, "Brass lamp")
    bulb = await make_product(session, cat, "Bulb")
    await make_product(session, cat, "Brass candle")
    await session.commit()
    ann = env.user(1)
    assert _names(await ann.send("/search brass")) == ["Brass candle", "Brass lamp"]
    lamp.name, lamp.description = "Copper lamp", "made of copper"
    await session.commit()
    assert _names(await ann.send("/search brass")) == ["Brass candle"]
    assert _names(await ann.send("/search copper")) == ["Copper lamp"]
    bulb.is_deleted = True
    lamp.is_active = False
    await session.commit()
    assert _names(await ann.send("/search bulb")) == []
    assert _names(await ann.send("/search copper")) == []
    await session.execute(delete(Product).where(Product.name == "Brass candle"))
    await session.commit()
    reply = await ann.send("/search brass")
    assert _names(reply) == [] and "Nothing found" in reply.text
    if session.get_bind().dialect.name == "sqlite":  # and the FTS table itself agrees
        assert await uses_fts(session)
        rows = await session.execute(
            select(products_fts.c.rowid).where(products_fts.c.search_text.match('"copper"'))
        )
        assert [r.rowid for r in rows] == [lamp.id]


async def test_quotes_backslashes_and_wildcards_are_plain_text(env, session):
    cat = await make_category(session)
    await make_product(session, cat, "Rock 'n' roll \\ 100% (o_o)")
    await make_product(session, cat, "Rock n roll 1000")
    await session.commit()
    ann = env.user(1)
    for words in ("\\", "100%", "o_o", "(o_o)", "ROLL 100% \\"):
        assert _names(await ann.send(f"/search {words}")) == ["Rock 'n' roll \\ 100% (o_o)"], words
    # Quotes around a word are punctuation, not part of it: 'n' is n, in both names.
    assert len(_names(await ann.send("/search 'n'"))) == 2


async def test_words_of_one_and_two_letters_still_match(env, session):
    cat = await make_category(session)
    await make_product(session, cat, "Smart TV", description="55 inch")
    await make_product(session, cat, "Radio")
    await session.commit()
    assert _names(await env.user(1).send("/search tv")) == ["Smart TV"]
    assert _names(await env.user(1).send("/search tv 55")) == ["Smart TV"]
    assert _names(await env.user(1).send("/search smart tv 5")) == ["Smart TV"]


async def test_sqlite_without_the_triggers_scans_and_stays_right(env, session, engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's FTS table")
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP TRIGGER {FTS_TRIGGERS[0]}"))
    await engine.dispose()  # the check is cached per connection
    cat = await make_category(session)
    await make_product(session, cat, "Brass lamp")  # not in the FTS table now
    await session.commit()
    assert not await uses_fts(session)
    assert _names(await env.user(1).send("/search brass")) == ["Brass lamp"]


async def test_a_huge_result_is_counted_up_to_the_cap(env, session, settings, monkeypatch):
    size = settings.page_size
    cap = size + 2
    monkeypatch.setattr(services.catalog, "COUNT_CAP", cap)
    monkeypatch.setattr(screens.search, "COUNT_CAP", cap)
    cat = await make_category(session)
    for i in range(cap + 3):
        await make_product(session, cat, f"Lamp {i:02}", sold=i)
    await session.commit()
    ann = env.user(1)
    reply = await ann.send("/search lamp")
    assert f"more than {cap} found" in reply.text and reply.has_button("1/2")
    reply = await ann.press("▶")  # the list ends after the best `cap`
    expected = [f"Lamp {i:02}" for i in range(cap + 2, cap + 2 - cap, -1)][size:]
    assert _names(reply) == expected and reply.has_button("2/2") and not reply.has_button("▶")


async def test_inline_results_show_the_uploaded_photo(env, session):
    cat = await make_category(session)
    await make_product(session, cat, "Lamp <b>", price="10", photo_file_id="AgAD-lamp", sold=2)
    await make_product(session, cat, "Lamp plain", image_url="https://example.com/l.jpg")
    await session.commit()
    [answer] = (await env.user(1).inline("lamp")).of(AnswerInlineQuery)
    photo, article = answer.results
    assert isinstance(photo, InlineQueryResultCachedPhoto)
    assert photo.photo_file_id == "AgAD-lamp" and photo.title == "Lamp <b>"
    assert "&lt;b&gt;" in photo.caption and "10.00" in photo.caption
    assert photo.reply_markup.inline_keyboard[0][0].url.endswith(f"start=p{photo.id}")
    assert isinstance(article, InlineQueryResultArticle)
    assert article.thumbnail_url == "https://example.com/l.jpg"


async def test_inline_pages_follow_the_ranking(env, session):
    cat = await make_category(session)
    for i in range(25):
        await make_product(session, cat, f"Lamp {i:02}", sold=25 - i)
    await session.commit()
    user = env.user(1)
    [first] = (await user.inline("lamp")).of(AnswerInlineQuery)
    assert [r.title for r in first.results] == [f"Lamp {i:02}" for i in range(20)]
    [more] = (await user.inline("lamp", offset=first.next_offset)).of(AnswerInlineQuery)
    assert [r.title for r in more.results] == [f"Lamp {i:02}" for i in range(20, 25)]
    assert more.next_offset == ""


async def test_a_migrated_database_has_the_same_index_as_the_models(database_url, tmp_path):
    """Revision 0010 keeps its own copy of the index DDL: it must build what the models'
    events build, and search must use it."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite schema is compared; PostgreSQL's stairway test covers it")
    schemas = []
    for name, build in (("migrated", "migrate"), ("created", "create_all")):
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / name}.db")
        if build == "migrate":
            await migrate.upgrade(engine, "head")
        else:
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT type, name, sql FROM sqlite_master WHERE name LIKE :fts "
                    "OR name = 'ix_products_popularity' ORDER BY name"
                ),
                {"fts": f"{FTS_TABLE}%"},
            )
            schemas.append([tuple(r) for r in rows])
            names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
            assert FTS_TABLE in names
        async with create_session_pool(engine)() as session:
            cat = await make_category(session)
            await make_product(session, cat, "Ёлочная игрушка")
            await session.commit()
            assert await uses_fts(session)
            page, total = await CatalogService(session).search("ЕЛОЧНАЯ", 1, 0, 8)
            assert total == 1 and page.items[0].name == "Ёлочная игрушка"
        await engine.dispose()
    normalise = [[(t, n, " ".join((sql or "").split())) for t, n, sql in s] for s in schemas]
    assert normalise[0] == normalise[1] and len(normalise[0]) >= 9


async def test_units_sold_follow_orders_and_rank_search(env, session):
    from tests.test_orders import fresh, place

    cat = await make_category(session)
    ann = await make_user(session, telegram_id=1)
    plain = await make_product(session, cat, "Lamp plain")
    bought = await make_product(session, cat, "Lamp bought")
    await make_product(session, cat, "Lamp newest")
    await session.commit()
    order = await place(session, ann, [(bought, 3)])
    assert (await fresh(session, Product, bought.id)).sold == 3
    assert _names(await env.user(1).send("/search lamp"))[0] == "Lamp bought"
    await OrderService(session).cancel(ann, order.id)  # the units come back: not sold
    await session.commit()
    assert (await fresh(session, Product, bought.id)).sold == 0
    assert (await fresh(session, Product, plain.id)).sold == 0
    assert _names(await env.user(1).send("/search lamp")) == [
        "Lamp newest",
        "Lamp bought",
        "Lamp plain",
    ]
