"""The layers stay apart: HTTP → lianxin (the joiner) → schema (GraphQL, thin) → server (the
domain) → Tortoise. The GraphQL layer never talks to the database itself (it calls services and
repository functions in server/), and the domain never knows about GraphQL.

Read from the source's syntax tree, so that a local import inside a function, an aliased import
or a query built across several lines is caught as surely as a top-level one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Query-building and query-running methods of Tortoise models, querysets and connections. A name
# that ordinary Python also uses (dict.get, list.count) is left out; the import
# rule below keeps models, querysets and transactions out of reach anyway.
QUERY_METHODS = {
    "all",
    "annotate",
    "bulk_create",
    "bulk_update",
    "create",
    "delete",
    "exclude",
    "execute_query",
    "execute_query_dict",
    "exists",
    "filter",
    "first",
    "get_or_create",
    "get_or_none",
    "in_bulk",
    "in_transaction",
    "order_by",
    "prefetch_related",
    "select_for_update",
    "select_related",
    "update_or_create",
    "using_db",
    "values_list",
}


# Imports that remain: loaders naming the model they batch (server.batch runs the query) and
# visibility conditions (Q) passed through to services, and types naming the model they wrap.
# None of them runs a query or opens a transaction. The list may only shrink.
STILL_TO_MOVE = {
    "schema/geo/loaders.py imports the models module server.geo.models",
    "schema/geo/loaders.py imports tortoise.expressions",
    "schema/geo/types.py imports the models module server.geo.models",
    "schema/loaders.py imports tortoise.expressions",
    "schema/proposals/loaders.py imports the models module server.proposals.models",
    "schema/proposals/loaders.py imports tortoise.expressions",
    "schema/proposals/mutations.py imports the models module server.proposals.models",
    "schema/proposals/queries.py imports tortoise.expressions",
    "schema/proposals/types.py imports the models module server.proposals.models",
    "schema/staff/loaders.py imports the models module server.staff.models",
    "schema/staff/loaders.py imports tortoise.expressions",
    "schema/staff/types.py imports the models module server.staff.models",
    "schema/stations/loaders.py imports the models module server.stations.models",
    "schema/stations/loaders.py imports tortoise.expressions",
    "schema/stations/types.py imports the models module server.stations.models",
    "schema/tickets/loaders.py imports the models module server.tickets.models",
    "schema/tickets/loaders.py imports tortoise.expressions",
    "schema/tickets/types.py imports the models module server.tickets.models",
}


def _without_line(problem: str) -> str:
    where, _, rest = problem.partition(" ")
    return f"{where.rsplit(':', 1)[0]} {rest}"


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            # `from server.tickets import models` names the models module too
            found += [
                (node.lineno, f"{node.module}.{alias.name}")
                for alias in node.names
                if alias.name == "models" or alias.name.endswith("_models")
            ]
    return found


def _is_model_module(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "server" and "models" in parts[1:]


def _violations_in_schema(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    where = path.relative_to(root)
    problems = []
    for line, module in _imported_modules(tree):
        if module == "tortoise" or module.startswith("tortoise."):
            problems.append(f"{where}:{line} imports {module}")
        elif _is_model_module(module):
            problems.append(f"{where}:{line} imports the models module {module}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in QUERY_METHODS and (isinstance(func, ast.Attribute) or name == "in_transaction"):
                problems.append(f"{where}:{node.lineno} calls .{name}(): a query belongs in server/")
    return problems


def _violations_in_server(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    where = path.relative_to(root)
    return [
        f"{where}:{line} imports {module}"
        for line, module in _imported_modules(tree)
        if module.split(".")[0] in {"schema", "lianxin", "strawberry"}
    ]


def test_the_graphql_layer_runs_no_query_and_no_transaction() -> None:
    problems = [p for path in _sources("schema") for p in _violations_in_schema(path)]
    assert [p for p in problems if _without_line(p) not in STILL_TO_MOVE] == []
    # an entry whose import has gone must leave the list too
    assert {_without_line(p) for p in problems} >= STILL_TO_MOVE


def test_the_domain_does_not_know_the_graphql_layer() -> None:
    problems = [p for path in _sources("server") for p in _violations_in_server(path)]
    assert problems == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from tortoise.expressions import Q\n", "imports tortoise.expressions"),
        ("import tortoise\n", "imports tortoise"),
        ("from server.tickets.models import Ticket\n", "models module server.tickets.models"),
        ("from server.tickets import models\n", "models module server.tickets.models"),
        ("def f(x):\n    return x.objects.filter(a=1)\n", "calls .filter()"),
        ("async def f(m):\n    return await m.get_or_none(\n        id=1)\n", "calls .get_or_none()"),
        ("def f(in_transaction):\n    return in_transaction()\n", "calls .in_transaction()"),
    ],
)
def test_the_check_catches_a_query_in_the_graphql_layer(tmp_path: Path, source: str, expected: str) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(source, encoding="utf-8")
    found = _violations_in_schema(probe, tmp_path)
    assert any(expected in p for p in found), found


def test_the_check_catches_the_domain_importing_the_graphql_layer(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from schema.schema import sdl\n    return sdl()\n", encoding="utf-8")
    assert _violations_in_server(probe, tmp_path) == ["probe.py:2 imports schema.schema"]
