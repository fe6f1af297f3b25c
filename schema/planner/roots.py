"""The Query fields a plan may start from, each bound to its arguments as its resolver binds them
(schema/tickets/queries.py, schema/stations/queries.py): a list with its filters and page, or one
ticket by number. Arguments the resolver would refuse, and filters not written here, are left to
the resolver (Decline)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import FieldNode, GraphQLError, GraphQLObjectType
from graphql.execution.values import get_argument_values

from schema.bounds import within_bounds
from schema.ids import filter_id
from schema.limits import current_budget
from schema.pagination import Page, page_size
from schema.planner.plan import Compiler, Decline, Loaded, Node, Run, _read_of, _unwrap
from server import planned
from server.stations import reads as station_reads
from server.tickets import reads as ticket_reads

# What a list's arguments become: its conditions, its order (ORM form) and its page.
Bound = tuple[planned.Where, tuple[str, ...], "Page"]

TICKET_FILTERS = {
    "status",
    "source",
    "jurisdictionId",
    "stationId",
    "categoryId",
    "registeredFrom",
    "registeredTo",
    "assigneeId",
    "departmentId",
    "overdue",
    "dueBefore",
    "escalated",
}
STATION_FILTERS = {"kind", "status", "level", "jurisdictionId", "proposalId", "search"}


def bounded(gfield: Any, node: FieldNode, variables: Any) -> dict[str, Any]:
    """The field's arguments, when they pass the bounds its resolver checks first (schema.bounds);
    out of bounds, the resolver answers (a typed refusal)."""
    found = get_argument_values(gfield, node, variables)
    if not within_bounds(gfield, found):
        raise Decline("arguments out of bounds")
    return found


def _value(value: Any) -> Any:
    return getattr(value, "value", value)


def _page(run: Run, args: dict[str, Any], model: Any, order: tuple[str, ...]) -> Page:
    try:
        limit = page_size(args.get("first"))
        page = Page(limit, args.get("after"), planned.keyset_for(model, order))
    except GraphQLError:
        raise Decline("a page size or cursor the resolver refuses") from None
    if limit == 0:
        raise Decline("an empty page")
    budget = current_budget.get()
    if budget is not None:
        if budget.left < limit:
            raise Decline("over the row budget")
        budget.left -= limit  # given back if the plan declines later (Planner.answer)
    return page


def _ids(filters: dict[str, Any], names: dict[str, tuple[str, str]]) -> dict[str, int | None]:
    try:
        return {
            python: filter_id(filters.get(graphql), type_name, graphql)
            for graphql, (python, type_name) in names.items()
        }
    except GraphQLError:
        raise Decline("an ID the resolver refuses") from None


def bind_tickets(run: Run, args: dict[str, Any]) -> Bound:
    filters = args.get("filter") or {}
    if set(filters) - TICKET_FILTERS:
        raise Decline("a ticket filter not planned")
    ids = _ids(
        filters,
        {
            "jurisdictionId": ("within_id", "Jurisdiction"),
            "stationId": ("station_id", "Station"),
            "categoryId": ("category_id", "TicketCategory"),
            "assigneeId": ("assignee_id", "Staff"),
            "departmentId": ("department_id", "Department"),
        },
    )
    where = ticket_reads.where(
        run.authz,
        status=_value(filters.get("status")),
        source=_value(filters.get("source")),
        registered_from=filters.get("registeredFrom"),
        registered_to=filters.get("registeredTo"),
        overdue=filters.get("overdue"),
        due_before=filters.get("dueBefore"),
        escalated=filters.get("escalated"),
        **ids,
    )
    if where is None:
        raise Decline("tickets refused to this caller, or a filter the resolver refuses")
    order = ticket_reads.ORDERS[_value(args.get("order") or "NEWEST_FIRST")]
    return where, order, _page(run, args, ticket_reads.MODEL, order)


def bind_stations(run: Run, args: dict[str, Any]) -> Bound:
    filters = args.get("filter") or {}
    if set(filters) - STATION_FILTERS or filters.get("search"):
        raise Decline("a station filter not planned")
    scope = run.authz.scope("station", "read")
    if scope.empty:
        raise Decline("stations refused to this caller")
    ids = _ids(
        filters, {"jurisdictionId": ("within_id", "Jurisdiction"), "proposalId": ("proposal_id", "Proposal")}
    )
    where = station_reads.where(
        scope,
        kind=_value(filters.get("kind")),
        status=_value(filters.get("status")),
        level=_value(filters.get("level")),
        **ids,
    )
    order = station_reads.ORDERS[_value(args.get("order") or "ID_ASC")]
    return where, order, _page(run, args, station_reads.MODEL, order)


class ConnectionRoot:
    """A connection (totalCount, nodes, edges, pageInfo) over one page of rows."""

    def __init__(
        self,
        compiler: Compiler,
        gfield: Any,
        nodes: list[FieldNode],
        model: Any,
        bind: Callable[[Run, dict[str, Any]], Bound],
        orders: Mapping[str, tuple[str, ...]],
    ) -> None:
        self.gfield, self.field_node, self.bind, self.model = gfield, nodes[0], bind, model
        if len(nodes) != 1:
            raise Decline("a list field asked twice under one name")
        connection: GraphQLObjectType = _unwrap(gfield.type)[0]
        self.parts: list[tuple[str, str, Any]] = []  # (response key, what, detail)
        self.node: Node | None = None
        self.total = False
        for key, field_nodes in compiler.collect(connection, [self.field_node.selection_set]).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                self.parts.append((key, "typename", connection.name))
            elif name == "totalCount":
                self.total = True
                self.parts.append((key, "total", None))
            elif name == "nodes":
                self._set_node(compiler, connection.fields["nodes"], field_nodes, model)
                self.parts.append((key, "nodes", None))
            elif name == "edges":
                edge: GraphQLObjectType = _unwrap(connection.fields["edges"].type)[0]
                edge_parts: list[tuple[str, str]] = []
                for edge_key, edge_nodes in compiler.collect(
                    edge, [n.selection_set for n in field_nodes]
                ).items():
                    edge_name = edge_nodes[0].name.value
                    if edge_name == "node":
                        self._set_node(compiler, edge.fields["node"], edge_nodes, model)
                    elif edge_name not in ("cursor", "__typename"):
                        raise Decline(f"{edge.name}.{edge_name}")
                    edge_parts.append((edge_key, edge_name))
                self.parts.append((key, "edges", (edge.name, edge_parts)))
            elif name == "pageInfo":
                info: GraphQLObjectType = _unwrap(connection.fields["pageInfo"].type)[0]
                info_parts = [
                    (k, n[0].name.value)
                    for k, n in compiler.collect(info, [x.selection_set for x in field_nodes]).items()
                ]
                self.parts.append((key, "pageInfo", (info.name, info_parts)))
            else:
                raise Decline(f"{connection.name}.{name}")
        if self.node is not None:
            self.node.columns.extend(_cursor_columns(model, orders))
            self.node.finish()

    def _node(self) -> Node:
        if self.node is None:
            raise Decline("no nodes asked")
        return self.node

    def _set_node(self, compiler: Compiler, gfield: Any, nodes: list[FieldNode], model: Any) -> None:
        if self.node is not None:
            raise Decline("nodes and edges both asked")
        self.node = compiler.node(_unwrap(gfield.type)[0], nodes, model)

    async def run(self, run: Run, variables: Any, key: str) -> Any:
        where, order, page = self.bind(run, bounded(self.gfield, self.field_node, variables))
        if self.total and page.after is not None:
            raise Decline("totalCount with a keyset cursor")  # the window would count the rest only
        if page.after is not None and page.keyset is not None:
            condition, values = planned.after_keys(self.model, page.keyset.keys, page.after)
            where.add(condition, *values)
        limit = page.limit
        loaded: list[Loaded] = []
        total = 0
        rows_read = 0
        if self.node is not None or self.total:
            node = self.node or _id_only(self.model)
            text, rendered = planned.page_statement(
                _read_of(node), run.scope, where.sql(), planned.ordering(order), total=self.total
            )
            params = [*where.params, limit + 1, page.offset, *rendered.params]
            rows = await planned.fetch(text, params)
            rows_read = len(rows)
            if self.total:
                if not rows and page.offset:
                    raise Decline("totalCount past the last page")
                total = rows[0][-1] if rows else 0
            for row in rows[:limit]:
                item = run.take(node, row, None)
                if item is not None:
                    loaded.append(item)
            if self.node is not None:
                await run.fill(self.node, loaded)
        has_next = rows_read > limit
        answer: dict[str, Any] = {}
        for part_key, what, detail in self.parts:
            if what == "typename":
                answer[part_key] = detail
            elif what == "total":
                answer[part_key] = total
            elif what == "nodes":
                node = self._node()
                answer[part_key] = [
                    run.build(node, item, (((None, key), part_key), i)) for i, item in enumerate(loaded)
                ]
            elif what == "edges":
                edge_name, edge_parts = detail
                edges = []
                for i, item in enumerate(loaded):
                    edge: dict[str, Any] = {}
                    for edge_key, edge_field in edge_parts:
                        if edge_field == "cursor":
                            edge[edge_key] = page.cursor(item.obj, i)
                        elif edge_field == "node":
                            edge[edge_key] = run.build(
                                self._node(), item, ((((None, key), part_key), i), edge_key)
                            )
                        else:
                            edge[edge_key] = edge_name
                    edges.append(edge)
                answer[part_key] = edges
            else:
                info_name, info_parts = detail
                answer[part_key] = {
                    info_key: _page_info(info_field, info_name, page, loaded, has_next)
                    for info_key, info_field in info_parts
                }
        return answer


def _page_info(field: str, type_name: str, page: Page, loaded: list[Loaded], has_next: bool) -> Any:
    if field == "hasNextPage":
        return has_next
    if field == "hasPreviousPage":
        return page.has_previous
    if field == "startCursor":
        return page.cursor(loaded[0].obj, 0) if loaded else None
    if field == "endCursor":
        return page.cursor(loaded[-1].obj, len(loaded) - 1) if loaded else None
    if field == "__typename":
        return type_name
    raise Decline(f"PageInfo.{field}")


class TicketRoot:
    """`ticket(number:)`: one row, its relations joined."""

    def __init__(self, compiler: Compiler, gfield: Any, nodes: list[FieldNode]) -> None:
        if len(nodes) != 1:
            raise Decline("a ticket asked twice under one name")
        self.gfield, self.field_node = gfield, nodes[0]
        self.node = compiler.node(_unwrap(gfield.type)[0], nodes, ticket_reads.MODEL)
        self.node.finish()

    async def run(self, run: Run, variables: Any, key: str) -> Any:
        number = bounded(self.gfield, self.field_node, variables).get("number")
        seen = ticket_reads.visible(run.authz)
        if seen is None or not isinstance(number, str) or len(number) > 32 or "\x00" in number:
            raise Decline("a ticket the resolver refuses")
        where = planned.Where()
        where.add(seen[0], *seen[1])
        where.equal(ticket_reads.MODEL, "number", number)
        text, rendered = planned.page_statement(
            _read_of(self.node), run.scope, where.sql(), [("id", False)], total=False
        )  # a number is unique: one row at most
        rows = await planned.fetch(text, [*where.params, 1, 0, *rendered.params])
        if not rows:
            raise Decline("no such ticket: the resolver answers NOT_FOUND")
        item = run.take(self.node, rows[0], None)
        if item is None:
            raise Decline("no such ticket")
        await run.fill(self.node, [item])
        return run.build(self.node, item, (None, key))


_ID_ONLY: dict[Any, Node] = {}


def _id_only(model: Any) -> Node:
    """Only the ids: a connection asked for its totalCount alone."""
    node = _ID_ONLY.get(model)
    if node is None:
        node = _ID_ONLY[model] = Node(model.__name__, model, None)
        node.finish()
    return node


def _cursor_columns(model: Any, orders: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The sort columns a keyset cursor of any of the list's orders carries (Keyset.encode)."""
    keysets = (planned.keyset_for(model, order) for order in orders.values())
    return list(dict.fromkeys(key.column for keyset in keysets if keyset is not None for key in keyset.keys))


def compile_root(compiler: Compiler, gfield: Any, name: str, nodes: list[FieldNode]) -> Any:
    if name == "tickets":
        return ConnectionRoot(compiler, gfield, nodes, ticket_reads.MODEL, bind_tickets, ticket_reads.ORDERS)
    if name == "stations":
        return ConnectionRoot(
            compiler, gfield, nodes, station_reads.MODEL, bind_stations, station_reads.ORDERS
        )
    if name == "ticket":
        return TicketRoot(compiler, gfield, nodes)
    raise Decline(f"Query.{name}")
