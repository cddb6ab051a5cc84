"""Start-up: configuration mistakes end with one clear line, not a traceback."""

import logging

import pytest
from alembic.script import ScriptDirectory

from bot.__main__ import main
from bot.config import ConfigError, Settings, load_settings
from bot.factory import create_bot
from bot.migrate import alembic_config
from tests.conftest import APP_ENV_FILE
from tests.tg import TOKEN


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """The bot as the owner starts it: .env read again, from an empty directory."""
    monkeypatch.setitem(Settings.model_config, "env_file", APP_ENV_FILE)
    monkeypatch.chdir(tmp_path)


def run_main(capsys) -> tuple[int, str]:
    code = main([])
    return code, capsys.readouterr().err.strip()


def test_missing_token(capsys):
    code, err = run_main(capsys)
    assert code == 2
    assert err == "error: BOT_TOKEN is not set: put the token from @BotFather in .env"


def test_malformed_token(monkeypatch, capsys):
    monkeypatch.setenv("BOT_TOKEN", "not-a-token")
    code, err = run_main(capsys)
    assert code == 2
    assert err.startswith("error: BOT_TOKEN is malformed")
    assert "\n" not in err


def test_unreachable_database(monkeypatch, capsys):
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://shop:secret@127.0.0.1:1/shop")
    code, err = run_main(capsys)
    assert code == 2
    assert err.startswith("error: Cannot reach the database postgresql+asyncpg://shop:***@")
    assert "secret" not in err and "\n" not in err


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("12,abc", "ADMIN_IDS: Telegram ids separated by commas"),
        # Users' ids are above 0: -1 made the demo's first seller an admin, and `python -m
        # bot admin add` refuses these too.
        ("12,-1", "ADMIN_IDS: a user's Telegram id is a number above 0"),
        ("0", "ADMIN_IDS: a user's Telegram id is a number above 0"),
    ],
)
def test_bad_admin_ids(monkeypatch, value, says):
    monkeypatch.setenv("ADMIN_IDS", value)
    with pytest.raises(ConfigError, match=says):
        load_settings()


def test_api_cors_origins_are_origins(monkeypatch):
    """A Mini App's page on its own site: origins by commas; a path or a bare host is a
    mistake said at start, not a browser refusing every call later."""
    from api import ApiConfig

    monkeypatch.setenv("API_CORS_ORIGINS", " https://shop.example/, http://127.0.0.1:5173 ")
    settings = load_settings()
    assert ApiConfig.from_settings(settings).cors_origins == (
        "https://shop.example",
        "http://127.0.0.1:5173",
    )
    monkeypatch.setenv("API_CORS_ORIGINS", "*")
    assert load_settings().api_cors_origins == ("*",)
    for value, says in [
        ("shop.example", "'shop.example' is not an origin such as https://"),
        ("https://shop.example/app", "'https://shop.example/app': an origin has no path"),
    ]:
        monkeypatch.setenv("API_CORS_ORIGINS", value)
        with pytest.raises(ConfigError, match=f"API_CORS_ORIGINS: {says}"):
            load_settings()


@pytest.mark.parametrize("value", ["0", "-5", "10000000000", "lots"])
def test_max_price_is_a_price_a_column_holds(monkeypatch, value):
    monkeypatch.setenv("MAX_PRICE", value)
    with pytest.raises(ConfigError, match="MAX_PRICE"):
        load_settings()


def test_settings_from_env(monkeypatch):
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ADMIN_IDS", "1, 2;3")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.admin_ids == {1, 2, 3}
    assert settings.log_level == "DEBUG"
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert TOKEN not in repr(settings)


def test_settings_from_dotenv_file(tmp_path):
    (tmp_path / ".env").write_text(f"BOT_TOKEN={TOKEN}\nREDIS_URL=\n")
    settings = load_settings()
    assert settings.require_token() == TOKEN
    assert settings.redis_url is None


def test_custom_api_server_is_used(monkeypatch):
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081")
    bot = create_bot(load_settings())
    url = bot.session.api.api_url(token=TOKEN, method="getMe")
    assert url == f"http://127.0.0.1:8081/bot{TOKEN}/getMe"


@pytest.mark.parametrize(
    ("url", "advice"),
    [
        (
            "postgresql://shop:secret@db/shop",
            "error: DATABASE_URL: the bot needs the async driver; "
            "write postgresql+asyncpg://shop:***@db/shop",
        ),
        (
            "sqlite:///shop.db",
            "error: DATABASE_URL: the bot needs the async driver; write sqlite+aiosqlite:///shop.db",
        ),
        ("shop.db", "error: DATABASE_URL: not a database URL; write e.g. sqlite+aiosqlite:///"),
        ("mysql+aiomysql://u@h/db", "error: DATABASE_URL: only SQLite and PostgreSQL"),
        (
            "postgres://shop:secret@db/shop",  # Heroku's form
            "error: DATABASE_URL: the bot needs the async driver; "
            "write postgresql+asyncpg://shop:***@db/shop",
        ),
        (
            "postgresql+asyncpg://shop@db/shop?sslmode=require",
            "error: DATABASE_URL: asyncpg takes ssl=require, not sslmode=",
        ),
        (  # two slashes: "shop.db" was read as a host, and failed later with a traceback
            "sqlite+aiosqlite://shop.db",
            "error: DATABASE_URL: the database is a file: write sqlite+aiosqlite:///shop.db",
        ),
        (  # the password's @: the error named a host "ss@db" and showed part of it
            "postgresql+asyncpg://shop:p@ss@db/shop",
            "error: DATABASE_URL: write an @ in the password as %40",
        ),
        (  # in memory: the shop would keep nothing
            "sqlite+aiosqlite://",
            "error: DATABASE_URL: the database is a file: write sqlite+aiosqlite:///storefront.db",
        ),
    ],
)
def test_database_url_mistakes_are_one_line(monkeypatch, capsys, url, advice):
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", url)
    code, err = run_main(capsys)
    assert code == 2
    assert err.startswith(advice) and "\n" not in err and "secret" not in err


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "CURRENCY",
            "XYZ",
            "error: CURRENCY: 'XYZ' is not an ISO 4217 currency code (e.g. RUB, USD, EUR)",
        ),
        (
            "CURRENCY",
            "rubles",
            "error: CURRENCY: 'rubles' is not an ISO 4217 currency code (e.g. RUB, USD, EUR)",
        ),
        (
            "DEFAULT_LOCALE",
            "de",
            "error: DEFAULT_LOCALE: must be one of the shipped languages: en, ru",
        ),
    ],
)
def test_currency_and_locale_are_checked(monkeypatch, capsys, name, value, message):
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv(name, value)
    assert run_main(capsys) == (2, message)


def test_currency_and_locale_are_normalised(monkeypatch):
    monkeypatch.setenv("CURRENCY", " usd")
    monkeypatch.setenv("DEFAULT_LOCALE", "RU")
    settings = load_settings()
    assert (settings.currency, settings.default_locale) == ("USD", "ru")


def test_migrating_logs_one_line(monkeypatch, capsys, caplog):
    """`python -m bot migrate` on a new database: one line from the bot, none from alembic."""
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///shop.db")
    caplog.set_level(logging.INFO)
    assert main(["migrate"]) == 0
    lines = [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert lines == [("bot", f"Database migrated from empty to {head}")]
    caplog.clear()
    assert main(["migrate"]) == 0  # nothing to do: nothing said
    assert [r for r in caplog.records if r.levelno >= logging.INFO] == []


def test_a_database_a_newer_version_migrated_is_said_so(monkeypatch, capsys, tmp_path):
    """Each start used to copy the database as a backup, then fail with "Can't locate
    revision": a restart loop filled the disk. One line, no copy."""
    import sqlite3

    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///shop.db")
    assert main(["migrate"]) == 0
    with sqlite3.connect("shop.db") as conn:
        conn.execute(
            "INSERT INTO categories (name, slug, position, is_active, product_count)"
            " VALUES ('Tea', 'tea', 0, 1, 0)"
        )
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    capsys.readouterr()
    for _ in range(2):
        code = main(["migrate"])  # a start runs the same check first
        err = capsys.readouterr().err.strip()
        assert code == 2
        assert "is at revision 9999, which this version of the bot doesn't have" in err
    assert not [p.name for p in tmp_path.iterdir() if ".bak" in p.name]  # no backup copies


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("TELEGRAM_API_URL", "127.0.0.1:8081", "TELEGRAM_API_URL: must be a URL such as http://"),
        ("TELEGRAM_API_URL", "localhost", "TELEGRAM_API_URL: must be a URL such as http://"),
        ("TELEGRAM_API_URL", "http://127.0.0.1:99999", "TELEGRAM_API_URL: its port is not"),
        ("REDIS_URL", "127.0.0.1:6379", "REDIS_URL: must be a URL such as redis://host:port"),
    ],
)
def test_a_service_url_without_its_scheme_is_one_line(monkeypatch, capsys, name, value, says):
    """Before, these failed later: a traceback (Redis), or a line that printed the bot
    token inside the URL aiohttp could not use (the Bot API)."""
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv(name, value)
    code, err = run_main(capsys)
    assert code == 2 and says in err and "\n" not in err
    assert TOKEN not in err


@pytest.mark.parametrize("token", ["", "   "])
def test_an_empty_provider_token_is_no_token(monkeypatch, capsys, token):
    """`PAYMENT_PROVIDER_TOKEN=` uncommented from .env.example: every card invoice would
    have gone out without a token."""
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("PAYMENT_METHOD", "provider")
    monkeypatch.setenv("PAYMENT_PROVIDER_TOKEN", token)
    code, err = run_main(capsys)
    assert code == 2 and "PAYMENT_METHOD=provider needs PAYMENT_PROVIDER_TOKEN" in err


@pytest.mark.parametrize("secret", ["q", "short-but-not-32-characters"])
def test_a_short_jwt_secret_is_refused(monkeypatch, capsys, secret):
    """JWT_SECRET=q was taken: its key is guessed from any customer's token in
    microseconds, and admins' tokens forged. A blank one is unset (one is generated)."""
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("JWT_SECRET", secret)
    code, err = run_main_with(capsys, "api")
    assert code == 2 and "JWT_SECRET: at least 32 characters" in err and "\n" not in err
    assert secret not in err
    monkeypatch.setenv("JWT_SECRET", "  ")
    assert Settings().jwt_secret is None
    monkeypatch.setenv("JWT_SECRET", "k" * 32)
    assert Settings().jwt_secret.get_secret_value() == "k" * 32


def test_what_answers_at_the_bot_api_address_is_one_line_without_the_token():
    from aiogram.exceptions import ClientDecodeError, TelegramNetworkError, TelegramNotFound
    from aiogram.methods import GetMe

    from bot.startup import bot_api_refusals

    for error in (
        TelegramNotFound(method=GetMe(), message="Not Found"),
        ClientDecodeError("Failed to decode object", ValueError("html"), "<html>502</html>"),
    ):
        with pytest.raises(ConfigError, match="answers, but not as a Bot API: check TELEGRAM"):
            with bot_api_refusals():
                raise error
    quoted = TelegramNetworkError(method=GetMe(), message=f"refused: 127.0.0.1/bot{TOKEN}/getMe")
    with pytest.raises(ConfigError) as refused:
        with bot_api_refusals():
            raise quoted
    assert TOKEN not in str(refused.value) and "bot<BOT_TOKEN>/getMe" in str(refused.value)


def test_the_web_api_start_refuses_as_the_bot_does(monkeypatch, capsys):
    """`python -m bot api` with a port in use exited 3 with uvicorn's message, and with a
    Redis that doesn't answer started, then answered POST /auth/token with a 500."""
    import socket

    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///shop.db")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        monkeypatch.setenv("API_PORT", str(taken.getsockname()[1]))
        code, err = run_main_with(capsys, "api")
        assert (
            code == 2 and err.startswith("error: Cannot listen on 127.0.0.1:") and "\n" not in err
        )
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{closed.getsockname()[1]}/0")
    code, err = run_main_with(capsys, "api")
    assert code == 2 and err.startswith("error: Cannot reach Redis at redis://127.0.0.1:")


def run_main_with(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err.strip()


def test_a_misspelled_setting_in_env_is_named(monkeypatch, capsys, caplog, tmp_path):
    """DATABSE_URL in .env: the shop opened a new, empty database without a word."""
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"BOT_TOKEN={TOKEN}\nDATABSE_URL=sqlite+aiosqlite:///old.db\nPOSTGRES_DB=x\n"
    )
    monkeypatch.setitem(Settings.model_config, "env_file", str(env_file))
    caplog.set_level(logging.WARNING, logger="bot")
    assert main(["migrate"]) == 0
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning == (
        ".env has settings the bot doesn't know: DATABSE_URL (DATABASE_URL?), POSTGRES_DB"
    )


def test_a_read_only_database_says_what_to_fix():
    """SQLite's "attempt to write a readonly database" pointed the owner nowhere."""
    import sqlite3

    from bot.startup import _first_line

    line = _first_line(sqlite3.OperationalError("attempt to write a readonly database"))
    assert line.endswith("(this user can't write the database file, or the folder it is in)")


def test_card_payments_in_a_currency_without_a_built_in_minimum_are_warned(monkeypatch, caplog):
    """README: "another currency: set it" (PROVIDER_MIN_AMOUNT); now the start says so."""
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///shop.db")
    monkeypatch.setenv("PAYMENT_METHOD", "provider")
    monkeypatch.setenv("PAYMENT_PROVIDER_TOKEN", "284685063:TEST:abc")
    monkeypatch.setenv("CURRENCY", "JPY")
    caplog.set_level(logging.WARNING, logger="bot")
    assert main(["migrate"]) == 0
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith("PAYMENT_METHOD=provider in JPY: no smallest card payment")
    caplog.clear()
    monkeypatch.setenv("PROVIDER_MIN_AMOUNT", "200")
    assert main(["migrate"]) == 0
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "http"])
def test_the_playground_port_is_a_port(capsys, port):
    """`playground --port 99999` started on 34463 (99999 - 65536) without a word: a
    number outside 0-65535 (0: any free port, named in the line it prints) is one line
    and exit 2."""
    with pytest.raises(SystemExit) as refused:
        main(["playground", "--port", port])
    assert refused.value.code == 2
    assert f"argument --port: {port!r} is not a port number" in capsys.readouterr().err
