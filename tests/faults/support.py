"""What the fault tests share: real ECB+ articles, the CLI and a real server as subprocesses,
the store's invariants read back, and the figures each test reports.

Every wait here is a condition polled against a deadline (:func:`wait_for`), never a fixed
sleep. Figures (articles sent, acknowledged, found, duplicates, repairs) are printed as one
JSON line per test and kept in the JUnit XML as properties.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests

from indexer.store.base import Store
from tests.conftest import SHARED, require_shared
from tests.e2e.serving import free_port
from tests.faults.es_instance import wait_for

ECBPLUS = SHARED / "eval" / "ecbplus"
SEED = 9
#: No NLP where it is not what is judged: the text is stored as sent (indexer.ingest).
NO_NLP = {"STORYRECORDS_EXTRACTOR": "none"}


# -- real articles ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    """One ECB+ document: its file name, its gold event (subtopic) and its text."""

    name: str
    gold: str
    text: str

    def body(self) -> dict[str, Any]:
        """What a client posts (no id: the store derives it from the content)."""
        return {"text": self.text, "source": "ecbplus"}

    def line(self) -> str:
        return json.dumps(self.body(), ensure_ascii=False)


@cache
def _all_docs() -> tuple[Doc, ...]:
    from indexer.evaluation.ecbplus import load_doc
    from indexer.evaluation.ecbplus_events import document_paths, gold_subtopic

    require_shared(ECBPLUS / "docs", "the ECB+ corpus")
    paths = [p for p in document_paths(ECBPLUS) if int(p.parent.name) <= 35]
    return tuple(Doc(p.name, gold_subtopic(p.name), load_doc(p, ()).text) for p in paths)


@cache
def ecbplus_docs(clusters: int = 50, per_cluster: int = 10) -> tuple[Doc, ...]:
    """``clusters`` gold events of ECB+ topics 1-35, ``per_cluster`` documents each, in a
    seeded shuffle (topics interleave, as news arrives)."""
    by_gold: dict[str, list[Doc]] = defaultdict(list)
    for doc in _all_docs():
        by_gold[doc.gold].append(doc)
    big = sorted((g for g, docs in by_gold.items() if len(docs) >= per_cluster),
                 key=lambda g: (int(g.split("_")[0]), g))
    assert len(big) >= clusters, f"only {len(big)} gold events have {per_cluster} documents"
    chosen = [d for g in big[:clusters] for d in sorted(by_gold[g], key=lambda d: d.name)[
        :per_cluster]]
    random.Random(SEED).shuffle(chosen)
    return tuple(chosen)


def spare_docs() -> tuple[Doc, ...]:
    """ECB+ documents (topics 1-35) that :func:`ecbplus_docs` does not use."""
    used = {d.name for d in ecbplus_docs()}
    return tuple(d for d in _all_docs() if d.name not in used)


def write_ndjson(path: Path, docs: tuple[Doc, ...] | list[Doc]) -> Path:
    path.write_text("".join(d.line() + "\n" for d in docs), encoding="utf-8")
    return path


def article_id(doc: Doc) -> str:
    """The id the store gives ``doc`` (derived from its text: no title is sent)."""
    from indexer import ids

    return ids.article_id(doc.text, None)


# -- the CLI and the server as an operator runs them -------------------------------------


def environment(**extra: str) -> dict[str, str]:
    """This process's environment without any STORYRECORDS_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYRECORDS_")}
    env["STORYRECORDS_RATE_LIMIT"] = "off"  # the loads here are not what rate limits are for
    env.update(extra)
    return env


def storyrecords(*args: str, env: dict[str, str], timeout: float = 600) -> \
        subprocess.CompletedProcess[str]:
    """Run the console script to completion (not checked: callers assert the exit code)."""
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, text=True,
                          capture_output=True, timeout=timeout, check=False)


def start_storyrecords(*args: str, env: dict[str, str], out: Path) -> subprocess.Popen[bytes]:
    """Start the console script in the background, its stdout and stderr into ``out``."""
    with out.open("wb") as handle:
        return subprocess.Popen([sys.executable, "-m", "api.cli", *args], env=env,
                                stdout=handle, stderr=subprocess.STDOUT)


def check_cli(env: dict[str, str], *, repair: bool = False) -> tuple[int, dict[str, Any]]:
    """``storyrecords check --json [--repair]``: its exit code and report."""
    done = storyrecords("check", "--json", *(["--repair"] if repair else []), env=env)
    assert done.returncode in (0, 1), f"check exited {done.returncode}: {done.stderr}"
    return done.returncode, json.loads(done.stdout)


def read_report(path: Path) -> list[dict[str, Any]]:
    """The NDJSON lines ``storyrecords index --report`` wrote (a torn last line is dropped)."""
    if not path.exists():
        return []
    rows = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        with suppress(ValueError):
            rows.append(json.loads(raw))
    return rows


@dataclass
class Server:
    """A running ``storyrecords serve`` (gunicorn master ``proc``) and a write key for it."""

    base: str
    proc: subprocess.Popen[bytes]
    log: Path
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def post(self, doc: Doc, timeout: float = 120) -> requests.Response:
        return requests.post(f"{self.base}/v1/articles", json=doc.body(), headers=self.auth,
                             timeout=timeout)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serve(env: dict[str, str], tmp: Path, *, workers: int = 1, threads: int = 4) -> \
        Iterator[Server]:
    """``storyrecords serve`` on a free port with a write key made by ``keys create`` against
    the same store (the key lives in the store); stopped afterwards however the test ends."""
    made = storyrecords("keys", "create", "--name", f"faults-{free_port()}", "--scope", "write",
                        env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    port = free_port()
    log = tmp / f"server-{port}.log"
    proc = start_storyrecords("serve", "--port", str(port), "--workers", str(workers),
                              "--threads", str(threads), env=env, out=log)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, "the server exited:\n" + log.read_text(errors="replace")
        try:
            return requests.get(f"{base}/healthz", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_for(up, "the server to answer /healthz", timeout=180)
        yield Server(base=base, proc=proc, log=log, key=key)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End a process we started (SIGTERM, then SIGKILL if it does not go)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def wait_for_line(path: Path, needle: str, *, proc: subprocess.Popen[bytes] | None = None,
                  timeout: float = 120) -> str:
    """The first line of ``path`` containing ``needle``, once it is there."""
    found: list[str] = []

    def there() -> bool:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode} before printing {needle!r}:\n"
                                 + path.read_text(errors="replace")[-3000:])
        if path.exists():
            found.extend(x for x in path.read_text(errors="replace").splitlines() if needle in x)
        return bool(found)

    wait_for(there, f"{needle!r} in {path.name}", timeout=timeout)
    return found[0]


# -- the store's promises, read back ----------------------------------------------------------


def listings(store: Store) -> dict[str, list[str]]:
    """Article id -> the live events whose member lists name it (should be exactly one)."""
    store.refresh()
    listed: dict[str, list[str]] = defaultdict(list)
    for event, _ in store.iter_events():
        for member in event.articles:
            listed[member].append(event.id)
    return listed


def assert_each_in_one_event(store: Store, ids: set[str] | list[str]) -> dict[str, str]:
    """Every id is stored, names an event, and is listed by that event and no other; returns
    id -> event id."""
    listed = listings(store)
    stored = {a.id: a for a in store.get_articles(sorted(ids))}
    missing = sorted(set(ids) - set(stored))
    assert not missing, f"{len(missing)} acknowledged articles are missing: {missing[:5]}"
    wrong = {i: (a.event_id, listed.get(i)) for i, a in stored.items()
             if a.event_id is None or listed.get(i) != [a.event_id]}
    assert not wrong, f"{len(wrong)} articles not in exactly one event: {list(wrong.items())[:5]}"
    return {i: a.event_id for i, a in stored.items() if a.event_id is not None}


def duplicates(store: Store) -> int:
    """Article ids listed by more than one event, plus ids stored more than once."""
    ids = [a.id for a in store.iter_articles()]
    twice_stored = len(ids) - len(set(ids))
    return twice_stored + sum(1 for events in listings(store).values() if len(events) > 1)


def figures(record_property: Callable[[str, object], None], **values: Any) -> None:
    """Report a test's figures: one JSON line on stdout and properties in the JUnit XML."""
    for name, value in values.items():
        record_property(name, value)
    print("FIGURES " + json.dumps(values, sort_keys=True))


def elapsed(began: float) -> float:
    return round(time.monotonic() - began, 2)


URL_VARIABLE = "STORYRECORDS_TEST_ELASTICSEARCH_URL"


@dataclass(frozen=True)
class Backend:
    """Where a test's store lives: the environment that points the CLI and the server at it,
    and a way to open it in this process."""

    name: str
    env: dict[str, str]
    data_dir: Path
    es_url: str | None = None
    prefix: str | None = None

    def open(self) -> Store:
        from indexer.store.elasticsearch import ElasticsearchStore
        from indexer.store.embedded import EmbeddedStore

        if self.es_url is not None:
            return ElasticsearchStore(self.es_url, index=self.prefix or "storyrecords",
                                      timeout=30)
        return EmbeddedStore(self.data_dir / "storyrecords.sqlite3")


def embedded_backend(data_dir: Path, **extra: str) -> Backend:
    env = environment(STORYRECORDS_DATA_DIR=str(data_dir), **extra)
    return Backend("embedded", env, data_dir)


def es_backend(url: str, prefix: str, data_dir: Path, **extra: str) -> Backend:
    """A store under ``prefix`` on the server at ``url`` (data_dir only holds local files)."""
    env = environment(STORYRECORDS_DATA_DIR=str(data_dir), STORYRECORDS_ELASTICSEARCH_URL=url,
                      STORYRECORDS_ELASTICSEARCH_INDEX=prefix, **extra)
    return Backend("elasticsearch", env, data_dir, es_url=url, prefix=prefix)


def shared_es_url() -> str:
    """The shared server: only for tests that break something else, never it."""
    from tests.conftest import in_ci

    url = os.environ.get(URL_VARIABLE)
    if not url:
        why = f"{URL_VARIABLE} is not set; the Elasticsearch side of this test cannot run"
        if in_ci():
            pytest.fail(f"CI=true requires it: {why}", pytrace=False)
        pytest.skip(why)
    return url


def drop_prefix(url: str, prefix: str) -> None:
    """Delete every index of ``prefix`` (explicit names: wildcard deletes may be refused)."""
    from elasticsearch import Elasticsearch

    client = Elasticsearch(url, request_timeout=60)
    try:
        names = list(client.indices.get(index=f"{prefix}-*", expand_wildcards="all"))
        if names:
            client.indices.delete(index=",".join(names))
    finally:
        client.close()
