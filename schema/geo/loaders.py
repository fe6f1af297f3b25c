from __future__ import annotations

from tortoise.expressions import Q

from schema.loaders import ByIdLoader, ManyByLoader, reference_q
from server.geo.models import Jurisdiction


class JurisdictionByIdLoader(ByIdLoader):
    model = Jurisdiction

    def visible(self) -> Q | None:
        return reference_q(self.ctx)


class JurisdictionsByParentLoader(ManyByLoader):
    model = Jurisdiction
    key_field = "parent_id"

    def visible(self) -> Q | None:
        return reference_q(self.ctx)
