"""``storyrecords follow`` against local fixture servers: new, failing, moved and changed items."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from api import cli
from indexer.sources import SourceRecord
from indexer.web.fetch import Fetcher, Policy
from indexer.web.follow import Follower
from indexer.web.records import PAGE_KEY
from indexer.web.state import FollowState
from tests.web.server import Site, serve

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLE = (FIXTURES / "article.html").read_text(encoding="utf-8")
ARTICLE_PT = (FIXTURES / "article-pt.html").read_text(encoding="utf-8")
# the fixture feed's first entry only: its full text is in the feed
_ATOM = (FIXTURES / "feed.atom").read_text(encoding="utf-8")
FULL_TEXT_ATOM = _ATOM[:_ATOM.index("  <entry>", _ATOM.index("</entry>"))] + "</feed>\n"


def rss(items: list[tuple[str, str, str]]) -> str:
    """An RSS feed of (guid, link, description) items."""
    body = "".join(f"<item><guid>{g}</guid><title>Item {g}</title><link>{link}</link>"
                   f"<description>{d}</description></item>" for g, link, d in items)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Local news</title>'
            f"<link>http://127.0.0.1/</link>{body}</channel></rss>")


@pytest.fixture
def sites() -> Iterator[tuple[Site, Site]]:
    with serve() as site, serve() as slow:
        site.page("/news/geneva", ARTICLE, etag='"g1"')
        site.redirect("/news/old", "/news/pt")
        site.page("/news/pt", ARTICLE_PT)
        site.status("/news/missing", 404)
        site.status("/news/broken", 500)
        slow.slow("/news/slow")
        site.page("/feed.xml", rss([
            ("geneva", site.url("/news/geneva"), "Talks end"),
            ("moved", site.url("/news/old"), "Rain"),
            ("missing", site.url("/news/missing"), "Gone"),
            ("broken", site.url("/news/broken"), "Oops"),
            ("slow", slow.url("/news/slow"), "Late"),
        ]), etag='"f1"', kind="application/rss+xml")
        site.page("/full.atom", FULL_TEXT_ATOM, kind="application/atom+xml")
        yield site, slow


def _follower(site: Site, state: Path, seen: list[SourceRecord]) -> Follower:
    def sink(record: SourceRecord) -> tuple[str, str]:
        seen.append(record)
        return "created", f"id-{len(seen)}"

    policy = Policy(allow_private=True, host_delay=0.0, timeout=0.5, deadline=5.0)
    return Follower([site.url("/feed.xml"), site.url("/full.atom")], Fetcher(policy),
                    FollowState.load(state), sink)


def test_a_pass_indexes_new_items_and_reports_the_ones_that_fail(
        sites: tuple[Site, Site], tmp_path: Path) -> None:
    site, _ = sites
    seen: list[SourceRecord] = []
    counts = _follower(site, tmp_path / "state.json", seen).run_pass()
    assert (counts["new"], counts["failed"]) == (3, 3)
    by_url = {r.data["url"]: r.data for r in seen}
    geneva = by_url[site.url("/news/geneva")]
    assert geneva["title"] == "Geneva talks end without a deal"
    assert geneva["source"] == "Example Herald"
    assert geneva[PAGE_KEY]["feed"] == site.url("/feed.xml")
    assert geneva[PAGE_KEY]["etag"] == '"g1"'
    moved = by_url[site.url("/news/pt")]  # the redirect's target is the page's address
    assert moved["language"] == "pt"
    full = by_url[site.url("/world/2022/01/10/geneva-talks")]  # relative to the feed
    assert full[PAGE_KEY]["sources"]["title"] == "feed"  # full text in the feed: no fetch
    state = json.loads((tmp_path / "state.json").read_text())
    assert {state["items"][k]["status"] for k in ("missing", "broken", "slow")} == {
        "unreachable"}
    assert "HTTP 404" in state["items"]["missing"]["error"]
    assert "timed out" in state["items"]["slow"]["error"]


def test_a_restart_remembers_what_was_seen_and_the_feed_is_asked_conditionally(
        sites: tuple[Site, Site], tmp_path: Path) -> None:
    site, _ = sites
    seen: list[SourceRecord] = []
    _follower(site, tmp_path / "state.json", seen).run_pass()
    fetched = site.hits("/news/geneva")
    again = _follower(site, tmp_path / "state.json", seen).run_pass()
    assert again["new"] == 0
    feed_requests = [h for path, h in site.requests if path == "/feed.xml"]
    assert feed_requests[-1]["if-none-match"] == '"f1"'  # answered 304: items not re-read
    assert site.hits("/news/geneva") == fetched
    assert again["seen"] == 1  # the full-text feed has no validators, its item is known


def test_a_changed_item_is_fetched_and_indexed_again(sites: tuple[Site, Site],
                                                      tmp_path: Path) -> None:
    site, _ = sites
    seen: list[SourceRecord] = []
    _follower(site, tmp_path / "state.json", seen).run_pass()
    updated = ARTICLE.replace("without an agreement", "without an agreement, again")
    site.page("/news/geneva", updated, etag='"g2"')
    site.page("/feed.xml", rss([("geneva", site.url("/news/geneva"), "Talks end, updated")]),
              etag='"f2"', kind="application/rss+xml")
    counts = _follower(site, tmp_path / "state.json", seen).run_pass()
    assert counts["changed"] == 1
    assert "without an agreement, again" in seen[-1].data["text"]
    page_requests = [h for path, h in site.requests if path == "/news/geneva"]
    assert page_requests[-1]["if-none-match"] == '"g1"'  # conditional, and it had changed


def _invoke(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.main, args)
    return result.exit_code, result.stdout, result.stderr


def test_the_command_prints_records_and_progress(sites: tuple[Site, Site],
                                                 tmp_path: Path) -> None:
    site, _ = sites
    state = tmp_path / "s.json"
    code, out, err = _invoke(["follow", "--once", "--print", "--allow-private", "--delay", "0",
                              "--timeout", "0.5", "--state", str(state), site.url("/feed.xml")])
    assert code == 1  # three items failed
    records = [json.loads(line) for line in out.splitlines()]
    assert {r["url"] for r in records} == {site.url("/news/geneva"), site.url("/news/pt")}
    assert "pass 1: 2 new, 0 changed, 0 already seen, 3 failed" in err
    assert "failed: " + site.url("/news/missing") in err
    assert state.exists()


def test_feeds_on_private_addresses_are_refused_by_default(sites: tuple[Site, Site],
                                                           tmp_path: Path) -> None:
    site, _ = sites
    code, out, err = _invoke(["follow", "--once", "--print", "--state", str(tmp_path / "s"),
                              site.url("/feed.xml")])
    assert code == 1 and out == ""
    assert "loopback, private or link-local" in err
    assert site.requests == []


def _wait_for(predicate: object, what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not callable(predicate) or not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_ctrl_c_stops_cleanly_and_keeps_the_state(sites: tuple[Site, Site],
                                                  tmp_path: Path) -> None:
    site, _ = sites
    state = tmp_path / "state.json"
    log = tmp_path / "stderr.txt"
    # Ctrl-C at a terminal: SIGINT raises KeyboardInterrupt in the child even where this test
    # runs with SIGINT ignored (a job started in the background, as CI may start it: Python
    # then leaves SIGINT ignored in its children too). -X faulthandler: a child that does
    # not stop is made to show where it hangs (SIGABRT).
    interactive = ("import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
                   "from api.cli import main; main()")
    command = [sys.executable, "-X", "faulthandler", "-c", interactive, "follow", "--print",
               "--allow-private", "--delay", "0", "--timeout", "0.5", "--interval", "3600",
               "--state", str(state), site.url("/full.atom")]
    with log.open("w") as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            _wait_for(lambda: "pass 1:" in log.read_text(), "the first pass")
            status = Path(f"/proc/{process.pid}/status").read_text()
            ignored = next(line for line in status.splitlines() if line.startswith("SigIgn"))
            process.send_signal(signal.SIGINT)
            try:
                code = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
                process.wait(timeout=30)
                pytest.fail(f"follow did not stop on Ctrl-C ({ignored}: SIGINT is bit 2 of the "
                            f"mask); its stderr:\n{log.read_text()}")
            assert code == 130, log.read_text()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert "stopped cleanly" in log.read_text()
    assert len(json.loads(state.read_text())["items"]) == 1
