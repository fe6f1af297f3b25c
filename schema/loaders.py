"""Request-scoped DataLoaders, named <Target>By<Key>Loader, built lazily per request.

Each batches with one `filter(key__in=keys)` (run by server.batch) and returns results in key
order. Each also applies the caller's visibility for its model as a SQL condition (`visible`), so
related objects and `node(id:)` obey the same rules as lists: an object outside the caller's
scope loads as None.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from strawberry.dataloader import DataLoader
from tortoise.expressions import Q

from server import batch

if TYPE_CHECKING:
    from schema.context import Context


class _Scoped:
    ctx: Context

    def visible(self) -> Q | None:
        """SQL condition for rows the caller may see; None when it may see none."""
        return Q()


class ByIdLoader(_Scoped, DataLoader[int, Any]):
    model: ClassVar[type[Any]]

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[int]) -> list[Any]:
        return await batch.by_id(self.model, self.visible(), keys)


class ManyByLoader(_Scoped, DataLoader[int, list[Any]]):
    """All visible rows whose `key_field` equals each key, in the model's default order."""

    model: ClassVar[type[Any]]
    key_field: ClassVar[str]

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[int]) -> list[list[Any]]:
        return await batch.many_by(self.model, self.key_field, self.visible(), keys)


def scope_q(ctx: Context, obj: str, field: str = "jurisdiction") -> Q | None:
    scope = ctx.authz.scope(obj, "read")
    return None if scope.empty else scope.where(field)


class Loaders:
    """One instance per request; each loader is created on first use."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._made: dict[type, DataLoader[Any, Any]] = {}

    def get(self, loader_class: type[Any]) -> DataLoader[Any, Any]:
        loader = self._made.get(loader_class)
        if loader is None:
            loader = self._made[loader_class] = loader_class(self.ctx)
        return loader


def reference_q(ctx: Context) -> Q | None:
    """Reference data (jurisdictions, departments, categories, deputies) is all or nothing."""
    return None if ctx.authz.scope("reference", "read").empty else Q()
