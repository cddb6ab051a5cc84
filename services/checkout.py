"""The checkout dialog's rules: what each step accepts, and whether the summary the
customer confirms still shows their cart. Pure functions over what the customer typed
(the dialog's data) and the cart; no I/O."""

import re
import unicodedata
from decimal import Decimal

from services.cart import Cart
from services.errors import InvalidInput
from services.orders import SummaryLine, SummaryOutdated, same_lines
from services.texts import N_
from services.validation import shown_problem, visible

NAME_MAX = 64
ADDRESS_MIN, ADDRESS_MAX = 5, 300
COMMENT_MAX = 500
_PHONE_JUNK = re.compile(r"[\s\-().]")
_PHONE = re.compile(r"\+?\d{10,15}")

PRICES_CHANGED = N_("Prices have changed. Check the new summary and confirm again.")


def normalize_phone(text: str) -> str | None:
    """'+7 (999) 123-45-67' → '+79991234567'; None unless 10-15 digits. A Russian mobile
    number dialled as at home, '8 (999) 123-45-67', is +7 999...: no country's code
    begins 89, while other numbers after an 8 (a landline's 8 495 ..., or Vietnam's 84
    typed without its +) can't be told apart, and stay as typed."""
    bare = _PHONE_JUNK.sub("", unicodedata.normalize("NFKC", text))  # "８" is "8"
    if not _PHONE.fullmatch(bare) or not bare.lstrip("+").isascii():
        return None
    if len(bare) == 11 and bare.startswith("89"):
        return "+7" + bare[1:]
    return "+" + bare.lstrip("+")


def name_problem(text: str) -> InvalidInput | None:
    """Why the name the order is for can't be taken (None: it can). One line: sellers
    read it as a header."""
    if visible(text) and (problem := shown_problem(text, one_line=True)):
        return InvalidInput(problem)
    if not visible(text) or len(text) > NAME_MAX:
        return InvalidInput(N_("Please send a name of up to {limit} characters."), limit=NAME_MAX)
    return None


def address_problem(text: str) -> InvalidInput | None:
    """Why the address can't be taken (None: it can). Several lines are fine here."""
    if visible(text) and (problem := shown_problem(text)):
        return InvalidInput(problem)
    if not visible(text) or not ADDRESS_MIN <= len(text) <= ADDRESS_MAX:
        return InvalidInput(
            N_("Please send an address of {min} to {max} characters."),
            min=ADDRESS_MIN,
            max=ADDRESS_MAX,
        )
    return None


def comment_problem(text: str) -> InvalidInput | None:
    """Why the comment can't be taken (None: it can)."""
    if visible(text) and (problem := shown_problem(text)):
        return InvalidInput(problem)
    if not visible(text) or len(text) > COMMENT_MAX:
        return InvalidInput(
            N_("Please send a comment of up to {limit} characters, or tap “No comment”."),
            limit=COMMENT_MAX,
        )
    return None


def complete(data: dict) -> bool:
    """The steps before the summary were all answered (a dialog from an older version of
    the bot, or edited storage, may lack some)."""
    return {"name", "phone", "address"} <= data.keys()


def summary_lines(cart: Cart) -> list[list]:
    """What Confirm must order, as the dialog stores it: these lines at these prices."""
    return [[line.product_id, line.quantity, str(line.price)] for line in cart.lines]


def confirmed_summary(data: dict) -> list[SummaryLine] | None:
    """The lines of the summary the customer confirmed (None: a dialog from before the
    summary was stored, or edited storage)."""
    try:
        return [SummaryLine(int(p), int(q), Decimal(str(price))) for p, q, price in data["lines"]]
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None


def outdated(summary: list[SummaryLine] | None, cart: Cart) -> str | None:
    """Why the summary no longer shows the cart, as a msgid (None: it does)."""
    if summary is None or not same_lines(summary, {x.product_id: x.quantity for x in cart.lines}):
        return SummaryOutdated.message
    prices = {line.product_id: line.price for line in summary}
    if any(line.price != prices[line.product_id] for line in cart.lines):
        return PRICES_CHANGED
    return None
