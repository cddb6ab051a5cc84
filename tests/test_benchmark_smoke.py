"""benchmarks/browse.py drives the real screens: a few presses on a tiny catalog, so the
benchmark can't silently measure error alerts or a screen that stopped paging.

Nothing here is timed. It always runs on its own SQLite file: the benchmark drops and
creates tables, which must never happen to the shared test database.
"""

from aiogram.dispatcher.event import handler as handler_module
from aiohttp import web

from benchmarks import lean_http
from benchmarks.browse import measure, prepare
from benchmarks.common import buttons
from benchmarks.stub_api import StubBotAPI
from bot.factory import create_bot


def labels(message) -> str:
    return " | ".join(label for label, _data in buttons(message))


async def test_browse_presses_produce_the_expected_screens(tmp_path, monkeypatch):
    # A synchronous filter or handler runs in a thread, a hop per update: none on this path.
    hops = []

    async def to_thread(func, *args, **kwargs):
        hops.append(func)
        return func(*args, **kwargs)

    monkeypatch.setattr(handler_module.asyncio, "to_thread", to_thread)
    setup = await prepare(f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}", 20, 2, floor=30)
    try:
        measured = await measure(setup, users=2, rounds=2, warmup=0, collect=False, explain=True)
        arms = {a.name: a for a in measured}
    finally:
        await setup.engine.dispose()
    assert hops == []

    for uid in (1, 2):
        # The floors paged through their rows: page 1, then ▶.
        assert "Row 8" in labels(arms["B"].api.screens[uid])
        assert "Everything" in arms["first"].api.screens[uid]["text"]
        assert "Product 000000" in labels(arms["first"].api.screens[uid])
        # 20 products, 8 a page: ▶ twice from the first page reaches the last one.
        last = labels(arms["next"].api.screens[uid])
        assert "Product 000016" in last and "Product 000019" in last and "▶" not in last
        card = arms["card"].api.screens[uid]["text"]
        assert "Product 000002" in card and "102.99" in card
    for arm in arms.values():
        assert arm.api.alerts == [] and arm.presses == 4
    assert arms["A"].sql[0] == 0 and arms["B"].sql[0] == arms["B"].presses
    # A list page (category, children and products) and a card each come in the
    # statement that reads the user and their dialog state.
    for name in ("first", "next", "deep", "card"):
        assert arms[name].sql[0] == arms[name].presses
    # --explain: the same pages, with the user's row (then the keyboard) from memory;
    # without the user statement, the page's own read runs instead.
    for name in (
        "next, user row from memory",
        "next, keyboard from memory",
        "next, no per-user lock",
    ):
        assert labels(arms[name].api.screens[1]) == labels(arms["next"].api.screens[1])
        assert arms[name].sql[0] == arms[name].presses


async def test_search_benchmark_finds_what_it_asks_for(tmp_path):
    """benchmarks/search.py on a tiny catalog: every /search but the miss finds products,
    every inline query is answered, and a second run finds the catalog already seeded."""
    from benchmarks.search import arms_for
    from benchmarks.search import measure as measure_search
    from benchmarks.search_seed import ensure
    from db.engine import create_engine, create_session_pool

    url = f"sqlite+aiosqlite:///{tmp_path / 'search.db'}"
    engine = create_engine(url)
    try:
        assert (await ensure(engine, 400, 3))[0] is True
        assert (await ensure(engine, 400, 3))[0] is False
        arms = arms_for(create_session_pool(engine), url, 400)
        await measure_search(arms, rounds=1, warmup=0)
    finally:
        await engine.dispose()
    for arm in arms[1:]:
        if arm.name.startswith("/search"):
            [answer] = arm.api.screens.values()
            assert ("Nothing found" in answer["text"]) == arm.name.endswith("miss"), arm.name
        else:
            assert arm.api.calls == {"getMe": 1, "answerInlineQuery": 1} or arm.api.calls == {
                "answerInlineQuery": 1
            }, arm.name


async def test_the_lean_http_harness_speaks_to_aiohttp_both_ways(settings):
    """benchmarks/webhook.py's client and stub (benchmarks/lean_http.py) against aiohttp's
    server and client: the figures are only worth something if every call got through."""
    stub = StubBotAPI()
    bot = create_bot(settings.model_copy(update={"telegram_api_url": await stub.start(lean=True)}))
    app = web.Application()

    async def echo(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if request.query.get("chunked"):  # aiohttp's own way for a body of unknown size
            response = web.StreamResponse(status=201)
            response.enable_chunked_encoding()
            await response.prepare(request)
            for part in (body[:3], body[3:]):
                await response.write(part)
            await response.write_eof()
            return response
        return web.Response(body=body, status=202)

    app.router.add_post("/echo", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        assert (await bot.get_me()).username == "shop_bot"
        sent = await bot.send_message(5, "Hello & bye", reply_markup=None)
        assert (sent.chat.id, sent.text) == (5, "Hello & bye")
        assert stub.calls == {"getMe": 1, "sendMessage": 1}
        plain = lean_http.Client("127.0.0.1", port, "/echo", {"X-Test": "1"})
        chunked = lean_http.Client("127.0.0.1", port, "/echo?chunked=1", {})
        for n in range(3):  # one connection, kept alive
            assert await plain.post(b'{"n": %d}' % n) == (202, b'{"n": %d}' % n)
            assert await chunked.post(b"hello world") == (201, b"hello world")
        plain.close()
        chunked.close()
    finally:
        await bot.session.close()
        await stub.stop()
        await runner.cleanup()


async def test_refold_benchmark_leaves_the_catalog_as_it_found_it(tmp_path, capsys):
    """benchmarks/refold.py on a tiny catalog: both cases run through revision 0012, and
    every product's search text is as the code folds it afterwards (a rerun measures the
    same), with no revision left marked."""
    import argparse

    from sqlalchemy import inspect, select

    from benchmarks import refold
    from db.engine import create_engine
    from models import Product
    from models.product import search_fold

    url = f"sqlite+aiosqlite:///{tmp_path / 'refold.db'}"
    await refold.run(argparse.Namespace(db=url, products="300"))
    assert "300 products: revision 0012 took" in capsys.readouterr().out
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(select(Product.name, Product.description, Product.search_text))
            ).all()
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    assert len(rows) == 300
    assert all(r.search_text == search_fold(f"{r.name}\n{r.description or ''}") for r in rows)
    assert "alembic_version" not in tables
