"""The service as the Docker image runs it: built as a wheel, installed into a fresh virtualenv.

Every other test runs from the editable checkout, where templates and data files are simply on
disk; this one proves the wheel carries them. Nothing from the checkout is on ``sys.path``:
the server runs from the new environment's console script in an empty working directory.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import SHARED, require_shared

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{args[0]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def _clean_env(home: Path) -> dict[str, str]:
    """No PYTHONPATH, no virtualenv of ours, no STORYRECORDS_* from the caller."""
    keep = {"PATH", "LANG", "LC_ALL", "TMPDIR", "PIP_CACHE_DIR", "XDG_CACHE_HOME"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["HOME"] = os.environ.get("HOME", str(home))
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the built wheel and the locked runtime dependencies."""
    work = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", work / "dist", ROOT, cwd=work)
    (wheel,) = (work / "dist").glob("storyrecords-*.whl")
    base_python = getattr(sys, "_base_executable", sys.executable)
    venv = work / "venv"
    _run(base_python, "-m", "venv", venv, cwd=work)
    pip = [venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    # As scripts/setup.sh and the Dockerfile install: the lock alone, then pip check proves
    # it holds everything the wheel declares.
    _run(*pip, "--require-hashes", "--no-deps", "-r", ROOT / "requirements" / "runtime.txt",
         cwd=work)
    _run(*pip, "--no-deps", wheel, cwd=work)
    _run(venv / "bin" / "python", "-m", "pip", "check", cwd=work)
    return venv


def test_the_packages_come_from_the_new_environment(installed: Path, tmp_path: Path) -> None:
    out = _run(
        installed / "bin" / "python", "-c",
        "import json, api, indexer, sysconfig; print(json.dumps([api.__file__, "
        "indexer.__file__, sysconfig.get_paths()['purelib']]))",
        cwd=tmp_path, env=_clean_env(tmp_path),
    )
    api_file, indexer_file, site = json.loads(out)
    assert Path(api_file).is_relative_to(site), api_file
    assert Path(indexer_file).is_relative_to(site), indexer_file
    assert not Path(api_file).is_relative_to(ROOT)


@pytest.fixture(scope="module")
def serving(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The installed server, and a write key made with the installed CLI."""
    cwd = tmp_path_factory.mktemp("serve")
    env = _clean_env(cwd)
    env["STORYRECORDS_DATA_DIR"] = str(cwd / "data")
    key = _run(installed / "bin" / "storyrecords", "keys", "create", "--name", "wheel",
               "--scope", "write", cwd=cwd, env=env).strip()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (cwd / "server.log").open("w")
    proc = subprocess.Popen(
        [str(installed / "bin" / "storyrecords"), "serve", "--port", str(port)],
        cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, (cwd / "server.log").read_text()[-3000:]
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail("the installed server did not come up in 120 s")
        yield base, key
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_probes_docs_and_contract_work_from_the_wheel(serving: tuple[str, str]) -> None:
    server, _ = serving
    assert requests.get(f"{server}/healthz", timeout=10).status_code == 200
    ready = requests.get(f"{server}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    docs = requests.get(f"{server}/docs", timeout=10)
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js"):
        assert requests.get(f"{server}/docs/assets/{asset}", timeout=10).status_code == 200
    served = requests.get(f"{server}/openapi.yaml", timeout=10)
    assert served.text == (ROOT / "openapi.yaml").read_text(encoding="utf-8")


def test_a_sample_is_indexed_and_found(serving: tuple[str, str]) -> None:
    server, key = serving
    samples = require_shared(SHARED / "samples", "the sample articles")
    text = (samples / "geneva-talks-short.txt").read_text(encoding="utf-8")
    created = requests.post(
        f"{server}/v1/articles",
        json={"text": text, "source": "wheel", "published_at": "2022-01-11"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    )
    assert created.status_code == 201, created.text
    found = requests.get(f"{server}/v1/articles", params={"q": "Geneva"}, timeout=30).json()
    assert found["total"] == 1
    assert any(p["value"] == "country:RU" for p in found["facets"]["party"])
