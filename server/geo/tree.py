"""The jurisdiction tree in memory: ~650 rows that change only with demo loads and migrations.

Authorization turns "jurisdictions where the caller holds a permission" into id sets here, so
that enforcement adds no SQL statement of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server.geo.models import Jurisdiction


@dataclass
class JurisdictionTree:
    code_by_id: dict[int, str] = field(default_factory=dict)
    id_by_code: dict[str, int] = field(default_factory=dict)
    _within_cache: dict[tuple[str, ...], frozenset[int]] = field(default_factory=dict)

    @classmethod
    async def load(cls) -> JurisdictionTree:
        rows = await Jurisdiction.all().values_list("id", "code")
        tree = cls()
        for jid, code in rows:
            tree.code_by_id[jid] = code
            tree.id_by_code[code] = jid
        return tree

    def ids_within(self, codes: tuple[str, ...]) -> frozenset[int]:
        """Ids of the jurisdictions at or beneath any of `codes`."""
        cached = self._within_cache.get(codes)
        if cached is None:
            prefixes = tuple(c + "/" for c in codes)
            cached = frozenset(
                jid for jid, code in self.code_by_id.items() if code in codes or code.startswith(prefixes)
            )
            self._within_cache[codes] = cached
        return cached

    def code(self, jurisdiction_id: int) -> str | None:
        return self.code_by_id.get(jurisdiction_id)
