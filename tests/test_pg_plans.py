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
        rows = [
            {"name": f"P{n}", "slug": f"p{n}", "price": 1, "category_id": 1} for n in range(600)
        ]
        rows += [{"name": f"S{n}", "slug": f"s{n}", "price": 1, "category_id": 2} for n in range(3)]
        await conn.execute(insert(Product), rows)  # the small category's ids come last
        await conn.execute(text("ANALYZE products"))
    compiled = _category_screen_stmt(backward, 8).compile(dialect=postgresql.asyncpg.dialect())
    order = list(dict.fromkeys(compiled.positiontup or []))
    values = {"category_id": 2, "after": 2**31 - 1 if backward else 0}
    args = ", ".join(str(values[name]) for name in order)
    async with engine.connect() as conn:
        await conn.execute(text("SET plan_cache_mode = force_generic_plan"))
        await conn.exec_driver_sql(f"PREPARE page AS {compiled}")
        explained = await conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE page({args})"
        )
        [plan] = explained.scalar_one()  # asyncpg decodes the JSON
        result = await conn.exec_driver_sql(f"EXECUTE page({args})")
        names = [row.name for row in result if row.kind == 1]
    assert sorted(names) == ["S0", "S1", "S2"]  # the plan is right, not only quick
    [scan] = _products_scans(plan["Plan"])
    assert scan.get("Index Name") == "ix_products_category_listing", scan
    assert scan.get("Rows Removed by Filter", 0) == 0 and scan["Actual Rows"] == 3
