"""The ticket workflow as data: each row is (from status, action, to status).

The action is also the Casbin action checked in the ticket's jurisdiction, so who may take
which step is a policy line, and which steps exist is this table.
"""

from __future__ import annotations

from server.enums import TicketStatus as S

OPEN = (S.REGISTERED, S.DISPATCHED, S.ON_SITE, S.TRANSFERRED)
DONE = (S.RESOLVED, S.CLOSED, S.REJECTED, S.DUPLICATE)

TRANSITIONS: tuple[tuple[S, str, S], ...] = (
    # intake details may be corrected until dispatch (社区工作人员 "updates them until dispatch")
    (S.REGISTERED, "update", S.REGISTERED),
    (S.REGISTERED, "dispatch", S.DISPATCHED),
    (S.DISPATCHED, "reassign", S.DISPATCHED),
    (S.ON_SITE, "reassign", S.DISPATCHED),
    (S.DISPATCHED, "arrive", S.ON_SITE),
    (S.ON_SITE, "resolve", S.RESOLVED),
    # the "N" of 1+N: a department takes it over, with a sub-status of its own
    (S.REGISTERED, "transfer", S.TRANSFERRED),
    (S.DISPATCHED, "transfer", S.TRANSFERRED),
    (S.ON_SITE, "transfer", S.TRANSFERRED),
    (S.TRANSFERRED, "department_update", S.TRANSFERRED),
    (S.TRANSFERRED, "resolve", S.RESOLVED),
    # the citizen's feedback: satisfied closes it, unsatisfied sends it back to work
    (S.RESOLVED, "close", S.CLOSED),
    (S.RESOLVED, "reopen", S.DISPATCHED),
    (S.REGISTERED, "reject", S.REJECTED),
    (S.DISPATCHED, "reject", S.REJECTED),
    (S.ON_SITE, "reject", S.REJECTED),
    (S.REGISTERED, "mark_duplicate", S.DUPLICATE),
    (S.DISPATCHED, "mark_duplicate", S.DUPLICATE),
)

_BY_FROM: dict[tuple[S, str], S] = {(f, a): t for f, a, t in TRANSITIONS}


def target(status: S, action: str) -> S | None:
    return _BY_FROM.get((status, action))


def allowed_actions(status: S) -> list[str]:
    return sorted({a for f, a, _ in TRANSITIONS if f == status})
