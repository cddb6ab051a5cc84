"""What a plain install gets: a wheel built from the sources (no compiled catalogs in
them), installed into a fresh virtualenv outside the checkout, migrates, fills the demo
shop and speaks Russian, from an unrelated directory. And the suite itself reads
nothing from the shell or a `.env` file.

The wheel is built with the build tools of the running environment (no download);
`.ci/run` also installs one the way a Dockerfile would, dependencies and all.
"""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

# Its own SQLite file (or none): the PostgreSQL run would only repeat it.
pytestmark = pytest.mark.own_sqlite

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", "*.mo", "*.db*", ".env"
)


def run(args: list[str], cwd: Path, **env: str) -> str:
    clean = {"PATH": os.environ["PATH"], "HOME": str(cwd), **env}
    result = subprocess.run(
        args, cwd=cwd, env=clean, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("setuptools", minversion="68")
    pytest.importorskip("pip", reason="building and installing the wheel takes pip")
    work = tmp_path_factory.mktemp("build")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=SKIP)
    assert not list(source.rglob("*.mo"))
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(work / "dist"),
            str(source),
        ],
        cwd=work,
    )
    [built] = (work / "dist").glob("storefront_bot-*.whl")
    return built


def test_the_wheel_carries_compiled_catalogs_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "locales/ru/LC_MESSAGES/messages.mo",
        "locales/en/LC_MESSAGES/messages.mo",
        "migrations/env.py",
        "migrations/script.py.mako",
        "migrations/versions/0001_initial.py",
        "bot/__main__.py",
    } <= names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/")) or n.endswith(".po")]


def test_an_installed_wheel_runs_from_anywhere(wheel, tmp_path):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        cwd=tmp_path,
    )
    # The dependencies come from this environment's site-packages, after the wheel's
    # own files (an editable install's path hooks there are not run).
    purelib = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            cwd=tmp_path,
        ).strip()
    )
    (purelib / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")

    shop = tmp_path / "shop"
    shop.mkdir()
    env = {"DATABASE_URL": "sqlite+aiosqlite:///shop.db"}
    where = run(
        [str(python), "-c", "import bot, locales; print(bot.__file__, locales.__file__)"], cwd=shop
    )
    assert str(ROOT) not in where and str(purelib) in where
    run([str(python), "-m", "bot", "migrate"], cwd=shop, **env)
    out = run([str(python), "-m", "bot", "demo"], cwd=shop, **env)
    assert "Demo shop ready: 11 categories, 40 products" in out
    out = run(
        [
            str(python),
            "-c",
            "from bot.i18n import create_i18n; print(create_i18n().gettext('Cancel', locale='ru'))",
        ],
        cwd=shop,
    )
    assert out.strip() == "Отмена"


def test_the_suite_ignores_the_shell_and_a_dotenv_file(tmp_path):
    """Settings exported in the developer's shell or a .env where pytest starts."""
    (tmp_path / ".env").write_text("PAGE_SIZE=3\nPAYMENT_METHOD=stars\nCURRENCY=EUR\n")
    env = {
        "PAYMENT_METHOD": "provider",  # without a token: every Settings() failed
        "PAGE_SIZE": "2",
        "DEFAULT_LOCALE": "ru",
        "CURRENCY": "USD",
        "THROTTLE_RATE": "0.01",
        "PICKUP_AVAILABLE": "true",
        "page_size": "1",  # pydantic-settings ignores case
    }
    tests = [str(ROOT / "tests" / name) for name in ("test_catalog.py", "test_payments.py")]
    out = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=tmp_path,
        **env,
    )
    assert " passed" in out and "failed" not in out and "error" not in out


def test_the_readme_documents_every_command_and_setting_and_stays_inside_the_repo():
    from bot.__main__ import _parser
    from bot.config import Settings

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = next(a for a in _parser()._actions if a.dest == "command").choices
    assert [c for c in commands if f"python -m bot {c}" not in readme] == []
    assert [f for f in Settings.model_fields if f"`{f.upper()}`" not in readme] == []
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"^#? ?([A-Z_]+)=", example, re.MULTILINE))
    assert {"BOT_TOKEN", "DATABASE_URL", "ADMIN_IDS", "CURRENCY"} <= names
    assert names <= {f.upper() for f in Settings.model_fields}
    # Links and paths a reader can follow: none leads out of the repository.
    assert "../" not in readme


def test_catalogs_are_loaded_compiled_never_compiled_at_start(tmp_path, monkeypatch, caplog):
    import bot.i18n
    import locales.compile
    from bot.config import ConfigError

    for module in (bot.i18n, locales.compile):
        monkeypatch.setattr(module, "LOCALES_DIR", tmp_path)
    for lang in ("en", "ru"):
        (tmp_path / lang / "LC_MESSAGES").mkdir(parents=True)
        shutil.copy(
            ROOT / "locales" / lang / "LC_MESSAGES" / "common.po", tmp_path / lang / "LC_MESSAGES"
        )
    with pytest.raises(ConfigError, match=r"not compiled \(en, ru\): install the bot with pip"):
        bot.i18n.create_i18n()
    assert not list(tmp_path.rglob("*.mo"))  # the start did not compile them either

    locales.compile.compile_catalogs(tmp_path)
    assert bot.i18n.create_i18n().gettext("Cancel", locale="ru") == "Отмена"
    # A .po edited after compiling: the bot says so, and still starts.
    po = tmp_path / "ru" / "LC_MESSAGES" / "common.po"
    mo_time = (tmp_path / "ru" / "LC_MESSAGES" / "messages.mo").stat().st_mtime
    os.utime(po, (mo_time + 10, mo_time + 10))
    bot.i18n.create_i18n()
    assert "Translations older than their .po files (ru)" in caplog.text


def test_an_empty_translation_in_one_catalog_does_not_hide_another(tmp_path, monkeypatch):
    """The catalogs are merged in file order: "Cancelled." sat untranslated in common.po
    and hid start.po's "Отменено." from Russian users."""
    import bot.i18n
    import locales.compile

    monkeypatch.setattr(bot.i18n, "LOCALES_DIR", tmp_path)
    folder = tmp_path / "ru" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    (folder / "a.po").write_text(header + 'msgid "Cancelled."\nmsgstr ""\n', "utf-8")
    (folder / "b.po").write_text(header + 'msgid "Cancelled."\nmsgstr "Отменено."\n', "utf-8")
    (tmp_path / "en" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(folder / "a.po", tmp_path / "en" / "LC_MESSAGES")
    locales.compile.compile_catalogs(tmp_path)
    assert bot.i18n.create_i18n().gettext("Cancelled.", locale="ru") == "Отменено."
