"""Start-up: configuration mistakes end with one clear line, not a traceback."""

import pytest

from bot.__main__ import main
from bot.config import ConfigError, load_settings
from bot.factory import create_bot
from tests.tg import TOKEN


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("BOT_TOKEN", "DATABASE_URL", "ADMIN_IDS", "REDIS_URL", "TELEGRAM_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


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


def test_bad_admin_ids(monkeypatch):
    monkeypatch.setenv("ADMIN_IDS", "12,abc")
    with pytest.raises(ConfigError, match="ADMIN_IDS"):
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
