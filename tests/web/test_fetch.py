"""The polite fetcher against a local server: robots.txt, validators, delays, limits, hops."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from indexer.web.addresses import resolve
from indexer.web.errors import FetchError
from indexer.web.fetch import Fetcher, Policy
from tests.web.server import Site, serve

LOCAL = Policy(allow_private=True, host_delay=0.0, timeout=2.0)


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as running:
        yield running


def test_the_user_agent_names_the_project_and_robots_txt_is_asked_once(site: Site) -> None:
    site.page("/a", "<html>a</html>")
    site.page("/b", "<html>b</html>")
    fetcher = Fetcher(LOCAL)
    assert fetcher.get(site.url("/a")).body == b"<html>a</html>"
    fetcher.get(site.url("/b"))
    assert site.hits("/robots.txt") == 1
    assert all("storyrecords" in headers["user-agent"] for _, headers in site.requests)


def test_robots_txt_disallow_is_obeyed(site: Site) -> None:
    site.page("/robots.txt", "User-agent: storyrecords\nDisallow: /private/\n", kind="text/plain")
    site.page("/private/x", "<html>secret</html>")
    with pytest.raises(FetchError) as caught:
        Fetcher(LOCAL).get(site.url("/private/x"))
    assert caught.value.reason == "robots"
    assert site.hits("/private/x") == 0


def test_a_failing_robots_txt_means_stay_away(site: Site) -> None:
    site.status("/robots.txt", 503)
    site.page("/a", "<html>a</html>")
    with pytest.raises(FetchError, match="robots"):
        Fetcher(LOCAL).get(site.url("/a"))


def test_conditional_get_answers_not_modified(site: Site) -> None:
    site.page("/feed", "<rss/>", etag='"v1"', kind="application/rss+xml")
    fetcher = Fetcher(LOCAL)
    first = fetcher.get(site.url("/feed"))
    assert (first.etag, first.not_modified) == ('"v1"', False)
    again = fetcher.get(site.url("/feed"), etag=first.etag)
    assert again.not_modified and again.body == b""
    assert site.requests[-1][1]["if-none-match"] == '"v1"'


def test_redirects_are_followed_and_error_statuses_reported(site: Site) -> None:
    site.redirect("/old", "/new")
    site.page("/new", "<html>new</html>")
    site.status("/missing", 404)
    site.status("/broken", 500)
    fetcher = Fetcher(LOCAL)
    moved = fetcher.get(site.url("/old"))
    assert (moved.url, moved.body) == (site.url("/new"), b"<html>new</html>")
    for path, code in (("/missing", 404), ("/broken", 500)):
        with pytest.raises(FetchError) as caught:
            fetcher.get(site.url(path))
        assert (caught.value.reason, caught.value.status) == ("http", code)


def test_a_redirect_loop_stops(site: Site) -> None:
    site.redirect("/loop", "/loop")
    with pytest.raises(FetchError, match="redirects"):
        Fetcher(LOCAL).get(site.url("/loop"))


def test_loopback_is_refused_without_allow_private(site: Site) -> None:
    site.page("/a", "<html>a</html>")
    with pytest.raises(FetchError, match="--allow-private") as caught:
        Fetcher(Policy(host_delay=0.0)).get(site.url("/a"))
    assert caught.value.reason == "blocked"
    assert site.requests == []


def test_every_redirect_hop_is_checked_again(site: Site) -> None:
    """Only 127.0.0.1 passes here; a redirect to another loopback address must be refused."""
    site.redirect("/hop", site.url("/a", host="127.0.0.2"))
    site.page("/a", "<html>a</html>")
    fetcher = Fetcher(Policy(host_delay=0.0), address_ok=lambda address: address == "127.0.0.1")
    with pytest.raises(FetchError, match=r"127\.0\.0\.2") as caught:
        fetcher.get(site.url("/hop"))
    assert caught.value.reason == "blocked"
    assert site.hits("/a") == 0


def test_a_name_with_any_private_address_is_refused() -> None:
    def resolver(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]

    with pytest.raises(FetchError, match=r"10\.0\.0\.7"):
        resolve("mixed.example", 80, allow_private=False, resolver=resolver)
    assert resolve("mixed.example", 80, allow_private=True, resolver=resolver)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://a.example/x",
                                 "http://user:pw@a.example/"])
def test_only_plain_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(FetchError) as caught:
        Fetcher(LOCAL).get(url)
    assert caught.value.reason == "blocked"


def test_a_slow_host_times_out(site: Site) -> None:
    site.slow("/slow")
    with pytest.raises(FetchError) as caught:
        Fetcher(Policy(allow_private=True, host_delay=0.0, timeout=0.3)).get(site.url("/slow"))
    assert caught.value.reason == "timeout"


def test_requests_to_one_host_are_spaced_by_the_delay(site: Site) -> None:
    site.page("/a", "<html>a</html>")
    waits: list[float] = []
    fetcher = Fetcher(Policy(allow_private=True, host_delay=30.0), sleep=waits.append)
    fetcher.get(site.url("/a"))
    fetcher.get(site.url("/a"))
    # robots.txt, then /a after a wait, then /a after another wait; nothing actually slept
    assert len(waits) == 2 and all(25.0 < w <= 30.0 for w in waits)


def test_robots_crawl_delay_is_honoured(site: Site) -> None:
    site.page("/robots.txt", "User-agent: *\nCrawl-delay: 7\n", kind="text/plain")
    site.page("/a", "<html>a</html>")
    waits: list[float] = []
    Fetcher(Policy(allow_private=True, host_delay=0.0), sleep=waits.append).get(site.url("/a"))
    assert len(waits) == 1 and 5.0 < waits[0] <= 7.0


def test_size_limits_hold_for_plain_and_compressed_bodies(site: Site) -> None:
    site.page("/big", b"<html>" + b"x" * 3_000_000)
    bomb = gzip.compress(b" " * 20_000_000)
    site.routes["/bomb"] = lambda h: (200, {"Content-Type": "text/html",
                                            "Content-Encoding": "gzip"}, bomb)
    fetcher = Fetcher(Policy(allow_private=True, host_delay=0.0, max_bytes=1_000_000))
    for path in ("/big", "/bomb"):
        with pytest.raises(FetchError) as caught:
            fetcher.get(site.url(path))
        assert caught.value.reason == "too-large"


def test_unreachable_hosts_are_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError) as caught:
        Fetcher(LOCAL).get(f"http://127.0.0.1:{port}/")
    assert caught.value.reason == "unreachable"
