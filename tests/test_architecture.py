"""The layers keep to their places: a pure domain, and views that never commit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = sorted((ROOT / "booking" / "domain").glob("*.py"))
VIEWS = sorted((ROOT / "booking" / "views").glob("*.py"))
FRAMEWORKS = ("flask", "flask_babel", "flask_login", "flask_sqlalchemy", "flask_wtf", "sqlalchemy", "werkzeug")
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic"}
CLOCK_MODULES = {"datetime", "date", "time"}
TRANSACTION_CALLS = {"commit", "rollback", "flush", "begin", "begin_nested"}


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def calls(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def test_the_layers_have_modules_to_check():
    assert {p.name for p in DOMAIN} >= {"intervals.py", "rules.py", "grid.py", "values.py", "statuses.py"}
    assert {p.name for p in VIEWS} >= {"auth.py", "bookings.py", "spaces.py", "main.py"}


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: p.name)
def test_the_domain_imports_neither_flask_nor_sqlalchemy(path):
    bad = {m for m in imported_modules(path) if m.split(".")[0] in FRAMEWORKS}
    assert bad == set()


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: p.name)
def test_the_domain_imports_nothing_from_the_outer_layers(path):
    ours = {m for m in imported_modules(path) if m.split(".")[0] == "booking"}
    assert all(m.startswith("booking.domain") for m in ours), ours


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: p.name)
def test_the_domain_never_reads_the_clock(path):
    reads = [
        ast.unparse(call.func) for call in calls(path)
        if isinstance(call.func, ast.Attribute) and call.func.attr in CLOCK_CALLS
        and isinstance(call.func.value, ast.Name) and call.func.value.id in CLOCK_MODULES
    ]
    assert reads == []


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.name)
def test_views_never_commit_or_open_transactions(path):
    found = [
        ast.unparse(call.func) for call in calls(path)
        if isinstance(call.func, ast.Attribute) and call.func.attr in TRANSACTION_CALLS
        # booking.views.sessions.begin starts a signed-in browser session, not a transaction
        and ast.unparse(call.func.value) != "sessions"
    ]
    assert found == []


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.name)
def test_views_do_not_use_the_database_session_directly(path):
    assert "sqlalchemy" not in {m.split(".")[0] for m in imported_modules(path)}
    source = path.read_text(encoding="utf-8")
    assert "db.session" not in source


def test_the_checks_would_catch_a_forbidden_import_and_a_commit(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from sqlalchemy import select\n    db.session.commit()\n    datetime.now()\n")
    assert "sqlalchemy" in imported_modules(bad)
    assert [ast.unparse(c.func) for c in calls(bad)] == ["db.session.commit", "datetime.now"]
