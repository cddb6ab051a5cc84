"""/login in the bot: a Telegram user sets the web API's login and password, then logs
in through the API with them."""

from aiogram.methods import DeleteMessage
from sqlalchemy import select

from models import User

pytest_plugins = ["tests.api_fixtures"]


async def test_login_dialog_sets_a_password_the_api_accepts(env, client, session):
    # The fake Bot API keeps only the bot's messages, so deleting the user's is refused
    # there; what counts is that the bot asked Telegram to delete it.
    env.api.allow("message to delete not found")
    ann = env.user(5, "Ann", username="Ann_Shop")
    await ann.send("/start")
    reply = await ann.send("/login")
    assert "Step 1 of 2" in reply.text and reply.has_button("Use ann_shop")
    assert reply.has_button("✖️ Cancel")
    reply = await ann.send_sticker()
    assert "text message" in reply.text and reply.has_button("Use ann_shop")
    reply = await ann.send("no spaces allowed")
    assert "3 to 64 characters" in reply.text and "Step 1 of 2" in reply.text
    reply = await ann.press("Use ann_shop")
    assert "Step 2 of 2" in reply.text and "deleted" in reply.text
    reply = await ann.send_sticker()
    assert "text message" in reply.text and reply.has_button("✖️ Cancel")
    assert reply.of(DeleteMessage) == []  # a sticker holds no password
    reply = await ann.send_photo(caption="tea and biscuits")  # the password, as a caption
    assert "text message" in reply.text and len(reply.of(DeleteMessage)) == 1
    reply = await ann.send("short")
    deleted = reply.of(DeleteMessage)
    assert len(deleted) == 1
    assert "at least 8 characters" in reply.text
    reply = await ann.send("tea and biscuits")
    assert len(reply.of(DeleteMessage)) == 1
    assert "Saved" in reply.text and "ann_shop" in reply.text
    user = await session.scalar(select(User).where(User.telegram_id == 5))
    assert user.login == "ann_shop" and user.password_hash.startswith("$2b$")
    assert "tea and biscuits" not in user.password_hash
    r = await client.post(
        "/auth/token", data={"username": "ann_shop", "password": "tea and biscuits"}
    )
    assert r.status_code == 200
    me = await client.get(
        "/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert me.json()["telegram_id"] == 5


async def test_login_dialog_in_russian_and_cancel(env, session):
    ivan = env.user(6, "Иван", language_code="ru")
    await ivan.send("/start")
    reply = await ivan.send("/login")
    assert "Шаг 1 из 2" in reply.text
    reply = await ivan.send("ivan")
    assert "Шаг 2 из 2" in reply.text
    await ivan.press("✖️ Отмена")
    reply = await ivan.send("tea and biscuits")  # no longer a password: not kept
    assert reply.of(DeleteMessage) == []
    user = await session.scalar(select(User).where(User.telegram_id == 6))
    assert user.login is None and user.password_hash is None


async def test_a_login_taken_by_another_is_refused(env, session):
    session.add(User(login="taken", is_active=False))
    await session.commit()
    ann = env.user(5, "Ann")
    await ann.send("/start")
    await ann.send("/login")
    reply = await ann.send("Taken")
    assert "already taken" in reply.text and "Step 1 of 2" in reply.text


async def test_a_password_starting_with_a_slash_is_a_password_and_deleted(env, session):
    """A password may start with "/": it is deleted and saved like any other. A command
    of the bot's own is still that command at the password step."""
    env.api.allow("message to delete not found")
    ann = env.user(5, "Ann")
    await ann.send("/start")
    await ann.send("/login")
    reply = await ann.send("annlogin")
    assert "Step 2 of 2" in reply.text
    reply = await ann.send("/admin")  # the bot's own command, not a password
    assert reply.of(DeleteMessage) == [] and "Not allowed" in reply.text
    reply = await ann.send("/help")  # the bot's own command, which leaves the dialog
    assert reply.of(DeleteMessage) == [] and "Saved" not in reply.text
    await ann.send("/login")
    await ann.send("annlogin")
    reply = await ann.send("/\u3000")  # nothing but a space after the slash: too short
    assert len(reply.of(DeleteMessage)) == 1 and "at least 8 characters" in reply.text
    reply = await ann.send("/Help me-123")  # no command of the bot's: /help is lowercase
    assert len(reply.of(DeleteMessage)) == 1
    assert "Saved" in reply.text
    user = await session.scalar(select(User).where(User.telegram_id == 5))
    assert user.login == "annlogin" and user.password_hash.startswith("$2b$")


async def test_the_login_dialog_speaks_russian_from_its_title(env):
    """Its title sat in an f-string the message extractor doesn't read: English."""
    reply = await env.user(1, language_code="ru").send("/login")
    assert reply.text.startswith("<b>🔑 Вход на сайт</b>") and "Web login" not in reply.text
