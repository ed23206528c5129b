"""The rate limit holds across gunicorn workers: two workers, one Redis, one budget."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.e2e.serving import redis_server, serve

pytestmark = pytest.mark.slow
LIMIT = 30


def test_two_workers_share_one_budget(tmp_path: Path) -> None:
    with redis_server(tmp_path) as redis, serve(tmp_path, {
        "STORYRECORDS_RATE_LIMIT": f"{LIMIT}/hour",  # an hour: no window ends mid-test
        "STORYRECORDS_RATE_LIMIT_STORAGE": redis,
        "STORYRECORDS_SERVED_BY": "true",
    }, workers=2) as server:

        def fresh(path: str) -> requests.Response:
            # A new connection per request, so each is accepted by whichever worker is free.
            return requests.get(f"{server.base}{path}", timeout=30,
                                headers={"Connection": "close"})

        # Both workers up and answering first (health probes are never limited), so the
        # budget below is spent where the kernel hands each connection.
        deadline = time.monotonic() + 60
        while len({fresh("/healthz").headers["X-Served-By"] for _ in range(10)}) < 2:
            assert time.monotonic() < deadline, "the second worker never answered"
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(fresh, ["/v1/articles?size=1"] * (LIMIT + 15)))
        # Which worker accepts a connection is the kernel's choice: ask again (each answer
        # now a refusal) until both workers have refused, each seeing the other's spending.
        while len({r.headers["X-Served-By"] for r in answers if r.status_code == 429}) < 2:
            assert time.monotonic() < deadline + 60, "one worker never answered"
            answers.append(fresh("/v1/articles?size=1"))

    # Exactly LIMIT let through while both workers answered and both refused: one budget
    # for the two together, however the connections fell (two budgets would have let up
    # to 2 x LIMIT through, and a worker that had spent none of it would not refuse).
    statuses = Counter(r.status_code for r in answers)
    assert statuses == {200: LIMIT, 429: len(answers) - LIMIT}, statuses
    for response in answers:
        assert response.headers["RateLimit-Limit"] == str(LIMIT)
    refused = next(r for r in answers if r.status_code == 429)
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Remaining"] == "0"
