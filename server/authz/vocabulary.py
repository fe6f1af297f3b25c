"""The words a policy line may use. A line naming anything else is refused."""

from __future__ import annotations

ROLES = (
    "deputy",
    "congress-staff",
    "bureau-staff",
    "area-chief",
    "community-worker",
    "department-liaison",
    "data-sharing",
    "admin",
)

ROLE_LABELS = {
    "deputy": "人大代表",
    "congress-staff": "人大常委会工作人员",
    "bureau-staff": "市城管局工作人员",
    "area-chief": "城管片长",
    "community-worker": "社区工作人员",
    "department-liaison": "部门联络员",
    "data-sharing": "数据共享客户端",
    "admin": "系统管理员",
}

OBJECTS = (
    "reference",
    "station",
    "posting",
    "staff",
    "proposal",
    "own_proposal",
    "proposal_internal",
    "own_proposal_internal",
    "handling_task",
    "ticket",
    "department_ticket",
    "ticket_personal",
    "stats",
    "user",
    "policy",
    "api_key",
    "audit",
    "personal_data_request",  # a citizen's request about their personal data: report, erasure (PIPL)
    "work_calendar",  # holiday schedules and office hours (reading them is reference data)
    "escalation_rule",  # when open tickets are reminded and escalated (督办规则)
    "job",  # scheduled work: its runs and failures
    "ticket_category",  # a category's response and resolution times (reading it is reference data)
    "webhook",  # webhook subscriptions of departments' systems, their delivery log
    "own_webhook",  # the subscriptions one owns: of a data-sharing key one created
)

PROPOSAL_ACTIONS = (
    "submit",
    "withdraw",
    "register",
    "assign",
    "set_deadline",
    "extend_deadline",
    "flag_supervision",
    "plan",
    "reply",
    "rate",
    "contact",
    "close",
)

TICKET_ACTIONS = (
    "register",
    "dispatch",
    "reassign",
    "arrive",
    "resolve",
    "feedback",
    "close",
    "reopen",
    "transfer",
    "department_update",
    "reject",
    "mark_duplicate",
    "escalate",
)

ACTIONS = tuple(dict.fromkeys(("read", "create", "update", "erase", *PROPOSAL_ACTIONS, *TICKET_ACTIONS)))

# What a data-sharing key's scope may name: read-only objects.
API_KEY_SCOPES = (
    "station",
    "stats",
    "ticket",
    "department_ticket",
    "ticket_personal",
    "reference",
    "ticket_submit",  # the one write a key may be given: Open311 POST requests.json (source DEPARTMENT)
)
