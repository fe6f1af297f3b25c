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


# The policy lines (object:action, as in policies/policy.csv) that let a caller take each action in
# the ticket's jurisdiction; any one of them suffices. A department_ticket line counts only on a
# ticket transferred to the caller's own department (the N of 1+N handle what they were given).
PERMISSIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "update": (("ticket", "update"),),
    "dispatch": (("ticket", "dispatch"),),
    "reassign": (("ticket", "reassign"),),
    "arrive": (("ticket", "arrive"),),
    "resolve": (("ticket", "resolve"), ("department_ticket", "resolve")),
    "transfer": (("ticket", "transfer"),),
    "department_update": (("department_ticket", "department_update"),),
    "close": (("ticket", "close"),),
    "reopen": (("ticket", "reopen"),),
    "reject": (("ticket", "reject"),),
    "mark_duplicate": (("ticket", "mark_duplicate"),),
}

# The GraphQL mutation that takes each action: a frontend maps availableActions to buttons with it.
MUTATIONS: dict[str, str] = {
    "update": "updateTicket",
    "dispatch": "dispatchTicket",
    "reassign": "dispatchTicket",
    "arrive": "markTicketOnSite",
    "resolve": "resolveTicket",
    "transfer": "transferTicket",
    "department_update": "updateDepartmentStatus",
    "close": "recordCitizenFeedback",
    "reopen": "recordCitizenFeedback",
    "reject": "rejectTicket",
    "mark_duplicate": "markTicketDuplicate",
}

ACTION_LABELS: dict[str, str] = {
    "update": "修改工单",
    "dispatch": "派遣",
    "reassign": "改派",
    "arrive": "到场",
    "resolve": "处置",
    "transfer": "转办",
    "department_update": "部门反馈进度",
    "close": "办结",
    "reopen": "重新处置",
    "reject": "退回",
    "mark_duplicate": "标记重复",
}
