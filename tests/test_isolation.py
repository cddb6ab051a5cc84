"""One user's updates are handled one at a time (aiogram's event isolation, taken before
the update's session opens), and a press is still one statement under the lock."""

import asyncio

from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import AnswerCallbackQuery, SendMessage

import handlers.catalog
from bot.middlewares.isolation import LocalIsolation
from keyboards.callback_data import CategoryCb, ReviewStartCb
from tests.conftest import ADMIN_ID
from tests.factories import make_category, make_product
from tests.test_catalog_reads import recorded
from tests.test_reviews import CUSTOMER, SELLER, reviews_of, shop  # noqa: F401 (fixture)
from tests.tg import Reply


async def test_a_double_tapped_publish_publishes_once(env, session, shop):  # noqa: F811
    ann = env.user(CUSTOMER)
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.press("4⭐")
    await ann.send("Nice")
    preview = ann.last_bot_message
    publish = ann.find_button("Publish")
    start = len(env.api.requests)
    await asyncio.gather(ann.click(publish, preview), ann.click(publish, preview))
    both = Reply(env.api.requests[start:])  # concurrent: their calls are read together
    assert sum("published" in t for t in both.texts) == 1
    assert not any("updated" in t for t in both.texts)
    assert len([c for c in both.of(SendMessage) if c.chat_id == ADMIN_ID]) == 1
    assert len([c for c in both.of(SendMessage) if c.chat_id == SELLER]) == 1
    alerts = sorted(c.text or "" for c in both.of(AnswerCallbackQuery))
    assert alerts == [
        "Thank you for your review!",
        "This button is out of date. Open the menu again: /start",
    ]
    [review] = await reviews_of(session, shop)
    assert review.grade == 4


async def test_presses_of_one_user_wait_for_each_other(env, session, monkeypatch):
    """Ann's two presses run one after the other; Bob's runs beside them."""
    category = await make_category(session, "Phones")
    await make_product(session, category, "Phone X")
    await session.commit()
    ann, bob = env.user(1), env.user(2)
    await ann.send("/start")
    await bob.send("/start")
    inside: list[int] = []
    together: list[tuple[int, ...]] = []

    async def slow_show(event, screen):
        inside.append(event.from_user.id)
        together.append(tuple(sorted(inside)))
        await asyncio.sleep(0.05)
        inside.remove(event.from_user.id)

    monkeypatch.setattr(handlers.catalog, "show", slow_show)
    press = CategoryCb(id=category.id)
    await asyncio.gather(ann.click(press), ann.click(press), bob.click(press))
    assert (1, 1) not in together and (1, 1, 2) not in together
    assert (1, 2) in together


async def test_under_isolation_a_page_press_is_still_one_statement(env, session, engine):
    category = await make_category(session, "Phones")
    await make_product(session, category, "Phone X")
    await session.commit()
    ann = env.user(1)
    await ann.send("/start")
    with recorded(engine) as seen:
        reply = await ann.click(CategoryCb(id=category.id))
    assert reply.has_button("Phone X") and len(seen) == 1


async def test_the_lock_of_a_user_goes_away_when_nobody_needs_it():
    isolation = LocalIsolation()
    key = StorageKey(bot_id=1, chat_id=5, user_id=5)
    order: list[str] = []

    async def hold(name: str) -> None:
        async with isolation.lock(key):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    await asyncio.gather(hold("a"), hold("b"))
    assert order == ["a in", "a out", "b in", "b out"]
    assert isolation._locks == {}  # a shop with a million users keeps no million locks
