"""Project-wide rules that are easy to break by accident."""

import importlib
import pkgutil
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton
from babel.messages.pofile import read_po, write_po

import keyboards
import keyboards.callback_data as cbd
from bot import i18n_tool
from bot.i18n import LANGUAGES, create_i18n
from bot.i18n_tool import untranslated
from keyboards.common import button


def callback_classes() -> list[type[CallbackData]]:
    """Every CallbackData class of the bot: all of them live in `keyboards`."""
    for module in pkgutil.iter_modules(keyboards.__path__, "keyboards."):
        importlib.import_module(module.name)
    import handlers  # noqa: F401 (the routers import whatever else defines one)

    found = [
        c
        for c in CallbackData.__subclasses__()
        if not c.__module__.startswith(("tests.", "benchmarks."))  # their own, not the bot's
    ]
    assert all(c.__module__.startswith("keyboards.") for c in found), found
    return sorted(found, key=lambda c: c.__name__)


def test_callback_prefixes_are_unique_and_short():
    prefixes = [c.__prefix__ for c in callback_classes()]
    assert len(prefixes) == len(set(prefixes)), sorted(prefixes)
    assert all(len(p) <= 4 for p in prefixes), prefixes


def widest(cls: type[CallbackData]) -> CallbackData:
    """An instance with every field at its widest: ids at the INTEGER limit (negative
    where a cursor may be), enums at their longest member, free strings of 16 chars."""
    values: dict[str, object] = {}
    for name, field in cls.model_fields.items():
        annotation = field.annotation
        if annotation is int:
            values[name] = -(2**31 - 1) if name == "after" else 2**31 - 1
        elif annotation is bool:
            values[name] = False
        elif isinstance(annotation, type) and issubclass(annotation, StrEnum):
            values[name] = max(annotation, key=lambda m: len(m.value))
        elif annotation is str:
            longest = [m.max_length for m in field.metadata if hasattr(m, "max_length")]
            values[name] = "x" * min(longest or [16])
        else:
            raise AssertionError(f"{cls.__name__}.{name}: teach this test about {annotation}")
    return cls(**values)


def test_a_button_packed_before_a_class_grew_still_unpacks():
    """Every class takes a button that lacks its trailing fields with defaults (one an
    older version of the bot packed, before the field was added): they take their
    defaults, and the other fields are read as they were."""
    from keyboards.callback_base import Grows

    for cls in callback_classes():
        assert issubclass(cls, Grows), cls.__name__
        full = widest(cls)
        parts = full.pack().split(cls.__separator__)
        fields = list(cls.model_fields.items())
        for cut in range(len(fields), 0, -1):
            if fields[cut - 1][1].is_required():
                break
            older = cls.__separator__.join(parts[:cut])  # the prefix and cut - 1 fields
            kept = {name: getattr(full, name) for name, _ in fields[: cut - 1]}
            defaults = {name: f.default for name, f in fields[cut - 1 :]}
            assert cls.unpack(older) == cls(**kept, **defaults), (cls.__name__, older)


def test_callback_data_fits_64_bytes_at_the_widest():
    for cls in callback_classes():
        packed = widest(cls).pack()  # pack() itself refuses more than 64 bytes
        assert len(packed.encode()) <= 64, (cls.__name__, packed)


def test_every_message_has_a_russian_translation():
    assert untranslated("ru") == []


def test_both_catalogs_load():
    i18n = create_i18n()
    assert set(LANGUAGES) <= set(i18n.available_locales)
    assert i18n.gettext("Cancel", locale="ru") == "Отмена"
    assert i18n.gettext("Cancel", locale="en") == "Cancel"


def test_a_message_reads_the_same_in_every_catalog():
    """Catalogs are merged at start-up; two translations of one msgid would race."""
    from babel.messages.pofile import read_po

    from bot.i18n import LOCALES_DIR

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for po in sorted((LOCALES_DIR / "ru" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fp:
            for message in read_po(fp, locale="ru"):
                if not message.id or not message.string:
                    continue
                first = seen.setdefault(str(message.id), (str(message.string), po.name))
                if first[0] != str(message.string):
                    clashes.append((message.id, first, (message.string, po.name)))
    assert clashes == []


def test_a_copied_button_is_the_button_aiogram_would_build():
    built = button("🏠 Menu", cbd.MenuCb(action=cbd.MenuAction.home))
    expected = InlineKeyboardButton(text="🏠 Menu", callback_data="m:home")
    assert built == expected
    assert built.model_dump(exclude_unset=True) == expected.model_dump(exclude_unset=True)
    # Each copy is its own: building another leaves the first as it was.
    assert button("✖️", "x").text == "✖️" and built.text == "🏠 Menu"


def test_syncing_the_catalogs_keeps_only_the_references_of_today(tmp_path, monkeypatch):
    """Babel's Catalog.add merges a msgid's old references with the new ones: without
    care every sync piled up lines that no longer say that text."""
    for lang in LANGUAGES:
        (tmp_path / lang / "LC_MESSAGES").mkdir(parents=True)
        po = f"{lang}/LC_MESSAGES/orders.po"
        (tmp_path / po).write_bytes((i18n_tool.LOCALES_DIR / po).read_bytes())
    path = tmp_path / "ru/LC_MESSAGES/orders.po"
    with path.open("rb") as fp:
        catalog = read_po(fp, locale="ru")
    for message in catalog:
        message.locations = [*message.locations, ("handlers/gone.py", None)]
    with path.open("wb") as fp:
        write_po(fp, catalog)
    monkeypatch.setattr(i18n_tool, "LOCALES_DIR", tmp_path)
    i18n_tool.sync(["orders"])
    with path.open("rb") as fp:
        after = [m for m in read_po(fp, locale="ru") if m.id]
    today = i18n_tool.extract()["orders"]
    assert {m.id: m.locations for m in after} == {
        msgid: i18n_tool.where(found) for msgid, found in today.items()
    }
    assert all(m.string for m in after)  # the translations stay


def test_a_refund_button_tells_every_order_list_filter_apart():
    """Refund buttons carry the list filter in one character (64 bytes hold no more)."""
    from keyboards.callback_owner import RefundCb, listed_code
    from models import OrderStatus

    for status in OrderStatus:
        assert RefundCb(order=1, listed=listed_code(status.value)).origin.status == status.value
    assert RefundCb(order=1, listed="x").origin.status == ""  # forged: all orders
