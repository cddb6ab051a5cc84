"""Keep the gettext catalogs in step with the code.

    python -m bot.i18n_tool sync [NAME ...]   add new msgids to locales/*/LC_MESSAGES/NAME.po
                                              (all catalogs without NAME), drop unused ones
    python -m bot.i18n_tool check             list msgids that have no Russian translation
    python -m bot.i18n_tool translate ru F.json  fill translations from {"msgid": "msgstr"}
    python -m bot.i18n_tool compile           compile the catalogs (locales/*/messages.mo);
                                              installing with pip does it too

A msgid goes to the catalog named after the file it is used in (handlers/catalog.py and
keyboards/catalog.py both feed catalog.po; everything under bot/ feeds core.po).
"""

import json
import sys
from collections import defaultdict
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from locales import LANGUAGES, LOCALES_DIR
from locales.compile import compile_catalogs

ROOT = LOCALES_DIR.parent
SOURCES = ("api", "bot", "db", "handlers", "jobs", "keyboards", "screens", "services")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "N_": None,
    "__": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "Nn_": (1, 2),  # services.texts: a singular and plural msgid, translated where shown
}
TRANSLATED = ("ru",)


def catalog_name(path: Path) -> str:
    if path.parts[0] == "api":  # the web API's answers: one catalog
        return "api"
    return "core" if path.parts[0] == "bot" or path.stem == "__init__" else path.stem


Msgid = str | tuple[str, str]


def extract() -> dict[str, dict[Msgid, list[tuple[str, int]]]]:
    """{catalog name: {msgid: [(file, line), ...]}} over all source files."""
    found: dict[str, dict[Msgid, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT)
            for lineno, message, _comments, _context in extract_from_file(
                "python", str(path), keywords=KEYWORDS
            ):
                if isinstance(message, tuple):  # (singular, plural)
                    message = message[:2] if all(message[:2]) else None
                if message:
                    found[catalog_name(rel)][message].append((str(rel), lineno))
    return found


def _read(path: Path, lang: str) -> Catalog:
    if path.exists():
        with path.open("rb") as fp:
            return read_po(fp, locale=lang)
    return Catalog(locale=lang, project="storefront-bot", charset="utf-8")


def where(locations: list[tuple[str, int]]) -> list[tuple[str, None]]:
    """A msgid's references as the catalogs keep them: the files, without line numbers, so
    that a change that moves lines does not rewrite every catalog (and two branches'
    catalogs merge)."""
    return [(file, None) for file in dict.fromkeys(file for file, _line in locations)]


def _write(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as fp:
        write_po(fp, catalog, width=100, omit_header=False, sort_output=False, include_lineno=False)


def sync(names: list[str]) -> None:
    for name, messages in extract().items():
        if names and name not in names:
            continue
        for lang in LANGUAGES:
            path = LOCALES_DIR / lang / "LC_MESSAGES" / f"{name}.po"
            catalog = _read(path, lang)
            for msgid, locations in messages.items():
                old = catalog.get(msgid[0] if isinstance(msgid, tuple) else msgid)
                empty = ("", "") if isinstance(msgid, tuple) else ""
                string = old.string if old and type(old.id) is type(msgid) else empty
                catalog.add(msgid, string, locations=locations)
                # add() merges the new locations into the old ones: keep only today's.
                catalog[msgid[0] if isinstance(msgid, tuple) else msgid].locations = where(
                    locations
                )
            for message in list(catalog):
                if message.id and message.id not in messages:
                    catalog.delete(message.id)
            catalog.fuzzy = False
            path.parent.mkdir(parents=True, exist_ok=True)
            _write(path, catalog)


def translate(lang: str, translations: dict[str, str]) -> None:
    for path in sorted((LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po")):
        catalog = _read(path, lang)
        changed = False
        for message in catalog:
            if message.id and message.id in translations:
                message.string = translations[message.id]
                changed = True
        if changed:
            catalog.fuzzy = False
            _write(path, catalog)


def untranslated(lang: str = "ru") -> list[str]:
    """Msgids the code uses that have no translation, or an empty one in some catalog
    (a plural: not in every form)."""
    known: set[Msgid] = set()
    empty: set[Msgid] = set()
    for po in (LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po"):
        for message in _read(po, lang):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id:
                key = tuple(message.id) if isinstance(message.id, list | tuple) else message.id
                (known if all(strings) else empty).add(key)
    used = {m for msgs in extract().values() for m in msgs}
    return sorted(str(m) for m in used if m not in known or m in empty)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "sync":
        sync(sys.argv[2:])
    elif command == "translate":
        translate(sys.argv[2], json.loads(Path(sys.argv[3]).read_text(encoding="utf-8")))
    if command in ("sync", "translate", "compile"):
        for path in compile_catalogs():
            print(f"compiled {path.relative_to(ROOT)}")
    missing = [m for lang in TRANSLATED for m in untranslated(lang)]
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing and command == "check" else 0


if __name__ == "__main__":
    sys.exit(main())
