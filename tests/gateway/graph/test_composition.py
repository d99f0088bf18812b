"""Composition: the supported federation subset, each refusal naming subgraph, type and
field, the ownership map, and fetching SDLs from the subgraphs."""

from pathlib import Path

import httpx
import pytest
from graphql import GraphQLObjectType, GraphQLUnionType

from services.gateway.graph.composer import EntityKey, compose
from services.gateway.graph.errors import CompositionError, SubgraphUnreachable
from services.gateway.graph.local import local_sdls
from shared.identity import verify_token
from tests.enrolment.support import Api, platform_settings
from tests.gateway.graph.support import Subgraphs, runtime_for

IMPORTS = (
    '"@key", "@shareable", "@inaccessible", "@external", "@requires", "@provides", '
    '"@override", "@interfaceObject", "@authenticated", "@requiresScopes", "@policy", '
    '"@tag", "@composeDirective"'
)


def subgraph(body: str, *, imports: str = IMPORTS, version: str = "v2.3") -> str:
    """A federation v2 SDL as a subgraph serves it from ``_service { sdl }``."""
    return (
        f'extend schema @link(url: "https://specs.apollo.dev/federation/{version}", '
        f"import: [{imports}])\n\n{body}\n"
        "scalar _Any\nunion _Entity = Enterprise\ntype _Service { sdl: String! }\n"
    )


ENROLMENT = subgraph(
    """
type Query {
  _service: _Service!
  _entities(representations: [_Any!]!): [_Entity]!
  enterprise(id: ID!): Enterprise
}
type Enterprise @key(fields: "id") {
  id: ID!
  name: String!
}
"""
)


def indicators(enterprise_fields: str, *, extra: str = "", type_directives: str = "") -> str:
    return subgraph(
        f"""
type Query {{
  _service: _Service!
  _entities(representations: [_Any!]!): [_Entity]!
  indicators: [String!]!
}}
type Enterprise @key(fields: "id") {type_directives} {{
  id: ID!
  {enterprise_fields}
}}
{extra}
"""
    )


def refused(sdls: dict[str, str]) -> CompositionError:
    with pytest.raises(CompositionError) as caught:
        compose(sdls)
    return caught.value


# --- the real subgraphs ----------------------------------------------------------------


def test_score_subgraphs_compose_into_a_public_schema_without_federation_plumbing() -> None:
    supergraph = compose(local_sdls())

    for plumbing in ("_service", "_entities", "_Any", "_Entity", "_Service", "@key", "@link"):
        assert plumbing not in supergraph.sdl
    assert "link__" not in supergraph.sdl
    assert "federation__" not in supergraph.sdl
    enterprise = supergraph.schema.get_type("Enterprise")
    assert isinstance(enterprise, GraphQLObjectType)
    # One Enterprise: enrolment's profile and indicators' extension side by side.
    assert {"name", "country", "enrolments", "indicatorValues", "improvementTeam"} <= set(
        enterprise.fields
    )
    assert enterprise.description == "An SME that SCORE trains"
    query = supergraph.schema.query_type
    assert query is not None
    assert {"enterprises", "indicators", "rounds"} <= set(query.fields)


def test_ownership_map_names_the_subgraph_of_each_field_and_each_entity_key() -> None:
    supergraph = compose(local_sdls())

    assert supergraph.field_owners("Query", "enterprises") == ("enrolment",)
    assert supergraph.field_owners("Query", "indicators") == ("indicators",)
    assert supergraph.field_owners("Enterprise", "name") == ("enrolment",)
    assert supergraph.field_owners("Enterprise", "indicatorValues") == ("indicators",)
    # Key fields are resolved by every subgraph that defines the entity.
    assert set(supergraph.field_owners("Enterprise", "id")) >= {"enrolment", "indicators"}
    assert supergraph.keys["Enterprise"]["enrolment"] == (EntityKey(("id",)),)
    assert supergraph.keys["Enterprise"]["indicators"] == (EntityKey(("id",)),)
    described = supergraph.describe()
    assert described["fields"]["Enterprise.indicatorValues"] == ["indicators"]
    assert described["entities"]["Enterprise"]["indicators"] == [
        {"fields": ["id"], "resolvable": True}
    ]


def test_composition_does_not_depend_on_the_order_subgraphs_are_given_in() -> None:
    sdls = {"indicators": indicators("score: Int"), "enrolment": ENROLMENT}

    assert compose(sdls).sdl == compose(dict(reversed(list(sdls.items())))).sdl


# --- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field_sdl", "named"),
    [
        ('score: Int @override(from: "enrolment")', "@override"),
        ("score: Int @authenticated", "@authenticated"),
        ('score: Int @requiresScopes(scopes: [["admin"]])', "@requiresScopes"),
        ('score: Int @policy(policies: [["partner"]])', "@policy"),
        ('score: Int @tag(name: "internal")', "@tag"),
    ],
)
def test_unsupported_field_directives_are_refused_naming_subgraph_type_and_field(
    field_sdl: str, named: str
) -> None:
    error = refused({"enrolment": ENROLMENT, "indicators": indicators(field_sdl)})

    field = field_sdl.split(":")[0]
    assert (error.subgraph, error.type_name, error.field) == ("indicators", "Enterprise", field)
    assert f"subgraph 'indicators', at Enterprise.{field}" in str(error)
    assert named in str(error)
    assert "not supported" in str(error)


def test_interface_objects_are_refused_naming_the_type() -> None:
    sdl = indicators(
        "score: Int",
        extra='type Node @key(fields: "id") @interfaceObject { id: ID! }',
    )

    error = refused({"enrolment": ENROLMENT, "indicators": sdl})

    assert (error.subgraph, error.type_name) == ("indicators", "Node")
    assert "@interfaceObject" in str(error)


def test_conflicting_field_types_between_subgraphs_are_refused() -> None:
    enrolment = ENROLMENT.replace("name: String!", "name: String! @shareable")

    error = refused({"enrolment": enrolment, "indicators": indicators("name: Int @shareable")})

    assert (error.subgraph, error.type_name, error.field) == ("indicators", "Enterprise", "name")
    assert "conflicting types" in str(error)
    assert "String!" in str(error)


def test_an_argument_required_in_one_subgraph_must_exist_in_every_other() -> None:
    enrolment = ENROLMENT.replace("name: String!", "name(short: Boolean!): String! @shareable")

    error = refused({"enrolment": enrolment, "indicators": indicators("name: String! @shareable")})

    assert (error.subgraph, error.type_name, error.field) == (
        "enrolment",
        "Enterprise",
        "name(short:)",
    )
    assert "required here but not defined by every subgraph" in str(error)


def test_arguments_of_a_shared_field_are_those_every_subgraph_accepts() -> None:
    enrolment = ENROLMENT.replace(
        "name: String!", "name(short: Boolean, locale: String): String! @shareable"
    )
    other = indicators("name(locale: String!): String @shareable")

    name = compose({"enrolment": enrolment, "indicators": other}).schema.get_type("Enterprise")

    assert isinstance(name, GraphQLObjectType)
    # Only `locale` is known to both; it must be given (one subgraph requires it), and the
    # field may be null (one subgraph says so).
    assert str(name.fields["name"].type) == "String"
    assert list(name.fields["name"].args) == ["locale"]
    assert str(name.fields["name"].args["locale"].type) == "String!"


def test_a_root_field_two_subgraphs_resolve_must_be_shareable_in_both() -> None:
    sdl = subgraph(
        """
type Query { enterprise(id: ID!): Enterprise @shareable }
type Enterprise @key(fields: "id") { id: ID! }
"""
    )

    error = refused({"enrolment": ENROLMENT, "indicators": sdl})

    assert (error.subgraph, error.type_name, error.field) == ("enrolment", "Query", "enterprise")
    assert "not @shareable" in str(error)
    assert "'indicators'" in str(error)


def test_a_shareable_root_field_is_resolved_by_every_subgraph_declaring_it() -> None:
    shared = ENROLMENT.replace(
        "enterprise(id: ID!): Enterprise", "enterprise(id: ID!): Enterprise @shareable"
    )
    sdl = subgraph(
        """
type Query { enterprise(id: ID!): Enterprise! @shareable }
type Enterprise @key(fields: "id") { id: ID! }
"""
    )

    supergraph = compose({"enrolment": shared, "indicators": sdl})

    assert supergraph.field_owners("Query", "enterprise") == ("enrolment", "indicators")
    assert "enterprise(id: ID!): Enterprise\n" in supergraph.sdl


def test_a_field_two_subgraphs_resolve_must_be_shareable_in_both() -> None:
    error = refused({"enrolment": ENROLMENT, "indicators": indicators("name: String!")})

    assert error.type_name == "Enterprise"
    assert error.field == "name"
    assert "not @shareable" in str(error)


def test_keys_on_nested_or_missing_fields_are_refused() -> None:
    nested = ENROLMENT.replace('@key(fields: "id")', '@key(fields: "id partner { id }")')
    missing = ENROLMENT.replace('@key(fields: "id")', '@key(fields: "code")')

    nested_error = refused({"enrolment": nested})
    missing_error = refused({"enrolment": missing})

    assert nested_error.type_name == "Enterprise"
    assert "scalar fields" in str(nested_error)
    assert (missing_error.type_name, missing_error.field) == ("Enterprise", "code")


def test_federation_1_subgraphs_are_refused() -> None:
    sdl = 'type Query { a: Int }\ntype Thing @key(fields: "id") { id: ID! }\n'

    error = refused({"legacy": sdl})

    assert error.subgraph == "legacy"
    assert "Federation v2" in str(error)


def test_unknown_directives_are_refused() -> None:
    sdl = indicators("score: Int @cached(seconds: 5)")

    error = refused({"enrolment": ENROLMENT, "indicators": sdl})

    assert (error.subgraph, error.type_name, error.field) == ("indicators", "Enterprise", "score")
    assert "@cached" in str(error)


def test_a_field_no_subgraph_can_reach_is_refused() -> None:
    # Badge is a value type (no @key): the badges subgraph cannot resolve `colour` for the
    # badges enrolment returns.
    enrolment = (
        ENROLMENT.replace("name: String!", "name: String!\n  badge: Badge")
        + "type Badge { label: String! @shareable }\n"
    )
    badges = subgraph(
        "type Query { badges: [Badge!]! }\n"
        "type Badge { label: String! @shareable\n colour: String }\n"
    )

    error = refused({"enrolment": enrolment, "badges": badges})

    assert (error.subgraph, error.type_name, error.field) == ("badges", "Badge", "colour")
    assert "subgraph 'enrolment' returns" in str(error)
    assert "not an entity" in str(error)


def test_an_enum_used_as_input_must_have_the_same_values_everywhere() -> None:
    enrolment = (
        ENROLMENT.replace(
            "enterprise(id: ID!): Enterprise",
            "enterprise(id: ID!): Enterprise\n  byStage(stage: Stage!): [Enterprise!]!",
        )
        + "enum Stage { eligible shortlisted }\n"
    )
    other = subgraph("type Query { stages: [Stage!]! }\nenum Stage { eligible alumni }\n")

    error = refused({"enrolment": enrolment, "other": other})

    assert (error.subgraph, error.type_name) == ("enrolment", "Stage")
    assert "both as input and as output" in str(error)
    assert "shortlisted" in str(error)
    assert "'other'" in str(error)


def test_subscriptions_are_refused() -> None:
    sdl = subgraph(
        "schema { query: Query subscription: Subscription }\n"
        "type Query { a: Int }\ntype Subscription { changes: Int }\n"
    )

    error = refused({"live": sdl})

    assert (error.subgraph, error.type_name, error.field) == ("live", "Subscription", "changes")


# --- the supported subset ----------------------------------------------------------------


def test_shareable_value_types_compose_and_both_subgraphs_own_the_fields() -> None:
    enrolment = ENROLMENT + "type Money @shareable { amount: String! currency: String! }\n"
    enrolment = enrolment.replace("name: String!", "name: String!\n  turnover: Money")
    other = subgraph(
        "type Query { budget: Money }\n"
        "type Money { amount: String! @shareable currency: String! @shareable }\n"
    )

    supergraph = compose({"enrolment": enrolment, "finance": other})

    assert supergraph.field_owners("Money", "amount") == ("enrolment", "finance")
    assert "type Money {" in supergraph.sdl


def test_inaccessible_elements_leave_the_public_schema_but_stay_resolvable() -> None:
    enrolment = subgraph(
        """
type Query {
  enterprise(id: ID!, debug: Boolean @inaccessible): Enterprise
  audit: AuditTrail @inaccessible
}
type Enterprise @key(fields: "id") {
  id: ID!
  name: String!
  internalCode: String @inaccessible
  stage: Stage
}
type AuditTrail @inaccessible { entries: [String!]! }
enum Stage { eligible shortlisted legacy @inaccessible }
"""
    )

    supergraph = compose({"enrolment": enrolment})

    for hidden in ("internalCode", "AuditTrail", "audit", "debug", "legacy"):
        assert hidden not in supergraph.sdl
    assert "@inaccessible" not in supergraph.sdl
    # The planner may still select an inaccessible field (as a key, for instance).
    assert supergraph.field_owners("Enterprise", "internalCode") == ("enrolment",)


def test_a_public_field_returning_an_inaccessible_type_is_refused() -> None:
    sdl = subgraph(
        "type Query { audit: AuditTrail }\ntype AuditTrail @inaccessible { entries: [String!]! }\n"
    )

    error = refused({"enrolment": sdl})

    assert (error.type_name, error.field) == ("Query", "audit")
    assert "@inaccessible" in str(error)


def test_unresolvable_keys_are_references_only() -> None:
    reporting = subgraph(
        """
type Query { supplierStatus: [SupplierStatus!]! }
type SupplierStatus { enterprise: Enterprise! eitInPlace: Boolean! }
type Enterprise @key(fields: "id", resolvable: false) { id: ID! }
"""
    )

    supergraph = compose({"enrolment": ENROLMENT, "reporting": reporting})

    assert supergraph.keys["Enterprise"]["reporting"] == (EntityKey(("id",), resolvable=False),)
    # Enterprises reporting returns get their names from enrolment, never from reporting.
    assert supergraph.entity_key("Enterprise", "reporting", "enrolment") == EntityKey(("id",))
    assert supergraph.entity_key("Enterprise", "enrolment", "reporting") is None


def test_renamed_imports_and_federation_prefixes_are_understood() -> None:
    sdl = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
        'import: [{name: "@key", as: "@primaryKey"}])\n'
        "type Query { things: [Thing!]! }\n"
        'type Thing @primaryKey(fields: "id") { id: ID! note: String @federation__inaccessible }\n'
    )

    supergraph = compose({"things": sdl})

    assert supergraph.keys["Thing"]["things"] == (EntityKey(("id",)),)
    assert "note" not in supergraph.sdl


def test_composed_custom_directives_stay_in_the_public_schema() -> None:
    sdl = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
        'import: ["@key", "@composeDirective"]) '
        '@link(url: "https://score.example/sensitivity/v1.0", import: ["@sensitive"]) '
        '@composeDirective(name: "@sensitive")\n'
        "directive @sensitive(reason: String!) on FIELD_DEFINITION\n"
        'type Query { salary: Int @sensitive(reason: "payroll") }\n'
    )

    supergraph = compose({"payroll": sdl})

    assert "directive @sensitive(reason: String!) on FIELD_DEFINITION" in supergraph.sdl
    assert 'salary: Int @sensitive(reason: "payroll")' in supergraph.sdl


def test_a_subgraph_with_only_federation_plumbing_takes_no_part() -> None:
    empty = subgraph("type Query { _service: _Service! }\n")

    supergraph = compose({"enrolment": ENROLMENT, "reporting": empty})

    assert supergraph.subgraphs == ("enrolment",)


def test_root_types_named_otherwise_become_query_and_mutation() -> None:
    sdl = subgraph(
        "schema { query: RootQuery mutation: Commands }\n"
        "type RootQuery { a: Int }\ntype Commands { enrol(id: ID!): Boolean }\n"
    )

    supergraph = compose({"enrolment": sdl})

    assert supergraph.field_owners("Mutation", "enrol") == ("enrolment",)
    assert "RootQuery" not in supergraph.sdl
    assert "type Mutation {" in supergraph.sdl


def test_unions_of_several_subgraphs_are_merged() -> None:
    one = subgraph("type Query { a: Result }\nunion Result = A\ntype A { x: Int }\n")
    two = subgraph("type Query { b: Result }\nunion Result = B\ntype B { y: Int }\n")

    result = compose({"one": one, "two": two}).schema.get_type("Result")

    assert isinstance(result, GraphQLUnionType)
    assert {t.name for t in result.types} == {"A", "B"}


# --- fetching the SDLs ---------------------------------------------------------------------


async def test_compose_fetches_each_sdl_with_the_gateway_service_token(
    api: Api, indicators_api: Api
) -> None:
    subgraphs = Subgraphs({"enrolment.test": api.client, "indicators.test": indicators_api.client})
    async with httpx.AsyncClient(transport=subgraphs) as http:
        runtime = runtime_for(
            {
                "enrolment": "http://enrolment.test/graphql",
                "indicators": "http://indicators.test/graphql",
            },
            http,
        )
        assert not runtime.ready
        await runtime.compose()

    assert runtime.ready
    assert (
        runtime.schema_sdl()
        == compose({k: v for k, v in local_sdls().items() if k in ("enrolment", "indicators")}).sdl
    )
    assert {call.host for call in subgraphs.calls} == {"enrolment.test", "indicators.test"}
    for call in subgraphs.calls:
        assert "_service" in call.query
        token = call.headers["authorization"].removeprefix("Bearer ")
        settings = platform_settings()
        graph = settings.identity_graph_audience
        assert verify_token(token, settings, audience=graph).subject == "gateway"


async def test_an_unreachable_subgraph_fails_composition_naming_it(api: Api) -> None:
    subgraphs = Subgraphs({"enrolment.test": api.client}, down={"indicators.test"})
    async with httpx.AsyncClient(transport=subgraphs) as http:
        runtime = runtime_for(
            {
                "enrolment": "http://enrolment.test/graphql",
                "indicators": "http://indicators.test/graphql",
            },
            http,
        )
        with pytest.raises(SubgraphUnreachable) as caught:
            await runtime.compose()

    assert caught.value.subgraph == "indicators"
    assert "indicators.test" in str(caught.value)
    assert not runtime.ready


async def test_a_refused_composition_keeps_the_graph_not_ready(api: Api) -> None:
    async def bad_sdl(request: httpx.Request) -> httpx.Response:
        sdl = indicators("score: Int @external")
        return httpx.Response(200, json={"data": {"_service": {"sdl": sdl}}})

    subgraphs = Subgraphs({"enrolment.test": api.client}, handlers={"indicators.test": bad_sdl})
    async with httpx.AsyncClient(transport=subgraphs) as http:
        runtime = runtime_for(
            {
                "enrolment": "http://enrolment.test/graphql",
                "indicators": "http://indicators.test/graphql",
            },
            http,
        )
        with pytest.raises(CompositionError, match=r"subgraph 'indicators', at Enterprise\.score"):
            await runtime.compose()

    assert not runtime.ready


CORPUS = Path(__file__).resolve().parent / "corpus"
REFUSED = sorted(
    p.name
    for p in CORPUS.iterdir()
    if p.name.startswith("refused-") and p.name != "refused-no-query"
)


@pytest.mark.parametrize("case", REFUSED)
def test_every_refusal_of_the_corpus_names_the_subgraph_and_the_type(case: str) -> None:
    error = refused({p.stem: p.read_text() for p in (CORPUS / case).glob("*.graphql")})

    assert error.subgraph in {p.stem for p in (CORPUS / case).glob("*.graphql")}
    assert error.type_name
    assert str(error).startswith(f"subgraph '{error.subgraph}', at {error.type_name}")


def test_an_interface_field_an_implementation_lacks_is_refused_naming_both() -> None:
    error = refused(
        {
            p.stem: p.read_text()
            for p in (CORPUS / "refused-interface-field-not-implemented").glob("*.graphql")
        }
    )

    assert (error.subgraph, error.type_name, error.field) == ("b", "Product", "label")
    assert "implements Node" in str(error)
    assert "subgraph 'a'" in str(error)
