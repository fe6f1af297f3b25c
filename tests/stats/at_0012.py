"""A database as it stood at migration 0012, with citizen feedback recorded the way the code before
return visits recorded it (Ticket.citizen_satisfied), and a look at it after 0015. Run in a
subprocess by test_migration_0015.py (Tortoise's connections are process-global):

    python -m tests.stats.at_0012 setup|inspect DATABASE_URL
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, timedelta
from typing import Any

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from server.clock import CITY_TZ
from server.database import open_database, tortoise_config

REGISTERED = datetime(2026, 5, 4, 9, 0, tzinfo=CITY_TZ)


class Db:
    def __init__(self) -> None:
        self.conn = connections.get("default")
        self.postgres = self.conn.capabilities.dialect == "postgres"

    def time(self, moment: datetime | None) -> Any:
        if moment is None or self.postgres:
            return moment
        return moment.isoformat(sep=" ")  # as Tortoise stores them on SQLite: local time, its offset

    async def insert(self, table: str, row: dict[str, Any]) -> None:
        columns = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join(f"${i}" if self.postgres else "?" for i in range(1, len(row) + 1))
        await self.conn.execute_query(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))


def _minutes(n: int) -> datetime:
    return REGISTERED + timedelta(minutes=n)


# (id, status, dispatched after, satisfied, reopen count): one closed on a satisfied word, responded
# on time; one reopened on an unsatisfied word, responded late; one never dispatched.
TICKETS = (
    (1, "CLOSED", 10, True, 0),
    (2, "DISPATCHED", 45, False, 1),
    (3, "REGISTERED", None, None, 0),
)


async def setup(url: str) -> None:
    await migrate(config=tortoise_config(url), target="lianxin.0012_ticket_keyset_indexes")
    await Tortoise.close_connections()
    async with open_database(url):
        db = Db()
        for jid, code, name, level, parent in (
            (1, "dongguan", "东莞市", "CITY", None),
            (2, "dongguan/changan", "长安镇", "TOWN", 1),
            (3, "dongguan/changan/xiagang", "厦岗社区", "COMMUNITY", 2),
        ):
            row = {"id": jid, "code": code, "name": name, "name_en": code, "level": level}
            await db.insert("jurisdiction", {**row, "generated_name": False, "parent_id": parent})
        await db.insert(
            "ticket_category",
            {
                "id": 1,
                "code": "occupying_road",
                "name": "占道经营",
                "name_en": "Occupying the road",
                "response_minutes": 30,
                "resolution_minutes": 120,
            },
        )
        for tid, status, dispatched, satisfied, reopened in TICKETS:
            await db.insert(
                "ticket",
                {
                    "id": tid,
                    "number": f"DG-20260504-00000{tid}",
                    "source": "WALK_IN",
                    "category_id": 1,
                    "description": "占道经营",
                    "address": "",
                    "jurisdiction_id": 3,
                    "reporter_name": "王先生",
                    "reporter_phone": "13800000001",
                    "status": status,
                    "resolution_note": "",
                    "reject_reason": "",
                    "citizen_satisfied": satisfied,
                    "citizen_feedback": "又摆出来了" if satisfied is False else "",
                    "reopen_count": reopened,
                    "escalation_level": 0,
                    "registered_at": db.time(REGISTERED),
                    "dispatched_at": db.time(_minutes(dispatched) if dispatched is not None else None),
                    "closed_at": db.time(_minutes(90) if status == "CLOSED" else None),
                    "response_due": db.time(_minutes(30)),
                    "resolution_due": db.time(_minutes(120)),
                    "version": 5,
                    "created_at": db.time(REGISTERED),
                    "updated_at": db.time(_minutes(90)),
                },
            )


async def inspect(url: str) -> dict[str, Any]:
    from server.stats import rollup

    async with open_database(url):
        db = Db()
        visits = await db.conn.execute_query_dict(
            "SELECT ticket_id, round, attempt, channel, reached, rating, comment "
            "FROM return_visit ORDER BY id"
        )
        new = ("resp_on_time", "resp_late", "visit:")
        stored = {k: v for k, v in (await rollup.stored()).items() if k[2].startswith(new)}
        recomputed = {k: v for k, v in (await rollup.recompute()).items() if k[2].startswith(new)}
        refused = []
        for statement in ("UPDATE return_visit SET comment = 'x'", "DELETE FROM return_visit"):
            try:
                await db.conn.execute_query(statement)
            except Exception as exc:  # noqa: BLE001 - any refusal will do; the message is checked
                refused.append("append-only" in str(exc))
        return {
            "visits": [{k: (bool(v) if k == "reached" else v) for k, v in row.items()} for row in visits],
            "stored": sorted([str(d), j, m, n] for (d, j, m), n in stored.items()),
            "recomputed": sorted([str(d), j, m, n] for (d, j, m), n in recomputed.items()),
            "refused": refused,
        }


if __name__ == "__main__":
    command, database_url = sys.argv[1], sys.argv[2]
    if command == "setup":
        asyncio.run(setup(database_url))
    else:
        print(json.dumps(asyncio.run(inspect(database_url)), ensure_ascii=False))
