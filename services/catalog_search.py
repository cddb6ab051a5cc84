"""What a search matches and in what order: the statements behind /search, inline mode
and (through `CatalogService`) the API's `?q=`.

Matching: every word of the query is in the product's folded name and description
(`Product.search_text`: case-folded in any script, ё read as е), a Russian or English word
by its stem where a word starts (`word_stem`: "футболки" finds "Футболка"). The same LIKE
test is
the rule on every database; an index only narrows the rows it runs on:
- PostgreSQL: the pg_trgm GIN index on `search_text` answers `LIKE '%word%'` itself
  (words shorter than 3 letters have no trigram and are checked on the rows the other
  words found; a query of only such words reads every product).
- SQLite: the FTS5 trigram table (when this SQLite has it and its triggers are in
  place) gives the candidate ids for the words of 3 letters or more; with none such, or
  no table, every product is read, as before the index. The most popular products are
  tried first (`ranked`).

Order: products with every word in their name first (a name match before a description
match), then within each of those two tiers the most sold, the best rated, the newest.
Paging is keyset on that order: the cursor is the id of a product on the page, whose
place in the order is read again, so callbacks and the API carry a plain id.

Counting stops at `COUNT_CAP` matches ("more than 1,000 found"): an exact count of a
word in 75,000 of a million products costs a second; nobody pages that far.
"""

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import snowballstemmer
from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    and_,
    bindparam,
    case,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.sql import position_of
from models import Product
from models.product import search_fold
from models.search_index import products_fts, sqlite_fts_ready
from services.catalog_reads import MAX_ID, listed, shown_category_ids

MAX_TERMS = 8
MAX_TERM_LENGTH = 50
MAX_QUERY_LENGTH = 200
COUNT_CAP = 1000  # matches counted at most; the list ends there too
PROBE = 2000  # SQLite: the most popular products tried before the FTS table
TRIGRAM = 3  # letters: shorter words can't be looked up in a trigram index
_FTS_READY = "search_fts_ready"  # cached per database connection (connection.info)


# Sentence punctuation typed around a word ("iphone,", "(чехол)", "«чай»?") is not part of
# it, and a dash or a mark standing alone ("tea — sencha", "sencha ...") is no word. What a
# name may hold at its ends stays (C++, C#, 100%); a query of nothing but punctuation is
# searched as typed.
_AROUND = ",.;:!?\"'«»„“”‘’()[]{}<>…"
_DASHES = "-‐‑‒–—―"


def _words(query: str) -> list[str]:
    """A hyphen joins words one may write apart ("эрл-грей" finds "Эрл Грей" and
    "Эрл-Грей"): each part is a word of its own."""
    typed = search_fold(query[:MAX_QUERY_LENGTH]).split()
    parts = (re.split(f"[{_DASHES}]", w.strip(_AROUND)) for w in typed)
    return [part for word in parts for part in word if part] or typed


class Stem(str):
    """A query word cut to its stem: found where a word starts ("плат" of "платья" finds
    "платье", not "бесплатная"), or the `word` as typed anywhere ("phones" still finds
    "Headphones")."""

    word: str

    def __new__(cls, stem: str, word: str) -> "Stem":
        self = super().__new__(cls, stem)
        self.word = word
        return self


# Snowball's stemmers, by the alphabet a whole (folded) word is written in; a word of
# anything else (digits, mixed scripts, other languages) is searched as typed.
_STEMMERS = (
    (re.compile("[а-я]+"), snowballstemmer.stemmer("russian")),
    (re.compile("[a-z]+"), snowballstemmer.stemmer("english")),
)
# A stem shorter than this is the start of too many unrelated words ("бел" of "белый":
# "белка", "бельё"; "коф" of "кофе": "кофта"): such a word is searched as typed.
SHORTEST_STEM = 4
# A stem is found after anything that is not a letter or a digit (or at the start). A
# stem is only ever made of these letters, so it is safe inside a regular expression.
_WORD_START = "(^|[^a-zа-я0-9{newline}])"


@lru_cache(maxsize=4096)
def word_stem(word: str) -> str:
    """What a folded query word is looked for as: its stem (a `Stem`), so that other
    forms of the word match ("футболки" and "футболку" find "футболка", "phones" finds
    "phone"), or the word itself. A stem is only ever the start of the word, at least
    SHORTEST_STEM letters long: one that rewrites the word ("candi" of "candy") is not
    used."""
    for alphabet, stemmer in _STEMMERS:
        if alphabet.fullmatch(word):
            stem = stemmer.stemWord(word)
            if len(stem) >= SHORTEST_STEM and len(stem) < len(word) and word.startswith(stem):
                return Stem(stem, word)
            return word
    return word


def search_terms(query: str) -> list[str]:
    """The folded words of a search query, each by its stem (`word_stem`), bounded so a
    long query stays cheap: the first MAX_TERMS (`words_left_out` says how many more there
    were)."""
    return [word_stem(w[:MAX_TERM_LENGTH]) for w in _words(query)[:MAX_TERMS]]


def words_left_out(query: str) -> int:
    """How many words of the query past the first MAX_TERMS were not searched for."""
    return max(0, len(_words(query)) - MAX_TERMS)


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
        info[_FTS_READY] = await conn.run_sync(sqlite_fts_ready)
    return bool(info[_FTS_READY])


def matches(terms: Sequence[str], fts: bool) -> ColumnElement[bool]:
    """Shown products holding every word (`fts`: candidates from SQLite's FTS table)."""
    # Each pattern ('%word%', escaped) is written into the SQL as a literal, so the
    # planner sees the word: a common one is best found by walking the popularity index,
    # a rare one through the trigram index. A bound pattern would let PostgreSQL settle
    # on one generic plan for every word after a few searches.
    words = [_contains(t) for t in terms]
    query = fts_query(terms) if fts else None
    if query is not None:
        candidates = select(products_fts.c.rowid).where(products_fts.c.search_text.match(query))
        words.insert(0, Product.id.in_(candidates))
    return and_(listed(), *words, Product.category_id.in_(shown_category_ids()))


def _contains(term: str) -> ColumnElement[bool]:
    """The folded text holds `term`; a `Stem` where a word starts, or its word as typed
    (the first test is the one the trigram index answers; the others are checked on
    what it found)."""
    found = _like(f"%{_escape(term)}%")
    if not isinstance(term, Stem):
        return found
    # Not a LIKE: with two tests the trigram index can answer, PostgreSQL scanned it
    # twice (a BitmapOr); instr/strpos it can't, so the pair only filters what it found.
    typed = position_of(Product.search_text, term.word) > 0
    return and_(found, or_(typed, _starts_word(term)))


def _starts_word(stem: Stem, *, in_name: bool = False) -> ColumnElement[bool]:
    """`stem` begins a word of the folded text (`in_name`: of its first line, the name).
    A regular expression (PostgreSQL's ~; SQLAlchemy gives SQLite a REGEXP function),
    run only on the rows the LIKE tests let through."""
    if in_name:
        pattern = "^[^\n]*" + _WORD_START.format(newline="\n") + stem
    else:
        pattern = _WORD_START.format(newline="") + stem
    return Product.search_text.regexp_match(pattern)


def _like(pattern: str) -> ColumnElement[bool]:
    return Product.search_text.like(bindparam(None, pattern, literal_execute=True), escape="/")


def _escape(term: str) -> str:
    return term.replace("/", "//").replace("%", "/%").replace("_", "/_")


def in_name(terms: Sequence[str]) -> ColumnElement[bool]:
    """Every word is in the name (`search_text` is the folded name, a newline, then the
    folded description; a name never holds a newline)."""
    end_of_name = position_of(Product.search_text, "\n")

    def named(term: str) -> ColumnElement[bool]:
        if not isinstance(term, Stem):
            return position_of(Product.search_text, term) < end_of_name
        at = position_of(Product.search_text, term.word)
        return or_(and_(at > 0, at < end_of_name), _starts_word(term, in_name=True))

    return and_(*(named(t) for t in terms))


def popularity() -> tuple[ColumnElement, ...]:
    """The order within a tier, every part descending: units sold, the average grade in
    hundredths (an integer, so the order is exact), the newest. The same expressions as
    the `ix_products_popularity` index, so PostgreSQL can walk it."""
    # Constants written into the SQL: an index on an expression is used only for that
    # very expression, and `? * rating_sum` is not `100 * rating_sum` to SQLite.
    zero, hundred = literal_column("0", Integer), literal_column("100", Integer)
    rating = case(
        (Product.rating_count > zero, Product.rating_sum * hundred // Product.rating_count),
        else_=zero,
    )
    return (Product.sold, rating, Product.id)


NAME, DESCRIPTION = 1, 0  # the tiers: every word in the name; not every word in it


async def ranked(
    session: AsyncSession,
    columns: Sequence[Any],
    terms: Sequence[str],
    fts: bool,
    after: int,
    limit: int,
) -> list[Row]:
    """Up to `limit` rows of `columns` of the matches (`matches(terms, fts)`) in the
    search order: after the product with id `after` (> 0), before the product with id
    -`after` (< 0; nearest first), from the top (0) or from the bottom (-MAX_ID: the
    last page read back). None of them when the anchor product is gone.

    Each tier is read in popularity order with a LIMIT, so for a common word the
    database walks the popularity index and stops after a page of matches instead of
    ranking every match; for a rare word it looks the matches up in the trigram index
    and sorts those few. PostgreSQL's planner picks between the two from the word;
    SQLite's can't, so on SQLite the `PROBE` most popular products (past the cursor)
    are tried first, and the index is asked only when they hold too few matches. One
    statement per tier visited (usually one), after one primary-key read of the anchor."""
    backward = after < 0
    key = popularity()
    order = [k.asc() if backward else k.desc() for k in key]
    anchor: tuple | None = None
    tier = DESCRIPTION if backward else NAME
    if 0 < abs(after) < MAX_ID:
        found = (
            await session.execute(
                select(case((in_name(terms), NAME), else_=DESCRIPTION), *key).where(
                    Product.id == abs(after)
                )
            )
        ).first()
        if found is None:
            return []
        tier, anchor = found[0], tuple(found[1:])
    probe = session.get_bind().dialect.name == "sqlite"
    rows: list[Row] = []
    tiers = range(tier, NAME + 1) if backward else range(tier, DESCRIPTION - 1, -1)
    for t in tiers:
        where = [in_name(terms) if t == NAME else ~in_name(terms)]
        if anchor is not None and t == tier:
            where.append(tuple_(*key) > anchor if backward else tuple_(*key) < anchor)
        need = limit - len(rows)
        size = literal_column(str(int(need)), Integer)
        got: list[Row] = []
        if probe:
            stmt = _probe(columns, terms, where, backward, size)
            got = list((await session.execute(stmt)).all())
        if len(got) < need:
            stmt = select(*columns).where(matches(terms, fts), *where)
            got = list((await session.execute(stmt.order_by(*order).limit(size))).all())
        rows += got
        if len(rows) >= limit:
            break
    return rows


def _probe(
    columns: Sequence[Any],
    terms: Sequence[str],
    where: list[ColumnElement[bool]],
    backward: bool,
    size: ColumnElement[int],
) -> Select:
    """The matches among the `PROBE` products next in popularity order (past the cursor:
    `where[1:]`), in that order. The window is the join's outer side and the order is
    the window's, so SQLite reads those few products and nothing else (ordered by the
    products' own columns, it would walk the whole popularity index for a rare word)."""
    key = popularity()
    labelled = [k.label(f"k{i}") for i, k in enumerate(key)]
    direction = [k.asc() if backward else k.desc() for k in key]
    limit = literal_column(str(PROBE), Integer)
    window = (
        select(Product.id.label("pid"), *labelled)
        .where(*where[1:])
        .order_by(*direction)
        .limit(limit)
        .subquery("window")
    )
    order = [window.c[f"k{i}"] for i in range(len(key))]
    return (
        select(*columns)
        .select_from(window.join(Product, Product.id == window.c.pid))
        .where(matches(terms, False), where[0])
        .order_by(*(c.asc() if backward else c.desc() for c in order))
        .limit(size)
    )
