"""screens.base: what show() knows of the messages it edits."""

from datetime import UTC, datetime

from aiogram.types import Chat, InlineKeyboardMarkup, Message

from keyboards.callback_data import MenuAction, MenuCb
from keyboards.common import button
from screens.base import Screen, Shown, shows


def _message(message_id: int = 1, text: str = "A", edit_date: int | None = 100, **kw) -> Message:
    chat = Chat(id=7, type="private")
    return Message(
        message_id=message_id,
        date=datetime.now(UTC),
        chat=chat,
        text=text,
        edit_date=edit_date,
        **kw,
    )


def test_memory_is_trusted_only_while_nobody_edited_the_message_since():
    shown = Shown(size=2)
    shown.put(_message(text="B"), Screen("B"))
    # A double tap's second press carries the message as it was before the first edit.
    assert shown.get(_message(text="A", edit_date=90)) == Screen("B")
    assert shown.get(_message(text="A", edit_date=None)) == Screen("B")
    # Someone else (another process) edited it later, or in the same second (edit dates
    # are whole seconds): what it shows is not known here.
    assert shown.get(_message(text="C", edit_date=200)) is None
    assert shown.get(_message(text="C", edit_date=100)) is None
    # The memory is bounded: the oldest message is forgotten first.
    shown.put(_message(2), Screen("x"))
    shown.put(_message(3), Screen("y"))
    assert shown.get(_message(1, edit_date=90)) is None
    assert shown.get(_message(3, edit_date=90)) == Screen("y")


def test_a_message_shows_a_screen_when_text_and_buttons_match():
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[button("Home", MenuCb(action=MenuAction.home))]]
    )
    # A markup that came with an update is parsed from JSON (and bound to the bot).
    parsed = InlineKeyboardMarkup.model_validate_json(markup.model_dump_json(exclude_none=True))
    message = _message(text="Tea & cake", reply_markup=parsed)
    assert shows(message, Screen("<b>Tea &amp; cake</b>", markup))
    assert not shows(message, Screen("<b>Tea &amp; cakes</b>", markup))
    assert not shows(message, Screen("<b>Tea &amp; cake</b>", None))
    other = InlineKeyboardMarkup(inline_keyboard=[[button("Home", MenuCb(action=MenuAction.cart))]])
    assert not shows(message, Screen("<b>Tea &amp; cake</b>", other))
    assert not shows(message, Screen("<b>Tea &amp; cake</b>", markup, photo="file-id"))


def test_a_refusal_with_a_count_reads_right_in_both_languages():
    from bot.i18n import create_i18n
    from screens.base import domain_message
    from services.errors import InvalidInput
    from services.texts import Nn_

    i18n = create_i18n()
    message = Nn_(
        "This category has {count} subcategory: move or delete it first.",
        "This category has {count} subcategories: move or delete them first.",
    )
    said = {}
    for locale in ("en", "ru"):
        with i18n.context(), i18n.use_locale(locale):
            said[locale] = [domain_message(InvalidInput(message, count=n)) for n in (1, 3, 5, 21)]
    assert said["en"][0].startswith("This category has 1 subcategory: move or delete it")
    assert said["en"][1].startswith("This category has 3 subcategories: move or delete them")
    assert [s.split(".")[0] for s in said["ru"]] == [
        "В этой категории 1 подкатегория",
        "В этой категории 3 подкатегории",
        "В этой категории 5 подкатегорий",
        "В этой категории 21 подкатегория",
    ]


def test_a_message_with_another_picture_does_not_show_the_screen():
    message = _message(text=None, caption="Tea", photo=[_photo("old-photo")])
    assert shows(message, Screen("Tea", None, photo="old-photo"))
    assert not shows(message, Screen("Tea", None, photo="new-photo"))
    assert not shows(message, Screen("Tea", None, photo="https://example.com/tea.jpg"))


def _photo(file_id: str):
    from aiogram.types import PhotoSize

    return PhotoSize(file_id=file_id, file_unique_id=file_id, width=800, height=600)


def test_the_export_caption_writes_dates_as_russian_does_with_one_full_stop():
    """Russian dates end in "г.": the caption read "… 2025 г.. Строк: 1."."""
    from datetime import date

    from bot.i18n import create_i18n
    from screens.books import export_caption

    i18n = create_i18n()
    with i18n.context(), i18n.use_locale("ru"):
        caption = export_caption(date(2025, 3, 1), date(2025, 3, 31), 1, "ru")
    assert caption == "📒 Заказы за 1 мар. 2025\u202fг. — 31 мар. 2025\u202fг.; строк: 1."
