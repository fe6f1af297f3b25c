"""Names vulture reports as unused that are used, by a framework or by tests.

Checked by `make deadcode` (settings in pyproject.toml). Before adding a name here, make sure
nothing should call it; if nothing does, delete the code instead.
"""

# ruff: noqa: B018, E501, F821 - bare names are how vulture reads a whitelist
# mypy: ignore-errors
_ = object()  # vulture's whitelist form: an attribute access on any object counts as a use

# Tortoise model fields and relations: the ORM and the migrations read and write them by name.
created_at  # server/auth/models.py, server/proposals/models.py, server/staff/models.py, server/stations/models.py, server/tickets/models.py
failures  # server/auth/models.py
locked_until  # server/auth/models.py
secret_hash  # server/auth/models.py
changed_at  # server/authz/models.py
v0  # server/authz/models.py
v1  # server/authz/models.py
v2  # server/authz/models.py
v3  # server/authz/models.py
v4  # server/authz/models.py
v5  # server/authz/models.py
generated_name  # server/geo/models.py
town_kind  # server/geo/models.py
updated_by  # server/calendar/models.py (read back in the audit trail)
assigned_at  # server/proposals/models.py
completed_at  # server/proposals/models.py
contacted_by  # server/proposals/models.py
delegation  # server/proposals/models.py
rated_at  # server/proposals/models.py
submitted_at  # server/proposals/models.py
citizen_satisfied  # server/tickets/models.py
replied_by  # server/proposals/models.py
responsible_unit  # server/proposals/models.py
work_phone  # server/staff/models.py
RequestRate  # server/stats/models.py
window_start  # server/stats/models.py
anonymised_at  # server/tickets/models.py
citizen_feedback  # server/tickets/models.py
duplicate_of  # server/tickets/models.py
escalated_at  # server/tickets/models.py
last_number  # server/tickets/models.py

# GraphQL object, input and error fields: strawberry reads them by name (they are the schema).
actions  # schema/auth/types.py
api_key_scopes  # schema/auth/types.py
jurisdiction_code  # schema/auth/types.py
jurisdiction_codes  # schema/auth/types.py
me  # schema/auth/types.py
retry_after_seconds  # schema/auth/types.py
role_label  # schema/auth/types.py
roles  # schema/auth/types.py
current_ticket_status  # schema/errors.py
current_proposal_status  # schema/errors.py
action_label  # schema/tickets/types.py
response_time_label  # schema/calendar/types.py
resolution_time_label  # schema/calendar/types.py
removed_id  # schema/attachments/mutations.py
thumbnail_url  # schema/attachments/types.py
_.is_type_of  # schema/geo/types.py, schema/proposals/types.py, schema/staff/types.py, schema/stations/types.py, schema/tickets/types.py
generated_name  # schema/geo/types.py
town_kind  # schema/geo/types.py
end_cursor  # schema/pagination.py
has_next_page  # schema/pagination.py
has_previous_page  # schema/pagination.py
page_info  # schema/pagination.py
start_cursor  # schema/pagination.py
erased_at  # schema/privacy/types.py
fields_mentioning_phone  # schema/privacy/types.py
final_at  # schema/privacy/types.py
forced  # schema/privacy/types.py
held_as_reporter  # schema/privacy/types.py
tickets_anonymised  # schema/privacy/types.py
current_status_label  # schema/proposals/errors.py
assigned_at  # schema/proposals/types.py
automatic  # schema/proposals/types.py
completed_at  # schema/proposals/types.py
contacted_by  # schema/proposals/types.py
delegation  # schema/proposals/types.py
lead_unit_only  # schema/proposals/types.py
on_time  # schema/proposals/types.py
rated_at  # schema/proposals/types.py
replied_by  # schema/proposals/types.py
revision  # schema/proposals/types.py
written_at  # schema/proposals/types.py
written_by  # schema/proposals/types.py
FLOOR_AREA_DESC  # schema/stations/filters.py
ID_DESC  # schema/stations/filters.py
NAME_ASC  # schema/stations/filters.py
NAME_DESC  # schema/stations/filters.py
OPENED_ON_ASC  # schema/stations/filters.py
OPENED_ON_DESC  # schema/stations/filters.py
created_at  # schema/stations/types.py
enforcement_share  # schema/stats/queries.py, schema/tickets/figures.py
kind_label  # schema/stats/queries.py
management_share  # schema/stats/queries.py, schema/tickets/figures.py
method_split  # schema/stats/queries.py
resolution_time  # schema/stats/queries.py
response_time  # schema/stats/queries.py
service_share  # schema/stats/queries.py, schema/tickets/figures.py
station_targets  # schema/stats/queries.py
status_label  # schema/stats/queries.py
target_enforcement_share  # schema/stats/queries.py, schema/tickets/figures.py
target_management_share  # schema/stats/queries.py, schema/tickets/figures.py
target_service_share  # schema/stats/queries.py, schema/tickets/figures.py
tickets_overdue  # schema/stats/queries.py
tickets_received  # schema/stats/queries.py
tickets_resolved  # schema/stats/queries.py
STATION  # schema/tickets/figures.py
deviation_from_target  # schema/tickets/figures.py
DUE_FIRST  # schema/tickets/filters.py
OLDEST_FIRST  # schema/tickets/filters.py
escalated_at  # schema/tickets/types.py

# Framework hooks: strawberry and Starlette call these methods and read these attributes
# (extensions, the GraphQL app class, the request context).
_.on_operation  # schema/schema.py (OperationSteps)
_.on_execute  # schema/schema.py (OperationSteps)
_._process_result  # schema/schema.py: MaskErrors calls it on the result
_.on_parse  # schema/schema.py (OperationSteps)
_.on_validate  # schema/schema.py (OperationSteps)
_.pre_execution_errors  # schema/schema.py: strawberry reads the validation errors there
connection_params  # schema/context.py
_.enter_field  # schema/limits.py
_.enter_operation_definition  # schema/limits.py
_.enter_directive  # schema/planner/plan.py (a graphql-core Visitor)
_.anonymise_error  # schema/schema.py
_.process_errors  # schema/schema.py
_.execute_single  # lianxin/app.py
_.get_context  # lianxin/app.py
graphql_transport_ws_handler_class  # lianxin/app.py
websocket_adapter_class  # lianxin/app.py
_.decode_json  # lianxin/app.py (JSON through orjson)
_.encode_json  # lianxin/app.py
_.send_json  # lianxin/app.py (WebSocket messages as text frames)
sub_response  # lianxin/app.py
_._body  # lianxin/app.py (Starlette's cache of a request body, which its form parser reads)

# casbin's Adapter interface: the enforcer calls these when policy is saved or edited.
_.add_policy  # server/authz/adapter.py
_.remove_filtered_policy  # server/authz/adapter.py
_.remove_policies  # server/authz/adapter.py
_.remove_policy  # server/authz/adapter.py
_.save_policy  # server/authz/adapter.py

# Fields the GraphQL layer copies from the service's records by name (schema/privacy).
fields_mentioning_phone  # server/privacy/requests.py
final_at  # server/privacy/requests.py
forced  # server/privacy/requests.py
held_as_reporter  # server/privacy/requests.py

# Enum members kept in stored data and exposed in the schema, though no code names them.
RETURNED  # server/enums.py
AFTER  # server/proposals/vocabulary.py
BEFORE  # server/proposals/vocabulary.py
DURING  # server/proposals/vocabulary.py

# Tortoise reads an engine module's client_class (server.database names server.postgres_client).
client_class  # server/postgres_client.py
_.connection_class  # server/postgres_client.py (asyncpg builds its pool with it)
_.get_reset_query  # server/postgres_client.py (asyncpg calls it on release)
_._in_transaction  # server/postgres_client.py (Tortoise's in_transaction() calls it)
_._computed  # schema/planner/plan.py (called by the builders each plan writes out)
_.absent  # schema/planner/plan.py (the same)
_.pure  # schema/planner/plan.py (the same)

# The tortoise CLI reads TORTOISE_ORM (make migrations).
TORTOISE_ORM  # server/database.py

# Read by tests that check a rule over the whole code (every route through the pipeline, every
# personal field inventoried, how many subscribers a broker holds).
served_through_pipeline  # server/pipeline.py
APPEND_ONLY_TABLES  # server/privacy/inventory.py
NOT_PERSONAL  # server/privacy/inventory.py
_.subscriber_count  # server/tickets/events.py

# Imported for the type checker only, named in a string annotation (a TypeVar's bound).
DataclassInstance  # schema/privacy/queries.py

# Return visits and the three rates: GraphQL fields strawberry serves by name, enum members chosen by
# clients, the model's staff relation, and the sweep the scheduled work runs (tests call it too).
response_rate  # schema/stats/rates.py
resolution_rate  # schema/stats/rates.py
satisfaction_rate  # schema/stats/rates.py
SMS  # server/enums.py
WECHAT  # server/enums.py
visited_by  # server/tickets/models.py
close_unreachable  # server/tickets/visits.py

# Called by migrations (which vulture does not read) to add policy lines to an existing database.
add_policy_lines  # server/authz/policy_lines.py
remove_policy_lines  # server/authz/policy_lines.py
# The password change: a GraphQL field strawberry serves by name.
sessions_ended  # schema/auth/types.py
# Documents: GraphQL fields strawberry serves by name, and attributes python-docx and openpyxl read
# when they write the file (page size, alignment, indents, properties, cell types and formats).
docx_path  # schema/documents/types.py
pdf_path  # schema/documents/types.py
_.page_height  # server/documents/office.py
_.page_width  # server/documents/office.py
_.alignment  # server/documents/office.py
_.first_line_indent  # server/documents/office.py
_.last_modified_by  # server/documents/office.py
_.data_type  # server/documents/xlsx.py
_.number_format  # server/documents/xlsx.py
_.freeze_panes  # server/documents/xlsx.py
_.legend  # server/documents/xlsx.py
# Notifications and webhooks: model fields the ORM writes by name (fanned_out_at is read in filters
# by keyword, the others are the delivery log's and inbox's columns), and GraphQL fields strawberry
# serves by name.
fanned_out_at  # server/notifications/models.py
outbox  # server/notifications/models.py
outbox_id  # server/notifications/models.py
recipient  # server/notifications/models.py
recipient_masked  # server/notifications/models.py
department_code  # schema/notifications/types.py
attempt_log  # schema/notifications/types.py
unread_count  # schema/notifications/types.py, schema/notifications/mutations.py
preferences  # schema/notifications/mutations.py
retried_dead_deliveries  # schema/notifications/mutations.py
# OpenTelemetry's SDK calls a span processor's on_start(span, parent_context=…) by keyword.
_.on_start  # server/tracing.py
parent_context  # server/tracing.py
