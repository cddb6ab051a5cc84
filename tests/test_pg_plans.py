"""PostgreSQL keeps one plan for a prepared statement, made without its values (the
"generic" plan), once it is not worse than planning each run. A category page's plan
must then walk the listing index from the category asked for: a plan that walks the
primary key and filters reads a small category's whole id range, and one PostgreSQL
will not keep is planned again on every press (about 0.3 ms of its CPU each)."""

import pytest
from sqlalchemy import insert, text
from sqlalchemy.dialects import postgresql

from models import Category, Product
from services.catalog_reads import _category_screen_stmt
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="prepared statements' plans are PostgreSQL's")


def _products_scans(plan: dict) -> list[dict]:
    found = [plan] if plan.get("Relation Name") == "products" else []
    for child in plan.get("Plans", []):
        found += _products_scans(child)
    return found


@pytest.mark.parametrize("backward", [False, True], ids=["next", "previous"])
async def test_a_category_pages_kept_plan_walks_the_listing_index(engine, backward):
    async with engine.begin() as conn:
        await conn.execute(
            insert(Category),
            [{"id": 1, "name": "Big", "slug": "big"}, {"id": 2, "name": "Small", "slug": "s"}],
        )
        big = [{"name": f"P{n}", "slug": f"p{n}", "category_id": 1} for n in range(600)]
        small = [{"name": f"S{n}", "slug": f"s{n}", "category_id": 2} for n in range(5)]
        rows = [{**row, "price": 1} for row in big + small]
        await conn.execute(insert(Product), rows)  # the small category's ids come last
        await conn.execute(text("ANALYZE products"))
    compiled = _category_screen_stmt(backward, 8).compile(dialect=postgresql.asyncpg.dialect())
    order = list(dict.fromkeys(compiled.positiontup or []))

    def args(category_id: int, after: int) -> str:
        values = {"category_id": category_id, "after": after}
        return ", ".join(str(values[name]) for name in order)

    # The page after S1 (forward: S2-S4), or before S3 (backward: S0-S2).
    cursor = 604 if backward else 602  # ids: P0-P599 are 1-600, S0-S4 601-605
    async with engine.connect() as conn:
        await conn.exec_driver_sql(f"PREPARE page AS {compiled}")
        for n in range(6):  # PostgreSQL plans the first five runs with their values
            await conn.exec_driver_sql(f"EXECUTE page({args(1 + n % 2, 0)})")
        explained = await conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE page({args(2, cursor)})"
        )
        [plan] = explained.scalar_one()  # asyncpg decodes the JSON
        result = await conn.exec_driver_sql(f"EXECUTE page({args(2, cursor)})")
        names = [row.name for row in result if row.kind == 1]
    assert sorted(names) == (["S0", "S1", "S2"] if backward else ["S2", "S3", "S4"])
    [scan] = _products_scans(plan["Plan"])
    assert "$" in scan["Index Cond"], scan  # the kept plan, made without the values
    assert scan.get("Index Name") == "ix_products_category_listing", scan
    assert scan.get("Rows Removed by Filter", 0) == 0 and scan["Actual Rows"] == 3
