"""Promo codes as customers and admins meet them: creating one in the chat, entering it
in the cart, the discount on the cart, summary, order and invoice, and every rule that
refuses one (in English and Russian). The race for the last uses: test_promo_race.py."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from aiogram.methods import AnswerPreCheckoutQuery, SendInvoice
from pydantic import SecretStr
from sqlalchemy import select

from keyboards.callback_data import CartAction, CartAddCb, CartCb, OrderAction, OrderCb
from models import Order, OrderStatus, PromoCode, PromoKind, Role
from tests.conftest import ADMIN_ID
from tests.factories import make_category, make_product, make_user
from tests.test_checkout import to_summary


@pytest.fixture
async def shop(session):
    teas = await make_category(session, "Teas")
    green = await make_category(session, "Green", parent=teas)
    cups = await make_category(session, "Cups")
    await make_user(session, ADMIN_ID, role=Role.admin)
    products = {
        "sencha": await make_product(session, green, "Sencha", price="100.00", stock=9),
        "cup": await make_product(session, cups, "Cup", price="45.50", stock=9),
    }
    await session.commit()
    return {"teas": teas, **products}


async def _code(session, code="WINTER10", kind=PromoKind.percent, value="10", **fields):
    promo = PromoCode(code=code, kind=kind, value=Decimal(value), **fields)
    session.add(promo)
    await session.commit()
    return promo


async def _cart_with(user, *products, code: str | None = None):
    for product in products:
        await user.click(CartAddCb(product_id=product.id))
    await user.send("/cart")
    if code is None:
        return None
    await user.press("Promo code")
    return await user.send(code)


async def _order(session) -> Order:
    return await session.scalar(
        select(Order).execution_options(populate_existing=True).order_by(Order.id.desc())
    )


async def _used(session, code: str) -> int:
    stmt = select(PromoCode.used).where(PromoCode.code == code)
    return await session.scalar(stmt.execution_options(populate_existing=True))


# -- customers -------------------------------------------------------------------------


async def test_a_code_in_the_cart_discounts_the_cart_summary_and_order(env, shop, session):
    await _code(session)
    ann = env.user(1)
    reply = await _cart_with(ann, shop["sencha"], shop["sencha"], shop["cup"], code="winter10")
    text = reply.text
    assert "Promo code WINTER10 applied." in text
    assert "Subtotal: RUB\xa0245.50" in text
    assert "Promo code WINTER10: −RUB\xa024.55" in text
    assert "Total: RUB\xa0220.95" in text
    assert reply.has_button("Remove the code WINTER10")
    summary = await to_summary(ann)
    assert "Promo code WINTER10: −RUB\xa024.55" in summary.text
    placed = await ann.press("Confirm")
    assert "Promo code WINTER10: −RUB\xa024.55" in placed.texts[0]
    order = await _order(session)
    assert (order.total, order.discount, order.promo_code) == (
        Decimal("220.95"),
        Decimal("24.55"),
        "WINTER10",
    )
    assert await _used(session, "WINTER10") == 1  # cash on delivery: counted at placement
    # One use per customer: the next cart can't have it.
    await _cart_with(ann, shop["cup"])
    await ann.press("Promo code")
    reply = await ann.send("WINTER10")
    assert "You have already used the promo code WINTER10." in reply.text


async def test_a_wrong_code_is_explained_and_back_leaves_the_step(env, shop, session):
    ann = env.user(1)
    reply = await _cart_with(ann, shop["cup"], code="NOPE1")
    assert "There is no promo code NOPE1." in reply.text and reply.has_button("Cancel")
    reply = await ann.send("€")
    assert "3 to 32 letters" in reply.text
    await ann.send_sticker()
    assert "Please send the promo code as text." in ann.shown_text
    reply = await ann.press("Back")
    assert "Your cart" in reply.text and reply.has_button("Promo code")
    reply = await ann.send("hello")  # no longer in the step: not taken as a code
    assert "There is no promo code" not in " ".join(reply.texts)


async def test_a_code_can_be_taken_off_the_cart(env, shop, session):
    await _code(session)
    ann = env.user(1)
    await _cart_with(ann, shop["cup"], code="WINTER10")
    reply = await ann.press("Remove the code")
    assert reply.alert == "The promo code is removed from the cart."
    assert "WINTER10" not in ann.shown_text and "Total: RUB\xa045.50" in ann.shown_text


async def test_minimum_order_and_category_limits(env, shop, session):
    await _code(session, "BIG50", PromoKind.fixed, "50", min_order=Decimal("200"))
    await _code(session, "TEA20", PromoKind.percent, "20", category_id=shop["teas"].id)
    ann = env.user(1)
    reply = await _cart_with(ann, shop["sencha"], shop["cup"], code="BIG50")
    text = ann.shown_text
    assert "needs an order of at least RUB\xa0200.00" in text and "Total: RUB\xa0145.50" in text
    # Kept (more in the cart makes it work), and not said to be applied.
    assert "Promo code BIG50 is kept on your cart, but gives no discount yet." in reply.text
    assert "applied" not in reply.text
    reply = await ann.click(CartCb(action=CartAction.inc, product_id=shop["sencha"].id))
    assert "Promo code BIG50: −RUB\xa050.00" in ann.shown_text
    # Limited to Teas: only the Sencha (in Teas › Green) is discounted, not the Cup.
    await ann.press("Remove the code")
    await ann.press("Promo code")
    await ann.send("TEA20")
    text = ann.shown_text
    assert "Promo code TEA20: −RUB\xa040.00" in text and "Total: RUB\xa0205.50" in text


async def test_a_code_for_another_category_is_not_said_to_be_applied(env, shop, session):
    await _code(session, "TEA20", PromoKind.percent, "20", category_id=shop["teas"].id)
    ann = env.user(1)
    reply = await _cart_with(ann, shop["cup"], code="tea20")
    assert "applied" not in reply.text
    assert "Promo code TEA20 is kept on your cart, but gives no discount yet." in reply.text
    assert "The promo code TEA20 doesn't apply to anything in your cart." in reply.text
    assert reply.has_button("Remove the code TEA20")
    # A tea in the cart: now it works.
    await ann.click(CartAddCb(product_id=shop["sencha"].id))
    reply = await ann.send("/cart")
    assert "Promo code TEA20: −RUB\xa020.00" in reply.text


async def test_expired_and_disabled_codes_are_refused(env, shop, session):
    past = datetime.now(UTC) - timedelta(minutes=1)
    await _code(session, "OLD10", expires_at=past)
    await _code(session, "OFF10", is_active=False)
    await _code(session, "GONE10", total_uses=5, used=5)
    ann = env.user(1)
    assert (
        "The promo code OLD10 has expired."
        in (await _cart_with(ann, shop["cup"], code="OLD10")).text
    )
    assert "The promo code OFF10 is no longer valid." in (await ann.send("OFF10")).text
    assert "The promo code GONE10 has run out." in (await ann.send("gone10")).text


async def test_a_code_expiring_before_confirm_gives_a_fresh_summary(env, shop, session):
    promo = await _code(session)
    ann = env.user(1)
    await _cart_with(ann, shop["cup"], code="WINTER10")
    summary = await to_summary(ann)
    assert "WINTER10: −" in summary.text
    promo.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    await session.commit()
    reply = await ann.press("Confirm")
    assert reply.alert == (
        "Your promo code's discount has changed. Check the new summary and confirm again."
    )
    assert "The promo code WINTER10 has expired." in ann.shown_text
    await ann.press("Confirm")
    order = await _order(session)
    assert (order.total, order.discount, order.promo_code) == (Decimal("45.50"), 0, None)


# -- invoices and payment --------------------------------------------------------------


async def test_stars_invoice_has_one_line_the_discounted_total_rounded_up(
    make_env, settings, shop, session
):
    await _code(session, "STAR5", PromoKind.fixed, "5")
    env = make_env(settings.model_copy(update={"payment_method": "stars"}))
    ann = env.user(1)
    await _cart_with(ann, shop["cup"], code="STAR5")
    summary = await to_summary(ann)
    assert "(41 ⭐)" in summary.text  # 45.50 − 5 = 40.50 → 41 Stars
    reply = await ann.press("Confirm")
    [invoice] = reply.of(SendInvoice)
    assert [p.amount for p in invoice.prices] == [41] and "STAR5" in invoice.description
    assert await _used(session, "STAR5") == 0  # prepaid: counted at payment
    answer = (await ann.pre_checkout("order:1", 41)).of(AnswerPreCheckoutQuery)[0]
    assert answer.ok is True
    assert await _used(session, "STAR5") == 1
    await ann.pre_checkout("order:1", 41)  # Telegram asking again: counted once
    assert await _used(session, "STAR5") == 1


async def test_provider_invoice_shows_the_discount_as_a_negative_line(
    make_env, settings, shop, session
):
    await _code(session)
    token = SecretStr("284685063:TEST:abc")
    env = make_env(
        settings.model_copy(update={"payment_method": "provider", "payment_provider_token": token})
    )
    ann = env.user(1)
    await _cart_with(ann, shop["sencha"], shop["cup"], code="WINTER10")
    await to_summary(ann)
    [invoice] = (await ann.press("Confirm")).of(SendInvoice)
    assert [p.amount for p in invoice.prices] == [14550, -1455]
    assert invoice.prices[1].label.startswith("Promo code WINTER10")


async def test_a_code_that_ran_out_before_payment_is_reported_not_applied(
    make_env, settings, shop, session
):
    promo = await _code(session, "LAST", PromoKind.fixed, "10", total_uses=1)
    env = make_env(settings.model_copy(update={"payment_method": "stars"}))
    ann = env.user(1)
    await _cart_with(ann, shop["sencha"], code="LAST")
    await to_summary(ann)
    await ann.press("Confirm")  # an invoice for 90 Stars
    promo.used = 1  # someone else paid with it meanwhile
    await session.commit()
    reply = await ann.pre_checkout("order:1", 90)
    [answer] = reply.of(AnswerPreCheckoutQuery)
    assert answer.ok is False and answer.error_message == "The promo code LAST has run out."
    notice = next(t for t in reply.texts if "has run out" in t)
    assert "its total is RUB\xa0100.00 now" in notice
    [invoice] = reply.of(SendInvoice)
    assert [p.amount for p in invoice.prices] == [100]
    order = await _order(session)
    assert (order.total, order.discount, order.promo_code) == (Decimal("100.00"), 0, None)
    assert (await ann.pre_checkout("order:1", 100)).of(AnswerPreCheckoutQuery)[0].ok is True


# -- admins ----------------------------------------------------------------------------


async def test_an_admin_creates_a_code_step_by_step(env, shop, session):
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/admin")
    reply = await admin.press("Promo codes")
    assert "No promo codes yet." in reply.text
    reply = await admin.press("New promo code")
    assert "1/8" in reply.text and reply.has_button("Cancel") and not reply.has_button("Back")
    reply = await admin.send("x")
    assert "3 to 32 letters" in reply.text
    reply = await admin.send("winter10")
    assert "2/8" in reply.text and reply.has_button("Percent")
    reply = await admin.press("Back")
    assert "1/8" in reply.text
    await admin.send("winter10")
    await admin.press("Percent")
    reply = await admin.send("abc")
    assert "Send a percent from 1 to 99" in reply.text and "3/8" in reply.text
    await admin.send_sticker()
    assert "Please send it as text." in admin.shown_text
    reply = await admin.send("15")
    assert "4/8" in reply.text and reply.has_button("Skip")
    await admin.press("Skip")
    reply = await admin.send("2026/12/31")
    assert "YYYY-MM-DD" in reply.text
    last_day = datetime.now(UTC).date() + timedelta(days=60)  # valid through that day
    reply = await admin.send(last_day.strftime("%d.%m.%Y"))  # as Russians write it
    assert "6/8" in reply.text
    await admin.send("100")
    reply = await admin.press("Skip")  # one use per customer
    assert reply.has_button("Any category") and reply.has_button("Teas")
    reply = await admin.press("Teas")
    text = reply.text
    assert (
        "WINTER10" in text
        and "−15%" in text
        # The day typed, to its end, as English writes a date.
        and f"Valid until: {last_day:%b} {last_day.day}, {last_day.year}, 23:59 UTC" in text
    )
    assert "Uses in all: 100" in text and "Uses per customer: 1" in text
    assert "Only for the category: Teas" in text
    reply = await admin.press("Create")
    assert reply.alert == "Promo code WINTER10 created." and "Used: 0 of 100" in admin.shown_text
    promo = await session.scalar(select(PromoCode))
    assert (promo.kind, promo.value, promo.total_uses, promo.category_id) == (
        PromoKind.percent,
        Decimal("15.00"),
        100,
        shop["teas"].id,
    )
    # The same code twice is refused at once, and the step asked again.
    await admin.send("/promocodes")
    await admin.press("New promo code")
    reply = await admin.send("Winter10")
    assert "The promo code WINTER10 already exists." in reply.text and "1/8" in reply.text


async def test_an_old_prompts_skip_does_not_skip_the_step_open_now(env, shop, session):
    """The minimum order's Skip, pressed again at the expiry step: out of date, and the
    expiry step still asks (before, it skipped the expiry too)."""
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/promocodes")
    await admin.press("New promo code")
    await admin.send("SPRING5")
    await admin.press("Percent")
    await admin.send("5")
    minimum_prompt = admin.last_bot_message
    reply = await admin.click(admin.find_button("Skip", minimum_prompt), minimum_prompt)
    assert "5/8" in reply.text
    reply = await admin.click(admin.find_button("Skip", minimum_prompt), minimum_prompt)
    assert "This button is out of date" in (reply.alert or "")
    assert "5/8" in admin.shown_text and "Valid until which day?" in admin.shown_text


async def test_the_wizard_asks_for_buttons_where_it_shows_buttons(env, shop, session):
    """A sticker or text where buttons are expected gets the same hint, with the step (the
    preview too) shown again; a sticker where text is expected asks for text."""
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/promocodes")
    await admin.press("New promo code")
    reply = await admin.send_sticker()
    assert "Please send it as text." in reply.text and "1/8" in reply.text
    await admin.send("spring")
    for wrong in (admin.send_sticker, lambda: admin.send("percent")):
        reply = await wrong()
        assert "Please use the buttons." in reply.text and reply.has_button("Percent")
    await admin.press("Percent")
    await admin.send("10")
    for _step in range(4):
        await admin.press("Skip")
    reply = await admin.press("Any category")
    assert reply.has_button("Create")
    reply = await admin.send("create it")
    assert "Please use the buttons." in reply.text and "SPRING" in reply.text
    assert reply.has_button("Create")


async def test_the_wizard_names_the_amount_it_asked_for_and_its_limits(env, shop, session):
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/promocodes")
    await admin.press("New promo code")
    await admin.send("FAR10")
    await admin.press("Fixed amount")
    reply = await admin.send("0")
    assert "The discount must be more than zero." in reply.text and "3/8" in reply.text
    assert "price" not in reply.text
    await admin.send("500")
    reply = await admin.send("-5")
    assert "The minimum order must be more than zero" in reply.text and "4/8" in reply.text
    await admin.press("Skip")
    for typed in ("9999-12-31", "36500"):  # further than a code may run: said, asked again
        reply = await admin.send(typed)
        assert "at most 3650 days" in reply.text and "5/8" in reply.text, typed
    reply = await admin.send("0")
    assert "or a number of days from 1 to 3650." in reply.text and "5/8" in reply.text
    reply = await admin.send("3650")
    assert "6/8" in reply.text
    assert await session.scalar(select(PromoCode)) is None


async def test_an_admin_disables_a_code_and_customers_are_told(env, shop, session):
    await _code(session)
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/promocodes")
    reply = await admin.press("WINTER10")
    assert "Used: 0 (no limit)" in reply.text
    reply = await admin.press("Disable")
    assert "Disabled: customers can't use it." in admin.shown_text
    reply = await _cart_with(env.user(1), shop["cup"], code="WINTER10")
    assert "The promo code WINTER10 is no longer valid." in reply.text


async def test_customers_cannot_reach_the_admin_screens(env, shop, session):
    promo = await _code(session)
    from keyboards.callback_owner import AdminPromoCb, PromoAction

    ann = env.user(1)
    await ann.click(AdminPromoCb(action=PromoAction.disable, id=promo.id))
    assert await _used(session, "WINTER10") == 0
    assert (await session.scalar(select(PromoCode.is_active))) is True


async def test_in_russian(env, shop, session):
    await _code(session)
    await make_user(session, 7, language="ru")
    await session.commit()
    ivan = env.user(7, "Иван", language_code="ru")
    await ivan.click(CartAddCb(product_id=shop["sencha"].id))
    await ivan.send("/cart")
    reply = await ivan.press("Промокод")
    assert "Отправьте ваш промокод." in reply.text
    reply = await ivan.send("WINTER10")
    text = reply.text.replace("\xa0", " ")
    assert "Промокод WINTER10 применён." in text and "Промокод WINTER10: −10,00 ₽" in text
    reply = await ivan.send("/cart")
    await ivan.press("Убрать промокод WINTER10")
    await ivan.press("Промокод")
    reply = await ivan.send("NOPE1")
    assert "Промокода NOPE1 нет." in reply.text


async def test_a_cancelled_order_gives_its_use_back(env, shop, session, pool):
    await _code(session, total_uses=1)
    ann = env.user(1)
    await _cart_with(ann, shop["cup"], code="WINTER10")
    await to_summary(ann)
    await ann.press("Confirm")  # cash on delivery: the one use is counted
    assert await _used(session, "WINTER10") == 1
    order = await _order(session)
    await ann.click(OrderCb(action=OrderAction.cancel_yes, id=order.id))
    assert (await _order(session)).status is OrderStatus.cancelled
    assert await _used(session, "WINTER10") == 0
    reply = await _cart_with(ann, shop["cup"], code="WINTER10")
    assert "Promo code WINTER10 applied." in reply.text


def test_digits_that_are_not_0_to_9_are_answered_not_a_crash():
    """str.isdigit() takes "²" and "٣", which int() refuses (or reads): only 0-9 count."""
    from datetime import UTC, datetime

    from services.errors import InvalidInput
    from services.promo_rules import parse_count, parse_expiry

    for odd in ("²", "³⁴", "①"):
        with pytest.raises(InvalidInput):
            parse_expiry(odd, datetime.now(UTC))
        with pytest.raises(InvalidInput):
            parse_count(odd)


def test_a_percent_discount_is_whole_yen_in_a_yen_shop():
    """¥999 at 50% off: ¥500 off and ¥499 to pay, as shown and as charged (it was 499.50,
    shown as ¥500 off and charged 499 or 500 depending on where it was rounded)."""
    from services.promo_rules import Priced, discount

    half = PromoCode(code="HALF", kind=PromoKind.percent, value=Decimal(50))
    lines = [Priced(1, Decimal(999))]
    assert discount(half, lines, None, "JPY") == Decimal(500)
    assert discount(half, lines, None, "RUB") == Decimal("499.50")


async def test_the_category_step_pages_a_long_tree(env, shop, session):
    """The category step shows the whole tree a page at a time (📂 n/N), so a category
    past the first page can be chosen; the page turns without leaving the step."""
    for n in range(45):
        await make_category(session, f"Shelf {n}")
    await session.commit()
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/promocodes")
    await admin.press("New promo code")
    await admin.send("shelf44")
    await admin.press("Percent")
    await admin.send("10")
    for _step in range(4):  # minimum, expiry, uses in all, per customer
        reply = await admin.press("Skip")
    assert reply.has_button("Any category") and reply.has_button("Shelf 36")
    assert not reply.has_button("Shelf 37") and "📂 1/2" in reply.buttons
    reply = await admin.press("▶")
    assert "8/8" in reply.text and reply.has_button("Shelf 44") and "📂 2/2" in reply.buttons
    assert reply.has_button("Any category") and reply.has_button("Back")
    reply = await admin.press("Shelf 44")
    assert "Only for the category: Shelf 44" in reply.text


@pytest.mark.parametrize(
    ("text", "ok"),
    [("0.5", False), ("0,99", False), ("1", True), ("99", True), ("12.5%", True), ("99.01", False)],
)
def test_a_percent_is_from_1_to_99_as_the_step_says(text, ok):
    from services.errors import InvalidInput
    from services.promo_rules import parse_percent

    if ok:
        assert 1 <= parse_percent(text) <= 99
    else:
        with pytest.raises(InvalidInput, match="from 1 to 99"):
            parse_percent(text)


async def test_create_under_an_earlier_preview_is_out_of_date(env, shop, session):
    """Create under the preview of a code begun before would create the one open now."""
    admin = env.user(ADMIN_ID, "Boss")

    async def preview(code: str, percent: str):
        await admin.send("/promocodes")
        await admin.press("New promo code")
        await admin.send(code)
        await admin.press("Percent")
        await admin.send(percent)
        for _step in range(4):
            await admin.press("Skip")
        return await admin.press("Any category")

    await preview("FIVE5", "5")
    first = admin.last_bot_message
    reply = await preview("NINETY", "90")
    assert "NINETY" in reply.text
    reply = await admin.click(admin.find_button("Create", first), first)
    assert "out of date" in (reply.alert or "")
    assert list(await session.scalars(select(PromoCode))) == []
    reply = await admin.press("Create")
    assert reply.alert == "Promo code NINETY created."


async def test_a_category_deleted_before_create_sends_the_admin_back_to_that_step(
    env, shop, session
):
    """Another admin deleted the category the new code is limited to (no code pointed at
    it yet): Create says so and asks for the category again, then creates."""
    from models import User
    from services.categories import CategoryService

    empty = await make_category(session, "Empty")
    other = await make_user(session, 1001, role=Role.admin)
    await session.commit()
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/promocodes")
    await admin.press("New promo code")
    await admin.send("SPRING5")
    await admin.press("Percent")
    await admin.send("5")
    for _ in range(4):
        await admin.press("Skip")
    reply = await admin.press("Empty")
    assert "Only for the category: Empty" in reply.text
    other = await session.get(User, other.id)
    await CategoryService(session).delete(other, empty.id)
    await session.commit()
    reply = await admin.press("Create")
    assert "deleted meanwhile" in reply.text and reply.has_button("Any category")
    assert not reply.has_button("Empty")
    assert await session.scalar(select(PromoCode)) is None
    reply = await admin.press("Teas")
    assert "Only for the category: Teas" in reply.text
    reply = await admin.press("Create")
    assert reply.alert == "Promo code SPRING5 created."


async def test_creating_and_switching_a_code_are_in_the_audit_log(env, shop, session):
    from models import AuditEntry, User
    from services.promo import PromoDraft, PromoService

    boss = await session.scalar(select(User).where(User.telegram_id == ADMIN_ID))
    service = PromoService(session)
    draft = PromoDraft("SPRING5", PromoKind.fixed, Decimal("50"), min_order=Decimal("500"))
    promo = await service.create(boss, draft)
    await service.set_active(boss, promo.id, False)
    await service.set_active(boss, promo.id, False)  # a second tap changes nothing
    await service.set_active(boss, promo.id, True)
    await session.commit()
    actions = await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))
    assert list(actions) == ["promo.create", "promo.disable", "promo.enable"]
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/admin")
    text = (await admin.press("Audit log")).text
    assert "promo code created" in text and "code: SPRING5" in text
    assert "discount: −RUB\xa050.00" in text and "minimum order: RUB\xa0500.00" in text
    assert "promo code switched off" in text and "promo code switched on" in text


async def test_a_refund_gives_back_what_each_line_paid_under_a_category_code(env, shop, session):
    """TEA50 takes 50% off the teas only: the cup was paid in full and the sencha at
    half. The refund used to spread the discount over both (cup 29.86, sencha 65.64:
    more than was paid for it); each line now refunds what it paid."""
    from keyboards.callback_owner import RefundCb
    from models import OrderItem

    await _code(session, "TEA50", PromoKind.percent, "50", category_id=shop["teas"].id)
    ann = env.user(1)
    await _cart_with(ann, shop["sencha"], shop["cup"], code="TEA50")
    await to_summary(ann)
    await ann.press("Confirm")
    order = await session.scalar(select(Order))
    parts = {i.name: i.discount for i in await session.scalars(select(OrderItem))}
    assert parts == {"Sencha": Decimal("50.00"), "Cup": Decimal("0.00")}
    order.status = OrderStatus.delivered
    await session.commit()
    boss = env.user(ADMIN_ID)
    await boss.click(RefundCb(order=order.id))
    reply = await boss.press("Cup")
    assert "RUB\xa045.50" in reply.text and "29.86" not in reply.text, reply.text
    await boss.click(RefundCb(order=order.id))
    reply = await boss.press("Sencha")
    assert "RUB\xa050.00" in reply.text and "65.64" not in reply.text, reply.text


def test_a_count_of_uses_is_typed_as_stock_is():
    """'1 000' as the stock step takes it; the refusal writes its maximum grouped."""
    from services.errors import InvalidInput
    from services.promo_rules import parse_count

    assert parse_count("1 000") == 1000
    with pytest.raises(InvalidInput) as refused:
        parse_count("0")
    assert refused.value.params["max"] == "1 000 000"


async def test_the_percent_step_writes_a_decimal_comma_in_russian(env, session):
    await make_user(session, ADMIN_ID, role=Role.admin, language="ru")
    await session.commit()
    admin = env.user(ADMIN_ID, language_code="ru")
    await admin.send("/promocodes")
    await admin.press("Новый")
    await admin.send("SPRING")
    prompt = await admin.press("Процент")
    assert "12,5" in prompt.text
    reply = await admin.send("150")
    assert "например 10 или 12,5." in reply.text and "12.5" not in reply.text


def test_an_end_set_in_days_never_reads_as_the_day_before():
    """An end typed as a number of days at 00:00:00.x read as the day before's 23:59 on
    the card (a review): such an end is set to the minute, never exactly at midnight."""
    from screens.promo import moment_text
    from services.promo_rules import parse_expiry

    now = datetime(2026, 12, 1, 0, 0, 0, 500_000, tzinfo=UTC)
    end = parse_expiry("7", now)
    assert end > now + timedelta(days=7) - timedelta(seconds=1)
    assert moment_text(end, "en") == "Dec 8, 2026, 00:01 UTC"
    assert moment_text(parse_expiry("31.12.2026", now), "en") == "Dec 31, 2026, 23:59 UTC"
    # As the reader's language writes a date.
    assert moment_text(parse_expiry("2026-12-31", now), "ru") == "31 дек. 2026\u202fг., 23:59 UTC"


def test_a_percent_off_is_written_as_the_readers_language_writes_numbers():
    """The Russian prompt asks for "12,5"; the card said "−12.5%" back."""
    from screens.promo import discount_text

    assert discount_text(PromoKind.percent, Decimal("12.5"), "RUB", "ru") == "−12,5\xa0%"
    assert discount_text(PromoKind.percent, Decimal("15"), "RUB", "en") == "−15%"
