"""The web API's limit on request bodies (API_MAX_BODY_BYTES, 64 KiB by default): a larger
body gets 413 with a JSON `detail`, is not read past the limit, and saves nothing."""

import json

import httpx

from api import ApiConfig, create_app
from bot.config import Settings
from models import Review
from tests.api_helpers import as_

pytest_plugins = ["tests.api_fixtures"]

LIMIT = 64 * 1024


def _padded(payload: dict, size: int) -> bytes:
    """`payload` as JSON of exactly `size` bytes (spaces after it: still valid JSON)."""
    body = json.dumps(payload).encode()
    return body + b" " * (size - len(body))


async def _reviews(session) -> int:
    session.expire_all()
    return len((await session.execute(Review.__table__.select())).all())


async def test_a_body_over_the_limit_gets_413_json_and_saves_nothing(client, session, shop):
    before = await _reviews(session)
    url = f"/products/{shop.product}/reviews"
    headers = {**as_(shop, "customer"), "content-type": "application/json"}
    r = await client.post(url, content=_padded({"grade": 5}, LIMIT + 1), headers=headers)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"detail": f"The request body is too large: at most {LIMIT} bytes."}
    assert await _reviews(session) == before
    # Refused before the token is even looked at: no session, no work.
    r = await client.post(url, content=b"x" * (LIMIT + 1), headers={"content-type": "text/plain"})
    assert r.status_code == 413
    # At the limit exactly it is an ordinary request.
    r = await client.post(url, content=_padded({"grade": 5}, LIMIT), headers=headers)
    assert r.status_code == 201, r.text
    assert await _reviews(session) == before + 1


async def test_a_body_without_a_length_is_cut_off_at_the_limit(client, shop):
    """Chunked (no Content-Length): counted as it arrives, and not read to its end."""
    sent = 0

    async def endless():
        nonlocal sent
        yield b'{"login": "ann", "password": "correct horse", "email": "'
        for _ in range(1000):  # 16 MiB if it were all read
            sent += 1
            yield b"a" * 16384

    r = await client.post(
        "/auth/register", content=endless(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and "too large" in r.json()["detail"]
    assert sent <= LIMIT // 16384 + 1
    # The form login (OAuth2 password form) too.
    r = await client.post(
        "/auth/token",
        content=endless(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413


async def test_the_limit_is_a_setting(pool):
    config = ApiConfig.from_settings(Settings(api_max_body_bytes=2048))
    assert config.max_body_bytes == 2048
    assert ApiConfig.from_settings(Settings()).max_body_bytes == LIMIT
    app = create_app(pool, config)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api"
    ) as client:
        body = {"login": "ann", "password": "correct horse"}
        r = await client.post("/auth/register", content=_padded(body, 2049))
        assert r.status_code == 413 and r.json()["detail"].endswith("at most 2048 bytes.")
        r = await client.post(
            "/auth/register",
            content=_padded(body, 2048),
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 201, r.text
