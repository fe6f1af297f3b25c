"""Relay global IDs: base64("TypeName:pk"). Decoding checks the type it was meant to name."""

from __future__ import annotations

from strawberry.relay import GlobalID

from server.errors import FieldProblem, NotFound, ValidationFailed


def to_global_id(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


# Types whose objects the API names by global ID (node(id:) fetches each of them).
NODE_TYPES = frozenset(
    {
        "Jurisdiction",
        "Department",
        "Staff",
        "Posting",
        "Station",
        "Proposal",
        "Deputy",
        "HandlingTask",
        "Ticket",
        "TicketCategory",
        "Attachment",  # named by global ID, fetched through its ticket or proposal (not node(id:))
    }
)


def public_id(type_name: str, object_id: object) -> str:
    """How the API names an object a service named by its database id: its global ID. Anything
    else (a number, a code, an ID as the caller typed it) is kept as it is."""
    text = str(object_id)
    if type_name in NODE_TYPES and text.isdigit():
        return to_global_id(type_name, int(text))
    return text


# Primary keys are 32-bit except these (64-bit); anything beyond cannot exist.
BIG_PK_TYPES = frozenset({"Ticket"})


def pk_in_range(type_name: str, pk: int) -> bool:
    return 0 < pk < (2**63 if type_name in BIG_PK_TYPES else 2**31)


def parse_global_id(value: str) -> tuple[str, int]:
    try:
        gid = GlobalID.from_id(value)
        pk = int(gid.node_id)
    except (ValueError, TypeError):
        raise NotFound("Node", value) from None
    if not pk_in_range(gid.type_name, pk):
        raise NotFound(gid.type_name, value)
    return gid.type_name, pk


def decode_id(value: str | None, type_name: str, field: str = "id") -> int:
    """The primary key inside `value`, which must be a global ID of `type_name`.

    A malformed ID or one of another type is a validation problem on `field`.
    """
    if value is None:
        raise ValidationFailed(problems=[FieldProblem(field, "is required", "REQUIRED")])
    try:
        gid = GlobalID.from_id(value)
        pk = int(gid.node_id)
    except (ValueError, TypeError):
        raise ValidationFailed(
            problems=[FieldProblem(field, f"{value!r} is not a valid {type_name} ID", "INVALID_ID")]
        ) from None
    if gid.type_name == type_name and not pk_in_range(type_name, pk):
        raise NotFound(type_name, value)
    if gid.type_name != type_name:
        raise ValidationFailed(
            problems=[
                FieldProblem(field, f"expected a {type_name} ID, got a {gid.type_name} ID", "INVALID_ID")
            ]
        )
    return pk


def decode_optional_id(value: str | None, type_name: str, field: str) -> int | None:
    """Like decode_id for an optional input field: absent is None, a bad ID a validation problem."""
    return None if value is None else decode_id(value, type_name, field)


def filter_id(value: str | None, type_name: str, field: str) -> int | None:
    """Like decode_id for optional filter arguments: a bad ID is a BAD_USER_INPUT query error."""
    if value is None:
        return None
    from schema.errors import client_error

    try:
        return decode_id(value, type_name, field)
    except ValidationFailed as exc:
        problem = exc.problems[0]
        raise client_error(f"{field}: {problem.message}", field=field) from None
