"""GraphQL object types served straight from Tortoise rows.

Resolvers return model rows as they are, not instances of the strawberry type. Two things follow:

- strawberry must be told which GraphQL type a row is (for `node(id:)`, interfaces and unions):
  the type inherits `RowType` and names its model in `row_model`, and the shared `is_type_of`
  accepts the type's own instances and rows of that model;
- a resolver that reads a column the GraphQL type does not declare (a foreign key's `…_id`)
  takes the row as a typed parent, `root: strawberry.Parent[models.Staff]`, instead of reading
  it off `self` (which mypy rightly knows as the strawberry type).

    @strawberry.type
    class Staff(RowType, relay.Node):
        row_model = models.Staff

        @strawberry.field
        def jurisdiction(self, root: strawberry.Parent[models.Staff], info: strawberry.Info) -> ...:
            return info.context.load(JurisdictionByIdLoader, root.jurisdiction_id)
"""

from __future__ import annotations

from typing import ClassVar

from graphql import GraphQLResolveInfo


class RowType:
    """Mixin for a strawberry object type whose values are rows of `row_model`."""

    # A Tortoise model class; typed as any class, since the GraphQL layer does not import Tortoise.
    row_model: ClassVar[type]

    @classmethod
    def is_type_of(cls, obj: object, info: GraphQLResolveInfo) -> bool:
        return isinstance(obj, (cls, cls.row_model))
