"""Item 1: the inventory of citizens' personal data is one definition in code
(server/privacy/inventory.py) that docs/personal-data.md must follow, and every field whose name
suggests personal data is classified."""

from __future__ import annotations

import re
from pathlib import Path

from tortoise.models import Model

from server.attachments.models import Attachment
from server.audit.models import ApiKeyUse, AuditEntry, PersonalDataAccess
from server.privacy.inventory import (
    APPEND_ONLY_TABLES,
    FREE_TEXT_FIELDS,
    MASKS,
    NOT_PERSONAL,
    PERSONAL_FIELDS,
)
from server.proposals.models import ProposalEvent
from server.tickets.models import ReturnVisit, Ticket, TicketEvent

DOC = (Path(__file__).parents[2] / "docs" / "personal-data.md").read_text(encoding="utf-8")
SOUNDS_PERSONAL = re.compile(
    r"name|phone|reporter|citizen|feedback|comment|note|reason|description|address|contact|id_number|"
    r"data|before|after|email|birth|gender"
)
# Ticket and its history, and every append-only table (what is written there is never erased)
MODELS: list[type[Model]] = [
    Ticket,
    TicketEvent,
    ReturnVisit,
    AuditEntry,
    ProposalEvent,
    PersonalDataAccess,
    ApiKeyUse,
    Attachment,
]


def _fields(model: type[Model]) -> set[str]:
    return set(model._meta.fields_map)


def test_the_document_names_every_personal_and_free_text_field() -> None:
    listed = [
        f"{model}.{field}"
        for table in (PERSONAL_FIELDS, FREE_TEXT_FIELDS, NOT_PERSONAL)
        for model, fields in table.items()
        for field in fields
    ]
    assert listed
    missing = [name for name in listed if f"`{name}`" not in DOC]
    assert missing == []
    assert [t for t in APPEND_ONLY_TABLES if f"`{t}`" not in DOC] == []


def test_the_inventory_names_real_fields_and_masks_every_personal_one() -> None:
    by_name = {m.__name__: m for m in MODELS}
    for table in (PERSONAL_FIELDS, FREE_TEXT_FIELDS, NOT_PERSONAL):
        for model, fields in table.items():
            assert set(fields) <= _fields(by_name[model]), (model, set(fields) - _fields(by_name[model]))
    assert {f for fields in PERSONAL_FIELDS.values() for f in fields} <= set(MASKS)


def test_every_field_that_sounds_personal_is_classified() -> None:
    unclassified = []
    for model in MODELS:
        name = model.__name__
        classified = (
            set(PERSONAL_FIELDS.get(name, ()))
            | set(FREE_TEXT_FIELDS.get(name, ()))
            | set(NOT_PERSONAL.get(name, {}))
        )
        unclassified += [
            f"{name}.{field}"
            for field in sorted(_fields(model))
            if SOUNDS_PERSONAL.search(field) and field not in classified and not field.endswith("_id")
        ]
    assert unclassified == []
