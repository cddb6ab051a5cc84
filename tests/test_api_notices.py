"""What the bot tells people about changes made through the web API: the API records
what it owes (services/notices.py) and the bot's process sends it (jobs/notices.py), as
the bot's own dialogs do. A review edited on the website used to reach no admin, so a
harmless review edited into spam went unmoderated."""

import asyncio

from sqlalchemy import func, select

from bot.factory import JOBS, start_jobs, stop_jobs
from models import PendingNotice
from tests.api_helpers import ADMIN, CUSTOMER, SELLER, as_

pytest_plugins = ["tests.api_fixtures"]


def buttons(message) -> list[str]:
    markup = message.reply_markup
    return [b.text for row in markup.inline_keyboard for b in row] if markup else []


async def test_a_review_posted_or_edited_on_the_web_is_moderated_in_the_chat(env, client, shop):
    env.user(SELLER, "Sam"), env.user(ADMIN, "Boss")  # their chats with the bot
    sender = env.dp["notices"]
    url = f"/products/{shop.product}/reviews"
    r = await client.post(url, json={"grade": 2, "comment": "Stale"}, headers=as_(shop, "customer"))
    assert r.status_code == 201
    assert await sender.drain(env.bot) == 1
    to_seller, to_admin = env.api.last_message(SELLER), env.api.last_message(ADMIN)
    assert "Stale" in to_seller.text and any("Reply" in b for b in buttons(to_seller))
    assert "Stale" in to_admin.text and any("Hide" in b for b in buttons(to_admin))
    assert await sender.drain(env.bot) == 0  # each notice is sent once
    review = f"/reviews/{r.json()['id']}"
    edit = {"comment": "Cheap watches at spam.example"}
    assert (await client.patch(review, json=edit, headers=as_(shop, "customer"))).status_code == 200
    assert await sender.drain(env.bot) == 1
    assert "Cheap watches" in env.api.last_message(ADMIN).text
    assert "Cheap watches" not in env.api.last_message(SELLER).text  # as in the bot
    # The same text again changes nothing: nothing new to moderate.
    assert (await client.patch(review, json=edit, headers=as_(shop, "customer"))).status_code == 200
    assert await sender.drain(env.bot) == 0


async def test_a_role_set_on_the_web_is_told_to_its_user(env, client, shop, session):
    env.user(CUSTOMER, "Ann")
    sender = env.dp["notices"]
    body = {"user_id": shop.ids["customer"], "role": "seller"}
    r = await client.patch("/permission", json=body, headers=as_(shop, "admin"))
    assert r.status_code == 200
    assert await sender.drain(env.bot) == 1
    assert "seller" in env.api.last_message(CUSTOMER).text.lower()
    # Their command menu follows (it listed no /seller until they happened to /start).
    [menu] = [c for c in env.api.requests if type(c).__name__ == "SetMyCommands"]
    assert menu.scope.chat_id == CUSTOMER and "seller" in {c.command for c in menu.commands}
    told = len(env.api.messages(CUSTOMER))
    r = await client.patch("/permission", json=body, headers=as_(shop, "admin"))  # no change
    assert r.status_code == 200
    assert await sender.drain(env.bot) == 0 and len(env.api.messages(CUSTOMER)) == told


async def test_a_notice_whose_review_is_gone_is_dropped_quietly(env, client, shop, session):
    """Deleted before the bot's sender came round: nobody is told about nothing."""
    env.user(SELLER, "Sam")
    url = f"/products/{shop.product}/reviews"
    r = await client.post(url, json={"grade": 5}, headers=as_(shop, "customer"))
    r = await client.delete(f"/reviews/{r.json()['id']}", headers=as_(shop, "admin"))
    assert r.status_code == 204
    assert await env.dp["notices"].drain(env.bot) == 0
    assert env.api.last_message(SELLER) is None
    assert await session.scalar(select(func.count()).select_from(PendingNotice)) == 0


async def test_a_running_bot_sends_them_on_its_own(env, client, shop):
    """Every process with a bot runs the sender with its other jobs (polling, each
    webhook worker, the playground); the API can't wake it, so it looks every few
    seconds."""
    assert "notices" in JOBS
    env.user(SELLER, "Sam")
    env.dp["notices"].poll_interval = 0.05
    start_jobs(env.dp, env.bot)
    try:
        url = f"/products/{shop.product}/reviews"
        body = {"grade": 4, "comment": "Fresh"}
        assert (await client.post(url, json=body, headers=as_(shop, "customer"))).status_code == 201
        for _tick in range(100):
            if env.api.last_message(SELLER) is not None:
                break
            await asyncio.sleep(0.02)
        assert "Fresh" in env.api.last_message(SELLER).text
    finally:
        await stop_jobs(env.dp)


async def test_a_deleted_reviews_notice_is_not_taken_for_the_next_review(env, client, shop):
    """SQLite gives a deleted review's id to the next one: the deleted review's pending
    notice then told the seller about the new review twice."""
    env.user(SELLER, "Sam")
    url = f"/products/{shop.product}/reviews"
    first = await client.post(
        url, json={"grade": 1, "comment": "One"}, headers=as_(shop, "customer")
    )
    await client.delete(f"/reviews/{first.json()['id']}", headers=as_(shop, "admin"))
    r = await client.post(url, json={"grade": 5, "comment": "Two"}, headers=as_(shop, "customer"))
    assert r.status_code == 201
    assert await env.dp["notices"].drain(env.bot) == 1
    told = [m.text for m in env.api.messages(SELLER).values()]
    assert len(told) == 1 and "Two" in told[0]


async def test_a_double_tapped_edit_is_moderated_once(env, client, shop, monkeypatch):
    """Both PATCHes read the review before either saved: the second compared with the
    old text and queued a second "edited" notice."""
    from services.reviews import ReviewService

    env.user(ADMIN, "Boss")
    customer = as_(shop, "customer")
    url = f"/products/{shop.product}/reviews"
    review = (await client.post(url, json={"grade": 3, "comment": "Ok"}, headers=customer)).json()
    await env.dp["notices"].drain(env.bot)
    real = ReviewService.get

    async def slow_get(self, *args, **kwargs):
        found = await real(self, *args, **kwargs)
        await asyncio.sleep(0.2)
        return found

    monkeypatch.setattr(ReviewService, "get", slow_get)
    edit = {"comment": "Spam spam"}
    codes = await asyncio.gather(
        *(client.patch(f"/reviews/{review['id']}", json=edit, headers=customer) for _ in "ab")
    )
    assert {c.status_code for c in codes} <= {200, 409} and 200 in {c.status_code for c in codes}
    assert await env.dp["notices"].drain(env.bot) == 1
