"""docker-compose.yml and the CI's Elasticsearch agree, and compose accepts the file."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_the_elasticsearch_version_ci_tests() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    image = compose["services"]["elasticsearch"]["image"]
    script = (ROOT / "scripts" / "elasticsearch.sh").read_text()
    tested = re.search(r'STORYRECORDS_ES_VERSION:-([0-9.]+)', script)
    assert tested is not None
    assert image.endswith(f":{tested.group(1)}")
    api = compose["services"]["api"]
    assert api["environment"]["STORYRECORDS_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
    assert api["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert "healthcheck" in compose["services"]["elasticsearch"]


def test_docker_compose_config_is_valid() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker CLI here")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("docker CLI without the compose plugin")
    result = subprocess.run(
        [docker, "compose", "config", "-q"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
