from decimal import Decimal

from sqlalchemy import select

from keyboards.callback_data import CartAction, CartAddCb, CartCb, MenuAction, MenuCb
from keyboards.formatting import money
from models import CartItem, Category
from tests.factories import make_category, make_product
from tests.tg import forged


def rub(amount: str) -> str:
    return money(Decimal(amount), "RUB", "en")


async def shop(session, **product):
    category = await make_category(session)
    item = await make_product(session, category, **product)
    await session.commit()
    return item


async def cart_rows(session):
    stmt = select(CartItem).order_by(CartItem.id).execution_options(populate_existing=True)
    return (await session.scalars(stmt)).all()


async def test_add_to_cart_and_show_it(env, session):
    tea = await shop(session, name="Green tea", price="150.50", stock=5)
    ann = env.user(1)
    reply = await ann.click(CartAddCb(product_id=tea.id))
    assert "1" in reply.alert and "cart" in reply.alert.lower()
    await ann.click(CartAddCb(product_id=tea.id))
    reply = await ann.send("/cart")
    assert "Green tea" in reply.text
    assert f"2 × {rub('150.50')} = {rub('301')}" in reply.text
    assert f"Total: {rub('301')}" in reply.text
    assert reply.has_button("Checkout") and reply.has_button("➕")
    [row] = await cart_rows(session)
    assert (row.product_id, row.quantity, row.price) == (tea.id, 2, Decimal("150.50"))


async def test_menu_button_opens_the_cart_empty(env):
    ann = env.user(1)
    await ann.send("/start")
    reply = await ann.click(MenuCb(action=MenuAction.cart))
    assert "empty" in reply.text
    assert not reply.has_button("Checkout")


async def test_plus_minus_remove_and_clear(env, session):
    tea = await shop(session, name="Tea", stock=5)
    coffee = await shop(session, name="Coffee", stock=5)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartAddCb(product_id=coffee.id))
    await ann.send("/cart")
    reply = await ann.click(CartCb(action=CartAction.inc, product_id=tea.id))
    assert "2 × " in reply.text
    await ann.click(CartCb(action=CartAction.dec, product_id=tea.id))
    reply = await ann.click(CartCb(action=CartAction.dec, product_id=tea.id))
    assert "Tea" not in reply.text.replace("Coffee", "") and "Coffee" in reply.text
    assert [r.product_id for r in await cart_rows(session)] == [coffee.id]
    await ann.click(CartAddCb(product_id=tea.id))
    reply = await ann.click(CartCb(action=CartAction.remove, product_id=coffee.id))
    assert "Coffee" not in reply.text
    reply = await ann.click(CartCb(action=CartAction.clear))
    assert "empty" in reply.text
    assert await cart_rows(session) == []


async def test_quantity_never_exceeds_stock(env, session):
    tea = await shop(session, stock=2)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartAddCb(product_id=tea.id))
    reply = await ann.click(CartAddCb(product_id=tea.id))
    assert reply.alert == "Sorry, only 2 in stock."
    reply = await ann.click(CartCb(action=CartAction.inc, product_id=tea.id))
    assert reply.alert == "Sorry, only 2 in stock."
    [row] = await cart_rows(session)
    assert row.quantity == 2


async def test_out_of_stock_and_hidden_products_cannot_be_added(env, session):
    gone = await shop(session, stock=0)
    hidden = await shop(session, is_active=False)
    deleted = await shop(session, is_deleted=True)
    ann = env.user(1)
    assert (await ann.click(CartAddCb(product_id=gone.id))).alert == (
        "Sorry, this product is out of stock."
    )
    for product_id in (hidden.id, deleted.id, 999):
        reply = await ann.click(CartAddCb(product_id=product_id))
        assert reply.alert == "This product is no longer available."
    assert await cart_rows(session) == []


async def test_cart_survives_a_restart(make_env, settings, session):
    tea = await shop(session, name="Tea")
    await make_env(settings).user(1).click(CartAddCb(product_id=tea.id))
    reply = await make_env(settings).user(1).send("/cart")
    assert "Tea" in reply.text and "1 × " in reply.text


async def test_hidden_product_and_changed_price_are_flagged(env, session):
    tea = await shop(session, name="Tea", price="100")
    coffee = await shop(session, name="Coffee", price="200")
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartAddCb(product_id=coffee.id))
    tea.is_active = False
    coffee.price = Decimal("250")
    await session.commit()
    reply = await ann.send("/cart")
    assert "No longer available" in reply.text
    assert f"Price changed: was {rub('200')}, now {rub('250')}." in reply.text
    # Only what can be bought counts.
    assert f"Total: {rub('250')}" in reply.text
    reply = await ann.click(CartCb(action=CartAction.checkout))
    assert "see the cart" in reply.alert


async def test_the_total_counts_only_what_is_in_stock(env, session):
    """A sold-out line and the units past a short line's stock were in the Total (and
    could meet a promo code's minimum order): only what can be bought counts."""
    tea = await shop(session, name="Tea", price="100", stock=5)
    coffee = await shop(session, name="Coffee", price="200", stock=5)
    ann = env.user(1)
    for _unit in range(3):
        await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartAddCb(product_id=coffee.id))
    coffee.stock, tea.stock = 0, 2
    await session.commit()
    reply = await ann.send("/cart")
    assert "Sold out" in reply.text and "Only 2 in stock: lower it to 2 (➖)" in reply.text
    assert f"Total: {rub('200')}" in reply.text
    # Each row counts what the Total counts: the 3 struck for the 2 in stock, the
    # sold-out coffee struck whole.
    assert f"   <s>3</s> 2 × {rub('100')} = {rub('200')}" in reply.text
    assert f"   <s>1 × {rub('200')}</s>" in reply.text and rub("300") not in reply.text


async def test_stock_dropping_below_the_cart_is_flagged(env, session):
    tea = await shop(session, name="Tea", stock=5)
    ann = env.user(1)
    for _ in range(3):
        await ann.click(CartAddCb(product_id=tea.id))
    tea.stock = 1
    await session.commit()
    reply = await ann.send("/cart")
    assert "Only 1 in stock: lower it to 1" in reply.text
    # Going down is always allowed, so the customer can fix it.
    await ann.click(CartCb(action=CartAction.dec, product_id=tea.id))
    reply = await ann.click(CartCb(action=CartAction.dec, product_id=tea.id))
    assert "Only" not in reply.text


async def test_a_sold_out_line_says_so_and_what_to_do(env, session):
    tea = await shop(session, name="Tea", stock=2)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    tea.stock = 0
    await session.commit()
    reply = await ann.send("/cart")
    assert "Only 0" not in reply.text
    assert "⚠️ Sold out. Remove it (❌) to check out" in reply.text and "🔔" in reply.text
    reply = await ann.click(CartCb(action=CartAction.checkout))
    assert "see the cart" in reply.alert
    reply = await ann.click(CartCb(action=CartAction.remove, product_id=tea.id))
    assert "empty" in reply.text


async def test_each_customer_sees_only_their_cart(env, session):
    tea = await shop(session, name="Tea")
    ann, bob = env.user(1), env.user(2)
    await ann.click(CartAddCb(product_id=tea.id))
    reply = await bob.send("/cart")
    assert "empty" in reply.text
    # A forged button acts on the presser's own cart only.
    reply = await bob.click(CartCb(action=CartAction.remove, product_id=tea.id))
    reply = await bob.click(CartCb(action=CartAction.inc, product_id=tea.id))
    assert reply.alert == "This item is no longer in your cart."
    [row] = await cart_rows(session)
    assert row.quantity == 1


async def test_amounts_in_russian(env, session):
    tea = await shop(session, name="Чай", price="1299.5")
    ivan = env.user(1, language_code="ru")
    await ivan.click(CartAddCb(product_id=tea.id))
    reply = await ivan.send("/cart")
    assert "Ваша корзина" in reply.text
    assert "1\xa0299,50\xa0₽" in reply.text


async def test_hidden_category_is_flagged_and_forged_ids_are_harmless(env, session):
    tea = await shop(session, name="Tea")
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    category = await session.get(Category, tea.category_id)
    category.is_active = False
    await session.commit()
    assert "No longer available" in (await ann.send("/cart")).text
    huge = 2**31 - 1  # the largest id a button can carry; beyond it presses are out of date
    assert (
        await ann.click(CartAddCb(product_id=huge))
    ).alert == "This product is no longer available."
    reply = await ann.click(CartCb(action=CartAction.inc, product_id=huge))
    assert reply.alert == "This item is no longer in your cart."
    await ann.click(CartCb(action=CartAction.remove, product_id=huge))
    assert "Tea" in ann.shown_text
    reply = await ann.click(forged(CartAddCb, product_id=2**40))
    assert "out of date" in reply.alert
