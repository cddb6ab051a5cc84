"""benchmarks/api.py compares like with like: on a tiny catalog the floor and the shop's
app return the same pages and cursors. Nothing here is timed; its own SQLite file."""

import httpx

from benchmarks.api import LIMIT, floor_app, seed_db, shop_app


async def test_floor_and_api_walk_the_same_pages(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    starts = await seed_db(url, 45)
    assert starts
    walks = {}
    for name, app in (("floor", floor_app(url)), ("api", shop_app(url))):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
            after, pages = 0, []
            while after is not None:
                r = await client.get("/products", params={"category": 1, "after": after})
                assert r.status_code == 200
                body = r.json()
                pages.append([p["id"] for p in body["items"]])
                after = body["next"]
        walks[name] = pages
    assert walks["floor"] == walks["api"]
    assert [len(p) for p in walks["api"]] == [LIMIT, LIMIT, 5]
