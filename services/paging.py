"""Page numbers of the lists read a page at a time by offset (favourites, reviews,
orders, promo codes, My products): one rule for all of them, so every list pages the
same way. (Catalog and search pages use keyset cursors, `services.catalog`, with the
same count and the same nearest page.)"""

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

# A forged page number must not overflow OFFSET; nobody pages this far by hand.
MAX_PAGE = 10_000


def page_count(total: int, size: int) -> int:
    """Pages of a list of `total` rows, `size` to a page; an empty list has one."""
    return max(1, -(-total // size))


def fit_page(page: int, total: int, size: int) -> tuple[int, int]:
    """(page, pages) for the page a press asks for: below 1 is the first; past the end
    (a stale or forged button, or rows gone since) is the last, with a true n/N."""
    pages = page_count(total, size)
    return min(max(page, 1), pages, MAX_PAGE), pages


class PageFlags:
    """`has_prev` / `has_next` for a page dataclass with `page` and `pages` (a mixin:
    the dataclass declares the fields)."""

    __slots__ = ()
    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def chunk(items: Sequence[T], page: int, size: int) -> tuple[Sequence[T], int, int]:
    """Page `page` of a list held whole, `size` to a page, placed as `fit_page` places
    it: its items, its number and the page count."""
    page, pages = fit_page(page, len(items), size)
    return items[(page - 1) * size : page * size], page, pages
