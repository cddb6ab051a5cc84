from decimal import Decimal

from keyboards.formatting import money, quote, rating, stars, trim


def test_money_rounds_half_up_with_currency():
    assert money(Decimal("1299.505"), "RUB", "ru") == "1\xa0299,51\xa0₽"
    assert money(Decimal("1299.5"), "USD", "en") == "$1,299.50"


def test_a_currency_code_is_spaced_from_the_amount():
    """CLDR's currency spacing (Babel leaves it out): a code of letters stands apart from
    the digits with a no-break space, a symbol does not; each locale's own pattern says
    on which side."""
    assert money(Decimal("29990"), "RUB", "en") == "RUB\xa029,990.00"
    assert money(Decimal("-29990"), "RUB", "en") == "-RUB\xa029,990.00"
    assert money(Decimal("1"), "XTR", "en") == "XTR\xa01.00"
    assert money(Decimal("29990"), "RUB", "ru") == "29\xa0990,00\xa0₽"
    assert money(Decimal("-29990"), "RUB", "ru") == "-29\xa0990,00\xa0₽"
    assert money(Decimal("29990"), "USD", "ru") == "29\xa0990,00\xa0$"
    assert money(Decimal("1500"), "JPY", "en") == "¥1,500"
    assert money(Decimal("29990"), "EUR", "en") == "€29,990.00"
    assert money(Decimal("29990"), "EUR", "de") == "29.990,00\xa0€"  # spaced by its pattern
    assert money(Decimal("29990"), "USD", "nl") == "US$\xa029.990,00"


def test_rating_is_the_same_everywhere():
    assert rating(9, 4, "en") == "★★☆☆☆ 2.3"  # 2.25 rounds half up, not to even
    assert rating(9, 2, "ru") == "★★★★★ 4,5"
    assert stars(None) == "☆☆☆☆☆"


def test_user_text_is_trimmed_then_escaped():
    assert quote("<b>&" * 10, 5) == "&lt;b&gt;&amp;…"
    assert trim("short", 10) == "short"
