"""python -m bot [run|migrate|demo|playground]"""

import argparse
import asyncio
import logging
import sys

from bot.config import ConfigError, Settings, load_settings

log = logging.getLogger("bot")


async def _prepare_database(settings: Settings):
    from sqlalchemy import text

    from bot import migrate
    from bot.db import create_engine, describe_url

    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        await engine.dispose()
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            f"Cannot reach the database {describe_url(settings.database_url)}: {reason}"
        ) from None
    await migrate.upgrade(engine)
    return engine


async def run(settings: Settings) -> None:
    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    from bot.commands import set_commands
    from bot.db import create_session_pool, describe_url
    from bot.factory import create_bot, create_dispatcher, create_storage
    from bot.i18n import create_i18n

    settings.require_token()
    engine = await _prepare_database(settings)
    pool = create_session_pool(engine)
    storage = create_storage(settings, pool)
    i18n = create_i18n(settings.default_locale)
    bot = create_bot(settings)
    dp = create_dispatcher(settings, pool, storage, i18n)
    log.info(
        "Database: %s; FSM storage: %s; Bot API: %s",
        describe_url(settings.database_url),
        describe_url(settings.redis_url) if settings.redis_url else "the database",
        settings.telegram_api_url or "https://api.telegram.org",
    )
    try:
        await set_commands(bot, i18n)
        # Broadcasts interrupted by a stop or crash go on where they were.
        await dp["broadcaster"].resume(bot)
        await dp.start_polling(bot)
    except TelegramUnauthorizedError:
        raise ConfigError("Telegram rejected BOT_TOKEN: check it with @BotFather") from None
    except TelegramNetworkError as exc:
        raise ConfigError(f"Cannot reach the Bot API: {exc.message}") from None
    finally:
        await dp["broadcaster"].stop()
        await bot.session.close()
        await engine.dispose()


async def migrate_only(settings: Settings) -> None:
    engine = await _prepare_database(settings)
    await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Telegram storefront bot")
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "migrate", "demo", "playground"],
        help="run the bot (default), apply migrations, fill an empty shop with demo data, "
        "or try the shop in a browser without a token (playground)",
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="playground: the page's port on 127.0.0.1"
    )
    parser.add_argument(
        "--db",
        default="playground.db",
        help="playground: a SQLite file (or a database URL) of its own",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(
            level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        if args.command == "migrate":
            asyncio.run(migrate_only(settings))
        elif args.command == "demo":
            from bot.demo import fill_demo

            asyncio.run(fill_demo(settings))
        elif args.command == "playground":
            from playground.run import serve

            asyncio.run(serve(args.port, args.db))
        else:
            asyncio.run(run(settings))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
