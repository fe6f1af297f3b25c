"""What admins read of the trails, newest first: the audit, citizens' personal-data reads and
data-sharing key use. Each needs audit:read in the city."""

from __future__ import annotations

from tortoise.queryset import QuerySet

from server.audit.models import ApiKeyUse, AuditEntry, PersonalDataAccess
from server.authz.engine import CITY, engine
from server.caller import Caller


def _require_audit(caller: Caller) -> None:
    caller.authz.require("audit", "read", engine.tree.id_by_code.get(CITY))


def audit_trail(caller: Caller, *, object_type: str | None, actor: str | None) -> QuerySet[AuditEntry]:
    _require_audit(caller)
    query = AuditEntry.all().order_by("-id")
    if object_type:
        query = query.filter(object_type=object_type)
    if actor:
        query = query.filter(actor=actor)
    return query


def personal_data_reads(
    caller: Caller, *, ticket_number: str | None, actor: str | None
) -> QuerySet[PersonalDataAccess]:
    _require_audit(caller)
    query = PersonalDataAccess.all().order_by("-id")
    if ticket_number:
        query = query.filter(ticket_number=ticket_number)
    if actor:
        query = query.filter(actor=actor)
    return query


def api_key_uses(caller: Caller, *, prefix: str | None) -> QuerySet[ApiKeyUse]:
    _require_audit(caller)
    query = ApiKeyUse.all().order_by("-id")
    if prefix:
        query = query.filter(prefix=prefix)
    return query
