"""Search screens: the prompt and a page of results."""

from aiogram.utils.i18n import gettext as _

from keyboards.catalog import search_kb, search_prompt_kb
from keyboards.formatting import quote
from screens.base import Screen
from services.catalog import COUNT_CAP, MAX_TERMS, Page, words_left_out
from services.validation import grouped


def prompt_screen(error: str | None = None) -> Screen:
    text = _("🔍 What are you looking for? Send a few words from the product name or description.")
    return Screen(f"{error}\n\n{text}" if error else text, search_prompt_kb())


def out_of_date_screen() -> Screen:
    return prompt_screen(_("That search is out of date. Please search again."))


def results_screen(words: str, page: Page, total: int, *, currency: str, locale: str) -> Screen:
    """A page of results; page 1 also says how many were found, however it is reached
    (the search, ◀, Back from a card)."""
    shown = quote(words, 100)
    if not page.items:
        text = _("Nothing found for «{words}». Try other words.").format(words=shown)
    elif page.page > 1:
        text = _("🔍 Results for «{words}»:").format(words=shown)
    elif total > COUNT_CAP:
        text = _("🔍 Results for «{words}»: more than {count} found, the best first.").format(
            words=shown, count=grouped(COUNT_CAP)
        )
    else:
        text = _("🔍 Results for «{words}»: {count} found.").format(
            words=shown, count=grouped(total)
        )
    if words_left_out(words):  # the rest would make one search too slow
        text += "\n" + _("Only the first {count} words were searched for.").format(count=MAX_TERMS)
    return Screen(text, search_kb(page, currency=currency, locale=locale))
