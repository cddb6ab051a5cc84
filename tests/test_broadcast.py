"""The broadcast dialog: compose, preview, audience, confirm, stop; and who may use it."""

import asyncio

from aiogram.methods import EditMessageText, SendMessage, SendPhoto
from aiogram.types import MessageEntity
from sqlalchemy import func, select

from jobs.broadcaster import Broadcaster
from keyboards.callback_data import BroadcastAudienceCb, BroadcastCb
from models import Broadcast, BroadcastRecipient, BroadcastStatus, Role
from tests.conftest import ADMIN_ID
from tests.factories import make_user

EN = [11, 12, 13]
RU = [21, 22]


async def _shop(session) -> None:
    """Three English and two Russian customers, plus one inactive and one banned."""
    for uid in EN:
        await make_user(session, uid, language="en")
    for uid in RU:
        await make_user(session, uid, language="ru")
    await make_user(session, 31, is_active=False)
    await make_user(session, 32, is_banned=True)
    await session.commit()


def received(env, chat_id: int, kind=SendMessage) -> list:
    return [r for r in env.api.requests if isinstance(r, kind) and int(r.chat_id) == chat_id]


async def _rows(pool, model):
    async with pool() as s:
        return list(await s.scalars(select(model).order_by(model.id)))


async def _compose(env, text: str = "Big <b>sale</b> today!"):
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/start")
    await admin.send("/broadcast")
    entities = [MessageEntity(type="bold", offset=4, length=4)] if text.startswith("Big") else None
    plain = text.replace("<b>", "").replace("</b>", "")
    preview = await admin.send_message(text=plain, entities=entities)
    return admin, preview


async def test_text_broadcast_reaches_every_active_user_once(env, session, pool):
    await _shop(session)
    admin, preview = await _compose(env)
    # The preview is exactly the message users will get, formatting kept.
    [shown] = preview.of(SendMessage)[:1]
    assert shown.text == "Big <b>sale</b> today!"
    assert "Recipients: <b>6</b>" in preview.text  # 5 customers and the admin
    assert preview.has_button("Everyone") and preview.has_button("Русский")

    reply = await admin.press("Send to 6")
    assert reply.alert == "Broadcast started."
    assert "Left: 6" in reply.text and reply.has_button("Stop")
    await env.dp["broadcaster"].wait((await _rows(pool, Broadcast))[0].id)

    for uid in EN + RU:
        assert [m.text for m in received(env, uid)] == ["Big <b>sale</b> today!"]
    assert received(env, 31) == [] and received(env, 32) == []
    [broadcast] = await _rows(pool, Broadcast)
    assert broadcast.status is BroadcastStatus.done
    assert (broadcast.total, broadcast.sent, broadcast.failed) == (6, 6, 0)
    report = received(env, ADMIN_ID)[-1].text
    assert "finished" in report and "Sent: 6" in report


async def test_photo_with_caption_to_russian_speakers_only(env, session, pool):
    await _shop(session)
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/start")
    await admin.click(BroadcastCb(action="new"))  # the admin panel's button
    preview = await admin.send_photo("AgAC-promo", caption="Скидки & подарки")
    [shown] = preview.of(SendPhoto)
    assert (shown.photo, shown.caption) == ("AgAC-promo", "Скидки &amp; подарки")

    reply = await admin.press("Русский")
    assert "Recipients: <b>2</b>" in reply.text
    assert reply.has_button("✅ Русский")
    await admin.press("Send to 2")
    await env.dp["broadcaster"].wait((await _rows(pool, Broadcast))[0].id)

    for uid in RU:
        [photo] = received(env, uid, SendPhoto)
        assert (photo.photo, photo.caption) == ("AgAC-promo", "Скидки &amp; подарки")
    for uid in EN:
        assert received(env, uid, SendPhoto) == []


async def test_wrong_input_is_answered_and_the_step_repeats(env, session):
    await _shop(session)
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/start")
    reply = await admin.send("/broadcast")
    assert reply.has_button("Back") and reply.has_button("Cancel")
    reply = await admin.send_sticker()
    assert "can't be sent" in reply.text
    assert reply.has_button("Cancel")
    reply = await admin.send("Hello & welcome")
    assert reply.of(SendMessage)[0].text == "Hello &amp; welcome"
    assert reply.has_button("Send to")


async def test_edit_replaces_the_draft(env, session, pool):
    await _shop(session)
    admin, _ = await _compose(env, "First version")
    reply = await admin.press("Edit")
    assert "Send the message" in reply.text
    await admin.send("Second version")
    await admin.press("Send to")
    [broadcast] = await _rows(pool, Broadcast)
    await env.dp["broadcaster"].wait(broadcast.id)
    assert [m.text for m in received(env, EN[0])] == ["Second version"]


async def test_cancel_sends_nothing(env, session, pool):
    await _shop(session)
    admin, _ = await _compose(env)
    reply = await admin.press("Cancel")
    assert "Cancelled" in reply.text
    assert all(received(env, uid) == [] for uid in EN + RU)
    assert await _rows(pool, BroadcastRecipient) == []


async def test_a_second_confirm_queues_nobody_twice(env, session, pool):
    await _shop(session)
    admin, _ = await _compose(env)
    [draft] = await _rows(pool, Broadcast)
    confirm = BroadcastCb(action="ok", id=draft.id)
    await admin.click(confirm)
    again = await admin.click(confirm)
    assert "already been sent" in again.alert
    await env.dp["broadcaster"].wait(draft.id)
    assert all(len(received(env, uid)) == 1 for uid in EN + RU)
    assert len(await _rows(pool, BroadcastRecipient)) == 6


async def test_empty_audience_is_refused(env, session, pool):
    await make_user(session, 11, language="en")
    await session.commit()
    admin = env.user(ADMIN_ID, "Boss", language_code="en")
    await admin.send("/start")
    await admin.send("/broadcast")
    await admin.send("Anyone?")
    await admin.press("Русский")
    reply = await admin.press("Send to 0")
    assert "Nobody to send to" in reply.alert
    [draft] = await _rows(pool, Broadcast)
    assert draft.status is BroadcastStatus.draft


async def test_customers_and_sellers_are_not_allowed(env, session, pool):
    await _shop(session)
    await make_user(session, 41, role=Role.seller, language="ru")
    await session.commit()
    await _compose(env)
    [draft] = await _rows(pool, Broadcast)
    for uid, lang, refusal in ((EN[0], "en", "Not allowed."), (41, "ru", "Недостаточно прав.")):
        someone = env.user(uid, language_code=lang)
        reply = await someone.send("/broadcast")
        assert reply.text == refusal
        for forged in (
            BroadcastCb(action="new"),
            BroadcastCb(action="ok", id=draft.id),
            BroadcastCb(action="edit", id=draft.id),
            BroadcastAudienceCb(id=draft.id, audience="ru"),
            BroadcastCb(action="stop", id=draft.id),
        ):
            reply = await someone.click(forged)
            assert reply.alert == refusal
    async with pool() as s:
        assert (await s.get(Broadcast, draft.id)).status is BroadcastStatus.draft
        assert (await s.get(Broadcast, draft.id)).audience.value == "everyone"
        assert await s.scalar(select(func.count()).select_from(BroadcastRecipient)) == 0
    assert received(env, RU[0]) == []


async def test_another_admins_draft_cannot_be_sent(env, session, pool):
    await _shop(session)
    await make_user(session, 51, role=Role.admin)
    await session.commit()
    _, _ = await _compose(env)
    [draft] = await _rows(pool, Broadcast)
    other = env.user(51)
    reply = await other.click(BroadcastCb(action="ok", id=draft.id))
    assert reply.alert == "Not allowed."
    assert await _rows(pool, BroadcastRecipient) == []


async def test_stop_button_stops_the_broadcast(make_env, settings, session, pool):
    """Sending is held after the first message; Stop is pressed; the rest never go."""
    await _shop(session)
    settings = settings.model_copy(
        update={"broadcast_rate": 1, "broadcast_batch_size": 1, "broadcast_concurrency": 1}
    )
    env = make_env(settings)
    gate = asyncio.Event()

    async def held(_seconds: float) -> None:
        await gate.wait()

    env.dp["broadcaster"] = Broadcaster(pool, settings, env.dp["i18n"], sleep=held)
    first_out = asyncio.Event()

    def hook(method):
        if isinstance(method, SendMessage) and method.text == "Big <b>sale</b> today!":
            first_out.set()

    admin, _ = await _compose(env)
    env.api.hook = hook
    await admin.press("Send to 6")
    [broadcast] = await _rows(pool, Broadcast)
    await first_out.wait()  # the sender now waits for its next slot
    progress = admin.last_bot_message
    reply = await admin.click(BroadcastCb(action="stop", id=broadcast.id), progress)
    assert reply.alert == "Broadcast stopped."
    gate.set()
    await env.dp["broadcaster"].wait(broadcast.id)
    [broadcast] = await _rows(pool, Broadcast)
    assert broadcast.status is BroadcastStatus.cancelled
    # The sender notices within one batch (here: one message).
    assert broadcast.sent in (1, 2) and broadcast.left == 6 - broadcast.sent
    delivered = sum(len(received(env, uid)) for uid in EN + RU)
    report = received(env, ADMIN_ID)[-1].text
    assert delivered == broadcast.sent
    assert "stopped" in report and f"Not sent: {broadcast.left}" in report
    edits = [r for r in env.api.requests if isinstance(r, EditMessageText)]
    assert "stopped" in edits[-1].text


async def test_commands_typed_while_composing_reach_their_features(env, session):
    await _shop(session)
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/start")
    await admin.send("/broadcast")
    reply = await admin.send("/reviews")
    assert "can't be sent" not in reply.text
    assert "review" in reply.text.lower()


async def test_progress_is_edited_only_when_it_changes(make_env, settings, session, pool):
    """While nothing has gone out yet, the progress message already says so (the Confirm
    screen showed it): the sender's ticks must not edit it into itself, which Telegram
    refuses ("message is not modified"; the fake Bot API fails the test on it)."""
    await _shop(session)
    settings = settings.model_copy(
        update={"broadcast_rate": 1, "broadcast_progress_interval": 0.01}
    )
    env = make_env(settings)
    gate = asyncio.Event()
    now = [0.0]

    async def held(seconds: float) -> None:
        await gate.wait()
        now[0] += seconds

    sender = Broadcaster(pool, settings, env.dp["i18n"], clock=lambda: now[0], sleep=held)
    sender.limiter.pause(1)  # nothing goes out until the gate opens
    env.dp["broadcaster"] = sender
    admin, _ = await _compose(env)
    await admin.press("Send to 6")
    [broadcast] = await _rows(pool, Broadcast)
    await asyncio.sleep(0.1)  # the ticker runs several times with nothing sent
    gate.set()
    await sender.wait(broadcast.id)
    edits = [r.text for r in env.api.requests if isinstance(r, EditMessageText)]
    assert "finished" in edits[-1]
    assert all("Sent: 0" not in text for text in edits[1:])


async def test_an_old_control_message_cannot_send_after_cancel(env, session, pool):
    """Cancel, /cancel or a new broadcast closes the draft: Send, Edit and the audience
    buttons of its control message then answer that, and nothing is sent or changed."""
    from aiogram.types import PhotoSize

    await _shop(session)
    admin, _ = await _compose(env, "First draft")
    first = admin.pressable_message
    await admin.send("Second draft")  # replaces the draft: a new control message
    reply = await admin.press("Cancel")
    assert "Cancelled" in reply.text
    closed = "This draft was closed. To send a broadcast, start again."
    for label in ("Send to", "Edit", "Русский"):
        reply = await admin.click(admin.find_button(label, first), first)
        assert reply.alert == closed, label
    # A new broadcast closes the one before it the same way.
    admin, _ = await _compose(env, "Third")
    second = admin.pressable_message
    await admin.send("/broadcast")
    reply = await admin.click(admin.find_button("Send to", second), second)
    assert reply.alert == closed
    drafts = await _rows(pool, Broadcast)
    assert [(b.status, b.audience.value) for b in drafts] == [
        (BroadcastStatus.draft, "everyone"),
        (BroadcastStatus.draft, "everyone"),
    ]
    assert await _rows(pool, BroadcastRecipient) == []
    assert all(received(env, uid) == [] for uid in EN + RU)
    # An album is refused once (its photos come one by one); a caption past 1024 too.
    photo = [PhotoSize(file_id="AgAC-a", file_unique_id="a", width=8, height=6)]
    replies = [
        await admin.send_message(photo=photo, caption=caption, media_group_id="g1")
        for caption in ("Sale!", None, None)
    ]
    assert "An album can't be broadcast" in replies[0].text
    assert [r.texts for r in replies[1:]] == [[], []]
    reply = await admin.send_photo(caption="x" * 1025)
    assert "1024 characters at most" in reply.text and reply.has_button("Cancel")
    assert len(await _rows(pool, Broadcast)) == 2 and not received(env, ADMIN_ID, SendPhoto)
    reply = await admin.send_photo(caption="x" * 1024)
    assert reply.has_button("Send to")


async def test_a_broadcast_may_start_with_a_slash(env, session):
    """ "/sale ..." is a broadcast's text, not a command nobody knows; /cancel still
    leaves the dialog."""
    await _shop(session)
    admin, preview = await _compose(env, "/sale: 20% off everything today")
    assert preview.of(SendMessage)[0].text == "/sale: 20% off everything today"
    assert preview.has_button("Send to 6")
    await admin.send("/broadcast")
    reply = await admin.send("/cancel")
    assert "Cancelled" in reply.text
