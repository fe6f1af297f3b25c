from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from server.enums import JurisdictionLevel, TownKind


class Jurisdiction(Model):
    """City → town/street/park → village/community.

    `code` is the path from the city down, slash-separated ("dongguan/changan/xiagang"),
    so "this jurisdiction and everything beneath it" is one indexed prefix match in SQL.
    """

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=200, unique=True)
    name = fields.CharField(max_length=100, description="Chinese name, e.g. 长安镇")
    name_en = fields.CharField(max_length=100, description="Romanised name, e.g. Chang'an")
    level = fields.CharEnumField(JurisdictionLevel, max_length=16, db_index=True)
    town_kind = fields.CharEnumField(TownKind, max_length=16, null=True)
    generated_name = fields.BooleanField(
        default=False, description="True for demo communities whose real name is not at hand"
    )
    parent: fields.ForeignKeyNullableRelation[Jurisdiction] = fields.ForeignKeyField(
        "lianxin.Jurisdiction", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None

    class Meta:
        table = "jurisdiction"
        ordering = ("code",)
