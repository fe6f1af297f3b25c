"""The process's Casbin enforcer, kept in step with the database.

Every policy change raises policy_state.version in the same transaction. Each authenticated
request reads that version in the statement that checks its token; when it moved, the worker
reloads its enforcer (and the jurisdiction tree) before deciding anything. So a change made
through one worker is in force in every worker by their next request.
"""

from __future__ import annotations

import asyncio
import csv
import logging
from pathlib import Path
from typing import Any

import casbin
from tortoise import timezone
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from server.authz.adapter import TortoiseAdapter
from server.authz.models import CasbinRule, PolicyState
from server.geo.tree import JurisdictionTree
from server.settings import ROOT

log = logging.getLogger("lianxin.authz")

POLICY_DIR = ROOT / "policies"
MODEL_PATH = POLICY_DIR / "model.conf"
POLICY_PATH = POLICY_DIR / "policy.csv"
CITY = "dongguan"


def beneath(request_domain: str, grant_domain: str) -> bool:
    """A role granted in `grant_domain` applies in `request_domain` when it is there or beneath."""
    return request_domain == grant_domain or request_domain.startswith(grant_domain + "/")


def read_policy_file(path: Path = POLICY_PATH) -> list[list[str]]:
    """The p lines of policy.csv as [ptype, v0, v1, …]; comments and blank lines skipped."""
    with path.open(encoding="utf-8") as handle:
        content = (line for line in handle if line.strip() and not line.lstrip().startswith("#"))
        return [[cell.strip() for cell in raw] for raw in csv.reader(content)]


class PolicyEngine:
    def __init__(self) -> None:
        self.enforcer: casbin.AsyncEnforcer | None = None
        self.tree = JurisdictionTree()
        self.version: int | None = None
        self._lock = asyncio.Lock()
        # Scopes computed for (subject, object, action): valid until the policy version moves,
        # so a steady-state request makes no Casbin call at all.
        self.scope_cache: dict[tuple[str, str, str], Any] = {}

    def _new_enforcer(self) -> casbin.AsyncEnforcer:
        enforcer = casbin.AsyncEnforcer(str(MODEL_PATH), TortoiseAdapter())
        enforcer.add_named_domain_matching_func("g", beneath)
        return enforcer

    async def reload(self) -> None:
        async with self._lock:
            await self._reload()

    async def _reload(self) -> None:
        version = await current_version()
        enforcer = self._new_enforcer()
        await enforcer.load_policy()
        self.tree = await JurisdictionTree.load()
        self.enforcer = enforcer
        self.scope_cache = {}
        self.version = version
        log.info("policy loaded at version %s", version)

    async def ensure_version(self, version: int | None) -> None:
        """Reload when the database's policy version differs from ours (or we have none)."""
        if self.enforcer is not None and version == self.version:
            return
        async with self._lock:
            if self.enforcer is None or version != self.version:
                await self._reload()

    @property
    def loaded(self) -> casbin.AsyncEnforcer:
        """The enforcer; an error before the policy was first loaded (reload / ensure_version)."""
        if self.enforcer is None:
            raise RuntimeError("policy not loaded")
        return self.enforcer

    def enforce(self, subject: str, domain: str, obj: str, act: str) -> bool:
        return bool(self.loaded.enforce(subject, domain, obj, act))

    def grants(self, subject: str) -> list[tuple[str, str]]:
        """(role, jurisdiction code) pairs granted to `subject`."""
        return [(g[1], g[2]) for g in self.loaded.get_filtered_grouping_policy(0, subject)]

    def role_permissions(self, role: str) -> list[tuple[str, str]]:
        return [(p[1], p[2]) for p in self.loaded.get_filtered_policy(0, role)]

    def policy_lines(self) -> list[list[str]]:
        return [list(p) for p in self.loaded.get_policy()]

    def grant_lines(self) -> list[list[str]]:
        return [list(g) for g in self.loaded.get_grouping_policy()]


engine = PolicyEngine()


async def current_version() -> int:
    rows = await PolicyState.filter(id=1).values("version")
    return int(rows[0]["version"]) if rows else 0


async def bump_version() -> int:
    """Raise the policy version, inside the transaction of a policy change.

    Called first in a change that must check what remains (the last admin), it is also the lock
    that serializes such changes: the UPDATE holds policy_state's row until commit on PostgreSQL
    and takes SQLite's write lock, so whatever the transaction reads afterwards includes every
    change committed before it and none that is still in flight.
    """
    now = timezone.now()
    if not await PolicyState.filter(id=1).update(version=F("version") + 1, changed_at=now):
        await PolicyState.create(id=1, version=1, changed_at=now)
    return await current_version()


async def lock_policy() -> None:
    """Take bump_version's lock without changing the version (a change to users, not to policy)."""
    if not await PolicyState.filter(id=1).update(version=F("version")):
        await PolicyState.create(id=1, version=0)


async def load_policy_file_if_empty(progress=print) -> int:
    """At migrate time: put policy.csv's lines into the database unless policy lines exist."""
    if await CasbinRule.filter(ptype="p").exists():
        return 0
    lines = read_policy_file()
    async with in_transaction():
        await CasbinRule.bulk_create(
            [
                CasbinRule(
                    ptype=line[0], **dict(zip(("v0", "v1", "v2", "v3", "v4", "v5"), line[1:], strict=False))
                )
                for line in lines
            ]
        )
        await bump_version()
    progress(f"  loaded {len(lines)} policy lines from {POLICY_PATH.relative_to(ROOT)}")
    return len(lines)
