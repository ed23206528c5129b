"""A real ``storyrecords serve`` (gunicorn) for end-to-end tests, and a Redis beside it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import in_ci


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    base: str
    port: int
    data: Path
    log: Path
    key: str


def storyrecords(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, check=True,
                          capture_output=True, text=True, timeout=120)
    return done.stdout


@contextmanager
def serve(tmp: Path, extra_env: dict[str, str], *, workers: int = 1) -> Iterator[Server]:
    """Serve the embedded store on a free port with a write key made by the CLI; stop after."""
    data = tmp / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYRECORDS_")}
    env |= {"STORYRECORDS_DATA_DIR": str(data), **extra_env}
    key = storyrecords("keys", "create", "--name", "e2e", "--scope", "write", env=env).strip()
    port = free_port()
    log = tmp / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port),
             "--workers", str(workers), "--threads", "4"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("server did not start:\n" + log.read_text())
            time.sleep(0.2)
        yield Server(base=base, port=port, data=data, log=log, key=key)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    """A throwaway Redis on a free port (Debian's redis-server), as its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        why = "redis-server is not installed (scripts/setup.sh installs it)"
        if in_ci():
            pytest.fail(why)
        pytest.skip(why)
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("redis-server did not start")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
