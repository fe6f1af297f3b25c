from __future__ import annotations

import strawberry
from strawberry import relay

from schema.enums import JurisdictionLevel, TownKind
from schema.geo.loaders import JurisdictionByIdLoader, JurisdictionsByParentLoader
from schema.planner.fields import REFERENCE, ToMany, ToOne, label, planned
from schema.rows import RowType
from server.enums import label_zh
from server.geo.models import Jurisdiction as JurisdictionModel


@strawberry.type(description="A jurisdiction: the city, a town/street/park, or a village/community.")
class Jurisdiction(RowType, relay.Node):
    row_model = JurisdictionModel

    id: relay.NodeID[int]
    code: str = strawberry.field(description="Path from the city down, e.g. dongguan/changan/xiagang")
    name: str = strawberry.field(description="Chinese name, e.g. 长安镇")
    name_en: str
    level: JurisdictionLevel
    town_kind: TownKind | None
    generated_name: bool = strawberry.field(
        description="True when the name is a plainly generated demo name, not a real one."
    )

    @strawberry.field(description="Chinese label of the level, e.g. 镇街/园区.", metadata=label("level"))
    def level_label(self) -> str | None:
        return label_zh(self.level)

    @strawberry.field(metadata=planned(ToOne("parent_id", REFERENCE)))
    def parent(
        self, root: strawberry.Parent[JurisdictionModel], info: strawberry.Info
    ) -> Jurisdiction | None:
        parent_id = root.parent_id
        if parent_id is None:
            return None
        return info.context.load(JurisdictionByIdLoader, parent_id)

    @strawberry.field(
        description="The jurisdictions directly beneath this one.",
        metadata=planned(ToMany("parent_id", REFERENCE)),
    )
    def children(self, info: strawberry.Info) -> list[Jurisdiction]:
        return info.context.load(JurisdictionsByParentLoader, self.id)
