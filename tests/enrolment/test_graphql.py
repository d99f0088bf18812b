"""The enrolment GraphQL subgraph: federation, batching, tenancy, identity and errors."""

import re
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.enterprises.service import enterprise_service
from services.enrolment.lifecycle.service import lifecycle_service
from services.enrolment.organisations.service import project_service
from services.gateway.graph.subgraph import SUPPORTED_FEDERATION
from shared.enums import LifecycleStage
from shared.identity import Principal
from shared.problems import Forbidden
from tests.enrolment.support import ILO, Api, World, register
from tests.sql_support import statements

# The federation directives the gateway composes.
GATEWAY_SUBSET = {"@" + name for name in SUPPORTED_FEDERATION}

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Enterprise { id name partnerId enrolments { projectId stage } }
  }
}
"""


async def graphql(
    api: Api, query: str, *, as_: Principal = ILO, **variables: Any
) -> dict[str, Any]:
    response = await api.post("/graphql", json={"query": query, "variables": variables}, as_=as_)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def data_of(api: Api, query: str, *, as_: Principal = ILO, **variables: Any) -> Any:
    body = await graphql(api, query, as_=as_, **variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


def representations(ids: list[str]) -> list[dict[str, str]]:
    return [{"__typename": "Enterprise", "id": enterprise_id} for enterprise_id in ids]


def loads_enterprise_rows(sql: str) -> bool:
    # Tenancy subqueries mention the table too; only a statement selecting its rows counts.
    return sql.lstrip().startswith("SELECT enterprise.id, enterprise.name")


async def test_service_sdl_declares_enterprise_entity_keyed_by_id_for_federation_2(
    api: Api,
) -> None:
    sdl = (await data_of(api, "{ _service { sdl } }"))["_service"]["sdl"]
    assert re.search(r'type Enterprise @key\(fields: "id"\)', sdl)
    link = re.search(
        r'@link\(url: "https://specs.apollo.dev/federation/v2\.\d+", import: (.*)\)', sdl
    )
    assert link is not None, sdl
    imported = set(re.findall(r'"(@\w+)"', link.group(1)))
    # Only the subset the gateway composes.
    assert imported <= GATEWAY_SUBSET
    assert "@key" in imported


async def test_entities_resolve_visible_enterprises_and_null_for_another_partners(
    api: Api, world: World
) -> None:
    own = await register(api, world.efp_staff)
    other = await register(api, world.mdpi_staff, country="GH", city="Accra")
    result = await data_of(
        api,
        ENTITIES,
        as_=world.efp_staff,
        representations=representations([own["id"], other["id"], str(uuid4())]),
    )
    first, foreign, missing = result["_entities"]
    assert first["id"] == own["id"]
    assert first["name"] == own["name"]
    assert first["partnerId"] == str(world.efp_id)
    # Another tenant's enterprise and a missing one look exactly alike.
    assert foreign is None
    assert missing is None


async def test_entities_load_any_number_of_enterprises_with_one_query(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    ids = [(await register(api, world.efp_staff))["id"] for _ in range(10)]
    for enterprise_id in ids:
        await lifecycle_service.ensure_enrolment(
            enrolment_session,
            project_id=world.pakistan_project_id,
            enterprise_id=UUID(enterprise_id),
            principal=ILO,
        )

    async def run(count: int) -> list[str]:
        with statements(enrolment_session) as seen:
            result = await data_of(
                api, ENTITIES, as_=world.efp_staff, representations=representations(ids[:count])
            )
        assert [entity["id"] for entity in result["_entities"]] == ids[:count]
        assert all(len(entity["enrolments"]) == 1 for entity in result["_entities"])
        # Savepoints belong to the test's transaction, not to the work being measured.
        return [sql for sql in seen if "SAVEPOINT" not in sql]

    three, ten = await run(3), await run(10)
    assert len([sql for sql in ten if loads_enterprise_rows(sql)]) == 1
    # Enterprises, their buyers, their enrolments: the same statements for 3 as for 10.
    assert len(three) == len(ten)


async def test_enterprises_connection_pages_with_cursor(api: Api, world: World) -> None:
    ids = [(await register(api, world.efp_staff))["id"] for _ in range(3)]
    query = """
    query ($first: Int!, $after: String) {
      enterprises(first: $first, after: $after) { items { id } nextCursor }
    }
    """
    first = (await data_of(api, query, as_=world.efp_staff, first=2))["enterprises"]
    assert [item["id"] for item in first["items"]] == ids[:2]
    assert first["nextCursor"] is not None
    rest = (await data_of(api, query, as_=world.efp_staff, first=2, after=first["nextCursor"]))[
        "enterprises"
    ]
    assert [item["id"] for item in rest["items"]] == ids[2:]
    assert rest["nextCursor"] is None
    # The same cursor as REST: a GraphQL cursor continues a REST listing.
    rest_page = await api.get(
        "/enterprises", params={"cursor": first["nextCursor"]}, as_=world.efp_staff
    )
    assert [item["id"] for item in rest_page.json()["items"]] == ids[2:]


async def test_enterprises_filter_by_country(api: Api, world: World) -> None:
    karachi = await register(api, world.efp_staff)
    await register(api, world.efp_staff, country="BD", city="Dhaka")
    query = '{ enterprises(country: "pk") { items { id country } } }'
    items = (await data_of(api, query, as_=world.efp_staff))["enterprises"]["items"]
    assert items == [{"id": karachi["id"], "country": "PK"}]


async def test_partner_staff_cannot_see_another_partners_enterprise(api: Api, world: World) -> None:
    efp_enterprise = await register(api, world.efp_staff)
    mdpi_enterprise = await register(api, world.mdpi_staff, country="GH", city="Accra")
    query = """
    query ($id: ID!) {
      enterprise(id: $id) { id }
      enterprises { items { id } }
    }
    """
    as_mdpi = await data_of(api, query, as_=world.mdpi_staff, id=efp_enterprise["id"])
    assert as_mdpi["enterprise"] is None
    assert [item["id"] for item in as_mdpi["enterprises"]["items"]] == [mdpi_enterprise["id"]]
    as_efp = await data_of(api, query, as_=world.efp_staff, id=efp_enterprise["id"])
    assert as_efp["enterprise"] == {"id": efp_enterprise["id"]}


async def test_programme_manager_sees_only_their_projects_enrolment(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprise = await register(api, world.efp_staff)
    for project_id in (world.pakistan_project_id, world.ghana_project_id):
        await lifecycle_service.ensure_enrolment(
            enrolment_session,
            project_id=project_id,
            enterprise_id=UUID(enterprise["id"]),
            principal=ILO,
        )
    query = """
    query ($id: ID!) {
      enterprise(id: $id) { enrolments { projectId stage stageSince updatedAt } }
    }
    """

    async def enrolled_projects(principal: Principal) -> list[str]:
        result = await data_of(api, query, as_=principal, id=enterprise["id"])
        return [e["projectId"] for e in result["enterprise"]["enrolments"]]

    assert await enrolled_projects(world.pakistan_manager) == [str(world.pakistan_project_id)]
    assert await enrolled_projects(world.ghana_manager) == [str(world.ghana_project_id)]
    assert await enrolled_projects(world.efp_staff) == [
        str(world.pakistan_project_id),
        str(world.ghana_project_id),
    ]
    [enrolment] = (await data_of(api, query, as_=world.pakistan_manager, id=enterprise["id"]))[
        "enterprise"
    ]["enrolments"]
    assert enrolment["stage"] == LifecycleStage.expression_of_interest.value
    # Never moved yet: in its first stage since it was created.
    assert enrolment["updatedAt"] is None
    assert enrolment["stageSince"] is not None


async def test_organisations_projects_and_project_lookup(api: Api, world: World) -> None:
    query = """
    query ($pakistan: ID!, $ghana: ID!) {
      organisations(kind: lead_buyer, first: 500) { items { id kind } }
      projects { items { id name partnerIds } nextCursor }
      pakistan: project(id: $pakistan) { id country }
      ghana: project(id: $ghana) { id }
    }
    """
    result = await data_of(
        api,
        query,
        as_=world.efp_staff,
        pakistan=str(world.pakistan_project_id),
        ghana=str(world.ghana_project_id),
    )
    buyers = {item["id"] for item in result["organisations"]["items"]}
    assert {str(world.inditex_id), str(world.adidas_id)} <= buyers
    assert {item["kind"] for item in result["organisations"]["items"]} == {"lead_buyer"}
    assert [p["id"] for p in result["projects"]["items"]] == [str(world.pakistan_project_id)]
    assert result["projects"]["items"][0]["partnerIds"] == [str(world.efp_id)]
    assert result["pakistan"] == {"id": str(world.pakistan_project_id), "country": "PK"}
    # EFP takes no part in the Ghana project.
    assert result["ghana"] is None


async def test_requests_without_valid_identity_token_are_refused_with_401(api: Api) -> None:
    query = {"query": "{ enterprises { items { id } } }"}
    missing = await api.client.post("/graphql", json=query)
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"].endswith("/unauthenticated")
    forged = await api.client.post(
        "/graphql", json=query, headers={"Authorization": "Bearer not-a-jwt"}
    )
    assert forged.status_code == 401
    federation = await api.client.post("/graphql", json={"query": "{ _service { sdl } }"})
    assert federation.status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ('{ enterprises(after: "not a cursor") { items { id } } }', "after"),
        ("{ enterprises(first: 0) { items { id } } }", "first"),
        ("{ projects(first: 501) { items { id } } }", "first"),
        ('{ enterprises(country: "XX") { items { id } } }', "country"),
        ('{ enterprise(id: "42") { id } }', "id"),
        ('{ _entities(representations: [{__typename: "Enterprise", id: "42"}]) { __typename } }',
         "id"),
    ],
)  # fmt: skip
async def test_bad_arguments_are_bad_user_input_naming_the_argument(
    api: Api, query: str, field: str
) -> None:
    body = await graphql(api, query)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["status"] == 422
    assert [e["field"] for e in error["extensions"]["errors"]] == [field]


async def test_domain_problem_keeps_its_message_and_code(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(*args: Any, **kwargs: Any) -> Any:
        raise Forbidden("A trainer cannot list projects")

    monkeypatch.setattr(project_service, "get_all", refuse)
    body = await graphql(api, "{ projects { items { id } } }")
    [error] = body["errors"]
    assert error["message"] == "A trainer cannot list projects"
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"] == ["projects"]


async def test_unexpected_resolver_error_is_masked(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection to postgres://score:hunter2@db failed")

    monkeypatch.setattr(enterprise_service, "get_all_rows", crash)
    response = await api.post("/graphql", json={"query": "{ enterprises { items { id } } }"})
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "hunter2" not in response.text


async def test_sibling_root_fields_share_the_session_safely(api: Api, world: World) -> None:
    enterprise = await register(api, world.efp_staff)
    query = """
    query ($id: ID!) {
      enterprise(id: $id) { id enrolments { stage } }
      enterprises { items { id } }
      projects { items { id } }
      organisations { items { id } }
    }
    """
    result = await data_of(api, query, as_=world.efp_staff, id=enterprise["id"])
    assert result["enterprise"]["id"] == enterprise["id"]
    assert [item["id"] for item in result["enterprises"]["items"]] == [enterprise["id"]]
