from __future__ import annotations

from schema.loaders import ByIdLoader, ManyByLoader
from server.geo.models import Jurisdiction


class JurisdictionByIdLoader(ByIdLoader):
    model = Jurisdiction


class JurisdictionsByParentLoader(ManyByLoader):
    model = Jurisdiction
    key_field = "parent_id"
