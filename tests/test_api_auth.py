"""The web API's accounts: register, password login, tokens, lockout, Telegram login."""

import json
import time
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import jwt
import pytest
from aiogram.utils.web_app import check_webapp_signature
from sqlalchemy import select

from api import ApiConfig, create_app
from api.security import telegram_user
from models import AppSetting, LoginFailure, Role, User
from models.base import utcnow
from services.accounts import AccountService, Hasher, LockedOut
from tests.api_helpers import SECRET, bearer, token
from tests.factories import make_user
from tests.tg import TOKEN

pytest_plugins = ["tests.api_fixtures"]


async def register(client, login="ann", password="correct horse", **extra):
    return await client.post("/auth/register", json={"login": login, "password": password, **extra})


async def login(client, login="ann", password="correct horse"):
    return await client.post("/auth/token", data={"username": login, "password": password})


async def test_register_then_token_then_me(client):
    r = await register(client, "Ann", email="ann@example.com")
    assert r.status_code == 201
    assert r.json()["login"] == "ann" and r.json()["role"] == "customer"
    assert r.json()["telegram_id"] is None
    r = await login(client, "ANN")
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    claims = jwt.decode(r.json()["access_token"], SECRET, algorithms=["HS256"])
    assert claims["role"] == "customer" and claims["exp"] > time.time()
    me = await client.get(
        "/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["login"] == "ann" and me.json()["email"] == "ann@example.com"


async def test_register_refusals_name_their_field(client, session):
    assert (await register(client)).status_code == 201
    r = await register(client, "ANN")
    assert r.status_code == 409 and "taken" in r.json()["detail"]
    r = await register(client, "bob", "short")
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "password" and "8 characters" in r.text
    assert "short" not in r.text  # the input is never echoed
    r = await register(client, "b ob!")
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "login"
    r = await register(client, "bob", "x" * 73)  # bcrypt reads 72 bytes: refused, not cut
    assert r.status_code == 422 and "72 bytes" in r.text
    r = await register(client, "bob", "ж" * 37)  # 37 letters, 74 bytes
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "password"
    r = await register(client, "bob", "pass\x00word1")
    assert r.status_code == 422
    r = await register(client, "bob", email="not-an-email")
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "email"
    r = await client.post(
        "/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert [u.login for u in await session.scalars(select(User))] == ["ann"]


async def test_api_only_user_is_out_of_the_bots_reach(client, session):
    """No Telegram id: inactive, so broadcasts and notifications pass them by."""
    await register(client)
    user = await session.scalar(select(User).where(User.login == "ann"))
    assert user.telegram_id is None and user.is_active is False
    assert user.full_name == "ann"


async def test_wrong_password_is_401_with_www_authenticate(client):
    await register(client)
    for name, password in [("ann", "wrong password"), ("nobody", "whatever1")]:
        r = await login(client, name, password)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json() == {"detail": "Wrong login or password."}


async def test_lockout_after_five_failures(client, session):
    await register(client)
    for _ in range(5):
        assert (await login(client, password="wrong pass")).status_code == 401
    r = await login(client)  # even the right password, while locked
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 15 * 60
    assert "detail" in r.json()
    # Another login is not affected.
    await register(client, "bob")
    assert (await login(client, "bob")).status_code == 200


async def test_another_spelling_of_a_login_shares_its_lockout(client, session):
    """Capitals and spaces around a login are the same login: locked too. A login with
    spaces inside (padding past 64 characters once made it a counter of its own while
    the account was found by it stripped) is no login: it never gets in."""
    await register(client)
    for spelling in ["ann", " ANN ", "Ann\t", "ann", "\u3000ann"]:
        assert (await login(client, spelling, "wrong pass")).status_code == 401
    assert (await login(client, "  Ann  ")).status_code == 429
    padded = "ann" + "\u2000" + " " * 60 + "x"
    r = await login(client, padded)  # the right password, under a fresh counter
    assert r.status_code == 401
    assert (await login(client)).status_code == 429


async def test_guesses_sent_all_at_once_get_five_checks_at_most(client, session):
    import asyncio

    await register(client)
    answers = await asyncio.gather(*(login(client, password=f"guess {i:04}") for i in range(20)))
    codes = [r.status_code for r in answers]
    # Then one at a time: in the whole window no more than five passwords are checked.
    codes += [(await login(client, password="one more")).status_code for _ in range(5)]
    assert codes.count(401) == 5 and set(codes) == {401, 429}, codes
    assert (await login(client)).status_code == 429  # locked: the right one too


async def test_many_logins_at_once_all_get_in(client, session):
    """Each login borrows a connection for its attempt and returns it before its request
    takes one: twenty at once, past the pool's fifteen, don't wait on each other."""
    import asyncio

    for i in range(20):
        assert (await register(client, f"user{i}")).status_code == 201
    answers = await asyncio.gather(*(login(client, f"user{i}") for i in range(20)))
    assert [r.status_code for r in answers] == [200] * 20


async def test_lockout_ends_after_the_window_and_success_clears(session):
    accounts = AccountService(session, Hasher.bcrypt(4))
    await accounts.register("ann", "correct horse")
    start = utcnow()
    for i in range(5):
        with pytest.raises(Exception, match="Wrong login"):
            await accounts.authenticate("ann", "nope nope", now=start + timedelta(seconds=i))
    with pytest.raises(LockedOut) as locked:
        await accounts.authenticate("ann", "correct horse", now=start + timedelta(minutes=1))
    assert 14 * 60 <= locked.value.retry_after <= 15 * 60
    later = start + timedelta(minutes=15, seconds=1)
    assert (await accounts.authenticate("ann", "correct horse", now=later)).login == "ann"
    assert await accounts.failures("ann") == 0


@pytest.mark.parametrize(
    "bad",
    [
        "expired",
        "tampered",
        "alg_none",
        "other_secret",
        "garbage",
        "no_sub",
        "hs512",
    ],
)
async def test_bad_tokens_are_401(client, session, bad):
    user = await make_user(session, 1)
    await session.commit()
    good = token(user.id)
    now = int(time.time())
    bad_token = {
        "expired": token(user.id, minutes=-1),
        "tampered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "alg_none": jwt.encode(
            {"sub": str(user.id), "role": "admin", "exp": now + 600}, key=None, algorithm="none"
        ),
        "other_secret": token(user.id, secret="another-secret-" + "y" * 60),
        "garbage": "not.a.token",
        "no_sub": jwt.encode({"exp": now + 600}, SECRET, algorithm="HS256"),
        "hs512": jwt.encode({"sub": str(user.id), "exp": now + 600}, SECRET, algorithm="HS512"),
    }[bad]
    r = await client.get("/auth/me", headers={"Authorization": f"Bearer {bad_token}"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert (await client.get("/auth/me", headers=bearer(user.id))).status_code == 200


async def test_anonymous_me_is_401(client):
    r = await client.get("/auth/me")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


async def test_role_and_ban_come_from_the_database(client, session):
    user = await make_user(session, 1)
    await session.commit()
    headers = {"Authorization": f"Bearer {token(user.id, role='admin')}"}
    assert (await client.get("/auth/me", headers=headers)).json()["role"] == "customer"
    r = await client.patch(
        "/permission", headers=headers, json={"user_id": user.id, "role": "admin"}
    )
    assert r.status_code == 403  # the token's claim counts for nothing
    user.is_banned = True
    await session.commit()
    r = await client.get("/auth/me", headers=headers)
    assert r.status_code == 403 and "banned" in r.json()["detail"]


async def test_generated_secret_is_stored_and_shared(pool, session):
    """Without JWT_SECRET two processes (two apps) agree on one generated secret."""
    apps = [create_app(pool, ApiConfig(bcrypt_rounds=4)) for _ in range(2)]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://api") for a in apps
    ]
    async with clients[0] as first, clients[1] as second:
        await register(first)
        issued = (await login(first)).json()["access_token"]
        r = await second.get("/auth/me", headers={"Authorization": f"Bearer {issued}"})
        assert r.status_code == 200
    stored = await session.scalar(select(AppSetting.value).where(AppSetting.key == "jwt_secret"))
    assert stored and len(stored) >= 32
    assert jwt.decode(issued, stored, algorithms=["HS256"])["sub"]


# -- Telegram Mini App login --------------------------------------------------------------


def init_data(user_id=777, auth_date=None, token_=TOKEN, **user) -> str:
    import hashlib
    import hmac

    fields = {
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        "query_id": "AAH",
        "user": json.dumps({"id": user_id, "first_name": "Tg", "language_code": "ru", **user}),
    }
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token_.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def test_init_data_check_agrees_with_aiogram():
    data = init_data()
    assert check_webapp_signature(TOKEN, data)
    assert telegram_user(TOKEN, data, 86400).id == 777
    forged = data.replace("Tg", "Tx")
    assert not check_webapp_signature(TOKEN, forged)
    with pytest.raises(ValueError):
        telegram_user(TOKEN, forged, 86400)


async def test_telegram_login_registers_and_returns_a_token(client, session):
    r = await client.post("/auth/telegram", json={"init_data": init_data(username="tg_user")})
    assert r.status_code == 200
    me = await client.get(
        "/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert me.json()["telegram_id"] == 777 and me.json()["username"] == "tg_user"
    user = await session.scalar(select(User).where(User.telegram_id == 777))
    assert user.language == "ru" and user.role is Role.customer
    # The same Telegram user again: the same row.
    r = await client.post("/auth/telegram", json={"init_data": init_data()})
    assert r.status_code == 200
    assert len(list(await session.scalars(select(User)))) == 1


@pytest.mark.parametrize(
    "data",
    [
        init_data().replace("Tg", "Tx"),  # altered
        init_data(auth_date=int(time.time()) - 86400 - 5),  # more than a day old
        init_data(token_="123:another-bots-token"),  # signed by another bot
        "hash=abc&user=%7B%7D",
        "garbage",
    ],
    ids=["altered", "expired", "other_bot", "unsigned", "garbage"],
)
async def test_telegram_login_refuses_bad_init_data(client, session, data):
    r = await client.post("/auth/telegram", json={"init_data": data})
    assert r.status_code == 401
    assert list(await session.scalars(select(User))) == []


async def test_telegram_login_off_without_a_bot_token(pool):
    app = create_app(pool, ApiConfig(jwt_secret=SECRET, bcrypt_rounds=4))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as c:
        r = await c.post("/auth/telegram", json={"init_data": init_data()})
    assert r.status_code == 503 and r.json()["detail"]


async def test_failed_logins_are_kept_in_the_database(client, session):
    await register(client)
    await login(client, password="wrong pass")
    rows = list(await session.scalars(select(LoginFailure)))
    assert [r.login for r in rows] == ["ann"]


async def test_docs_and_openapi(client):
    spec = (await client.get("/openapi.json")).json()
    tags = {t for path in spec["paths"].values() for op in path.values() for t in op["tags"]}
    assert tags == {"auth", "category", "products", "reviews", "permission", "orders"}
    assert (await client.get("/docs")).status_code == 200


async def test_odd_text_in_the_login_form_is_a_plain_refusal(client):
    """A NUL or a lone surrogate can't be stored or hashed: still just a wrong login."""
    for username, password in [
        ("a\x00b", "password1"),
        ("ann", "pass\x00word"),
        ("\ud800x", "\ud800" * 9),
    ]:
        r = await client.post(
            "/auth/token",
            content=f"username={username}&password={password}".encode("utf-8", "surrogatepass"),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code in (401, 422), r.text


async def test_with_redis_the_lockout_is_kept_there(pool, session):
    """REDIS_URL set: two processes share the count in Redis; no table grows."""
    import uuid

    from redis.asyncio import Redis

    from tests.conftest import REDIS_URL

    probe = Redis.from_url(REDIS_URL)
    try:
        await probe.ping()
    except Exception as exc:
        await probe.aclose()
        pytest.skip(f"no Redis server at {REDIS_URL}: {exc}")
    login_name = f"ann{uuid.uuid4().hex[:8]}"
    config = ApiConfig(jwt_secret=SECRET, bcrypt_rounds=4, redis_url=REDIS_URL)
    apps = [create_app(pool, config) for _ in range(2)]
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[0]), base_url="http://a") as a,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[1]), base_url="http://b") as b,
        ):
            await register(a, login_name)
            for i in range(5):
                assert (await login(a if i % 2 else b, login_name, "wrong pass")).status_code == 401
            r = await login(a, login_name)
            assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
            assert list(await session.scalars(select(LoginFailure))) == []
            assert await probe.zcard(f"api:login_failures:{login_name}") == 5
            assert 0 < await probe.ttl(f"api:login_failures:{login_name}") <= 16 * 60
    finally:
        await probe.delete(f"api:login_failures:{login_name}")
        await probe.aclose()
        for app in apps:
            await app.state.runtime.close()


async def test_one_login_registered_twice_at_once_is_one_account_and_a_409(client, session):
    import asyncio

    answers = await asyncio.gather(*(register(client, "racer") for _ in range(4)))
    assert sorted(r.status_code for r in answers) == [201, 409, 409, 409]
    assert len(list(await session.scalars(select(User).where(User.login == "racer")))) == 1


async def test_init_data_with_a_hash_that_is_not_hex_is_a_401(client):
    r = await client.post("/auth/telegram", json={"init_data": "auth_date=1&hash=%D0%96"})
    assert r.status_code == 401


async def test_a_new_password_voids_the_tokens_issued_before_it(client, session):
    """A password reset (the bot's /login) is what a user does when a token or the old
    password leaked: the tokens issued under the old one stop working at once, not when
    they expire. A token from before this rule (no password mark) is refused too."""
    await register(client)
    old = (await login(client)).json()["access_token"]
    assert (
        await client.get("/auth/me", headers={"Authorization": f"Bearer {old}"})
    ).status_code == 200
    user = await session.scalar(select(User).where(User.login == "ann"))
    await AccountService(session, Hasher.bcrypt(4)).set_password(user, "ann", "a new secret")
    await session.commit()
    r = await client.get("/auth/me", headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 401 and "password has changed" in r.json()["detail"]
    assert (await login(client)).status_code == 401  # the old password, too
    new = (await login(client, password="a new secret")).json()["access_token"]
    assert (
        await client.get("/auth/me", headers={"Authorization": f"Bearer {new}"})
    ).status_code == 200
    claims = jwt.decode(new, SECRET, algorithms=["HS256"])
    del claims["pwd"]
    unmarked = jwt.encode(claims, SECRET, algorithm="HS256")
    r = await client.get("/auth/me", headers={"Authorization": f"Bearer {unmarked}"})
    assert r.status_code == 401


async def test_a_new_password_voids_init_data_signed_before_it(client, session):
    """A leaked initData (good for a day) got fresh tokens after the user reset their
    password; now what Telegram signed before the new password is refused, and a Mini
    App opened again (signed now) gets in."""
    before = int(time.time()) - 120
    r = await client.post("/auth/telegram", json={"init_data": init_data(auth_date=before)})
    assert r.status_code == 200
    user = await session.scalar(select(User).where(User.telegram_id == 777))
    await AccountService(session, Hasher.bcrypt(4)).set_password(user, "tg_ann", "a new secret")
    await session.commit()
    r = await client.post("/auth/telegram", json={"init_data": init_data(auth_date=before)})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json()["detail"].startswith("This Telegram login is older than your password")
    r = await client.post("/auth/telegram", json={"init_data": init_data()})
    assert r.status_code == 200
    # Telegram's clock a little behind ours: a Mini App opened just after the reset.
    skewed = init_data(auth_date=int(time.time()) - 30)
    assert (await client.post("/auth/telegram", json={"init_data": skewed})).status_code == 200
