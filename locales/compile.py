"""Compiles each language's `.po` files into one `messages.mo` (gettext's binary form,
what aiogram's `I18n` loads). Needs only Babel, so `setup.py` runs it at build time."""

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from locales import DOMAIN, LOCALES_DIR


def compiled_path(lang_dir: Path) -> Path:
    return lang_dir / "LC_MESSAGES" / f"{DOMAIN}.mo"


def language_dirs(root: Path = LOCALES_DIR) -> list[Path]:
    return sorted(p for p in root.iterdir() if (p / "LC_MESSAGES").is_dir())


def compile_catalogs(root: Path = LOCALES_DIR) -> list[Path]:
    """Writes `<lang>/LC_MESSAGES/messages.mo` for every language with `.po` files."""
    written = []
    for lang_dir in language_dirs(root):
        sources = sorted((lang_dir / "LC_MESSAGES").glob("*.po"))
        if not sources:
            continue
        merged = Catalog(locale=lang_dir.name, domain=DOMAIN)
        for po in sources:
            with po.open("rb") as fp:
                catalog = read_po(fp, locale=lang_dir.name)
            for message in catalog:
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                # An empty translation in one file must not hide another file's.
                if message.id and all(strings):
                    merged[message.id] = message
        target = compiled_path(lang_dir)
        with target.open("wb") as fp:
            write_mo(fp, merged)
        written.append(target)
    return written


def stale(root: Path = LOCALES_DIR) -> list[str]:
    """Languages whose `messages.mo` is missing or older than one of their `.po` files."""
    out = []
    for lang_dir in language_dirs(root):
        mo = compiled_path(lang_dir)
        sources = list((lang_dir / "LC_MESSAGES").glob("*.po"))
        if not mo.exists() or any(po.stat().st_mtime > mo.stat().st_mtime for po in sources):
            out.append(lang_dir.name)
    return out
