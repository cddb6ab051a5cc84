"""Admins edit a promo code from its card: discount, uses in all, uses per customer and
expiry, step by step, saved at once with Save; bad answers are explained and change
nothing; uses already counted stay counted (the limit in all can't go below them)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from keyboards.callback_data import CartAddCb
from keyboards.callback_owner import PromoEditAction, PromoEditCb
from models import AuditEntry, Order, PromoCode, PromoKind, Role
from tests.conftest import ADMIN_ID
from tests.factories import make_category, make_product, make_user
from tests.test_checkout import to_summary


@pytest.fixture
async def tea(session):
    await make_user(session, ADMIN_ID, role=Role.admin)
    product = await make_product(
        session, await make_category(session, "Teas"), "Sencha", price="100.00", stock=9
    )
    session.add(PromoCode(code="WINTER10", kind=PromoKind.percent, value=Decimal(10)))
    await session.commit()
    return product


async def _promo(session) -> PromoCode:
    return await session.scalar(
        select(PromoCode)
        .where(PromoCode.code == "WINTER10")
        .execution_options(populate_existing=True)
    )


async def _edit(env):
    admin = env.user(ADMIN_ID, "Boss")
    await admin.send("/promocodes")
    await admin.press("WINTER10")
    return admin, await admin.press("Edit")


async def _terms(session) -> tuple:
    p = await _promo(session)
    return (p.kind, p.value, p.total_uses, p.per_customer, p.expires_at)


async def test_an_admin_edits_every_term_and_saves_them_at_once(env, session, tea):
    before = await _terms(session)
    admin, reply = await _edit(env)
    assert "Edit promo code WINTER10" in reply.text and "What do you want to change?" in reply.text
    for label in ("Discount", "Valid until", "Uses in all", "Uses per customer", "Back", "Cancel"):
        assert reply.has_button(label), label
    assert not reply.has_button("Save")  # nothing changed yet
    reply = await admin.press("Discount")
    assert "A percent off, or a fixed amount off?" in reply.text and "Now: −10%" in reply.text
    assert reply.has_button("Back") and reply.has_button("Cancel")
    await admin.press("Fixed amount")
    reply = await admin.send("abc")
    assert "Send the discount as a number" in reply.text and "How much off?" in reply.text
    await admin.send_sticker()
    assert "Please send it as text." in admin.shown_text and "How much off?" in admin.shown_text
    reply = await admin.press("Back")  # the amount's Back: the kind again
    assert "A percent off, or a fixed amount off?" in reply.text
    await admin.press("Fixed amount")
    reply = await admin.send("25")
    assert "−RUB\xa025.00" in reply.text and "not saved yet" in reply.text
    assert reply.has_button("Save")
    reply = await admin.send("hello")  # the menu takes buttons only
    assert "Please use the buttons." in reply.text
    await admin.press("Uses in all")
    reply = await admin.send("0")
    assert "Send a whole number from 1 to" in reply.text and "How many uses in all?" in reply.text
    await admin.send("50")
    reply = await admin.press("Uses per customer")
    assert "Now: 1" in reply.text and reply.has_button("Back") and reply.has_button("Cancel")
    await admin.send("2")
    reply = await admin.press("Valid until")
    assert "Now: no expiry" in reply.text and reply.has_button("No expiry")
    reply = await admin.send("2099/12/31")
    assert "YYYY-MM-DD" in reply.text
    day = datetime.now(UTC).date() + timedelta(days=400)
    end = f"{day:%b} {day.day}, {day.year}, 23:59"  # through that day
    reply = await admin.send(day.isoformat())
    text = reply.text
    assert "−RUB\xa025.00" in text and f"Valid until: {end} UTC" in text
    assert "Used: 0 of 50" in text and "Uses per customer: 2" in text
    assert await _terms(session) == before  # nothing is written before Save
    reply = await admin.press("Save")
    assert reply.alert == "Promo code WINTER10 saved."
    assert "Used: 0 of 50" in admin.shown_text and admin.shown_text.count("✏️") == 0
    promo = await _promo(session)
    assert (promo.kind, promo.value, promo.total_uses, promo.per_customer) == (
        PromoKind.fixed,
        Decimal("25.00"),
        50,
        2,
    )
    # Stored as the midnight after the day typed: valid through all of it.
    assert promo.expires_at.strftime("%Y-%m-%d %H:%M") == f"{day + timedelta(days=1)} 00:00"
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "promo.edit"))
    assert entry.before["value"] == "10.00" and entry.after["value"] == "25.00"
    # Customers get the new discount.
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.send("/cart")
    await ann.press("Promo code")
    reply = await ann.send("WINTER10")
    assert "Promo code WINTER10: −RUB\xa025.00" in reply.text


async def test_the_limit_in_all_cannot_go_below_the_uses_made(env, session, tea):
    await session.execute(
        update(PromoCode).where(PromoCode.code == "WINTER10").values(total_uses=5, used=3)
    )
    await session.commit()
    admin, _ = await _edit(env)
    reply = await admin.press("Uses in all")
    assert "at least 3 (the uses so far)" in reply.text and reply.has_button("No limit")
    reply = await admin.send("2")
    assert "already been used 3 times: uses in all can't be fewer." in reply.text
    assert (await _promo(session)).total_uses == 5
    # Uses counted while the admin was typing: Save refuses, and the dialog stays.
    await admin.send("4")
    await session.execute(update(PromoCode).where(PromoCode.code == "WINTER10").values(used=5))
    await session.commit()
    reply = await admin.press("Save")
    assert "already been used 5 times" in admin.shown_text
    assert reply.alert is None or "saved" not in reply.alert
    assert (await _promo(session)).total_uses == 5
    assert "Used: 5 of 4" in admin.shown_text  # what would be saved, shown to fix it
    # Equal to the uses made: allowed, and it stops new uses; No limit lifts it.
    await admin.press("Uses in all")
    reply = await admin.send("5")  # the limit it has: nothing to save
    assert "Used: 5 of 5" in reply.text and not reply.has_button("Save")
    await admin.press("Back")
    await session.execute(
        update(PromoCode).where(PromoCode.code == "WINTER10").values(total_uses=6)
    )
    await session.commit()
    admin, _ = await _edit(env)
    await admin.press("Uses in all")
    await admin.send("5")  # down to the uses made: allowed
    await admin.press("Save")
    assert (await _promo(session)).total_uses == 5
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.send("/cart")
    await ann.press("Promo code")
    assert "The promo code WINTER10 has run out." in (await ann.send("WINTER10")).text
    await admin.press("Edit")
    await admin.press("Uses in all")
    reply = await admin.press("No limit")
    assert "Used: 5 (no limit)" in reply.text
    await admin.press("Save")
    assert (await _promo(session)).total_uses is None


async def test_a_far_future_date_is_answered_and_asked_again(env, session, tea):
    before = await _terms(session)
    admin, _ = await _edit(env)
    await admin.press("Valid until")
    for typed in ("9999-12-31", "36500"):
        reply = await admin.send(typed)
        assert "A code can be valid for at most 3650 days" in reply.text, typed
        assert "Valid until which day?" in reply.text and reply.has_button("No expiry")
    reply = await admin.press("Back")
    assert "What do you want to change?" in reply.text and not reply.has_button("Save")
    assert await _terms(session) == before


async def test_back_and_cancel_leave_the_code_as_it_was(env, session, tea):
    before = await _terms(session)
    admin, _ = await _edit(env)
    await admin.press("Discount")
    await admin.press("Percent")
    await admin.send("50")
    reply = await admin.press("Back")  # from the menu: the card, unchanged
    assert "−10%" in reply.text and reply.has_button("Edit") and reply.has_button("Disable")
    await admin.press("Edit")
    await admin.press("Uses per customer")
    await admin.send("3")
    reply = await admin.press("Cancel")
    assert await _terms(session) == before
    reply = await admin.send("7")  # the dialog is over: not taken as an answer
    assert await _terms(session) == before


async def test_in_russian(env, session, tea):
    await make_user(session, ADMIN_ID + 1, role=Role.admin, language="ru")
    await session.commit()
    admin = env.user(ADMIN_ID + 1, "Иван", language_code="ru")
    await admin.send("/promocodes")
    await admin.press("WINTER10")
    reply = await admin.press("Изменить")
    assert "Изменение промокода WINTER10" in reply.text and reply.has_button("Скидка")
    reply = await admin.press("Всего использований")
    assert "Сейчас: без ограничения" in reply.text
    reply = await admin.send("abc")
    assert "Отправьте целое число от 1 до" in reply.text


async def test_customers_and_sellers_cannot_edit(env, session, tea):
    promo = await _promo(session)
    await make_user(session, 5, role=Role.seller)
    await session.commit()
    for who in (env.user(1), env.user(5)):
        reply = await who.click(PromoEditCb(action=PromoEditAction.start, id=promo.id))
        assert "Edit promo code" not in " ".join(reply.texts)
        await who.click(PromoEditCb(action=PromoEditAction.save))
    assert (await _promo(session)).value == Decimal("10.00")


async def test_a_customer_at_the_summary_gets_the_edited_discount_before_ordering(
    env, session, tea
):
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.send("/cart")
    await ann.press("Promo code")
    await ann.send("WINTER10")
    summary = await to_summary(ann)
    assert "Promo code WINTER10: −RUB\xa010.00" in summary.text
    admin, _ = await _edit(env)
    await admin.press("Discount")
    await admin.press("Percent")
    await admin.send("20")
    await admin.press("Save")
    reply = await ann.press("Confirm")
    assert "discount has changed" in reply.alert
    assert "Promo code WINTER10: −RUB\xa020.00" in ann.shown_text
    assert await session.scalar(select(Order.id)) is None
    await ann.press("Confirm")
    order = await session.scalar(select(Order))
    assert (order.total, order.discount) == (Decimal("80.00"), Decimal("20.00"))


async def test_each_step_says_what_it_asks_and_no_change_is_not_a_change(env, session, tea):
    """The amount's prompt follows the kind just chosen; "No limit" (or "No expiry") on a
    code that has none changes nothing, so nothing waits to be saved."""
    admin, _ = await _edit(env)
    await admin.press("Discount")
    reply = await admin.press("Fixed amount")
    assert "Send the amount, for example 500" in reply.text and "percent" not in reply.text
    await admin.press("Back")
    reply = await admin.press("Percent")
    assert "Send the percent, from 1 to 99" in reply.text
    await admin.press("Back")
    await admin.press("Back")  # the menu
    await admin.press("Uses in all")
    reply = await admin.press("No limit")
    assert "not saved yet" not in reply.text and not reply.has_button("Save")
    await admin.press("Valid until")
    reply = await admin.press("No expiry")
    assert "not saved yet" not in reply.text and not reply.has_button("Save")


async def test_a_code_under_older_rules_keeps_its_discount_when_other_terms_change(
    env, session, tea
):
    """A 0.5% code (allowed before percents started at 1) can still get a new limit."""
    await session.execute(
        update(PromoCode).where(PromoCode.code == "WINTER10").values(value=Decimal("0.5"))
    )
    await session.commit()
    admin, _ = await _edit(env)
    await admin.press("Uses in all")
    await admin.send("100")
    reply = await admin.press("Save")
    assert reply.alert == "Promo code WINTER10 saved."
    assert (await _promo(session)).total_uses == 100
    assert (await _promo(session)).value == Decimal("0.5")


async def test_save_under_an_earlier_edit_is_out_of_date(env, session, tea):
    admin, _ = await _edit(env)
    await admin.press("Uses in all")
    await admin.send("50")
    first = admin.last_bot_message
    await _edit(env)
    await admin.press("Uses in all")
    await admin.send("70")
    reply = await admin.click(admin.find_button("Save", first), first)
    assert "out of date" in (reply.alert or "")
    assert (await _promo(session)).total_uses is None
    await admin.press("Save")
    assert (await _promo(session)).total_uses == 70


async def test_an_old_prompts_no_limit_does_not_change_another_term(env, session, tea):
    """ "No limit" under the uses prompt, pressed again while the expiry is asked: out of
    date, the expiry stays (before, it set "no expiry" in the draft)."""
    expiry = datetime.now(UTC) + timedelta(days=30)
    await session.execute(update(PromoCode).values(expires_at=expiry, total_uses=40))
    await session.commit()
    admin, _menu = await _edit(env)
    await admin.press("Uses in all")
    uses_prompt = admin.last_bot_message
    await admin.send("50")  # answered by typing: the prompt keeps its buttons
    await admin.press("Valid until")
    reply = await admin.click(admin.find_button("No limit", uses_prompt), uses_prompt)
    assert "This button is out of date" in (reply.alert or "")
    await admin.press("Back")
    reply = await admin.press("Save")
    promo = await _promo(session)
    assert (promo.total_uses, promo.expires_at is not None) == (50, True)
