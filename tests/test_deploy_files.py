"""docker-compose.yml matches the CI's Elasticsearch, runs it secured, and compose accepts it.

Compose reads the ``elastic`` password from ``.env`` (the user's copy of ``.env.example``); the
file itself holds no secret. ``docker compose config`` only parses (no engine needed); locally
it is skipped when no compose v2 is installed, under CI=true it must run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parents[1]
PASSWORD_VARIABLE = "${ELASTIC_PASSWORD"


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def _example_env() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_compose_runs_the_elasticsearch_version_ci_tests() -> None:
    compose = _compose()
    image = compose["services"]["elasticsearch"]["image"]
    script = (ROOT / "scripts" / "elasticsearch.sh").read_text()
    tested = re.search(r"STORYRECORDS_ES_VERSION:-([0-9.]+)", script)
    assert tested is not None
    assert image.endswith(f":{tested.group(1)}")
    assert compose["services"]["certs"]["image"] == image  # certutil of the same version
    api = compose["services"]["api"]
    assert api["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert "healthcheck" in compose["services"]["elasticsearch"]


def test_compose_runs_elasticsearch_with_security_and_tls() -> None:
    services = _compose()["services"]
    es = services["elasticsearch"]["environment"]
    assert es["xpack.security.enabled"] == "true"
    assert es["xpack.security.http.ssl.enabled"] == "true"
    assert es["ELASTIC_PASSWORD"].startswith(PASSWORD_VARIABLE)
    deps = services["elasticsearch"]["depends_on"]
    assert deps["certs"]["condition"] == "service_completed_successfully"
    health = " ".join(services["elasticsearch"]["healthcheck"]["test"])
    assert "https://localhost:9200" in health
    assert "--cacert" in health
    assert '-u "elastic:$${ELASTIC_PASSWORD}"' in health  # the container's variable, not ours

    api = services["api"]["environment"]
    assert api["STORYRECORDS_ELASTICSEARCH_URL"].startswith(f"https://elastic:{PASSWORD_VARIABLE}")
    assert api["STORYRECORDS_ELASTICSEARCH_URL"].endswith("@elasticsearch:9200")
    ca = api["STORYRECORDS_ELASTICSEARCH_CA_CERTS"]
    assert any(ca.startswith(mount.split(":")[1]) for mount in services["api"]["volumes"])
    assert all(not mount.startswith("certs:") for mount in services["api"]["volumes"]), (
        "the API mounts only the CA certificate's volume, never the one with private keys"
    )


def test_the_example_env_gives_a_usable_password_and_nothing_else_holds_one() -> None:
    env = _example_env()
    password = env["ELASTIC_PASSWORD"]
    assert len(password) >= 6  # Elasticsearch refuses shorter ones
    assert re.fullmatch(r"[A-Za-z0-9._~-]+", password), "must be URL-safe as written"
    assert password not in (ROOT / "docker-compose.yml").read_text()


def _compose_command() -> list[str] | None:
    """``docker compose`` (the CLI plugin) or a standalone compose v2, whichever is here."""
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    if standalone is not None:
        version = subprocess.run(
            [standalone, "version"], capture_output=True, text=True, check=False
        )
        if version.returncode == 0 and "v2." in version.stdout:
            return [standalone]
    return None


@pytest.fixture
def compose_command() -> list[str]:
    command = _compose_command()
    if command is None:
        why = "no docker compose v2 here (neither the CLI plugin nor a standalone docker-compose)"
        if in_ci():
            pytest.fail(f"CI=true requires the compose check to run: {why}", pytrace=False)
        pytest.skip(why)
    return command


def _run(command: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ELASTIC_PASSWORD"}
    return subprocess.run(
        [*command, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_docker_compose_config_is_valid(compose_command: list[str]) -> None:
    result = _run(compose_command, "--env-file", ".env.example", "config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_fills_the_password_in_from_the_env_file(compose_command: list[str]) -> None:
    result = _run(compose_command, "--env-file", ".env.example", "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    password = _example_env()["ELASTIC_PASSWORD"]
    assert services["elasticsearch"]["environment"]["ELASTIC_PASSWORD"] == password
    url = services["api"]["environment"]["STORYRECORDS_ELASTICSEARCH_URL"]
    assert url == f"https://elastic:{password}@elasticsearch:9200"


def test_compose_refuses_to_run_without_a_password(
    compose_command: list[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = _run(compose_command, "--env-file", str(empty), "config", "-q")
    assert result.returncode != 0
    assert ".env.example" in result.stderr
