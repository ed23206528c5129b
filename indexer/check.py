"""``storyrecords check``: verify the store's invariants on either backend, and repair them.

The article's ``event_id`` is the record of membership; an event's article list and merged
fields, redirects' targets and every search document are derived, so each violation found here
can be repaired from the truth:

* every article is in exactly one live event (unassigned ones are assigned, ones pointing at
  a merged event follow it, ones pointing at a missing event found it again);
* every event's member list matches its articles (re-derived; an event nobody belongs to goes);
* redirects are acyclic and end at live events (one that leads nowhere is removed);
* search documents match their records, and no record is missing from the search index
  (rewritten from the record).

The check refreshes the store first, so it sees every write acknowledged before it started.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from indexer.errors import Conflict, Moved, NotFound
from indexer.events.assign import assign_article, rederive, settle
from indexer.events.story_assign import leave_story, place_event, rebuild_story
from indexer.store.base import Store

IN_ONE_EVENT = "every article is in exactly one live event"
MEMBERS_MATCH = "every event's member list matches its articles"
IN_ONE_STORY = "every live event is in exactly one live story"
STORIES_MATCH = "every story's timeline matches its events"
REDIRECTS_END = "redirects are acyclic and end at live events"
DOCUMENTS_MATCH = "search documents match their records"
INVARIANTS = (IN_ONE_EVENT, MEMBERS_MATCH, IN_ONE_STORY, STORIES_MATCH, REDIRECTS_END,
              DOCUMENTS_MATCH)


@dataclass
class Finding:
    """One violation: which invariant, which record, what is wrong, and whether it was fixed."""

    invariant: str
    record: str
    detail: str
    repaired: bool = False


@dataclass
class Report:
    """What a check saw and found."""

    articles: int = 0
    events: int = 0
    stories: int = 0
    redirects: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings

    def counts(self) -> dict[str, int]:
        """Findings per invariant (every invariant listed, zero when it holds)."""
        found = dict.fromkeys(INVARIANTS, 0)
        for finding in self.findings:
            found[finding.invariant] += 1
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "events": self.events,
            "stories": self.stories,
            "redirects": self.redirects,
            "clean": self.clean,
            "violations": self.counts(),
            "repaired": sum(f.repaired for f in self.findings),
            "findings": [asdict(f) for f in self.findings],
        }


def check(store: Store, *, repair: bool = False) -> Report:
    """Scan the whole store once; with ``repair``, fix each finding from the truth."""
    store.refresh()
    report = Report()
    memberships: dict[str, str | None] = {}
    for article in store.iter_articles():
        memberships[article.id] = article.event_id
    report.articles = len(memberships)
    events: dict[str, tuple[frozenset[str], str]] = {}
    story_of: dict[str, str | None] = {}
    for event, version in store.iter_events():
        events[event.id] = (frozenset(event.articles), version)
        story_of[event.id] = event.story_id
    report.events = len(events)
    redirects = store.redirects()
    report.redirects = len(redirects)
    timelines = {story.id: frozenset(e.event_id for e in story.events)
                 for story, _ in store.iter_stories()}
    report.stories = len(timelines)

    _check_redirects(store, report, redirects, events, repair)
    _check_articles(store, report, memberships, events, redirects, repair)
    _check_events(store, report, memberships, events, repair)
    _check_stories(store, report, story_of, timelines, store.story_redirects(), repair)
    for collection, record_id, detail in list(store.search_document_problems()):
        finding = Finding(DOCUMENTS_MATCH, f"{collection}/{record_id}", detail)
        if repair:
            finding.repaired = _attempt(
                lambda c=collection, r=record_id: store.repair_search_document(c, r)
            )
        report.findings.append(finding)
    return report


def _attempt(fix: Any) -> bool:
    """Run one repair; a record that changed or vanished meanwhile is left for the next run."""
    try:
        fix()
    except (Conflict, NotFound, Moved):
        return False
    return True


def _final(start: str, redirects: dict[str, str], live: set[str]) -> tuple[str | None, str]:
    """Where a redirect chain ends: (live event or None, why not)."""
    seen = {start}
    current = redirects[start]
    while current in redirects:
        if current in seen:
            return None, f"redirect cycle through {current}"
        seen.add(current)
        current = redirects[current]
    if current in live:
        return current, ""
    return None, f"ends at {current}, which is not a live event"


def _check_redirects(
    store: Store,
    report: Report,
    redirects: dict[str, str],
    events: dict[str, tuple[frozenset[str], str]],
    repair: bool,
) -> None:
    for event_id in sorted(redirects):
        target, why = _final(event_id, redirects, set(events))
        if target is not None:
            continue
        finding = Finding(REDIRECTS_END, f"events/{event_id}", why)
        if repair:
            finding.repaired = _attempt(lambda e=event_id: store.delete_redirect(e))
        report.findings.append(finding)


def _check_articles(
    store: Store,
    report: Report,
    memberships: dict[str, str | None],
    events: dict[str, tuple[frozenset[str], str]],
    redirects: dict[str, str],
    repair: bool,
) -> None:
    for article_id, event_id in sorted(memberships.items(), key=lambda kv: kv[0]):
        if event_id is None:
            detail = "not assigned to any event"
        elif event_id in redirects:
            detail = f"points at {event_id}, which was merged into {redirects[event_id]}"
        elif event_id not in events:
            detail = f"points at {event_id}, which does not exist"
        else:
            continue
        finding = Finding(IN_ONE_EVENT, f"articles/{article_id}", detail)
        if repair:
            if event_id is None:
                finding.repaired = _attempt(
                    lambda a=article_id: assign_article(store, store.get_article(a))
                )
            else:
                finding.repaired = _attempt(lambda a=article_id: settle(store, a))
        report.findings.append(finding)


def _check_events(
    store: Store,
    report: Report,
    memberships: dict[str, str | None],
    events: dict[str, tuple[frozenset[str], str]],
    repair: bool,
) -> None:
    truth: dict[str, set[str]] = defaultdict(set)
    for article_id, event_id in memberships.items():
        if event_id is not None:
            truth[event_id].add(article_id)
    for event_id, (listed, version) in sorted(events.items()):
        members = truth.get(event_id, set())
        if listed == members:
            continue
        missing, extra = sorted(members - listed), sorted(listed - members)
        parts = []
        if missing:
            parts.append(f"does not list {len(missing)} of its articles ({', '.join(missing[:5])})")
        if extra:
            parts.append(f"lists {len(extra)} articles that are not its members "
                         f"({', '.join(extra[:5])})")
        finding = Finding(MEMBERS_MATCH, f"events/{event_id}", "; ".join(parts))
        if repair:
            if members:
                adding = store.get_articles(sorted(members))
                finding.repaired = _attempt(
                    lambda e=event_id, a=adding: rederive(store, e, adding=a)
                )
            else:
                finding.repaired = _attempt(lambda e=event_id, v=version: _drop(store, e, v))
        report.findings.append(finding)


def _drop(store: Store, event_id: str, version: str) -> None:
    """An event nobody belongs to goes, and leaves its story."""
    event, _ = store.get_event(event_id)
    store.delete_event(event_id, version=version)
    leave_story(store, event_id, event.story_id, into=None)


def _check_stories(
    store: Store,
    report: Report,
    story_of: dict[str, str | None],
    timelines: dict[str, frozenset[str]],
    story_redirects: dict[str, str],
    repair: bool,
) -> None:
    members: dict[str, set[str]] = defaultdict(set)
    for event_id, story_id in sorted(story_of.items()):
        if story_id is not None and story_id in timelines:
            members[story_id].add(event_id)
            continue
        if story_id is None:
            detail = "not in any story"
        elif story_id in story_redirects:
            detail = f"in story {story_id}, which was merged into {story_redirects[story_id]}"
        else:
            detail = f"in story {story_id}, which has no record"
        finding = Finding(IN_ONE_STORY, f"events/{event_id}", detail)
        if repair:
            finding.repaired = _attempt(lambda e=event_id: place_event(store, e))
        report.findings.append(finding)
    for story_id, listed in sorted(timelines.items()):
        if listed == members.get(story_id, set()):
            continue
        missing = sorted(members.get(story_id, set()) - listed)
        extra = sorted(listed - members.get(story_id, set()))
        finding = Finding(
            STORIES_MATCH, f"stories/{story_id}",
            f"does not list {missing[:5]}; lists events not in it {extra[:5]}",
        )
        if repair:
            finding.repaired = _attempt(lambda s=story_id: rebuild_story(store, s))
        report.findings.append(finding)


def format_report(report: Report, *, repaired: Report | None = None) -> str:
    """The human-readable report an operator reads."""
    lines = [
        f"checked {report.articles} articles, {report.events} events, "
        f"{report.stories} stories, {report.redirects} redirects"
    ]
    for invariant, count in report.counts().items():
        lines.append(f"  {'ok  ' if count == 0 else 'FAIL'} {invariant}"
                     + (f": {count} violations" if count else ""))
    for finding in report.findings[:50]:
        mark = " (repaired)" if finding.repaired else ""
        lines.append(f"    {finding.record}: {finding.detail}{mark}")
    if len(report.findings) > 50:
        lines.append(f"    … and {len(report.findings) - 50} more (use --json for all)")
    if repaired is not None:
        lines.append(
            f"repaired {sum(f.repaired for f in report.findings)} of {len(report.findings)}; "
            + ("the store is clean now" if repaired.clean
               else f"{len(repaired.findings)} violations remain")
        )
    return "\n".join(lines)
