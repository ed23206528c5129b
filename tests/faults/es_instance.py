"""A private Elasticsearch for tests that break it: kill -9, freeze, thaw, restart with data kept.

Fault tests must never touch the server the other tests share, so each one starts its own
instance through ``scripts/elasticsearch.sh`` (own name, port and data directory under the
script's runtime base) and deletes it afterwards. The signals go to the server's java process
itself, the pid the script's pidfile holds (the launcher has exited by then).

Locally a missing JDK or an unreachable download (the script's exit code 3) is a skip; under
``CI=true`` it is a failure, like every Elasticsearch test.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from elasticsearch import Elasticsearch

from indexer.store.es_client import build_client
from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "elasticsearch.sh"
PREREQUISITE_MISSING = 3  # the script's exit code for "no JDK / no download"
START_TIMEOUT_S = 360.0  # the script itself gives up after STORYRECORDS_ES_TIMEOUT (240 s)
NAME_PREFIX = "pytest-"
#: Machine-wide settings of the script that a private instance shares with the shared one.
KEPT_SETTINGS = (
    "STORYRECORDS_ES_VERSION",
    "STORYRECORDS_ES_CACHE",
    "STORYRECORDS_ES_USER",
    "STORYRECORDS_ES_RUNTIME",
)


class ScriptFailed(RuntimeError):
    """``scripts/elasticsearch.sh`` exited non-zero; the message carries its stderr."""

    def __init__(self, command: str, result: subprocess.CompletedProcess[str]) -> None:
        super().__init__(
            f"scripts/elasticsearch.sh {command} exited {result.returncode}:\n{result.stderr}"
        )
        self.returncode = result.returncode


def free_port() -> int:
    """A port nothing listens on right now (the kernel's pick), for a new instance."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def _state(pid: int) -> str | None:
    """The process state letter (R, S, T, Z, ...) from /proc, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _gone(pid: int) -> bool:
    return _state(pid) in (None, "Z", "X")  # a zombie is dead, whoever reaps it


@dataclass
class EsInstance:
    """One private server. ``url`` has no credentials; :meth:`client` adds them."""

    name: str
    port: int
    secure: bool = False
    password: str | None = None
    url: str = ""
    ca_certs: Path | None = None
    directory: Path | None = None
    _pid: int | None = field(default=None, repr=False)

    # -- the script -------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STORYRECORDS_ES_")}
        for keep in KEPT_SETTINGS:
            if keep in os.environ:
                env[keep] = os.environ[keep]
        env.update(
            STORYRECORDS_ES_INSTANCE=self.name,
            STORYRECORDS_ES_PORT=str(self.port),
            STORYRECORDS_ES_SECURE="1" if self.secure else "0",
            STORYRECORDS_ES_HEAP=os.environ.get("STORYRECORDS_ES_HEAP", "512m"),
            # A busy 2-core CI machine has taken 80 s to start one; the script's default is 120.
            STORYRECORDS_ES_TIMEOUT=os.environ.get("STORYRECORDS_ES_TIMEOUT", "240"),
        )
        if self.password is not None:
            env["STORYRECORDS_ES_PASSWORD"] = self.password
        return env

    def script(self, command: str, timeout: float = 120.0) -> str:
        """Run ``scripts/elasticsearch.sh COMMAND`` for this instance; its stdout."""
        result = subprocess.run(
            ["bash", str(SCRIPT), command],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise ScriptFailed(command, result)
        return result.stdout

    def _read_info(self) -> None:
        info = dict(
            line.split("=", 1) for line in self.script("info").splitlines() if "=" in line
        )
        self.url = info["url"]
        self.directory = Path(info["dir"])
        self.ca_certs = Path(info["ca"]) if info.get("ca") else None
        self._pid = int(info["pid"]) if info.get("pid") else None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Start (or reuse) the server, keeping whatever data its directory holds."""
        self.script("start", timeout=START_TIMEOUT_S)
        self._read_info()
        if self._pid is None:
            raise AssertionError(f"{self.name} started but the script reports no pid")

    def restart(self) -> None:
        """Bring the server back with its data: after :meth:`kill`, or a clean stop and start."""
        if self._pid is not None and not _gone(self._pid):
            self.thaw()
            self.script("stop")
        self.start()

    def stop(self) -> None:
        """Shut down cleanly (SIGTERM), data kept."""
        self.script("stop")
        self._pid = None

    def destroy(self) -> None:
        """Stop and delete the instance's directory."""
        self.script("destroy")
        self._pid = None

    # -- faults -----------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        """The server's java process (the pidfile's, checked to be Elasticsearch)."""
        if self._pid is None or _gone(self._pid):
            raise AssertionError(f"{self.name} is not running")
        return self._pid

    def kill(self) -> None:
        """SIGKILL the server, as a crash or the OOM killer would; returns once it is dead."""
        pid = self.pid
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: _gone(pid), f"pid {pid} to die after SIGKILL")

    def freeze(self) -> None:
        """SIGSTOP the server: its port stays open, connections are accepted, nothing answers."""
        pid = self.pid
        os.kill(pid, signal.SIGSTOP)
        wait_for(lambda: _state(pid) == "T", f"pid {pid} to stop after SIGSTOP")

    def thaw(self) -> None:
        """SIGCONT a frozen server; it answers again at once (see :meth:`wait_answering`)."""
        pid = self.pid
        os.kill(pid, signal.SIGCONT)
        wait_for(lambda: _state(pid) != "T", f"pid {pid} to resume after SIGCONT")

    # -- talking to it ----------------------------------------------------------------------

    @property
    def auth_url(self) -> str:
        """``url`` with the ``elastic`` user's credentials in it (percent-encoded)."""
        if self.password is None:
            return self.url
        scheme, rest = self.url.split("://", 1)
        return f"{scheme}://elastic:{quote(self.password, safe='')}@{rest}"

    def client(self, timeout: float = 10.0) -> Elasticsearch:
        """A client the way the store builds one: credentials, CA, one attempt per call."""
        return build_client(self.auth_url, ca_certs=self.ca_certs, timeout=timeout)

    def wait_answering(self, timeout: float = 60.0) -> None:
        """Poll until the cluster is at least yellow."""

        def healthy() -> bool:
            client = self.client(timeout=2)
            try:
                status = client.cluster.health(wait_for_status="yellow", timeout="1s")
                return str(status["status"]) in ("yellow", "green")
            except Exception:
                return False
            finally:
                client.close()

        wait_for(healthy, f"{self.url} to answer", timeout)


def reap_stale_instances() -> None:
    """Destroy instances left by pytest runs that died (their pid is in the name, and gone)."""
    probe = EsInstance(name=f"{NAME_PREFIX}probe", port=1)
    try:
        probe._read_info()
    except ScriptFailed:
        return
    assert probe.directory is not None
    for candidate in probe.directory.parent.glob(f"{NAME_PREFIX}*"):
        match = re.fullmatch(rf"{NAME_PREFIX}(\d+)-\w+", candidate.name)
        if match and candidate.is_dir() and _gone(int(match.group(1))):
            EsInstance(name=candidate.name, port=1).script("destroy")


@contextmanager
def es_instance(*, secure: bool = False) -> Iterator[EsInstance]:
    """A started private instance, destroyed afterwards (however the test ends).

    ``secure``: security on, TLS on HTTP with the instance's own CA, user ``elastic`` with a
    random password that needs percent-encoding in a URL.
    """
    reap_stale_instances()
    password = f"pw:{secrets.token_urlsafe(12)}@/%" if secure else None
    name = f"{NAME_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    instance = EsInstance(name=name, port=free_port(), secure=secure, password=password)
    try:
        instance.start()
    except ScriptFailed as exc:
        with suppress(ScriptFailed):
            instance.destroy()
        if exc.returncode == PREREQUISITE_MISSING and not in_ci():
            pytest.skip(f"cannot run a private Elasticsearch here: {exc}")
        pytest.fail(f"a private Elasticsearch did not start: {exc}", pytrace=False)
    try:
        yield instance
    finally:
        instance.destroy()

