"""The rate limit holds across gunicorn workers: two workers, one Redis, one budget."""

from __future__ import annotations

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

        def fresh(_: int) -> requests.Response:
            # A new connection per request, so each is accepted by whichever worker is free.
            return requests.get(f"{server.base}/v1/articles?size=1", timeout=30,
                                headers={"Connection": "close"})

        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(fresh, range(LIMIT + 15)))

    statuses = Counter(r.status_code for r in answers)
    assert statuses == {200: LIMIT, 429: 15}, statuses
    served_by = {r.headers["X-Served-By"] for r in answers}
    assert len(served_by) == 2, f"both workers must have answered: {served_by}"
    within = {r.headers["X-Served-By"] for r in answers if r.status_code == 200}
    assert len(within) == 2, "both workers spent the one budget"
    for response in answers:
        assert response.headers["RateLimit-Limit"] == str(LIMIT)
    refused = next(r for r in answers if r.status_code == 429)
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Remaining"] == "0"
