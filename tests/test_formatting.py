from decimal import Decimal

from keyboards.formatting import money, quote, rating, stars, trim


def test_money_rounds_half_up_with_currency():
    assert money(Decimal("1299.505"), "RUB", "ru") == "1\xa0299,51\xa0₽"
    assert money(Decimal("1299.5"), "USD", "en") == "$1,299.50"


def test_rating_is_the_same_everywhere():
    assert rating(9, 4, "en") == "★★☆☆☆ 2.3"  # 2.25 rounds half up, not to even
    assert rating(9, 2, "ru") == "★★★★★ 4,5"
    assert stars(None) == "☆☆☆☆☆"


def test_user_text_is_trimmed_then_escaped():
    assert quote("<b>&" * 10, 5) == "&lt;b&gt;&amp;…"
    assert trim("short", 10) == "short"
