"""Policy lines a migration adds for a new object or action, for a database that has its policy
already: a new database reads them from policies/policy.csv right after the migrations
(load_policy_file_if_empty), so there is nothing to add to an empty one."""

from __future__ import annotations

from typing import Any

# Only placeholders are formatted into the statements below (S608): every value is bound.
MATCH = "ptype = {0} AND v0 = {1} AND v1 = {2} AND v2 = {3}"
Line = tuple[str, str, str, str]  # (ptype, role, object, action)


def _placeholder(client: Any) -> Any:
    return (lambda n: f"${n}") if client.capabilities.dialect == "postgres" else (lambda _n: "?")


async def add_policy_lines(client: Any, lines: tuple[Line, ...]) -> None:
    ph = _placeholder(client)
    rows = await client.execute_query_dict("SELECT COUNT(*) AS n FROM casbin_rule WHERE ptype = 'p'")
    if not rows or not int(rows[0]["n"]):
        return
    added = 0
    for line in lines:
        exists = await client.execute_query_dict(
            "SELECT id FROM casbin_rule WHERE " + MATCH.format(ph(1), ph(2), ph(3), ph(4)),  # noqa: S608
            list(line),
        )
        if exists:
            continue
        await client.execute_query(
            "INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) "  # noqa: S608
            f"VALUES ({ph(1)}, {ph(2)}, {ph(3)}, {ph(4)}, '', '', '')",
            list(line),
        )
        added += 1
    if added:  # every worker reloads its enforcer at its next request
        await client.execute_query("UPDATE policy_state SET version = version + 1 WHERE id = 1")


async def remove_policy_lines(client: Any, lines: tuple[Line, ...]) -> None:
    ph = _placeholder(client)
    for line in lines:
        await client.execute_query(
            "DELETE FROM casbin_rule WHERE " + MATCH.format(ph(1), ph(2), ph(3), ph(4)),  # noqa: S608
            list(line),
        )
    await client.execute_query("UPDATE policy_state SET version = version + 1 WHERE id = 1")
