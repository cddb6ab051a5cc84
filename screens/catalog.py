"""The catalog's screens: the top level, a category page, a product card."""

import html

from aiogram.filters.callback_data import CallbackData
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import ProductCb
from keyboards.catalog import (
    CardToggles,
    catalog_kb,
    category_kb,
    favourites_kb,
    place,
    price_text,
    product_kb,
    restock_kb,
)
from keyboards.common import CATEGORIES_PER_PAGE
from keyboards.formatting import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    quote,
    rating,
    stars,
    trim,
    visible_length,
)
from keyboards.links import product_link
from models import Role
from screens.base import Screen
from services.catalog import CategoryScreen, ProductCard, ProductView
from services.favourites import FavouritesPage
from services.paging import chunk

NAME_LIMIT = 255


def card_text(
    product: ProductView,
    *,
    locale: str,
    currency: str,
    seller: str | None = None,
    category: str | None = None,
    limit: int = TEXT_LIMIT,
) -> str:
    """The product as text: name, price, stock, rating, seller, description (escaped,
    the description trimmed so the whole fits `limit`)."""
    lines = [
        f"<b>{quote(product.name, NAME_LIMIT)}</b>",
        "💰 " + price_text(product.price, currency, locale),
        "📦 "
        + (
            _("In stock: {count}").format(count=product.stock)
            if product.stock > 0
            else _("Out of stock")
        ),
    ]
    if product.rating_count:
        reviews = _("reviews: {count}").format(count=product.rating_count)
        lines.append(f"{rating(product.rating_sum, product.rating_count, locale)} ({reviews})")
    else:
        lines.append(stars(None) + " " + _("No reviews yet"))
    if seller:
        lines.append("👤 " + _("Seller: {name}").format(name=quote(seller, 100)))
    if category:
        lines.append("📂 " + quote(category, 100))
    text = "\n".join(lines)
    description = (product.description or "").strip()
    if description:
        room = limit - visible_length(text) - 2
        if room > 1:
            text += "\n\n" + html.escape(trim(description, room), quote=False)
    return text


def product_screen(
    card: ProductCard,
    *,
    locale: str,
    currency: str,
    back: CallbackData | None,
    bot_username: str,
    viewer_role: Role | None = None,
    here: ProductCb | None = None,
) -> Screen:
    """The product card as customers see it (also the seller's preview). Its seller and
    admins also get a Manage button into the seller panel. A known viewer gets the
    favourite toggle (and, when it is sold out, the back-in-stock one); `here` is the
    button that opened the card, so a toggle redraws it with the same Back."""
    product = card.product
    photo = product.photo_file_id or product.image_url
    text = card_text(
        product,
        locale=locale,
        currency=currency,
        seller=card.seller_name,
        category=card.category_name,
        limit=CAPTION_LIMIT if photo else TEXT_LIMIT,
    )
    link = product_link(bot_username, product.id) if product.id and bot_username else None
    markup = product_kb(
        product.id,
        in_stock=product.stock > 0,
        review_count=product.rating_count or 0,
        viewer_has_review=card.viewer_has_review,
        can_review=not card.viewer_is_seller,
        can_manage=viewer_role is Role.admin
        or (viewer_role is Role.seller and card.viewer_is_seller),
        back=back,
        link=link,
        locale=locale,
        here=here,
        toggles=None
        if card.viewer_id is None
        else CardToggles(
            card.is_favourite, card.alert_on, tuple(place(here).items()) if here else ()
        ),
    )
    return Screen(text, markup, photo)


def favourites_screen(page: FavouritesPage, currency: str, locale: str) -> Screen:
    if not page.items:
        text = (
            "♥ <b>"
            + _("Favourites")
            + "</b>\n"
            + _("Nothing here yet. Open a product and tap “♥ Add to favourites” to keep it here.")
        )
    else:
        text = "♥ <b>" + _("Favourites") + "</b>\n" + _("Choose a product:")
    return Screen(text, favourites_kb(page, currency=currency, locale=locale))


def restock_screen(product_id: int, name: str) -> Screen:
    """The one message a subscriber gets when a product is back in stock."""
    text = "🔔 " + _("<b>{name}</b> is back in stock!").format(name=quote(name, NAME_LIMIT))
    return Screen(text, restock_kb(product_id))


def browse_screen(
    screen: CategoryScreen, currency: str, locale: str, sub: int = 1, up: int = 1
) -> Screen:
    """A category page (or the top level) with page `sub` of its subcategories; `up`:
    the parent's page that lists it (Back returns there)."""
    category = screen.category
    children, sub, subs = chunk(screen.children, sub, CATEGORIES_PER_PAGE)
    sub_page = (sub, subs)
    if category is None:
        if not children:
            return Screen(_("The catalog is empty for now. Come back soon!"), catalog_kb([]))
        return Screen(
            "🛍 <b>" + _("Catalog") + "</b>\n" + _("Choose a category:"),
            catalog_kb(children, sub_page),
        )
    if screen.products.items:
        hint = _("Choose a category or a product:") if children else _("Choose a product:")
    elif children:
        hint = _("Choose a category:")
    else:
        hint = _("Nothing here yet.")
    markup = category_kb(
        category.id,
        category.parent_id,
        children,
        screen.products,
        currency=currency,
        locale=locale,
        sub=sub_page,
        up=up,
    )
    return Screen(f"📂 <b>{quote(category.name, 100)}</b>\n{hint}", markup)
