"""What one GraphQL document may ask for: depth, aliases, tokens, cost, introspection, and no NUL characters.

The cost of a field is 1 plus, for a list with ``first`` (or ``limit``), that many times the cost of what
it selects: ``collections(first: 20) { edges { node { documents(first: 20) { ... } } } }`` costs about
20 x 20 x the innermost selection. Variables count with their values, missing arguments with their defaults.
"""

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInt,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableDefinitionNode,
    Visitor,
    get_named_type,
    validate,
    visit,
)
from graphql.language import VariableNode
from graphql.pyutils import Undefined
from graphql.utilities import value_from_ast
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from entrypoints.bootstrap.settings import Settings

_MULTIPLIERS = ("first", "limit")
_CEILING = 1_000_000  # a huge `first` is refused by the field; for the cost it only has to be large
_MAX_INT = 2**31 - 1


def _validation_error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


class _HasNul(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        if "\x00" in node.value:
            self.found = True


def _nul_in(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_nul_in(k) or _nul_in(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_nul_in(v) for v in value)
    return False


class _Cost:
    def __init__(
        self,
        fragments: dict[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        definitions: Mapping[str, VariableDefinitionNode] | None = None,
    ) -> None:
        self._fragments = fragments
        self._variables = variables
        self._definitions = definitions or {}

    def of(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None) -> int:
        if selection_set is None:
            return 0
        total = 0
        for node in self._fields(selection_set):
            field = parent.fields.get(node.name.value) if isinstance(parent, GraphQLObjectType) else None
            child = get_named_type(field.type) if field is not None else None
            total += 1 + self._multiplier(node, field) * self.of(node.selection_set, child)
        return total

    def _fields(self, selection_set: SelectionSetNode) -> Iterator[FieldNode]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from self._fields(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value in self._fragments:
                yield from self._fields(self._fragments[selection.name.value].selection_set)

    def _variable(self, name: str, fallback: Any) -> Any:
        """The variable's value; when it was not sent, the default its definition declares (``$n: Int = 100``)."""
        if name in self._variables:
            return self._variables[name]
        definition = self._definitions.get(name)
        if definition is not None and definition.default_value is not None:
            value = value_from_ast(definition.default_value, GraphQLInt)
            return fallback if value is Undefined else value
        return fallback

    def _multiplier(self, node: FieldNode, field: Any) -> int:
        if field is None:
            return 1
        for name in _MULTIPLIERS:
            if name not in field.args:
                continue
            value: Any = field.args[name].default_value
            given = next((a.value for a in node.arguments or () if a.name.value == name), None)
            if isinstance(given, IntValueNode):
                value = int(given.value) if len(given.value) < 12 else _CEILING
            elif isinstance(given, VariableNode):
                value = self._variable(given.name.value, value)
            # beyond GraphQL's Int the variable is refused when coerced; a value the field refuses costs nothing
            return min(value, _CEILING) if isinstance(value, int) and 0 < value <= _MAX_INT else 1
        return 1


class DocumentRules(SchemaExtension):
    """Runs the schema's validation, then the checks that need the variables: the cost and NUL characters."""

    def __init__(self, *, max_cost: int) -> None:
        self._max_cost = max_cost

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            errors = list(validate(context.schema._schema, document, context.validation_rules))
            if not errors:
                errors = self._document_errors(context.variables or {})
            context.pre_execution_errors = errors
        yield

    def _document_errors(self, variables: Mapping[str, Any]) -> list[GraphQLError]:
        document = self.execution_context.graphql_document
        assert document is not None
        finder = _HasNul()
        visit(document, finder)
        if finder.found or _nul_in(variables):
            return [_validation_error("Strings must not contain NUL characters.", "VALIDATION_ERROR")]
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        schema = self.execution_context.schema._schema
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            declared = {v.variable.name.value: v for v in definition.variable_definitions or ()}
            cost = _Cost(fragments, variables, declared)
            root = schema.get_root_type(definition.operation)
            spent = cost.of(definition.selection_set, root)
            if spent > self._max_cost:
                return [
                    _validation_error(
                        f"The query costs {spent}, above the limit of {self._max_cost}: ask for fewer items (first) "
                        "or fewer nested lists.",
                        "QUERY_TOO_COMPLEX",
                    )
                ]
        return []


def limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Factories: Strawberry makes a fresh extension for every request."""
    extensions: list[Callable[[], SchemaExtension]] = [
        partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
        partial(QueryDepthLimiter, max_depth=settings.graphql_max_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.graphql_max_aliases),
    ]
    if not settings.graphql_introspection_enabled:
        extensions.append(DisableIntrospection)
    extensions.append(partial(DocumentRules, max_cost=settings.graphql_max_cost))  # last: runs the rules above
    return extensions
