"""What a search matches and in what order: the statements behind /search, inline mode
and (through `CatalogService`) the API's `?q=`.

Matching: every word of the query is in the product's folded name and description
(`Product.search_text`: case-folded in any script, ё read as е). The same LIKE test is
the rule on every database; an index only narrows the rows it runs on:
- PostgreSQL: the pg_trgm GIN index on `search_text` answers `LIKE '%word%'` itself
  (words shorter than 3 letters have no trigram and are checked on the rows the other
  words found; a query of only such words reads every product).
- SQLite: the FTS5 trigram table (when this SQLite has it and its triggers are in
  place) gives the candidate ids for the words of 3 letters or more; with none such, or
  no table, every product is read, as before the index.

Order: products with more of the words in their name first (a name match before a
description match), then the most sold, the best rated, the newest. Paging is keyset on
that order: the cursor is the id of a product on the page, whose place in the order is
read again in the same statement, so callbacks and the API carry a plain id.
"""

import operator
from collections.abc import Sequence
from functools import reduce

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    case,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.sql import position_of
from models import Product
from models.product import search_fold
from models.search_index import products_fts, sqlite_fts_ready
from services.catalog_reads import MAX_ID, listed, shown_category_ids

MAX_TERMS = 8
MAX_TERM_LENGTH = 50
MAX_QUERY_LENGTH = 200
TRIGRAM = 3  # letters: shorter words can't be looked up in a trigram index
_FTS_READY = "search_fts_ready"  # cached per database connection (connection.info)


def search_terms(query: str) -> list[str]:
    """The folded words of a search query, bounded so a long query stays cheap."""
    words = search_fold(query[:MAX_QUERY_LENGTH]).split()
    return [w[:MAX_TERM_LENGTH] for w in words[:MAX_TERMS]]


def fts_query(terms: Sequence[str]) -> str | None:
    """The FTS5 MATCH string for the words the trigram table can look up (each a quoted
    string: matched as a substring, never as FTS syntax); None when there are none."""
    usable = [t for t in terms if len(t) >= TRIGRAM]
    if not usable:
        return None
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in usable)


async def uses_fts(session: AsyncSession) -> bool:
    """Whether this database's searches go through the SQLite FTS table (checked once
    per connection: the table and its triggers exist)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    conn = await session.connection()
    info = conn.info
    if _FTS_READY not in info:
        info[_FTS_READY] = await conn.run_sync(_ready)
    return bool(info[_FTS_READY])


def _ready(conn: Connection) -> bool:
    return sqlite_fts_ready(conn)


def matches(terms: Sequence[str], fts: bool) -> ColumnElement[bool]:
    """Shown products holding every word (`fts`: candidates from SQLite's FTS table)."""
    words = [Product.search_text.contains(t, autoescape=True) for t in terms]
    query = fts_query(terms) if fts else None
    if query is not None:
        candidates = select(products_fts.c.rowid).where(products_fts.c.search_text.match(query))
        words.insert(0, Product.id.in_(candidates))
    return and_(listed(), *words, Product.category_id.in_(shown_category_ids()))


def rank_key(product: type[Product], terms: Sequence[str]) -> tuple[ColumnElement, ...]:
    """The search order, every part descending: words found in the name, units sold,
    average grade (hundredths, integer, so the order is exact), id."""
    end_of_name = position_of(product.search_text, "\n")
    in_name = [case((position_of(product.search_text, t) < end_of_name, 1), else_=0) for t in terms]
    name_hits = reduce(operator.add, in_name)
    rating = case(
        (product.rating_count > 0, product.rating_sum * 100 / product.rating_count), else_=0
    )
    return (name_hits, product.sold, rating, product.id)


def ranked(base: Select, terms: Sequence[str], after: int, limit: int) -> Select:
    """`base` (which selects from products) in the search order, `limit` rows: after the
    product with id `after` (> 0), before the product with id -`after` (< 0: nearest
    first), from the top (0) or from the bottom (-MAX_ID: the last page read back)."""
    key = rank_key(Product, terms)
    backward = after < 0
    anchor_id = abs(after)
    if 0 < anchor_id < MAX_ID:
        anchor = aliased(Product, name="anchor")
        at = [
            select(part).where(anchor.id == anchor_id).scalar_subquery()
            for part in rank_key(anchor, terms)
        ]
        base = base.where(tuple_(*key) > tuple_(*at) if backward else tuple_(*key) < tuple_(*at))
    order = [k.asc() if backward else k.desc() for k in key]
    return base.order_by(*order).limit(literal_column(str(int(limit)), Integer))
