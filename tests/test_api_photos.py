"""Product photos for a Mini App: `GET /products/{id}/photo` fetches the seller's photo
from Telegram with the bot's token (never shown), to whoever may see the product."""

from dataclasses import replace

import httpx
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError
from sqlalchemy import update

from api import create_app
from bot.photos import TelegramPhotos
from models import Product
from tests.api_helpers import as_
from tests.tg import TOKEN, FakeBotAPI

pytest_plugins = ["tests.api_fixtures"]
JPEG = b"\xff\xd8\xff\xe0" + b"a seller's photo"


@pytest.fixture
def telegram() -> FakeBotAPI:
    return FakeBotAPI()


@pytest.fixture
async def photo_client(pool, api_config, telegram):
    app = create_app(pool, api_config, TelegramPhotos(Bot(TOKEN, session=telegram)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        yield c


async def with_photo(session, product_id: int, file_id: str) -> None:
    values = {"photo_file_id": file_id}
    await session.execute(update(Product).where(Product.id == product_id).values(**values))
    await session.commit()


async def test_a_product_photo_is_served_with_its_type_and_cached(
    photo_client, shop, session, telegram
):
    file_id = telegram.rules.add_file(data=JPEG, mime="image/jpeg", name="tea.jpg")
    await with_photo(session, shop.product, file_id)
    product = (await photo_client.get(f"/products/{shop.product}")).json()
    assert product["photo_url"] == f"/products/{shop.product}/photo"
    answer = await photo_client.get(product["photo_url"])
    assert answer.status_code == 200 and answer.content == JPEG
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["x-content-type-options"] == "nosniff"
    tag = answer.headers["etag"]
    assert TOKEN not in str(answer.headers) and file_id not in tag
    # The browser has it: 304, and Telegram isn't asked again.
    asked = len(telegram.requests)
    again = await photo_client.get(product["photo_url"], headers={"If-None-Match": tag})
    assert again.status_code == 304 and not again.content
    # Asked again without the tag: from the API's memory, not Telegram.
    assert (await photo_client.get(product["photo_url"])).content == JPEG
    assert len(telegram.requests) == asked


async def test_no_photo_a_hidden_product_and_a_file_telegram_lost_are_404(
    photo_client, shop, session, telegram
):
    answer = await photo_client.get(f"/products/{shop.product}/photo")
    assert answer.status_code == 404 and answer.json()["detail"] == "This product has no photo."
    assert (await photo_client.get(f"/products/{shop.product}")).json()["photo_url"] is None
    # Hidden: only its seller sees it (and its photo).
    file_id = telegram.rules.add_file(data=JPEG, mime="image/jpeg", name="tea.jpg")
    await with_photo(session, shop.product, file_id)
    hide = update(Product).where(Product.id == shop.product).values(is_active=False)
    await session.execute(hide)
    await session.commit()
    url = f"/products/{shop.product}/photo"
    assert (await photo_client.get(url)).status_code == 404
    assert (await photo_client.get(url, headers=as_(shop, "other"))).status_code == 404
    assert (await photo_client.get(url, headers=as_(shop, "seller"))).content == JPEG
    # A file id Telegram doesn't know (a bot token changed, a row copied from another
    # shop): 404 with why, not a 500.
    telegram.rules.open_files = False
    await with_photo(session, shop.other_product, "gone-file-id")
    answer = await photo_client.get(f"/products/{shop.other_product}/photo")
    assert answer.status_code == 404
    assert answer.json()["detail"] == "This product's photo is no longer available."
    assert (await photo_client.get("/products/999999/photo")).status_code == 404


async def test_telegram_unreachable_or_no_token_is_503(
    photo_client, pool, api_config, settings, shop, session, telegram
):
    await with_photo(session, shop.product, "any-file")
    telegram.hook = lambda method: TelegramNetworkError(method=method, message="timed out")
    answer = await photo_client.get(f"/products/{shop.product}/photo")
    assert answer.status_code == 503
    assert answer.json()["detail"] == "Telegram can't give the photo now; try again later."
    telegram.hook = None  # back: served, nothing of the failure kept
    assert (await photo_client.get(f"/products/{shop.product}/photo")).status_code == 200
    # An API run without BOT_TOKEN can't ask Telegram at all.
    assert TelegramPhotos.of(settings.model_copy(update={"bot_token": None})) is None
    app = create_app(pool, replace(api_config, bot_token=None))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        answer = await c.get(f"/products/{shop.product}/photo")
    assert answer.status_code == 503
    assert answer.json()["detail"] == "Photos are served only when the API has BOT_TOKEN."


async def test_a_photo_is_asked_for_again_each_time_and_lists_say_which_have_one(
    photo_client, shop, session, telegram
):
    """no-cache: a new photo (same URL) or the product hidden shows at once; the browser
    revalidates with its ETag (304, Telegram not asked). `If-None-Match: *` is 304 too."""
    await with_photo(session, shop.product, telegram.rules.add_file(data=JPEG, mime="image/jpeg"))
    url = f"/products/{shop.product}/photo"
    first = await photo_client.get(url)
    assert first.headers["cache-control"] == "private, no-cache"
    assert first.headers["vary"] == "Authorization"
    assert (await photo_client.get(url, headers={"If-None-Match": "*"})).status_code == 304
    png = b"\x89PNG\r\n\x1a\n" + b"the new photo"
    await with_photo(session, shop.product, telegram.rules.add_file(data=png, mime="image/png"))
    again = await photo_client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 200 and again.content == png
    assert again.headers["content-type"] == "image/png"
    listed = await photo_client.get(f"/products?category={shop.category}")
    has_photo = {i["id"]: i["has_photo"] for i in listed.json()["items"]}
    assert has_photo == {shop.product: True, shop.other_product: False}
    assert '"has_photo":true' in listed.text and '"has_photo":false' in listed.text


class CountingSource:
    """A PhotoSource that notes how many database connections are out while it fetches."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.out: int | None = None

    async def fetch(self, file_id: str) -> bytes:
        self.out = self.engine.sync_engine.pool.checkedout()
        return JPEG

    async def close(self) -> None:
        pass


async def test_no_database_connection_is_held_while_telegram_is_asked(
    pool, engine, api_config, shop, session
):
    """A catalog page asks for its photos at once, each a Telegram round trip of up to
    10 s: none may keep a pooled connection (on PostgreSQL, idle in a transaction)."""
    await with_photo(session, shop.product, "a-file")
    await session.close()
    source = CountingSource(engine)
    app = create_app(pool, api_config, source)
    before = engine.sync_engine.pool.checkedout()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        assert (await c.get(f"/products/{shop.product}/photo")).content == JPEG
    assert source.out == before


async def test_the_api_keeps_photos_in_memory_within_a_count_and_a_size():
    from api.photos import Photos

    class Source:
        def __init__(self) -> None:
            self.asked: list[str] = []

        async def fetch(self, file_id: str) -> bytes:
            self.asked.append(file_id)
            return file_id.encode() * 100  # "a" is 100 bytes, "bb" 200

        async def close(self) -> None:
            pass

    source = Source()
    photos = Photos(source, keep=3, keep_bytes=350)
    for file_id in ("a", "bb", "a", "c", "a"):
        await photos.get(file_id)
    # "c" made 400 bytes: "bb", the least recently asked, went; "a" was kept.
    assert source.asked == ["a", "bb", "c"]
    await photos.get("dd")  # 200 bytes more: "c" goes
    await photos.get("a")
    await photos.get("bb")  # fetched again; "dd" goes
    assert source.asked == ["a", "bb", "c", "dd", "bb"]
    big = "e" * 4  # 400 bytes, more than all the room: served each time, never kept
    await photos.get(big)
    await photos.get(big)
    await photos.get("a")
    await photos.get("bb")
    assert source.asked[5:] == [big, big]
