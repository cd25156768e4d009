"""The two reference apps every benchmarked page is compared with.

Both are served by the same gunicorn settings as the product (see benchmarks/run_all.py):

- `benchmarks.baseline:hello_app()`: bare Flask answering "ok", the floor under any page;
- `benchmarks.baseline:one_query_app()`: bare Flask, one SQLAlchemy connection pool, one
  indexed query over 100,000 rows (20 rows of one category, newest first) rendered into a
  small Jinja table: about the least a database-backed page can cost on this machine.

The one-query app reads its database URL from BENCH_DATABASE_URL; `seed_reference_rows`
fills its table (`bench_reference_rows`, beside the product's tables) before it starts.
"""

from __future__ import annotations

import os
import random

from flask import Flask, request
from sqlalchemy import Engine, create_engine, text

REFERENCE_ROWS = 100_000
CATEGORIES = 5_000  # 20 rows per category on average
TABLE = "bench_reference_rows"

ROWS_TEMPLATE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1>
<table>
<thead><tr><th>id</th><th>name</th><th>amount</th></tr></thead>
<tbody>
{% for row in rows %}<tr><td>{{ row.id }}</td><td>{{ row.name }}</td><td>{{ row.amount }}</td></tr>
{% endfor %}</tbody>
</table></body></html>
"""


def hello_app() -> Flask:
    """Bare Flask: one route returning a two-byte body."""
    app = Flask(__name__)

    @app.get("/")
    def hello() -> str:
        """The cheapest response Flask can give."""
        return "ok"

    return app


def one_query_app() -> Flask:
    """Bare Flask + one indexed query + a small Jinja table (`GET /?category=<n>`)."""
    app = Flask(__name__)
    engine = create_engine(os.environ["BENCH_DATABASE_URL"])
    template = app.jinja_env.from_string(ROWS_TEMPLATE)
    query = text(f"SELECT id, name, amount FROM {TABLE} WHERE category = :category ORDER BY id DESC LIMIT 20")

    @app.get("/")
    def rows() -> str:
        """Twenty rows of one category, as an HTML table."""
        category = request.args.get("category", 1, type=int)
        with engine.connect() as conn:
            found = conn.execute(query, {"category": category}).all()
        return template.render(title=f"Category {category}", rows=found)

    return app


def seed_reference_rows(engine: Engine, rows: int = REFERENCE_ROWS) -> None:
    """Create and fill the reference table with an index on category (idempotent)."""
    rng = random.Random(8)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
        conn.execute(text(f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, category INTEGER NOT NULL, "
                          f"name VARCHAR(80) NOT NULL, amount INTEGER NOT NULL)"))
        conn.execute(text(f"CREATE INDEX ix_{TABLE}_category ON {TABLE} (category, id)"))
        batch = [{"id": n, "category": rng.randrange(CATEGORIES), "name": f"行 {n} / row {n}",
                  "amount": rng.randrange(100_000)} for n in range(1, rows + 1)]
        conn.execute(text(f"INSERT INTO {TABLE} (id, category, name, amount) "
                          f"VALUES (:id, :category, :name, :amount)"), batch)
    with engine.begin() as conn:
        conn.execute(text(f"ANALYZE {TABLE}"))
