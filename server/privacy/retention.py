"""Retention (PIPL: kept no longer than needed): a ticket's reporter data is anonymised once the
ticket has been in its final state longer than settings.personal_data_retention_days.

Anonymising a ticket removes its photos and documents (server.attachments: the rows, and the files
no other row uses), empties reporter_name and reporter_phone, masks the free text (the reporter's
name by its masked form, then phone and ID numbers by server.privacy.masking.mask_text) and sets
anonymised_at. Everything the figures are made of (registered_at, dispatched_at, resolved_at,
resolution_method, jurisdiction, status) is left alone, so the rollups, the scorecard and the 721
figures are the same before and after. The version moves on (a step made against a read from before
the anonymisation is a CONFLICT, so it cannot write the old name back); updated_at stays the time of
the last workflow change.

`lianxin retention run` works in batches of rows in id order, each its own transaction, so memory is
bounded and a long run can be interrupted and resumed; a second run finds nothing to do. The run
writes one audit entry: how many and the cutoff, never whom or what.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server import clock
from server.attachments.service import purge, remove_for_tickets
from server.audit.models import AuditEntry
from server.clock import CITY_TZ
from server.privacy.masking import mask_name, mask_number, mask_text, phone_digits
from server.settings import settings
from server.tickets.workflow import DONE

log = logging.getLogger("lianxin.privacy")

FREE_TEXT = ("description", "resolution_note", "reject_reason", "citizen_feedback")
COLUMNS = ("id", "version", "reporter_name", "reporter_phone", *FREE_TEXT)
DONE_VALUES = tuple(s.value for s in DONE)
# When a ticket reached its final state: closed (also set by reject and mark_duplicate), else
# resolved; updated_at only for rows loaded without either.
FINAL_AT = "COALESCE(closed_at, resolved_at, updated_at)"
BATCH_SIZE = 1000
DIGIT = re.compile(r"\d")  # every number mask_text masks has digits; most free text has none


def scrub(text: str, name: str, phone: str) -> str:
    """Free text without the reporter: their name by its masked form, their phone however it was
    typed (masking.mask_number), then every phone and ID number (mask_text)."""
    if not text:
        return text
    name = name.strip()
    if len(name) >= 2:  # a one-character "name" would mask that character everywhere
        text = text.replace(name, mask_name(name) or "")
    if not DIGIT.search(text):
        return text
    return mask_text(mask_number(text, phone_digits(phone))) or ""


def anonymised(row: dict[str, Any]) -> dict[str, str]:
    """The new values of a ticket row's personal data (row: the columns of COLUMNS)."""
    name, phone = row.get("reporter_name") or "", row.get("reporter_phone") or ""
    values = {"reporter_name": "", "reporter_phone": ""}
    for field in FREE_TEXT:
        values[field] = scrub(row.get(field) or "", name, phone)
    return values


def without_mentions(row: dict[str, Any], digits: str) -> dict[str, str]:
    """The new values of a ticket row whose free text mentions a phone that is not its reporter's
    (an erasure for that phone): the mentions masked, the ticket's own reporter left alone."""
    values = {
        "reporter_name": row.get("reporter_name") or "",
        "reporter_phone": row.get("reporter_phone") or "",
    }
    for field in FREE_TEXT:
        values[field] = mask_number(row.get(field) or "", digits)
    return values


def placeholders(conn: BaseDBAsyncClient) -> Callable[[int], str]:
    if conn.capabilities.dialect == "postgres":
        return lambda n: f"${n}"
    return lambda n: "?"


def db_time(conn: BaseDBAsyncClient, moment: datetime) -> Any:
    """SQLite keeps datetimes as local text with their offset; compare and write them that way."""
    moment = moment.astimezone(CITY_TZ)
    return moment if conn.capabilities.dialect == "postgres" else moment.isoformat(" ")


async def anonymise_rows(
    conn: BaseDBAsyncClient, rows: Sequence[dict[str, Any]], now: datetime, *, mentioning: str = ""
) -> int:
    """Inside the caller's transaction: anonymise these rows (read in that transaction), each only
    if still at the version read. Returns how many were written.

    With `mentioning` (a phone's digits), the rows are tickets whose free text mentions that phone
    but whose reporter is someone else: only the mentions are masked (without_mentions), and
    anonymised_at is left alone, so retention still anonymises their own reporter in time."""
    if not rows:
        return 0
    sets = ["reporter_name", "reporter_phone", *FREE_TEXT]
    values_of: Callable[[dict[str, Any]], dict[str, str]] = (
        (lambda row: without_mentions(row, mentioning)) if mentioning else anonymised
    )
    if conn.capabilities.dialect == "postgres":
        # One statement per batch: the new values as arrays, joined to the rows by id.
        new = [values_of(row) for row in rows]
        arrays: list[Any] = [[row["id"] for row in rows], [row["version"] for row in rows]]
        arrays += [[values[c] for values in new] for c in sets]
        types = ["bigint[]", "int[]"] + ["text[]"] * len(sets)
        stamp, first = ("", 1) if mentioning else (", anonymised_at = $1", 2)
        unnest = ", ".join(f"${i + first}::{t}" for i, t in enumerate(types))
        written = await conn.execute_query_dict(
            "UPDATE ticket AS t SET "  # noqa: S608 - column names and placeholders only
            + ", ".join(f"{c} = v.{c}" for c in sets)
            + f"{stamp}, version = t.version + 1"
            + f" FROM unnest({unnest}) AS v(id, version, {', '.join(sets)})"
            + " WHERE t.id = v.id AND t.version = v.version RETURNING t.id",
            arrays if mentioning else [now, *arrays],
        )
        return len(written)
    ph = placeholders(conn)
    columns = len(sets)
    if mentioning:  # an erasure's few tickets: one statement each, counted by RETURNING
        sql = (
            "UPDATE ticket SET "  # noqa: S608 - column names and placeholders only
            + ", ".join(f"{c} = {ph(i + 1)}" for i, c in enumerate(sets))
            + f", version = version + 1 WHERE id = {ph(columns + 1)}"
            + f" AND version = {ph(columns + 2)} RETURNING id"
        )
        updated = 0
        for row in rows:
            values = values_of(row)
            done = await conn.execute_query_dict(sql, [*(values[c] for c in sets), row["id"], row["version"]])
            updated += len(done)
        return updated
    sql = (
        "UPDATE ticket SET "  # noqa: S608 - column names and placeholders only
        + ", ".join(f"{c} = {ph(i + 1)}" for i, c in enumerate(sets))
        + f", anonymised_at = {ph(columns + 1)}, version = version + 1"
        + f" WHERE id = {ph(columns + 2)} AND version = {ph(columns + 3)}"
    )
    at = db_time(conn, now)
    params = []
    for row in rows:
        values = values_of(row)
        params.append([*(values[c] for c in sets), at, row["id"], row["version"]])
    await conn.execute_many(sql, params)
    ids = [row["id"] for row in rows]
    marks = ", ".join(ph(i + 2) for i in range(len(ids)))
    done = await conn.execute_query_dict(
        f"SELECT COUNT(*) AS n FROM ticket WHERE anonymised_at = {ph(1)} AND id IN ({marks})",  # noqa: S608 - placeholders only
        [at, *ids],
    )
    return int(done[0]["n"])


@dataclass
class RetentionRun:
    cutoff: datetime
    days: int
    due: int  # tickets past the retention period when the run started
    anonymised: int = 0
    batches: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def per_second(self) -> float:
        return self.anonymised / self.seconds if self.seconds else 0.0


def _due_condition(ph: Callable[[int], str], first: int) -> str:
    """Tickets in a final state since before the cutoff, not anonymised since (a ticket erased while
    open and closed later is anonymised again, for what was written after the erasure)."""
    statuses = ", ".join(f"'{s}'" for s in DONE_VALUES)  # enum values, not input
    return (
        f"status IN ({statuses}) AND {FINAL_AT} < {ph(first)} "
        f"AND (anonymised_at IS NULL OR anonymised_at < {FINAL_AT})"
    )


async def count_due(cutoff: datetime) -> int:
    conn = connections.get("default")
    ph = placeholders(conn)
    rows = await conn.execute_query_dict(
        f"SELECT COUNT(*) AS n FROM ticket WHERE {_due_condition(ph, 1)}",  # noqa: S608 - fixed condition; cutoff bound
        [db_time(conn, cutoff)],
    )
    return int(rows[0]["n"])


async def run(
    *,
    days: int | None = None,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    dry_run: bool = False,
    progress: Callable[[str], object] | None = None,
    progress_every: float = 2.0,
) -> RetentionRun:
    """Anonymise every ticket past the retention period, batch by batch."""
    days = settings.personal_data_retention_days if days is None else days
    if days < 1:
        raise ValueError("the retention period is at least one day")
    if batch_size < 1:
        raise ValueError("the batch size is at least one row")
    now = now or clock.now()
    cutoff = now - timedelta(days=days)
    result = RetentionRun(cutoff=cutoff, days=days, due=await count_due(cutoff), dry_run=dry_run)
    say = progress or (lambda _m: None)
    say(f"{result.due} tickets reached their final state before {cutoff:%Y-%m-%d %H:%M} ({days} days ago)")
    if dry_run:
        return result

    started = last_report = time.monotonic()
    last_id = 0
    files: list[str] = []  # of the photos removed with the tickets' personal data
    while True:
        async with in_transaction() as conn:
            ph = placeholders(conn)
            lock = " FOR UPDATE" if conn.capabilities.dialect == "postgres" else ""
            rows = await conn.execute_query_dict(
                f"SELECT {', '.join(COLUMNS)} FROM ticket WHERE id > {ph(1)} AND {_due_condition(ph, 2)} "  # noqa: S608 - fixed columns and condition; values bound
                f"ORDER BY id LIMIT {ph(3)}{lock}",
                [last_id, db_time(conn, cutoff), batch_size],
            )
            if not rows:
                break
            result.anonymised += await anonymise_rows(conn, rows, now)
            # Photos may show the citizen: they go with the rest (the statistics need none of them).
            files += await remove_for_tickets(conn, [int(row["id"]) for row in rows])
        result.batches += 1
        last_id = int(rows[-1]["id"])
        elapsed = time.monotonic() - started
        if time.monotonic() - last_report >= progress_every:
            last_report = time.monotonic()
            say(f"  {result.anonymised}/{result.due} anonymised, {result.anonymised / elapsed:.0f} tickets/s")
    result.seconds = time.monotonic() - started
    await purge(files)

    await AuditEntry.create(
        actor="retention",
        operation="anonymisePersonalData",
        object_type="Ticket",
        object_id=f"before {cutoff.astimezone(CITY_TZ):%Y-%m-%d}",
        before=None,
        after={
            "count": result.anonymised,
            "cutoff": cutoff.astimezone(CITY_TZ).isoformat(),
            "retentionDays": days,
            "batches": result.batches,
        },
    )
    log.info(
        "retention: %d tickets anonymised (final before %s), %d batches, %.1f s",
        result.anonymised,
        cutoff.isoformat(),
        result.batches,
        result.seconds,
    )
    say(
        f"{result.anonymised} tickets anonymised in {result.batches} batches, "
        f"{result.seconds:.1f} s ({result.per_second:.0f} tickets/s)"
    )
    return result
