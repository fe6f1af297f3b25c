"""Plans: a validated query operation compiled once into a tree of reads (server.planned) and the
shape of its response; run per request with the caller's scopes and the request's arguments.

A plan answers only when it can answer exactly as the resolvers would. Whatever it cannot (a field
that declares no plan, an argument it does not take, a refusal the resolvers would raise, a
non-null field that would be null) raises `Decline`, and the resolvers answer instead: a plan miss,
counted and logged (`MISSES`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLIncludeDirective,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    located_error,
    visit,
)
from graphql.execution.values import VariableValues, get_directive_values
from graphql.language import Visitor

from schema.planner.fields import PLAN, REFERENCE, Computed, Relation, ToMany, ToOne
from server import planned
from server.authz.authorizer import NOWHERE, Scope
from server.errors import DomainError

log = logging.getLogger("lianxin.planner")

MISSES: Counter[str] = Counter()
HITS: Counter[str] = Counter()
EVERYWHERE = Scope(everywhere=True)


class Decline(Exception):
    """The planner leaves this operation to the resolvers; the message says why."""


def miss(reason: str) -> None:
    if reason not in MISSES:
        log.info("planner: left to the resolvers: %s (logged once per reason)", reason)
    MISSES[reason] += 1


class Row:
    """A row's decoded values as attributes, as a resolver reads a model instance."""


class Info:
    """What a field's resolver reads of strawberry.Info: the request's context."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


# What an Out is.
TYPENAME, COLUMN, GLOBAL_ID, COMPUTED, ONE, MANY = range(6)


def _unwrap(gtype: Any) -> tuple[Any, bool, bool]:
    """(named type, nullable, is a list)."""
    nullable = not isinstance(gtype, GraphQLNonNull)
    if not nullable:
        gtype = gtype.of_type
    is_list = isinstance(gtype, GraphQLList)
    while isinstance(gtype, (GraphQLList, GraphQLNonNull)):
        gtype = gtype.of_type
    return gtype, nullable, is_list


def _leaf(named: Any) -> Callable[[Any], Any]:
    """The leaf type's serializer, with plain values passed as they are."""
    if isinstance(named, GraphQLEnumType):
        return planned.remembered(named.serialize)
    plain = {"String": str, "ID": str, "Int": int, "Float": float, "Boolean": bool}.get(named.name)
    serialize = named.serialize
    if plain is None:
        return serialize

    def scalar(value: Any) -> Any:
        return value if type(value) is plain else serialize(value)

    return scalar


class Out:
    """One response key of an object."""

    __slots__ = (
        "attr",
        "call",
        "child",
        "index",
        "key",
        "kind",
        "nodes",
        "nullable",
        "pure",
        "serialize",
        "value",
    )

    def __init__(self, key: str, kind: int, nodes: list[FieldNode], nullable: bool = True) -> None:
        self.key, self.kind, self.nodes, self.nullable = key, kind, nodes, nullable
        self.attr = ""
        self.call: Callable[[Any, Any], Any] | None = None
        self.child: Node | None = None
        self.index = 0
        self.serialize: Callable[[Any], Any] | None = None
        self.value: Any = None
        # A pure computed field's answers by its column's value, shared by every run of the plan.
        self.pure: dict[Any, Any] | None = None


class Node:
    """What is read and answered of one object type at one place in the query."""

    def __init__(self, type_name: str, model: Any, declaration: Relation | None) -> None:
        self.type_name = type_name
        self.model = model
        self.declaration = declaration  # how the parent reaches it (its transform), if any
        self.fields: list[Out] = []
        self.columns: list[str] = list(declaration.columns) if declaration and declaration.transform else []
        self.ones: list[tuple[ToOne, Node]] = []
        self.manys: list[tuple[ToMany, Node]] = []
        self.read: planned.Read | None = None
        self.decoders: list[tuple[str, Callable[[Any], Any]]] = []
        self.offset = 0
        self.children: tuple[Node, ...] = ()
        self.transform: Callable[[Any, Any, Any], Any] | None = None
        self.taker: Callable[[Any, Sequence[Any], Any], Loaded | None] = _no_taker
        self.builder: Callable[[Any, Loaded, Any], dict[str, Any]] = _no_builder

    def finish(self, offset: int = 0) -> planned.Read:
        """Settle what is read, and where this node's columns start in its statement's rows."""
        self.offset = offset
        self.read = planned.Read(self.model, self.columns)
        start = offset + len(self.read.fields)
        for declaration, child in self.ones:
            read = child.finish(start)
            start += read.width()
            self.read.joins.append(
                planned.Join(declaration.fk, read, declaration.permission, declaration.latest_of)
            )
        self.decoders = [(f, planned.decoder(self.model, f)) for f in self.read.fields]
        self.children = tuple(child for _declaration, child in self.ones)
        self.transform = self.declaration.transform if self.declaration is not None else None
        self.taker = self._taker()
        for _declaration, child in self.manys:
            child.finish()
        self.builder = self._builder()
        return self.read

    def _builder(self) -> Callable[[Any, Loaded, Any], dict[str, Any]]:
        """`Run.build` for this node, written out once: one assignment per response key, in the
        query's order, the builders of its relations called directly. The text holds nothing but
        the response keys (GraphQL names) and the row's attribute names (Python identifiers);
        everything else is passed in by name. `path` is the object's place in the response as
        nested (parent, key) pairs, flattened only for an error (`flat`)."""
        namespace: dict[str, Any] = {"Decline": Decline, "GID": planned_global_id, "N": self}
        lines = ["def build(run, loaded, path):", "    obj = loaded.obj", "    out = {}"]
        for k, field in enumerate(self.fields):
            key = repr(field.key)
            namespace[f"F{k}"] = field
            if field.kind == COLUMN:
                namespace[f"S{k}"] = field.serialize
                lines += [f"    v = obj.{field.attr}", "    if v is not None:", f"        v = S{k}(v)"]
                if not field.nullable:
                    namespace[f"M{k}"] = f"{self.type_name}.{field.key} null"
                    lines += ["    else:", f"        raise Decline(M{k})"]
                lines.append(f"    out[{key}] = v")
            elif field.kind == COMPUTED and field.pure is not None:
                namespace[f"P{k}"] = field.pure
                lines += [
                    "    try:",
                    f"        out[{key}] = P{k}[obj.{field.attr}]",
                    "    except KeyError:",
                    f"        out[{key}] = run.pure(N, F{k}, obj, path)",
                ]
            elif field.kind == COMPUTED:
                lines.append(f"    out[{key}] = run._computed(N, F{k}, obj, path)")
            elif field.kind == ONE:
                namespace[f"B{k}"] = _child(field).builder
                lines += [
                    f"    c = loaded.ones[{field.index}]",
                    "    if c is None:",
                    f"        out[{key}] = run.absent(N, F{k}, obj)",
                    "    else:",
                    f"        out[{key}] = B{k}(run, c, (path, {key}))",
                ]
            elif field.kind == MANY:
                namespace[f"B{k}"] = _child(field).builder
                lines += [
                    f"    p = (path, {key})",
                    f"    items = loaded.manys[{field.index}]",
                    f"    out[{key}] = [B{k}(run, c, (p, i)) for i, c in enumerate(items)]",
                ]
            elif field.kind == GLOBAL_ID:
                lines.append(f"    out[{key}] = GID(F{k}.value, obj.id)")
            else:
                lines.append(f"    out[{key}] = F{k}.value")
        lines.append("    return out")
        exec("\n".join(lines), namespace)  # noqa: S102 - response keys and attribute names only
        builder: Callable[[Any, Loaded, Any], dict[str, Any]] = namespace["build"]
        return builder

    def _taker(self) -> Callable[[Any, Sequence[Any], Any], Loaded | None]:
        """`Run.take` for this node, written out once: each column read at its fixed position and
        decoded by its field's decoder, or taken as it is where the driver's value is the
        attribute's (server.planned.passes_through). The text holds nothing but positions and the
        model's own field names."""
        namespace: dict[str, Any] = {"Row": Row, "Loaded": Loaded, "NO_ONES": _NO_ONES, "T": self.transform}
        values = []
        for i, (name, decode) in enumerate(self.decoders):
            position = f"row[{self.offset + i}]"
            if planned.passes_through(self.model, name):
                values.append(f"{name!r}: {position}")
            else:
                namespace[f"D{i}"] = decode
                values.append(f"{name!r}: D{i}({position})")
        for j, child in enumerate(self.children):
            namespace[f"C{j}"] = child.taker
        lines = [
            "def take(run, row, parent):",
            f"    if row[{self.offset}] is None:",
            "        return None",
            "    obj = Row()",
            "    obj.__dict__ = {" + ", ".join(values) + "}",
        ]
        if self.transform is not None:
            lines.append("    obj = T(run.info, parent, obj)")
        if self.children:
            calls = ", ".join(f"C{j}(run, row, obj)" for j in range(len(self.children)))
            lines.append(f"    return Loaded(obj, [{calls}])")
        else:
            lines.append("    return Loaded(obj, NO_ONES)")
        exec("\n".join(lines), namespace)  # noqa: S102 - positions and model field names only
        taker: Callable[[Any, Sequence[Any], Any], Loaded | None] = namespace["take"]
        return taker


_NO_ONES: list[Any] = []


def _no_builder(_run: Any, _loaded: Loaded, _path: Any) -> dict[str, Any]:
    raise Decline("a node answered before its plan was finished")


def _no_taker(_run: Any, _row: Sequence[Any], _parent: Any) -> Loaded | None:
    raise Decline("a node read before its plan was finished")


class Loaded:
    """One object read: its row (or transformed object), its to-one and to-many children."""

    __slots__ = ("manys", "obj", "ones")

    def __init__(self, obj: Any, ones: list[Loaded | None]) -> None:
        self.obj = obj
        self.ones = ones
        self.manys: list[list[Loaded]] = []


class Compiler:
    def __init__(self, schema: Any, document: DocumentNode, variables: VariableValues) -> None:
        self.strawberry = schema
        self.schema: GraphQLSchema = schema._schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    # Fields as graphql-core collects them: aliases, fragments, @skip/@include.
    def collect(
        self, gtype: GraphQLObjectType, sets: Sequence[SelectionSetNode | None]
    ) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in sets:
            if selection_set is not None:
                self._collect(gtype, selection_set, fields, visited)
        return fields

    def _collect(
        self,
        gtype: GraphQLObjectType,
        selection_set: SelectionSetNode,
        fields: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if self._applies(selection.type_condition, gtype):
                    self._collect(gtype, selection.selection_set, fields, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._applies(fragment.type_condition, gtype):
                    self._collect(gtype, fragment.selection_set, fields, visited)

    def _included(self, node: Any) -> bool:
        if not node.directives:
            return True
        for directive in node.directives:
            if directive.name.value not in ("skip", "include"):
                raise Decline(f"directive @{directive.name.value}")
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    @staticmethod
    def _applies(condition: Any, gtype: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        name = condition.name.value
        return name == gtype.name or any(i.name == name for i in gtype.interfaces)

    def row_model(self, gtype: GraphQLObjectType) -> Any:
        definition = self.strawberry.get_type_by_name(gtype.name)
        model = getattr(getattr(definition, "origin", None), "row_model", None)
        if model is None:
            raise Decline(f"{gtype.name} is not read from a table")
        return model

    def node(
        self,
        gtype: GraphQLObjectType,
        nodes: list[FieldNode],
        model: Any,
        declaration: Relation | None = None,
    ) -> Node:
        node = Node(gtype.name, model, declaration)
        transformed = declaration is not None and declaration.transform is not None
        for key, field_nodes in self.collect(gtype, [n.selection_set for n in nodes]).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                out = Out(key, TYPENAME, field_nodes)
                out.value = gtype.name
                node.fields.append(out)
                continue
            gfield = gtype.fields[name]
            if name == "id" and not transformed and any(i.name == "Node" for i in gtype.interfaces):
                out = Out(key, GLOBAL_ID, field_nodes, nullable=False)
                out.value = gtype.name
                node.fields.append(out)
                continue
            if any(n.arguments for n in field_nodes):
                raise Decline(f"{gtype.name}.{name} with arguments")
            sfield = gfield.extensions.get("strawberry-definition")
            declared = sfield.metadata.get(PLAN) if sfield is not None else None
            named, nullable, is_list = _unwrap(gfield.type)
            out = Out(key, COLUMN, field_nodes, nullable)
            if declared is None and sfield is not None and sfield.base_resolver is None:
                if isinstance(named, GraphQLObjectType):
                    raise Decline(f"{gtype.name}.{name}: an object without a plan")
                out.serialize = _leaf(named)
                out.attr = sfield.python_name
                if not transformed:
                    if not planned.has_field(model, out.attr):
                        raise Decline(f"{gtype.name}.{name}: no column {out.attr}")
                    node.columns.append(out.attr)
                if is_list:
                    raise Decline(f"{gtype.name}.{name}: a list column")
            elif isinstance(declared, Computed):
                resolver = sfield.base_resolver
                if resolver is None or resolver.is_async or resolver.arguments:
                    raise Decline(f"{gtype.name}.{name}: not a plain computed field")
                out.kind = COMPUTED
                out.call = _caller(resolver)
                out.serialize = _leaf(named)
                out.value = is_list
                if declared.pure and len(declared.columns) == 1 and not transformed:
                    out.pure = {}
                    out.attr = declared.columns[0]
                if not transformed:
                    node.columns.extend(declared.columns)
            elif isinstance(declared, ToOne):
                out.kind = ONE
                if declared.hidden not in ("null", "resolvers"):
                    raise Decline(f"{gtype.name}.{name}: unknown hidden rule")
                target = declared.model or self.row_model(named)
                out.child = self.node(named, field_nodes, target, declared)
                out.index = len(node.ones)
                out.attr = declared.fk or ""
                node.ones.append((declared, out.child))
                if declared.fk:
                    node.columns.append(declared.fk)
                node.columns.extend(declared.parent_columns)
            elif isinstance(declared, ToMany):
                out.kind = MANY
                target = declared.model or self.row_model(named)
                out.child = self.node(named, field_nodes, target, declared)
                out.child.columns.append(declared.fk)
                out.index = len(node.manys)
                node.manys.append((declared, out.child))
                node.columns.extend(declared.parent_columns)
            else:
                raise Decline(f"{gtype.name}.{name}: no plan")
            node.fields.append(out)
        return node


def _caller(resolver: Any) -> Callable[[Any, Any], Any]:
    """Call a field's resolver with the row as self (and root), and the Info stand-in."""
    func = resolver.wrapped_func
    root = resolver.root_parameter.name if resolver.root_parameter else None
    info = resolver.info_parameter.name if resolver.info_parameter else None
    if root and info:
        return lambda obj, i: func(obj, **{root: obj, info: i})
    if root:
        return lambda obj, _i: func(obj, **{root: obj})
    if info:
        return lambda obj, i: func(obj, **{info: i})
    return lambda obj, _i: func(obj)


# Running ---------------------------------------------------------------------------------------


class Run:
    """One request's run of a plan: its caller, the errors it collects."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.authz = context.authz
        self.info = Info(context)
        self.errors: list[GraphQLError] = []
        self._scopes: dict[str, Scope] = {}

    def scope(self, permission: str) -> Scope:
        found = self._scopes.get(permission)
        if found is None:
            if permission == REFERENCE:
                found = NOWHERE if self.authz.scope("reference", "read").empty else EVERYWHERE
            else:
                found = self.authz.scope(permission, "read")
            self._scopes[permission] = found
        return found

    # Rows into objects -------------------------------------------------------------------------

    def take(self, node: Node, row: Sequence[Any], parent: Any) -> Loaded | None:
        """The object a row holds at the node's columns (None when its id is null: a to-one
        relation that is absent or hidden, and then its own relations are too)."""
        return node.taker(self, row, parent)

    async def fill(self, node: Node, items: list[Loaded]) -> None:
        """Read every to-many relation beneath these objects: one statement per relation."""
        if not items:
            return
        for index, (_declaration, child) in enumerate(node.ones):
            await self.fill(child, [loaded for item in items if (loaded := item.ones[index]) is not None])
        for declaration, child in node.manys:
            await self._many(declaration, child, items)

    async def _many(self, declaration: ToMany, child: Node, items: list[Loaded]) -> None:
        permission = declaration.permission
        scope = self.scope(permission) if permission else EVERYWHERE
        if scope.empty and declaration.nowhere == "resolvers":
            raise Decline(f"{child.type_name} list refused to this caller")
        read = _read_of(child)
        ids = sorted({item.obj.id for item in items})
        key = planned.column(child.model, declaration.fk)
        condition, params = planned.in_scope('r."jurisdiction_id"', scope) if permission else (None, [])
        where = planned.in_list(f'r."{key}"')
        where_params: list[Any] = [planned.list_param(ids)]
        if condition is not None:
            where = f"{where} AND {condition}"
            where_params.extend(params)
        order = planned.ordering(child.model._meta.ordering or ("id",))
        text, rendered = planned.rows_statement(read, self.scope, where, order)
        rows = await planned.fetch(text, [*rendered.params, *where_params])
        if declaration.fk not in read.fields:
            raise Decline(f"{child.type_name}: its key {declaration.fk} is not read")
        fk_index = read.fields.index(declaration.fk)
        grouped: dict[Any, list[Loaded]] = {item.obj.id: [] for item in items}
        parents = {item.obj.id: item.obj for item in items}
        loaded_all: list[Loaded] = []
        taker = child.taker
        for row in rows:
            parent_id = row[fk_index]
            loaded = taker(self, row, parents.get(parent_id))
            if loaded is not None:
                grouped[parent_id].append(loaded)
                loaded_all.append(loaded)
        for item in items:
            item.manys.append(grouped[item.obj.id])
        await self.fill(child, loaded_all)

    # Objects into the response -----------------------------------------------------------------

    def build(self, node: Node, loaded: Loaded, path: Any) -> dict[str, Any]:
        """The response object for one object read, its fields in the query's order."""
        return node.builder(self, loaded, path)

    def absent(self, node: Node, field: Out, obj: Any) -> None:
        """A to-one relation that read nothing: null, unless the resolvers would say otherwise."""
        if field.attr and getattr(obj, field.attr) is not None:
            declaration = node.ones[field.index][0]
            if declaration.hidden == "resolvers":
                raise Decline(f"{node.type_name}.{field.key}: hidden, refused by the resolvers")
        if not field.nullable:
            raise Decline(f"{node.type_name}.{field.key} null")

    def pure(self, node: Node, field: Out, obj: Any, path: Any) -> Any:
        """A pure computed field for a value not met before: computed, and remembered when it
        answered without an error."""
        errors = len(self.errors)
        value = self._computed(node, field, obj, path)
        if len(self.errors) == errors and field.pure is not None and len(field.pure) < _PURE_VALUES:
            field.pure[getattr(obj, field.attr)] = value
        return value

    def _computed(self, node: Node, field: Out, obj: Any, path: Any) -> Any:
        call, serialize = field.call, field.serialize
        if call is None or serialize is None:
            raise Decline(f"{node.type_name}.{field.key}: not computed")
        try:
            value = call(obj, self.info)
        except DomainError as exc:
            if not field.nullable:
                raise Decline(f"{node.type_name}.{field.key} refused, not null") from None
            self.errors.append(located_error(exc, field.nodes, [*flat(path), field.key]))
            return None
        if value is None:
            if not field.nullable:
                raise Decline(f"{node.type_name}.{field.key} null")
            return None
        if field.value:  # a list of leaves
            return [serialize(v) for v in value]
        return serialize(value)


# The distinct values a pure field remembers (enum values are a few dozen at most).
_PURE_VALUES = 256


def flat(path: Any) -> list[Any]:
    """A response path kept as nested (parent, key) pairs, as a list of keys."""
    keys: list[Any] = []
    while path is not None:
        path, key = path
        keys.append(key)
    keys.reverse()
    return keys


def _child(field: Out) -> Node:
    if field.child is None:
        raise Decline(f"{field.key}: no selection")
    return field.child


def _read_of(node: Node) -> planned.Read:
    if node.read is None:
        raise Decline(f"{node.type_name}: not compiled")
    return node.read


def planned_global_id(type_name: str, pk: int) -> str:
    from schema.ids import to_global_id

    return to_global_id(type_name, pk)


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == name]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        raise Decline("not a single query operation")
    return operations[0]


def directive_variables(document: DocumentNode) -> tuple[str, ...]:
    """Variables that @skip/@include read: they change a plan's shape, so they key its cache."""
    found: set[str] = set()

    class Directives(Visitor):
        def enter_directive(self, node: Any, *_args: Any) -> None:
            for argument in node.arguments or ():
                value = argument.value
                if isinstance(value, VariableNode):
                    found.add(value.name.value)

    visit(document, Directives())
    return tuple(sorted(found))
