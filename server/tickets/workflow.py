"""The ticket workflow as data: each row is (from status, action, to status).

The action is also the Casbin action checked in the ticket's jurisdiction, so who may take
which step is a policy line, and which steps exist is this table.
"""

from __future__ import annotations

from server.enums import TicketStatus

OPEN = (TicketStatus.REGISTERED, TicketStatus.DISPATCHED, TicketStatus.ON_SITE, TicketStatus.TRANSFERRED)
DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.REJECTED, TicketStatus.DUPLICATE)

TRANSITIONS: tuple[tuple[TicketStatus, str, TicketStatus], ...] = (
    # intake details may be corrected until dispatch (社区工作人员 "updates them until dispatch")
    (TicketStatus.REGISTERED, "update", TicketStatus.REGISTERED),
    (TicketStatus.REGISTERED, "dispatch", TicketStatus.DISPATCHED),
    (TicketStatus.DISPATCHED, "reassign", TicketStatus.DISPATCHED),
    (TicketStatus.ON_SITE, "reassign", TicketStatus.DISPATCHED),
    (TicketStatus.DISPATCHED, "arrive", TicketStatus.ON_SITE),
    (TicketStatus.ON_SITE, "resolve", TicketStatus.RESOLVED),
    # the "N" of 1+N: a department takes it over, with a sub-status of its own
    (TicketStatus.REGISTERED, "transfer", TicketStatus.TRANSFERRED),
    (TicketStatus.DISPATCHED, "transfer", TicketStatus.TRANSFERRED),
    (TicketStatus.ON_SITE, "transfer", TicketStatus.TRANSFERRED),
    (TicketStatus.TRANSFERRED, "department_update", TicketStatus.TRANSFERRED),
    (TicketStatus.TRANSFERRED, "resolve", TicketStatus.RESOLVED),
    # the return visit (回访): satisfied or basically satisfied closes it, dissatisfied sends it back
    # to work, an attempt that does not reach the citizen is recorded (the last one closes it as
    # unreachable, through `close`)
    (TicketStatus.RESOLVED, "close", TicketStatus.CLOSED),
    (TicketStatus.RESOLVED, "reopen", TicketStatus.DISPATCHED),
    (TicketStatus.RESOLVED, "return_visit", TicketStatus.RESOLVED),
    (TicketStatus.REGISTERED, "reject", TicketStatus.REJECTED),
    (TicketStatus.DISPATCHED, "reject", TicketStatus.REJECTED),
    (TicketStatus.ON_SITE, "reject", TicketStatus.REJECTED),
    (TicketStatus.REGISTERED, "mark_duplicate", TicketStatus.DUPLICATE),
    (TicketStatus.DISPATCHED, "mark_duplicate", TicketStatus.DUPLICATE),
)

_BY_FROM: dict[tuple[TicketStatus, str], TicketStatus] = {(f, a): t for f, a, t in TRANSITIONS}


def target(status: TicketStatus, action: str) -> TicketStatus | None:
    return _BY_FROM.get((status, action))


def allowed_actions(status: TicketStatus) -> list[str]:
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
    "return_visit": (("ticket", "feedback"),),
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
    "close": "recordReturnVisit",
    "reopen": "recordReturnVisit",
    "return_visit": "recordReturnVisit",
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
    "return_visit": "回访",
    "reject": "退回",
    "mark_duplicate": "标记重复",
}
