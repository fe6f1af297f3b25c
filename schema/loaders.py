"""Request-scoped DataLoaders, named <Target>By<Key>Loader, built lazily per request.

Each batches with one `filter(key__in=keys)` and returns results in key order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, ClassVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model


class ByIdLoader(DataLoader[int, Any]):
    model: ClassVar[type[Model]]

    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[int]) -> list[Any]:
        rows = await self.model.filter(id__in=list(set(keys)))
        by_id = {row.pk: row for row in rows}
        return [by_id.get(key) for key in keys]


class ManyByLoader(DataLoader[int, list[Any]]):
    """All rows whose `key_field` equals each key, in the model's default order."""

    model: ClassVar[type[Model]]
    key_field: ClassVar[str]

    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[int]) -> list[list[Any]]:
        rows = await self.model.filter(**{f"{self.key_field}__in": list(set(keys))})
        grouped: dict[int, list[Any]] = defaultdict(list)
        for row in rows:
            grouped[getattr(row, self.key_field)].append(row)
        return [grouped.get(key, []) for key in keys]


class Loaders:
    """One instance per request; each loader is created on first use."""

    def __init__(self) -> None:
        self._made: dict[type, DataLoader[Any, Any]] = {}

    def get(self, loader_class: type[DataLoader[Any, Any]]) -> DataLoader[Any, Any]:
        loader = self._made.get(loader_class)
        if loader is None:
            loader = self._made[loader_class] = loader_class()
        return loader
