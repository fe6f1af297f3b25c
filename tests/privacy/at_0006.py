"""A database as it stood at migration 0006, holding personal data in its append-only tables the
way the code before 0008 wrote it; and a look at it afterwards. Run in a subprocess by
test_redaction_migration.py (Tortoise's connections are process-global):

    python -m tests.privacy.at_0006 setup|inspect DATABASE_URL
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from server.database import open_database, tortoise_config

NAME, PHONE, NEW_PHONE = "欧阳庚远", "13977770001", "13977770002"
ID_NUMBER = "44190019900771234X"
STAFF_PHONE = "0769-22223333"  # a station's desk phone: public, not a citizen's: left as it is


class Db:
    def __init__(self) -> None:
        self.conn = connections.get("default")
        self.postgres = self.conn.capabilities.dialect == "postgres"

    def marks(self, n: int) -> str:
        return ", ".join(f"${i}" if self.postgres else "?" for i in range(1, n + 1))

    def now(self) -> Any:
        now = datetime.now(UTC)
        return now if self.postgres else now.isoformat(sep=" ")

    async def insert(self, table: str, row: dict[str, Any]) -> None:
        columns = ", ".join(f'"{c}"' for c in row)
        values = [json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for v in row.values()]
        await self.conn.execute_query(
            f"INSERT INTO {table} ({columns}) VALUES ({self.marks(len(row))})", values
        )


def _ticket_snapshot(phone: str) -> dict[str, Any]:
    return {
        "id": 1,
        "number": "DG-20260101-000001",
        "description": f"占道经营，回电{phone}，身份证{ID_NUMBER}，{NAME}",
        "reporter_name": NAME,
        "reporter_phone": phone,
        "status": "REGISTERED",
    }


async def setup(url: str) -> None:
    await migrate(config=tortoise_config(url), target="lianxin.0006_ticket_queue_index")
    await Tortoise.close_connections()
    async with open_database(url):
        db = Db()
        now = db.now()
        await db.insert(
            "jurisdiction",
            {
                "id": 1,
                "code": "dongguan",
                "name": "东莞市",
                "name_en": "Dongguan",
                "level": "CITY",
                "generated_name": False,
            },
        )
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
        await db.insert(
            "ticket",
            {
                "id": 1,
                "number": "DG-20260101-000001",
                "source": "WALK_IN",
                "category_id": 1,
                "description": _ticket_snapshot(NEW_PHONE)["description"],
                "address": "",
                "jurisdiction_id": 1,
                "reporter_name": NAME,
                "reporter_phone": NEW_PHONE,
                "status": "RESOLVED",
                "resolution_note": "",
                "reject_reason": "",
                "citizen_feedback": "",
                "reopen_count": 0,
                "escalation_level": 0,
                "registered_at": now,
                "response_due": now,
                "resolution_due": now,
                "version": 3,
                "created_at": now,
                "updated_at": now,
            },
        )
        events = [
            ("register", "", None),
            (
                "resolve",
                f"已处理，{NAME}满意，回访{PHONE}",
                {"method": "SERVICE", "note": f"电话{NEW_PHONE}"},
            ),
            ("update", "", {"fields": ["reporter_phone"]}),
        ]
        for action, comment, data in events:
            await db.insert(
                "ticket_event",
                {
                    "ticket_id": 1,
                    "actor": "worker-xiagang",
                    "action": action,
                    "comment": comment,
                    "data": data,
                    "at": now,
                },
            )
        await db.insert("deputy", {"id": 1, "name": "代表甲", "delegation": "", "jurisdiction_id": 1})
        await db.insert(
            "proposal",
            {
                "id": 1,
                "number": "16-7-0001",
                "congress_term": 16,
                "session": 7,
                "title": "t",
                "summary": "",
                "body": "",
                "internal_notes": "",
                "status": "SUBMITTED",
                "category": "",
                "key_supervision": False,
                "rehandling_count": 0,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "author_id": 1,
                "jurisdiction_id": 1,
            },
        )
        await db.insert(
            "proposal_event",
            {
                "proposal_id": 1,
                "actor": "deputy",
                "action": "submit",
                "comment": f"群众来电{PHONE}反映",
                "data": None,
                "at": now,
            },
        )
        audits = [
            ("ticket.register", "Ticket", "1", None, _ticket_snapshot(PHONE)),
            ("ticket.update", "Ticket", "1", _ticket_snapshot(PHONE), _ticket_snapshot(NEW_PHONE)),
            ("station.update", "Station", "7", {"phone": "0769-22220000"}, {"phone": STAFF_PHONE}),
        ]
        for operation, object_type, object_id, before, after in audits:
            await db.insert(
                "audit_entry",
                {
                    "at": now,
                    "actor": "worker-xiagang",
                    "operation": operation,
                    "object_type": object_type,
                    "object_id": object_id,
                    "before": before,
                    "after": after,
                    "request_id": "",
                },
            )


async def inspect(url: str) -> dict[str, Any]:
    async with open_database(url):
        db = Db()
        out: dict[str, Any] = {"refused": {}}
        for table in ("audit_entry", "ticket_event", "proposal_event"):
            out[table] = [
                {
                    k: (json.loads(v) if k in ("before", "after", "data") and isinstance(v, str) else v)
                    for k, v in row.items()
                    if k != "at"
                }
                for row in await db.conn.execute_query_dict(f"SELECT * FROM {table} ORDER BY id")
            ]
            for statement in (f"UPDATE {table} SET actor = 'x'", f"DELETE FROM {table}"):
                try:
                    await db.conn.execute_query(statement)
                    out["refused"][statement] = False
                except Exception:  # noqa: BLE001 - the trigger's refusal, whatever the driver calls it
                    out["refused"][statement] = True
        return out


if __name__ == "__main__":
    command, url = sys.argv[1], sys.argv[2]
    if command == "setup":
        asyncio.run(setup(url))
    else:
        print(json.dumps(asyncio.run(inspect(url)), ensure_ascii=False, default=str))
