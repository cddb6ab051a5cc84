"""The playground in a real browser: Chromium shops, pays with Stars, and the seller hears.

Needs Playwright for Python (a dev dependency) and a Chromium binary: Debian's `chromium`
package (`.ci/run` installs it), or the one named by `PLAYGROUND_CHROMIUM`. Playwright's
own browser download is not used. Skipped, saying why, only when there is no browser.
"""

import os
import shutil
from decimal import Decimal

import pytest
from sqlalchemy import select

from db import engine as db
from models import Category, Product, User
from playground import images
from playground.personas import SELLER
from tests.test_playground_server import started

# Its own SQLite file (or none): the PostgreSQL run would only repeat it.
pytestmark = pytest.mark.own_sqlite

XSS = "<img src=x onerror=alert(1)>"


def chromium() -> str | None:
    for name in (os.environ.get("PLAYGROUND_CHROMIUM"), "chromium", "chromium-browser"):
        path = name and shutil.which(name)
        if path:
            return path
    return None


async def add_xss_product(database_url: str, image_url: str) -> None:
    """A product whose name is markup, sold by the seller persona among the smartphones."""
    engine = db.create_engine(database_url)
    try:
        async with db.create_session_pool(engine)() as session, session.begin():
            phones = await session.scalar(select(Category).where(Category.name == "Smartphones"))
            seller = await session.scalar(select(User).where(User.telegram_id == SELLER.user_id))
            session.add(
                Product(
                    name=XSS,
                    slug="xss-probe",
                    description='Try <script>alert("x")</script> & see.',
                    price=Decimal("10"),
                    stock=3,
                    category_id=phones.id,
                    seller_id=seller.id,
                    image_url=image_url,
                )
            )
    finally:
        await engine.dispose()


async def test_shop_checkout_and_seller_notification_in_chromium(tmp_path, capsys):
    async_api = pytest.importorskip(
        "playwright.async_api", reason="Playwright for Python is not installed"
    )
    path = chromium()
    if path is None:
        pytest.skip("no Chromium: apt-get install chromium, or set PLAYGROUND_CHROMIUM")
    expect = async_api.expect
    async with started(tmp_path) as running, async_api.async_playwright() as p:
        await add_xss_product(running.settings.database_url, f"{running.url}/img/xss.png")
        browser = await p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 900, "height": 1000})
        dialogs, errors = [], []
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        page.on("pageerror", lambda error: errors.append(str(error)))
        chat = page.locator("#chat")

        async def say(text: str) -> None:
            await page.fill("#text", text)
            await page.press("#text", "Enter")

        async def tap(label: str) -> None:
            await page.locator(".inline-button", has_text=label).last.click()

        await page.goto(f"{running.url}/?persona=customer")
        await page.click("#menu-button")  # the commands from setMyCommands
        await expect(page.locator(".menu-item", has_text="/start")).to_be_visible()
        await page.click("#menu-button")
        # An empty chat offers START, as Telegram does; it goes once the bot answers.
        await page.click("#start")
        await expect(chat).to_contain_text("Welcome to the shop")
        await expect(page.locator("#start")).to_be_hidden()
        await tap("Catalog")
        await tap("Electronics")
        await tap("Smartphones")
        # The product named like markup is a button with that text, and a card with it.
        await tap(XSS)
        # The menu was edited in place all along; the photo card replaced it.
        await expect(page.locator(".message.in")).to_have_count(1)
        await expect(page.locator(".message.in img.photo")).to_have_count(1)
        await page.wait_for_function(  # the picture drawn by the playground, loaded
            "() => document.querySelector('.message.in img.photo').naturalWidth === 320"
        )
        card = page.locator(".message.in").last
        await expect(card).to_contain_text(XSS)
        await expect(card).to_contain_text('Try <script>alert("x")</script> & see.')
        assert await page.locator("#chat img:not(.photo)").count() == 0
        assert await page.locator("#chat script").count() == 0
        await tap("Add to cart")
        await expect(page.locator("#toast")).to_contain_text("Added to the cart")
        await say("/cart")
        await tap("Checkout")
        await expect(chat).to_contain_text("1/4")
        await say("Ann Smith")
        await page.locator(".reply-button", has_text="Share my phone").click()
        await expect(chat).to_contain_text("3/4")
        await say("Baker Street 221b")
        await expect(chat).to_contain_text("4/4")
        await tap("No comment")
        await expect(chat).to_contain_text("Check your order")
        await tap("Confirm")
        pay = page.locator("button.pay").last
        await expect(pay).to_contain_text("Pay ⭐ 10")
        await pay.click()
        await expect(chat).to_contain_text("Payment received")
        await expect(page.locator("button.pay").last).to_have_text("Paid ✓")

        await page.select_option("#persona", "seller")
        await expect(chat).to_contain_text("New order")
        await expect(chat).to_contain_text(XSS)
        await page.set_input_files(
            "#photo-input",
            files=[{"name": "tea.png", "mimeType": "image/png", "buffer": images.picture("t")}],
        )
        await expect(page.locator(".message.out img.photo")).to_have_count(1)
        screenshot = tmp_path / "playground-seller.png"
        await page.screenshot(path=str(screenshot), full_page=True)
        await browser.close()
    with capsys.disabled():
        print(f"\nplayground screenshot: {screenshot}")
    assert dialogs == [] and errors == []
    assert not running.playground.problems
