"""Hand-built articles and events for the event tests: extraction results placed by hand."""

from __future__ import annotations

from collections.abc import Sequence

from indexer.events import similarity
from indexer.events.merge import merge_event
from indexer.models import Article, DateRef, Event, Mention, Party, Place, Venue


def _mention(text: str, phrase: str, nth: int = 0) -> Mention:
    start = -1
    for _ in range(nth + 1):
        start = text.index(phrase, start + 1)
    return Mention(start, start + len(phrase), phrase)


def article(
    aid: str,
    text: str,
    *,
    published: str | None = None,
    title: str | None = None,
    url: str | None = None,
    source: str | None = None,
    dates: Sequence[tuple[str, str | None, str | None]] = (),
    venues: Sequence[tuple[str, str, str | None, str | None]] = (),
    people: Sequence[str] = (),
    orgs: Sequence[str] = (),
    places: Sequence[str] = (),
    indexed_at: str = "2022-01-11T00:00:00.000000Z",
) -> Article:
    """An article whose dates, venues, people and places sit where their phrases do.

    ``dates``: (phrase, ISO value or None when unresolved, head word); ``venues``: (name,
    id, what, ISO date); ``people`` and ``orgs``: names (every occurrence of the full name
    and of a person's surname is a mention); ``places``: names.
    """
    refs = tuple(
        DateRef(text=phrase, start=m.start, end=m.end, value=value,
                granularity="day", resolved=value is not None, dates=head)
        for phrase, value, head in dates for m in [_mention(text, phrase)]
    )
    found_venues = tuple(
        Venue(vid, name, None, what=what, date=day, mentions=(_mention(text, name),))
        for name, vid, what, day in venues
    )
    parties = []
    for name in people:
        surname = name.split()[-1]
        spots = [_mention(text, w, n) for w in {name, surname}
                 for n in range(text.count(w))]
        parties.append(Party(f"person:{name.lower().replace(' ', '-')}", name, "person",
                             tuple(sorted(set(spots), key=lambda m: m.start))))
    for name in orgs:
        parties.append(Party(f"org:{name.lower().replace(' ', '-')}", name, "organization",
                             (_mention(text, name),)))
    found_places = tuple(
        Place(f"place:{name.lower()}", name, None, mentions=(_mention(text, name),))
        for name in places
    )
    return Article(
        id=aid, text=text, content_hash=aid, extractor_version="test", indexed_at=indexed_at,
        title=title, url=url, source=source, published_at=published, parties=tuple(parties),
        venues=found_venues, places=found_places, dates=refs,
    )


def event_of(event_id: str, articles: Sequence[Article], first_seen: str = "t0") -> Event:
    """The merged record of ``articles`` with the combined similarity signature."""
    sig = similarity.signature(articles[0])
    for other in articles[1:]:
        sig = similarity.combine(sig, similarity.signature(other))
    return merge_event(event_id, articles, first_seen=first_seen, last_updated=first_seen,
                       signature=sig.to_dict())
