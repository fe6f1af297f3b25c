"""Seconds for a person's request (personalDataReport's ticket search) on a bench database: the
reporter's tickets (indexed, migration 0010) and the tickets whose free text mentions the phone (one
statement scanning the free-text columns for its last three digits, then the masking matcher).

    .venv/bin/python bench/personal_data_request.py --database-url sqlite:///abs/var/bench/lianxin_bench.sqlite3
    .venv/bin/python bench/personal_data_request.py --database-url postgresql://…/lianxin_bench

It first writes phone numbers in assorted forms into 1% of the tickets' descriptions (so the
prefilter has candidates, as in real free text), which is why it refuses a database whose name does
not contain "bench".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

FORMS = ("{p}", "{a}.{b}.{c}", "{a} {b} {c}", "{a}-{b}-{c}", "{wide}", "{a}_{b}_{c}")


def _phone(index: int) -> str:
    return f"139{index:08d}"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    if "bench" not in args.database_url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing a database whose name does not contain 'bench'")
    os.environ["LIANXIN_DATABASE_URL"] = args.database_url
    from tortoise import Tortoise, connections

    from server.database import tortoise_config
    from server.privacy import requests
    from server.privacy.retention import placeholders

    await Tortoise.init(config=tortoise_config(args.database_url))
    conn = connections.get("default")
    ph = placeholders(conn)
    total = (await conn.execute_query_dict("SELECT COUNT(*) AS n FROM ticket"))[0]["n"]
    ids = [r["id"] for r in await conn.execute_query_dict("SELECT id FROM ticket WHERE id % 100 = 7")]
    rows = []
    for position, ticket_id in enumerate(ids):
        phone = _phone(position)
        form = FORMS[position % len(FORMS)].format(
            p=phone, a=phone[:3], b=phone[3:7], c=phone[7:], wide="".join(chr(0xFF10 + int(d)) for d in phone)
        )
        rows.append([f"占道经营，旧号{form}，已改", ticket_id])
    await conn.execute_many(f"UPDATE ticket SET description = {ph(1)} WHERE id = {ph(2)}", rows)
    print(f"{total:,} tickets, {len(rows):,} of them with a phone in the description")
    for label, phone in (("mentioned", _phone(len(ids) // 2)), ("absent", "13700000000")):
        times, found = [], 0
        for _ in range(args.trials):
            started = time.perf_counter()
            reporters = await requests._matching_ids(phone)
            found = len(await requests._mentioning_ids(phone, reporters))
            times.append(time.perf_counter() - started)
        print(
            f"{label:9} phone: {found} ticket(s) mentioning it; "
            f"search median {statistics.median(times):.3f} s, "
            f"max {max(times):.3f} s over {args.trials} trials"
        )
    await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
