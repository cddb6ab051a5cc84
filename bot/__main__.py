"""python -m bot [run|migrate|demo|admin|backup|playground|api|webhook]"""

import argparse
import asyncio
import gc
import logging
import sys

from bot.config import ConfigError, Settings, load_settings, unknown_env_file_keys
from bot.startup import (
    bot_api_refusals,
    check_redis,
    log_what_it_uses,
    prepare_database,
    run_service,
)
from services.payments import provider_minimum

log = logging.getLogger("bot")


async def run(settings: Settings) -> None:
    from bot.commands import set_commands
    from bot.factory import create_bot, create_dispatcher, create_storage, start_jobs, stop_jobs
    from bot.i18n import create_i18n
    from db.engine import create_session_pool

    settings.require_token()
    if settings.workers > 1:
        raise ConfigError(
            f"WORKERS={settings.workers}: long polling is one process per token; "
            "run `python -m bot webhook` for several workers"
        )
    i18n = create_i18n(settings.default_locale)
    engine = await prepare_database(settings)
    try:
        await check_redis(settings)
    except ConfigError:
        await engine.dispose()
        raise
    pool = create_session_pool(engine)
    storage = create_storage(settings, pool)
    bot = create_bot(settings)
    dp = create_dispatcher(settings, pool, storage, i18n)
    log_what_it_uses(settings)
    try:
        with bot_api_refusals():
            # Back from webhook mode: Telegram refuses getUpdates while a webhook is set
            # (409, every second, forever). Updates waiting there are kept.
            await bot.delete_webhook(drop_pending_updates=False)
            await set_commands(bot, i18n, pool)
            # Broadcasts interrupted by a stop or crash go on where they were.
            await dp["broadcaster"].resume(bot)
            # Expired reservations, back-in-stock alerts, the web API's notices: what is
            # due since before a restart, then new ones (bot.factory.JOBS).
            start_jobs(dp, bot)
            gc.freeze()  # start-up's objects live as long as the process (see bot/webhook.py)
            await dp.start_polling(bot)
    finally:
        await dp["broadcaster"].stop()
        await stop_jobs(dp)
        await bot.session.close()
        await engine.dispose()


async def migrate_only(settings: Settings) -> None:
    engine = await prepare_database(settings)
    await engine.dispose()


async def admin(settings: Settings, action: str, who: str | None) -> None:
    from bot.admin_cli import admin_command
    from db.engine import create_session_pool

    engine = await prepare_database(settings)
    try:
        print(await admin_command(settings, create_session_pool(engine), action, who))
    finally:
        await engine.dispose()


async def serve_api(settings: Settings) -> None:
    """The web API on API_HOST:API_PORT, on the bot's database (migrated first). Redis
    that doesn't answer, or a port in use, stop it with one line, as the bot's start."""
    import uvicorn

    from api import ApiConfig, create_app
    from bot.photos import TelegramPhotos
    from bot.supervisor import bind
    from db.engine import create_session_pool, describe_url

    engine = await prepare_database(settings)
    try:
        await check_redis(settings)  # failed logins are counted there
        sock = bind(settings.api_host, settings.api_port)
    except ConfigError:
        await engine.dispose()
        raise
    photos = TelegramPhotos.of(settings)
    app = create_app(create_session_pool(engine), ApiConfig.from_settings(settings), photos)
    config = uvicorn.Config(
        app, host=settings.api_host, port=settings.api_port, log_level=settings.log_level.lower()
    )
    log.info(
        "Web API on http://%s:%s (docs at /docs); database: %s",
        settings.api_host,
        settings.api_port,
        describe_url(settings.database_url),
    )
    try:
        await uvicorn.Server(config).serve(sockets=[sock])
    finally:
        sock.close()
        await engine.dispose()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Telegram storefront bot. Without a command it runs the bot (long polling).",
        usage="python -m bot [-h] [command] ...",
    )
    commands = parser.add_subparsers(dest="command", metavar="command", prog="python -m bot")
    commands.add_parser("run", help="run the bot (the default)")
    commands.add_parser("migrate", help="only apply database migrations")
    commands.add_parser("demo", help="fill an empty shop with demo data")
    admin_parser = commands.add_parser(
        "admin", help="make someone admin, take it back, or list the admins"
    )
    admin_parser.add_argument("action", choices=["add", "remove", "list"])
    admin_parser.add_argument("who", nargs="?", help="a Telegram id (digits) or @username")
    backup_parser = commands.add_parser("backup", help="copy the SQLite database to PATH")
    backup_parser.add_argument("path", help="a file to write, or a directory")
    playground = commands.add_parser(
        "playground", help="try the shop in a browser: no token, no network"
    )
    playground.add_argument(
        "--port",
        type=_port,
        default=8080,
        help="the page's port on 127.0.0.1 (default 8080; 0: any free one)",
    )
    playground.add_argument(
        "--db",
        default="playground.db",
        help="a SQLite file (or a database URL) of its own (default playground.db)",
    )
    playground.add_argument(
        "--pay",
        choices=["stars", "cod"],
        default="stars",
        help="how customers pay: Telegram Stars invoices (default) or cash on delivery",
    )
    commands.add_parser("api", help="serve the web API (API_HOST, API_PORT; docs at /docs)")
    commands.add_parser(
        "webhook", help="receive updates by webhook (WEBHOOK_URL, WORKERS; README: at scale)"
    )
    return parser


def _port(text: str) -> int:
    """A port number, or 0 for any free one (the line printed names it). 99999 was
    taken as 34463 without a word."""
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535, or 0: any)")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(
            level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        if settings.log_level != "DEBUG":
            # Alembic's per-revision chatter; the bot logs one line when it migrates.
            logging.getLogger("alembic").setLevel(logging.WARNING)
        if unknown := unknown_env_file_keys(str(Settings.model_config.get("env_file") or "")):
            log.warning(".env has settings the bot doesn't know: %s", ", ".join(unknown))
        if settings.payment_method == "provider" and not settings.card_limits.minimum:
            if not provider_minimum(settings.currency):
                log.warning(
                    "PAYMENT_METHOD=provider in %s: no smallest card payment is built in for "
                    "it; set PROVIDER_MIN_AMOUNT (Telegram's min_amount, about US$1), or "
                    "Telegram refuses the invoices under it",
                    settings.currency,
                )
        if args.command == "migrate":
            asyncio.run(migrate_only(settings))
        elif args.command == "demo":
            from bot.demo import fill_demo

            asyncio.run(migrate_only(settings))  # with the backup a filled shop gets
            asyncio.run(fill_demo(settings))
        elif args.command == "admin":
            asyncio.run(admin(settings, args.action, args.who))
        elif args.command == "backup":
            from bot.backup import backup

            print(f"Backup written to {backup(settings.database_url, args.path)}")
        elif args.command == "playground":
            from playground.run import serve

            run_service(serve(args.port, args.db, payment_method=args.pay))
        elif args.command == "api":
            run_service(serve_api(settings))
        elif args.command == "webhook":
            from bot.supervisor import run_webhook

            return run_webhook(settings)
        else:
            run_service(run(settings))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
