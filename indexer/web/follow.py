"""``storyrecords follow FEED_URL…``: poll feeds and index their new and changed items.

Each pass fetches every feed (conditionally), and for each item it has not seen in this form
fetches the article page (politely, see :mod:`indexer.web.fetch`) and ingests it through the
same validate-and-ingest path as ``storyrecords index``. What was seen is saved after every
item, so a restart or Ctrl-C loses nothing.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from indexer.sources import SourceRecord
from indexer.web.state import MAX_ATTEMPTS, FollowState

if TYPE_CHECKING:  # the fetcher (ssl, http.client) loads when the command runs, not on --help
    from indexer.ingest import Indexer
    from indexer.web.fetch import Fetcher

#: A sink ingests one record and answers (status, message) like ``storyrecords index``.
Sink = Callable[[SourceRecord], tuple[str, str]]
Report = Callable[[str], None]
FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/xml;q=0.9, "
               "text/xml;q=0.8, */*;q=0.1")


class StoreDown(Exception):
    """The store stopped answering mid-pass; the pass ends and the command exits 3."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Follower:
    """One set of feeds, the state of what was seen, and where new records go."""

    feeds: Sequence[str]
    fetcher: Fetcher
    state: FollowState
    sink: Sink
    report: Report = field(default=lambda line: None)

    def run_pass(self) -> Counter[str]:
        """Poll every feed once; counts of ``new``, ``changed``, ``seen``, ``failed`` items."""
        counts: Counter[str] = Counter(new=0, changed=0, seen=0, failed=0, feeds_failed=0)
        for feed_url in self.feeds:
            self._feed(feed_url, counts)
        return counts

    def _feed(self, feed_url: str, counts: Counter[str]) -> None:
        from indexer.errors import Unprocessable
        from indexer.web.errors import FetchError
        from indexer.web.feeds import parse_feed

        known = self.state.feeds.get(feed_url, {})
        try:
            response = self.fetcher.get(feed_url, etag=known.get("etag"),
                                        last_modified=known.get("last_modified"),
                                        accept=FEED_ACCEPT)
            if response.not_modified:
                self.report(f"feed {feed_url}: not modified")
                self._remember_feed(feed_url, known, "not modified")
                return
            feed = parse_feed(response.body, response.url)
        except (FetchError, Unprocessable) as exc:
            counts["feeds_failed"] += 1
            self.report(f"feed {feed_url}: failed: {exc}")
            self._remember_feed(feed_url, known, f"failed: {exc}")
            return
        self._remember_feed(feed_url, {"etag": response.etag,
                                       "last_modified": response.last_modified}, "ok")
        self.report(f"feed {feed_url}: {len(feed.items)} items")
        from indexer.web.files import item_record

        for item in feed.items:
            if self.state.seen(item.key, item.fingerprint):
                counts["seen"] += 1
                continue
            before = self.state.items.get(item.key)
            kind = "changed" if before is not None and before.get("status") in (
                "created", "unchanged", "printed") else "new"
            record = item_record(item.link or item.key, item, feed, feed_url, self.fetcher,
                                 etag=(before or {}).get("etag"),
                                 last_modified=(before or {}).get("last_modified"))
            status, message, page = self._deliver(record)
            entry: dict[str, Any] = {"fingerprint": item.fingerprint, "url": item.link,
                                     "feed": feed_url, "status": status, "seen_at": _now(),
                                     "attempts": 1}
            if before is not None and before.get("fingerprint") == item.fingerprint:
                entry["attempts"] += int(before.get("attempts", 0))
            if status in ("created", "unchanged", "printed"):
                entry["id"] = message if status != "printed" else None
                entry["etag"] = page.get("etag")
                entry["last_modified"] = page.get("last_modified")
                counts[kind] += 1
                self.report(f"{kind}: {item.link or item.key} -> {status} {message}".rstrip())
            else:
                if status == "unreachable" and entry["attempts"] >= MAX_ATTEMPTS:
                    entry["status"] = status = "gave up"
                entry["error"] = message
                counts["failed"] += 1
                self.report(f"failed: {item.link or item.key}: {status}: {message}")
            self.state.items[item.key] = entry
            self.state.save()
            if status == "unavailable":
                raise StoreDown(message)

    def _deliver(self, record: SourceRecord) -> tuple[str, str, dict[str, Any]]:
        from indexer.web.records import PAGE_KEY

        if record.error == "not modified":
            return "unchanged", "(page not modified)", {}
        if record.error is not None:
            status = "unreachable" if record.error.startswith("unreachable") else "rejected"
            return status, record.error, {}
        status, message = self.sink(record)
        page = record.data.get(PAGE_KEY)
        return status, message, page if isinstance(page, dict) else {}

    def _remember_feed(self, url: str, validators: dict[str, Any], status: str) -> None:
        self.state.feeds[url] = {"etag": validators.get("etag"),
                                 "last_modified": validators.get("last_modified"),
                                 "checked_at": _now(), "status": status}
        self.state.save()


def print_sink(record: SourceRecord) -> tuple[str, str]:
    """``--print``: the record's fields as one NDJSON line on stdout; nothing is stored."""
    click.echo(json.dumps(record.data, ensure_ascii=False, sort_keys=True))
    return "printed", ""


def store_sink(indexer: Indexer) -> Sink:
    """Validate and ingest each record as ``storyrecords index`` does."""
    from indexer.intake import ingest_record

    def ingest(record: SourceRecord) -> tuple[str, str]:
        outcome = ingest_record(indexer, record.data, trusted=record.trusted)
        if outcome.id is not None:
            return outcome.status, outcome.id
        return outcome.status, json.dumps(outcome.errors)

    return ingest


@click.command()
@click.argument("feeds", nargs=-1, required=True)
@click.option("--once", is_flag=True, help="One pass over the feeds, then exit.")
@click.option("--state", "state_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="What has been seen, kept across restarts "
              "[default: DATA_DIR/follow-state.json].")
@click.option("--interval", type=click.FloatRange(min=1), default=900.0,
              help="Seconds between passes.")
@click.option("--delay", type=click.FloatRange(min=0), default=1.0,
              help="Seconds between two requests to the same host (robots.txt may ask more).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0,
              help="Seconds to wait for a connection or data before giving up on a URL.")
@click.option("--allow-private", is_flag=True,
              help="Allow links and redirects to loopback, private and link-local addresses.")
@click.option("--print", "print_only", is_flag=True,
              help="Print each new record as NDJSON instead of indexing it.")
@click.pass_context
def follow(ctx: click.Context, feeds: tuple[str, ...], once: bool, state_path: Path | None,
           interval: float, delay: float, timeout: float, allow_private: bool,
           print_only: bool) -> None:
    """Poll RSS/Atom FEEDS and index new and changed items; Ctrl-C stops cleanly.

    Pages are fetched politely (robots.txt, conditional GET, a delay per host, timeouts, a
    User-Agent naming storyrecords). Progress goes to stderr. Exits 0; with --once, 1 when a
    feed or item failed; 3 when the store is unreachable; 130 on Ctrl-C.
    """
    from indexer.settings import StoreSettings
    from indexer.web.fetch import Fetcher, Policy

    settings: StoreSettings = ctx.obj
    path = state_path or Path(settings.data_dir) / "follow-state.json"
    try:
        state = FollowState.load(path)
    except (ValueError, OSError) as exc:
        raise click.ClickException(f"cannot use the state file: {exc}") from exc
    policy = Policy(timeout=timeout, deadline=max(30.0, 3 * timeout), host_delay=delay,
                    allow_private=allow_private)

    def report(line: str) -> None:
        click.echo(line, err=True)

    store = None
    if print_only:
        sink: Sink = print_sink
    else:
        from indexer import ingest
        from indexer.cli import open_configured_store

        store = open_configured_store(settings)
        extract, version = ingest.default_extractor()
        sink = store_sink(ingest.Indexer(store, extract, version))
    follower = Follower(list(feeds), Fetcher(policy), state, sink, report)
    failed = False
    try:
        number = 0
        while True:
            number += 1
            counts = follower.run_pass()
            failed = failed or bool(counts["failed"] or counts["feeds_failed"])
            report(f"pass {number}: {counts['new']} new, {counts['changed']} changed, "
                   f"{counts['seen']} already seen, {counts['failed']} failed, "
                   f"{counts['feeds_failed']} feeds failed; state in {path}")
            if once:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        state.save()
        report(f"interrupted: stopped cleanly; state saved in {path}")
        sys.exit(130)
    except StoreDown:
        report("stopping: the store is unreachable; unprocessed items are retried next time")
        sys.exit(3)
    finally:
        if store is not None:
            store.close()
    sys.exit(1 if once and failed else 0)
