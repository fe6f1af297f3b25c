"""Every field of a type on a hot path says how it is read: a column of its row model (no
resolver), or a plan in its metadata (schema/planner/fields.py), `NotPlanned` included. A field
added without one fails here, before it silently sends every query that selects it to the
resolvers."""

from __future__ import annotations

import pytest

from schema.planner.fields import PLAN, Computed, NotPlanned, ToMany, ToOne
from schema.schema import schema

HOT_TYPES = (
    "Ticket",
    "TicketEvent",
    "TicketCategory",
    "Station",
    "Posting",
    "Staff",
    "Department",
    "Jurisdiction",
)


@pytest.mark.parametrize("type_name", HOT_TYPES)
def test_every_field_says_how_it_is_read(type_name: str) -> None:
    definition = schema.get_type_by_name(type_name)
    model = getattr(definition.origin, "row_model", None)
    silent = []
    for field in definition.fields:
        declared = field.metadata.get(PLAN)
        if declared is not None:
            assert isinstance(declared, (Computed, ToOne, ToMany, NotPlanned)), field.name
            continue
        if field.base_resolver is not None and field.name != "_id":
            silent.append(field.name)
        elif model is not None and field.name not in ("id", "_id"):
            assert (
                field.python_name in model._meta.fields_map
                or field.python_name in model._meta.fields_db_projection
            ), f"{type_name}.{field.name} is no column of {model.__name__}"
    assert not silent, f"{type_name}: fields with a resolver and no plan: {silent}"


def test_a_field_without_a_plan_is_caught() -> None:
    """The check above can fail: a type with a resolver field and no metadata."""
    definition = schema.get_type_by_name("Proposal")  # not on a hot path: resolvers only
    assert any(f.base_resolver is not None and PLAN not in f.metadata for f in definition.fields)
