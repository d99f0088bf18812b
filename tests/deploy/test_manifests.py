"""The deployment files agree with the code: every image, command, port, environment
variable, probe and secret they name exists, so a rename in the code cannot silently
break a deployment."""

import asyncio
import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from pydantic import BaseModel
from pydantic_settings import BaseSettings

from services.cli import app as cli
from services.registry import SERVICES, ServiceEntry
from shared.observability import ObservabilitySettings
from shared.settings import PlatformSettings
from shared.storage import StorageSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
IMAGE = "score-platform"
# Variables read by something other than our settings classes.
FOREIGN_VARIABLES = re.compile(r"^(OTEL_[A-Z_]+|PROBE_PORT|POSTGRES_[A-Z_]+)$")
SECRET_VARIABLES = re.compile(r"(SECRET|DATABASE_URL|PEPPER|PASSWORD|_KEY$)")
# Who holds which private key: the gateway alone mints identities; each feed reader signs
# its own feed tokens. Every process verifies with the public keys.
PRIVATE_KEYS = {
    "gateway": "SCORE_GATEWAY_IDENTITY_KEY",
    "indicators": "SCORE_INDICATORS_FEED_KEY",
    "reporting": "SCORE_REPORTING_FEED_KEY",
}
PUBLIC_KEYS = {"SCORE_IDENTITY_JWKS", "SCORE_FEED_READERS_JWKS"}


def _variables(prefix: str, model: type[BaseModel]) -> Iterator[str]:
    delimiter = model.model_config.get("env_nested_delimiter") or "__"
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseSettings):
            continue  # the platform settings read their own SCORE_ variables
        yield f"{prefix}{name}".upper()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for nested in annotation.model_fields:
                yield f"{prefix}{name}{delimiter}{nested}".upper()


def known_variables() -> set[str]:
    names = set(_variables("SCORE_", PlatformSettings))
    names |= set(_variables("SCORE_", ObservabilitySettings))
    names |= set(_variables("SCORE_STORAGE_", StorageSettings))
    for service in SERVICES:
        names |= set(_variables(service.env_prefix, type(service.settings())))
    return names


def entry(name: str) -> ServiceEntry:
    return next(service for service in SERVICES if service.name == name)


def app_of(service: ServiceEntry) -> FastAPI:
    module, factory = service.app_factory.split(":")
    created = getattr(importlib.import_module(module), factory)()
    assert isinstance(created, FastAPI)
    return created


def serves(service: ServiceEntry, path: str) -> bool:
    """Whether the process answers GET ``path`` with anything but 404 (no database needed:
    a probe that cannot reach its database answers 503, which still proves the route)."""

    async def status() -> int:
        # ASGITransport runs no lifespan, so no database is started.
        transport = httpx.ASGITransport(app=app_of(service), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
            return (await client.get(path)).status_code

    return asyncio.run(status()) != 404


def cli_commands() -> set[str]:
    return {command.name or command.callback.__name__ for command in cli.registered_commands}  # type: ignore[union-attr]


def yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


# --- the image ------------------------------------------------------------------------


def test_the_image_is_multi_stage_runs_as_non_root_and_starts_the_score_command() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) >= 2
    user = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert user, "no USER instruction"
    assert not user[-1].startswith(("root", "0")), user
    assert 'ENTRYPOINT ["score"]' in dockerfile
    for copied in re.findall(r"^COPY (?!--from)(?:--\S+ )*(\S+) ", dockerfile, re.MULTILINE):
        assert (ROOT / copied).exists(), f"the Dockerfile copies {copied}, which does not exist"


# --- compose --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_runs_postgres_16_a_migration_step_the_services_and_the_gateway(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["migrate"]["command"] == ["migrate"]
    assert "migrate" in cli_commands()
    for service in SERVICES:
        spec = services[service.name]
        assert spec["command"] == ["serve", service.name]
        assert IMAGE in spec["image"]
        assert spec["depends_on"], service.name
    assert "serve" in cli_commands()


def test_compose_sets_only_variables_the_code_reads(compose: dict[str, Any]) -> None:
    known = known_variables()
    for name, spec in compose["services"].items():
        if name == "postgres":
            continue
        for variable in spec.get("environment", {}):
            assert variable in known or FOREIGN_VARIABLES.match(variable), (
                f"compose service {name} sets {variable}, which no settings class reads"
            )


def test_compose_ports_and_probes_match_the_code(compose: dict[str, Any]) -> None:
    for service in SERVICES:
        spec = compose["services"][service.name]
        port = str(service.settings().port)
        environment = spec["environment"]
        assert environment[f"{service.env_prefix}PORT"] == port
        assert environment["PROBE_PORT"] == port
        probe = " ".join(spec["healthcheck"]["test"])
        path = re.search(r"'(/[a-z]+)'", probe)
        assert path is not None
        assert serves(service, path.group(1))
    published = compose["services"]["gateway"]["ports"][0]
    assert published.endswith(f":{entry('gateway').settings().port}")


def test_compose_never_inlines_a_secret(compose: dict[str, Any]) -> None:
    for name, spec in compose["services"].items():
        for variable, value in (spec.get("environment") or {}).items():
            if SECRET_VARIABLES.search(variable):
                assert "${" in str(value), f"{name}: {variable} is inlined"


def test_compose_gives_each_private_key_to_its_one_process(compose: dict[str, Any]) -> None:
    for name, spec in compose["services"].items():
        if name == "postgres":
            continue
        environment = set(spec["environment"])
        assert environment >= PUBLIC_KEYS, name
        held = {variable for variable in PRIVATE_KEYS.values() if variable in environment}
        assert held == ({PRIVATE_KEYS[name]} if name in PRIVATE_KEYS else set()), name


# --- kubernetes -----------------------------------------------------------------------

BASE = DEPLOY / "k8s" / "base"
PRODUCTION = DEPLOY / "k8s" / "overlays" / "production"


def kustomization(folder: Path) -> dict[str, Any]:
    loaded = yaml.safe_load((folder / "kustomization.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def base_resources() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for resource in kustomization(BASE)["resources"]:
        path = BASE / resource
        assert path.exists(), f"kustomization lists {resource}, which does not exist"
        documents += yaml_documents(path)
    return documents


def of_kind(resources: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in resources if doc["kind"] == kind}


def test_each_process_has_a_deployment_service_and_disruption_budget(
    base_resources: list[dict[str, Any]],
) -> None:
    deployments = of_kind(base_resources, "Deployment")
    services = of_kind(base_resources, "Service")
    budgets = of_kind(base_resources, "PodDisruptionBudget")
    for service in SERVICES:
        name = f"score-{service.name}"
        assert name in deployments
        assert name in services
        assert name in budgets
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert services[name]["spec"]["selector"].items() <= labels.items()
        assert budgets[name]["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_deployments_run_the_image_with_the_right_command_port_probes_and_limits(
    base_resources: list[dict[str, Any]],
) -> None:
    images = {image["name"] for image in kustomization(BASE)["images"]}
    for service in SERVICES:
        deployment = of_kind(base_resources, "Deployment")[f"score-{service.name}"]
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        (container,) = pod["containers"]
        assert container["image"] in images
        assert container["args"] == ["serve", service.name]
        (port,) = container["ports"]
        assert port["containerPort"] == service.settings().port
        for probe in ("readinessProbe", "livenessProbe"):
            assert serves(service, container[probe]["httpGet"]["path"])
            assert container[probe]["httpGet"]["port"] == port["name"]
        assert container["resources"]["requests"]
        assert container["resources"]["limits"]
        env = {item["name"]: item for item in container["env"]}
        assert env[f"{service.env_prefix}PORT"]["value"] == str(port["containerPort"])


def test_kubernetes_sets_only_variables_the_code_reads_and_references_secrets(
    base_resources: list[dict[str, Any]],
) -> None:
    known = known_variables()
    pods = [
        doc["spec"]["template"]["spec"]
        for doc in base_resources
        if doc["kind"] in ("Deployment", "Job")
    ]
    config = of_kind(base_resources, "ConfigMap")["score-config"]["data"]
    for variable in config:
        assert variable in known, f"score-config sets {variable}, which no settings class reads"
    for pod in pods:
        for container in pod["containers"]:
            for item in container.get("env", []):
                assert item["name"] in known, f"{item['name']} is read by no settings class"
                if SECRET_VARIABLES.search(item["name"]):
                    assert "value" not in item, f"{item['name']} is inlined, not referenced"
                    assert item["valueFrom"]["secretKeyRef"]["name"] == "score-secrets"
            refs = [ref["configMapRef"]["name"] for ref in container.get("envFrom", [])]
            assert refs == ["score-config"]


def test_kubernetes_gives_each_private_key_to_its_one_process(
    base_resources: list[dict[str, Any]],
) -> None:
    deployments = of_kind(base_resources, "Deployment")
    for service in SERVICES:
        (container,) = deployments[f"score-{service.name}"]["spec"]["template"]["spec"][
            "containers"
        ]
        env = {item["name"]: item for item in container["env"]}
        for variable in PUBLIC_KEYS:
            assert env[variable]["valueFrom"]["configMapKeyRef"]["name"] == "score-public-keys"
        held = {variable for variable in PRIVATE_KEYS.values() if variable in env}
        expected = {PRIVATE_KEYS[service.name]} if service.name in PRIVATE_KEYS else set()
        assert held == expected, service.name
    (job,) = of_kind(base_resources, "Job").values()
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    # Migrating needs the databases, not a single key.
    assert not {item["name"] for item in migrate["env"]} & set(PRIVATE_KEYS.values())


def test_the_migration_job_migrates_every_database(base_resources: list[dict[str, Any]]) -> None:
    job = of_kind(base_resources, "Job")["score-migrate"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["migrate"]
    env = {item["name"] for item in container["env"]}
    for service in SERVICES:
        assert f"{service.env_prefix}DATABASE_URL" in env


def test_only_the_gateway_is_exposed_and_it_and_reporting_autoscale(
    base_resources: list[dict[str, Any]],
) -> None:
    (ingress,) = of_kind(base_resources, "Ingress").values()
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"score-gateway"}
    deployments = of_kind(base_resources, "Deployment")
    targets = {
        hpa["spec"]["scaleTargetRef"]["name"]
        for hpa in of_kind(base_resources, "HorizontalPodAutoscaler").values()
    }
    assert targets == {"score-gateway", "score-reporting"}
    assert targets <= deployments.keys()


def test_the_production_overlay_patches_only_what_the_base_has(
    base_resources: list[dict[str, Any]],
) -> None:
    overlay = kustomization(PRODUCTION)
    assert "../../base" in overlay["resources"]
    names = {(doc["kind"], doc["metadata"]["name"]) for doc in base_resources}
    for patch in overlay["patches"]:
        if "path" in patch:
            for doc in yaml_documents(PRODUCTION / patch["path"]):
                assert (doc["kind"], doc["metadata"]["name"]) in names, patch["path"]
        else:
            target = patch["target"]
            assert (target["kind"], target["name"]) in names
    (image,) = overlay["images"]
    assert image["name"] == IMAGE
    assert image["newTag"] not in ("latest", "")
