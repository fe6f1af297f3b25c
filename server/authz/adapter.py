"""A Casbin adapter on a Tortoise model (casbin_rule). Writes join the caller's transaction:
Tortoise routes queries inside `in_transaction()` to that transaction."""

from __future__ import annotations

from typing import Any

from casbin.persist.adapters.asyncio import AsyncAdapter

from server.authz.models import CasbinRule

COLUMNS = ("v0", "v1", "v2", "v3", "v4", "v5")


def _load_tokens(tokens: list[str], model: Any) -> None:
    """casbin.persist.load_policy_line, for values that are already split (no CSV quoting)."""
    key = tokens[0]
    sec = key[0]
    if sec in model.model and key in model.model[sec]:
        model.model[sec][key].policy.append(tokens[1:])


def _row(ptype: str, rule: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return {"ptype": ptype, **dict(zip(COLUMNS, rule, strict=False))}


class TortoiseAdapter(AsyncAdapter):
    async def load_policy(self, model: Any) -> None:
        for ptype, *values in await CasbinRule.all().order_by("id").values_list("ptype", *COLUMNS):
            tokens = [ptype] + [v for v in values if v != ""]
            _load_tokens(tokens, model)

    async def save_policy(self, model: Any) -> bool:
        await CasbinRule.all().delete()
        rows = []
        for sec in ("p", "g"):
            for ptype, assertion in model.model.get(sec, {}).items():
                rows += [CasbinRule(**_row(ptype, rule)) for rule in assertion.policy]
        await CasbinRule.bulk_create(rows)
        return True

    async def add_policy(self, sec: str, ptype: str, rule: list[str]) -> None:
        await CasbinRule.create(**_row(ptype, rule))

    async def add_policies(self, sec: str, ptype: str, rules: list[list[str]]) -> None:
        await CasbinRule.bulk_create([CasbinRule(**_row(ptype, rule)) for rule in rules])

    async def remove_policy(self, sec: str, ptype: str, rule: list[str]) -> bool:
        return bool(await CasbinRule.filter(**_row(ptype, rule)).delete())

    async def remove_policies(self, sec: str, ptype: str, rules: list[list[str]]) -> bool:
        removed = 0
        for rule in rules:
            removed += await CasbinRule.filter(**_row(ptype, rule)).delete()
        return removed > 0

    async def remove_filtered_policy(
        self, sec: str, ptype: str, field_index: int, *field_values: str
    ) -> bool:
        filters = {"ptype": ptype}
        for offset, value in enumerate(field_values):
            if value:
                filters[COLUMNS[field_index + offset]] = value
        return bool(await CasbinRule.filter(**filters).delete())
