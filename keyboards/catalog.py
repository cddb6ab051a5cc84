"""Keyboards of the catalog: category pages, search results, the product card."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import (
    CardToggle,
    CardToggleCb,
    CartAddCb,
    CategoryCb,
    FavouritesCb,
    MenuAction,
    MenuCb,
    ProductCb,
    ReviewsCb,
    ReviewStartCb,
    SearchCb,
)
from keyboards.callback_seller import FROM_CARD, SellerProductCb
from keyboards.common import (
    back_label,
    button,
    cancel_button,
    home_button,
    numbered_pager,
    pager_row,
)
from keyboards.formatting import BUTTON_TEXT_LIMIT, money, trim
from keyboards.links import share_url
from services.catalog import CategoryItem, ListedProduct, Page
from services.favourites import FavouritesPage

SEARCH_BACK = -1  # ProductCb.category_id of a card opened from search results
FAV_BACK = -2  # ProductCb.category_id of a card opened from the favourites (page: its page)

# Formatting a price through Babel costs more than the rest of a button; the result
# depends on its arguments only, so it is remembered.
price_text = lru_cache(maxsize=4096)(money)


CardButtonCb = ReviewsCb | ReviewStartCb | CartAddCb

# Where a card is, as ProductCb keeps it after its id (CardToggleCb too, after its own
# fields; the card's other buttons call its page `card_page`, `page` being their own).
PLACE = ("category_id", "page", "after", "sub", "up")


def place(cb: ProductCb | CardToggleCb) -> dict[str, int]:
    return {name: getattr(cb, name) for name in PLACE}


def card_of(cb: CardButtonCb) -> ProductCb:
    """The card (with its Back) that the button `cb` was pressed on."""
    return ProductCb(id=cb.product_id, **{n: getattr(cb, _card(n)) for n in PLACE})


def place_of(card: ProductCb | None) -> dict[str, int]:
    """What a card's buttons carry to come back to `card` (None: its own category)."""
    return {} if card is None else {_card(n): v for n, v in place(card).items()}


def _card(name: str) -> str:
    return "card_page" if name == "page" else name


def card_in(markup: InlineKeyboardMarkup | None, product_id: int) -> ProductCb | None:
    """The card of `product_id` with its place, read back from a keyboard that carries
    it: the card's own (its Reviews button), or the seller's manage screen opened from it
    (its Back: the card, or the place the card came from once it is hidden). A
    SellerProductCb has no room for the place in 64 bytes."""
    for row in markup.inline_keyboard if markup is not None else []:
        for b in row:
            try:
                card = _as_card(b.callback_data or "", product_id)
            except ValueError:  # not ours after all: read on
                continue
            if card is not None:
                return card
    return None


def _as_card(data: str, product_id: int) -> ProductCb | None:
    kinds = (ReviewsCb, ProductCb, CategoryCb, SearchCb, FavouritesCb)
    cls = next((k for k in kinds if data.startswith(k.__prefix__ + k.__separator__)), None)
    match cls.unpack(data) if cls is not None else None:
        case ReviewsCb() as cb if cb.product_id == product_id:
            return card_of(cb)
        case ProductCb() as cb if cb.id == product_id:
            return cb
        case CategoryCb() as cb:  # the inverse of card_back
            pages = {"page": cb.page, "after": cb.after, "sub": cb.sub, "up": cb.up}
            return ProductCb(id=product_id, category_id=cb.id, **pages)
        case SearchCb() as cb:
            return ProductCb(id=product_id, category_id=SEARCH_BACK, page=cb.page, after=cb.after)
        case FavouritesCb() as cb:
            return ProductCb(id=product_id, category_id=FAV_BACK, page=cb.page)
    return None


def card_back(here: ProductCb, category_id: int) -> CallbackData:
    """Where Back on the card opened by `here` goes (`category_id`: the product's own
    category, for a card opened from anywhere else)."""
    if here.category_id == SEARCH_BACK:
        return SearchCb(page=here.page, after=here.after)
    if here.category_id == FAV_BACK:
        return FavouritesCb(page=here.page)
    pages = {n: v for n, v in place(here).items() if n != "category_id"}
    return CategoryCb(id=max(here.category_id, 0) or category_id, **pages)


def _product_button(
    row: ListedProduct, cb: CallbackData, currency: str, locale: str
) -> InlineKeyboardButton:
    price = price_text(row.price, currency, locale)
    mark = "" if row.stock > 0 else " · " + _("out of stock")
    # Names are cut before the price so every label stays within Telegram's 64 characters.
    room = BUTTON_TEXT_LIMIT - len(price) - len(mark) - 3
    return button(f"{trim(row.name, room)} · {price}{mark}", cb)


def _nav_row(page: Page, make: Callable[[int, int], CallbackData]) -> list[InlineKeyboardButton]:
    """`make(page, after)` builds the callback of a page: page 1 is read from the top,
    other previous pages end just before this one (keyset cursors, see services.catalog)."""
    prev = make(page.page - 1, 0 if page.page == 2 else -page.first_id) if page.has_prev else None
    next_ = make(page.page + 1, page.last_id) if page.has_next else None
    return pager_row(page.page, page.pages, prev, next_)


def _category_rows(
    children: Sequence[CategoryItem], sub: tuple[int, int], make: Callable[[int], CategoryCb]
) -> list[list[InlineKeyboardButton]]:
    """One page of subcategory buttons (`sub`: its number and the page count), with their
    own pager (📂 n/N) when there are more than fit."""
    rows = [[button("📂 " + trim(c.name, 60), CategoryCb(id=c.id, up=sub[0]))] for c in children]
    nav = numbered_pager(*sub, make, "📂 ")
    return [*rows, nav] if nav else rows


def catalog_kb(
    children: Sequence[CategoryItem], sub: tuple[int, int] = (1, 1)
) -> InlineKeyboardMarkup:
    """The top level: categories, then Search and the main menu."""
    rows = _category_rows(children, sub, lambda n: CategoryCb(id=0, sub=n))
    rows.append([button("🔍 " + _("Search"), MenuCb(action=MenuAction.search)), home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def category_kb(
    category_id: int,
    parent_id: int | None,
    children: Sequence[CategoryItem],
    products: Page,
    *,
    currency: str,
    locale: str,
    sub: tuple[int, int] = (1, 1),
    up: int = 1,
) -> InlineKeyboardMarkup:
    """A category page's keyboard (`children`: the page `sub` of its subcategories; `up`:
    the parent's page that lists it, for Back).
    Pages are the screens most pressed, and many people see the same page: one built
    for the same content (every name, price and stock on it) and language is used again
    rather than rebuilt."""
    return _category_kb(
        category_id,
        parent_id,
        tuple(children),
        tuple(products.items),
        (products.page, products.pages, products.has_prev, products.has_next),
        currency,
        locale,
        sub,
        up,
    )


@lru_cache(maxsize=1024)
def _category_kb(
    category_id: int,
    parent_id: int | None,
    children: tuple[CategoryItem, ...],
    items: tuple[ListedProduct, ...],
    paging: tuple[int, int, bool, bool],
    currency: str,
    locale: str,
    sub: tuple[int, int],
    up: int,
) -> InlineKeyboardMarkup:
    products = Page(list(items), *paging)
    here = products.first_id - 1
    rows = _category_rows(
        children,
        sub,
        lambda n: CategoryCb(id=category_id, page=products.page, after=here, sub=n, up=up),
    )
    rows += [
        [
            _product_button(
                p,
                ProductCb(
                    id=p.id,
                    category_id=category_id,
                    page=products.page,
                    after=here,
                    sub=sub[0],
                    up=up,
                ),
                currency,
                locale,
            )
        ]
        for p in products.items
    ]

    def pages(n: int, after: int) -> CategoryCb:
        return CategoryCb(id=category_id, page=n, after=after, sub=sub[0], up=up)

    nav = _nav_row(products, pages)
    if nav:
        rows.append(nav)
    back = CategoryCb(id=parent_id or 0, sub=up)
    rows.append([button(back_label(), back), home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def search_kb(products: Page, *, currency: str, locale: str) -> InlineKeyboardMarkup:
    here = products.here  # search pages are in ranked order, not by id
    rows = [
        [
            _product_button(
                p,
                ProductCb(id=p.id, category_id=SEARCH_BACK, page=products.page, after=here),
                currency,
                locale,
            )
        ]
        for p in products.items
    ]
    nav = _nav_row(products, lambda n, after: SearchCb(page=n, after=after))
    if nav:
        rows.append(nav)
    rows.append([button("🔍 " + _("New search"), MenuCb(action=MenuAction.search)), home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def favourites_kb(page: FavouritesPage, *, currency: str, locale: str) -> InlineKeyboardMarkup:
    """The favourites: a product a row (Back from its card returns to this page), the
    pager, Back to the main menu."""
    rows = [
        [
            _product_button(
                p, ProductCb(id=p.id, category_id=FAV_BACK, page=page.page), currency, locale
            )
        ]
        for p in page.items
    ]
    prev = FavouritesCb(page=page.page - 1) if page.has_prev else None
    next_ = FavouritesCb(page=page.page + 1) if page.has_next else None
    nav = pager_row(page.page, page.pages, prev, next_)
    if nav:
        rows.append(nav)
    if not page.items:
        rows.append([button("🛍 " + _("Catalog"), MenuCb(action=MenuAction.catalog))])
    rows.append([button(back_label(), MenuCb(action=MenuAction.home))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def search_prompt_kb() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(back_label(), MenuCb(action=MenuAction.home)), cancel_button()]]
    )


def product_kb(
    product_id: int | None,
    *,
    in_stock: bool,
    review_count: int,
    viewer_has_review: bool,
    can_review: bool,
    back: CallbackData | None,
    link: str | None,
    locale: str,
    can_manage: bool = False,
    toggles: "CardToggles | None" = None,
    here: ProductCb | None = None,
) -> InlineKeyboardMarkup:
    """A product card's keyboard; built once for the same buttons and language. The
    viewer's toggles (favourite, alert) and the card's own place (`here`, the button
    that opened it) are in the key too: two viewers with different toggles never share
    a keyboard."""
    return _product_kb(
        product_id,
        in_stock,
        review_count,
        viewer_has_review,
        can_review,
        back.pack() if back is not None else None,
        link,
        can_manage,
        toggles,
        tuple(place_of(here).items()),
        locale,
    )


@dataclass(frozen=True, slots=True)
class CardToggles:
    """The viewer's toggles on a card, and where the card is (its ProductCb's place)."""

    favourite: bool
    alert: bool
    here: tuple[tuple[str, int], ...] = ()  # the card's place (PLACE), none: its category

    def button(self, product_id: int, what: CardToggle, label: str) -> InlineKeyboardButton:
        on = not (self.favourite if what is CardToggle.favourite else self.alert)
        return button(label, CardToggleCb(id=product_id, what=what, on=on, **dict(self.here)))


def _toggle_rows(
    product_id: int, in_stock: bool, t: CardToggles
) -> list[list[InlineKeyboardButton]]:
    fav = _("Remove from favourites") if t.favourite else _("Add to favourites")
    rows = [[t.button(product_id, CardToggle.favourite, ("💔 " if t.favourite else "♥ ") + fav)]]
    if not in_stock:
        alert = _("Don't notify me") if t.alert else _("Notify me when it's back")
        rows.append([t.button(product_id, CardToggle.alert, ("🔕 " if t.alert else "🔔 ") + alert)])
    return rows


@lru_cache(maxsize=4096)
def _product_kb(
    product_id: int | None,
    in_stock: bool,
    review_count: int,
    viewer_has_review: bool,
    can_review: bool,
    back: str | None,
    link: str | None,
    can_manage: bool,
    toggles: CardToggles | None,
    place_items: tuple[tuple[str, int], ...],
    locale: str,
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    where = dict(place_items)
    if product_id is not None:  # a draft being previewed has no id and no actions yet
        if in_stock:
            add = CartAddCb(product_id=product_id, **where)
            rows.append([button("🛒 " + _("Add to cart"), add)])
        if toggles is not None:
            rows += _toggle_rows(product_id, in_stock, toggles)
        rows.append(
            [
                button(
                    "⭐ " + _("Reviews ({count})").format(count=review_count),
                    ReviewsCb(product_id=product_id, **where),
                )
            ]
        )
        if can_review:
            label = _("Edit my review") if viewer_has_review else _("Leave a review")
            rows.append([button("✍️ " + label, ReviewStartCb(product_id=product_id, **where))])
        if link:
            rows.append([InlineKeyboardButton(text="↗️ " + _("Share"), url=share_url(link))])
        if can_manage:
            manage = SellerProductCb(id=product_id, page=FROM_CARD)
            rows.append([button("✏️ " + _("Manage"), manage)])
    last = [home_button()]
    if back is not None:
        last.insert(0, button(back_label(), back))
    rows.append(last)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def restock_kb(product_id: int) -> InlineKeyboardMarkup:
    """Under a back-in-stock message: the card (its Back goes to the product's category)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[button("🛍 " + _("Open the product"), ProductCb(id=product_id))]]
    )
