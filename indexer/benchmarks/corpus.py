"""A seeded synthetic news corpus, and fast ways to load it, for the store benchmarks.

Benchmarks of search and event assignment need thousands of articles with the metadata the
NLP pipeline would produce; running spaCy over real text for 50k articles would take an hour
and measure the wrong thing. So articles are built directly: each reports a *happening*
(date, venue in a real city, 2-4 parties) and is written from sentence templates plus a
Zipf-distributed English vocabulary (wordfreq's own frequency list, the background the
event signatures weigh terms against), with a few words specific to its happening, as real
reports of one story share names and details. Every party, venue, date, demand and fact
points at the exact span of the text it came from, so the records are as valid as extracted
ones. The same ``(n, seed)`` always gives the same texts, ids and order.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from typing import Any

from indexer.events import similarity
from indexer.events.assign import event_id_for
from indexer.events.merge import merge_event
from indexer.facets import event_text
from indexer.models import (
    Article,
    ArticleInput,
    DateRef,
    Demand,
    Event,
    Extraction,
    Fact,
    Mention,
    Party,
    PartyKind,
    Place,
    Venue,
)
from indexer.store.base import Store
from indexer.timefmt import now_iso

EXTRACTOR_VERSION = "synthetic-1"

# (slug, name, ISO country, lat, lon): ids look like the pipeline's ``place:geneva-ch``.
CITIES: tuple[tuple[str, str, str, float, float], ...] = (
    ("geneva", "Geneva", "CH", 46.2044, 6.1432), ("brussels", "Brussels", "BE", 50.8503, 4.3517),
    ("vienna", "Vienna", "AT", 48.2082, 16.3738), ("paris", "Paris", "FR", 48.8566, 2.3522),
    ("berlin", "Berlin", "DE", 52.52, 13.405), ("london", "London", "GB", 51.5072, -0.1276),
    ("washington", "Washington", "US", 38.9072, -77.0369),
    ("new-york", "New York", "US", 40.7128, -74.006), ("moscow", "Moscow", "RU", 55.7558, 37.6173),
    ("kyiv", "Kyiv", "UA", 50.4501, 30.5234), ("warsaw", "Warsaw", "PL", 52.2297, 21.0122),
    ("beijing", "Beijing", "CN", 39.9042, 116.4074), ("tokyo", "Tokyo", "JP", 35.6762, 139.6503),
    ("seoul", "Seoul", "KR", 37.5665, 126.978), ("new-delhi", "New Delhi", "IN", 28.6139, 77.209),
    ("istanbul", "Istanbul", "TR", 41.0082, 28.9784), ("ankara", "Ankara", "TR", 39.9334, 32.8597),
    ("cairo", "Cairo", "EG", 30.0444, 31.2357), ("doha", "Doha", "QA", 25.2854, 51.531),
    ("riyadh", "Riyadh", "SA", 24.7136, 46.6753), ("tehran", "Tehran", "IR", 35.6892, 51.389),
    ("jerusalem", "Jerusalem", "IL", 31.7683, 35.2137),
    ("nairobi", "Nairobi", "KE", -1.2921, 36.8219),
    ("addis-ababa", "Addis Ababa", "ET", 8.9806, 38.7578),
    ("johannesburg", "Johannesburg", "ZA", -26.2041, 28.0473),
    ("brasilia", "Brasilia", "BR", -15.7975, -47.8919),
    ("buenos-aires", "Buenos Aires", "AR", -34.6037, -58.3816),
    ("mexico-city", "Mexico City", "MX", 19.4326, -99.1332),
    ("ottawa", "Ottawa", "CA", 45.4215, -75.6972), ("canberra", "Canberra", "AU", -35.2809, 149.13),
    ("jakarta", "Jakarta", "ID", -6.2088, 106.8456),
    ("singapore", "Singapore", "SG", 1.3521, 103.8198), ("hanoi", "Hanoi", "VN", 21.0278, 105.8342),
    ("oslo", "Oslo", "NO", 59.9139, 10.7522), ("stockholm", "Stockholm", "SE", 59.3293, 18.0686),
    ("helsinki", "Helsinki", "FI", 60.1699, 24.9384), ("madrid", "Madrid", "ES", 40.4168, -3.7038),
    ("rome", "Rome", "IT", 41.9028, 12.4964), ("minsk", "Minsk", "BY", 53.9006, 27.559),
    ("baku", "Baku", "AZ", 40.4093, 49.8671), ("yerevan", "Yerevan", "AM", 40.1792, 44.4991),
    ("tbilisi", "Tbilisi", "GE", 41.7151, 44.8271),
)  # fmt: skip
COUNTRIES: tuple[tuple[str, str], ...] = (
    ("US", "United States"), ("RU", "Russia"), ("UA", "Ukraine"), ("CN", "China"),
    ("DE", "Germany"), ("FR", "France"), ("GB", "Britain"), ("TR", "Turkey"), ("IR", "Iran"),
    ("IL", "Israel"), ("EG", "Egypt"), ("SA", "Saudi Arabia"), ("QA", "Qatar"), ("IN", "India"),
    ("PK", "Pakistan"), ("JP", "Japan"), ("KR", "South Korea"), ("KP", "North Korea"),
    ("BR", "Brazil"), ("MX", "Mexico"), ("PL", "Poland"), ("BY", "Belarus"), ("AZ", "Azerbaijan"),
    ("AM", "Armenia"), ("ET", "Ethiopia"), ("SD", "Sudan"), ("KE", "Kenya"), ("VE", "Venezuela"),
    ("CO", "Colombia"), ("SE", "Sweden"), ("FI", "Finland"), ("NO", "Norway"), ("IT", "Italy"),
)  # fmt: skip
ORGS: tuple[tuple[str, str], ...] = (
    ("nato", "NATO"), ("osce", "OSCE"), ("un", "UN"), ("unsc", "UN Security Council"),
    ("eu", "EU"), ("iaea", "IAEA"), ("who", "WHO"), ("imf", "IMF"), ("world-bank", "World Bank"),
    ("opec", "OPEC"), ("au", "African Union"), ("asean", "ASEAN"), ("arab-league", "Arab League"),
    ("g7", "G7"), ("icrc", "ICRC"),
)  # fmt: skip
FIRST_NAMES = (
    "Anna", "Wendy", "Sergei", "Olena", "Jens", "Antony", "Maria", "Ahmed", "Li", "Yuki",
    "Carlos", "Fatima", "Pierre", "Ingrid", "Mehmet", "Amina", "David", "Sofia", "Hiroshi",
    "Elena", "Thomas", "Leila", "Pavel", "Grace", "Rafael", "Nadia", "Kwame", "Helga",
)  # fmt: skip
LAST_NAMES = (
    "Keller", "Sherman", "Ryabkov", "Kovalenko", "Lindqvist", "Moreau", "Haddad", "Wang",
    "Tanaka", "Ortega", "Rahman", "Dubois", "Novak", "Yilmaz", "Okafor", "Brennan", "Rossi",
    "Petrov", "Sato", "Mendes", "Schulz", "Karimi", "Nowak", "Mensah", "Larsen", "Costa",
)  # fmt: skip
ROLES = (
    "foreign minister", "deputy foreign minister", "prime minister", "president", "envoy",
    "defence minister", "spokesperson", "secretary general", "ambassador", "chief negotiator",
)  # fmt: skip
SOURCES = (
    "wire-north", "wire-south", "daily-courier", "evening-post", "global-ledger", "metro-news",
    "harbour-times", "capital-review", "river-gazette", "summit-observer", "plain-dealer",
    "coastal-herald",
)  # fmt: skip
# (event type word for "what", plural verb phrase, past verb)
KINDS: tuple[tuple[str, str, str], ...] = (
    ("talks", "held talks", "met for talks"), ("crisis talks", "held crisis talks", "met"),
    ("summit", "held a summit", "gathered for a summit"),
    ("meeting", "held a meeting", "met"), ("negotiations", "opened negotiations", "negotiated"),
    ("conference", "attended a conference", "convened"),
    ("protest", "faced a protest", "were met by protesters"),
    ("ceasefire talks", "held ceasefire talks", "met for ceasefire talks"),
)  # fmt: skip
DEMAND_ACTIONS = (
    "withdraw its troops from the border", "halt its eastward expansion", "lift the sanctions",
    "release the detained journalists", "stop the shelling of civilian areas",
    "open the humanitarian corridor", "return to the negotiating table",
    "guarantee safe passage for aid convoys", "freeze the construction of new settlements",
    "end the blockade of the port", "allow international inspectors in",
)  # fmt: skip
CUES = (("demanded that", ""), ("called on", "to "), ("urged", "to "), ("pressed", "to "))
NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FIRST_DAY, LAST_DAY = date(2021, 1, 1), date(2024, 12, 31)


@cache
def vocabulary() -> tuple[tuple[str, ...], tuple[float, ...]]:
    """English words by frequency rank with cumulative Zipf weights (1/rank), for sampling."""
    from wordfreq import top_n_list

    words = tuple(w for w in top_n_list("en", 20_000) if w.isalpha() and w.isascii())
    cumulative = tuple(itertools.accumulate(1.0 / (rank + 10) for rank in range(len(words))))
    return words, cumulative


def zipf_words(rng: random.Random, k: int) -> list[str]:
    """``k`` words drawn with Zipf-like frequency (many "the", few "aftershock")."""
    words, cumulative = vocabulary()
    total = cumulative[-1]
    return [words[bisect.bisect_left(cumulative, rng.random() * total)] for _ in range(k)]


def query_words(rng: random.Random, k: int) -> list[str]:
    """Content-ish words for search queries: skip the ~150 commonest, weight the rest by Zipf."""
    words, _ = vocabulary()
    picked: list[str] = []
    while len(picked) < k:
        rank = int(rng.paretovariate(0.8)) + 150
        if rank < len(words):
            picked.append(words[rank])
    return picked


@dataclass(frozen=True)
class _Actor:
    id: str
    name: str
    kind: PartyKind
    role: str | None = None
    affiliation: str | None = None


@dataclass(frozen=True)
class Happening:
    """One real-world occurrence that several synthetic articles report."""

    key: int
    day: date
    city: tuple[str, str, str, float, float]
    kind: tuple[str, str, str]
    parties: tuple[_Actor, ...]
    topic: tuple[str, ...]
    follow_up: tuple[tuple[str, str, str, float, float], date]
    hours: int
    delegates: int
    demand: tuple[int, int, str]  # claimant index, addressee index, action


def _happening(seed: int, key: int) -> Happening:
    rng = random.Random(f"happening:{seed}:{key}")
    day = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days))
    city = rng.choice(CITIES)
    actors: list[_Actor] = []
    for code, name in rng.sample(COUNTRIES, rng.randint(1, 2)):
        actors.append(_Actor(f"country:{code}", name, "country"))
    if rng.random() < 0.6:
        slug, name = rng.choice(ORGS)
        actors.append(_Actor(f"org:{slug}", name, "organization"))
    while len(actors) < rng.randint(2, 4):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        country = rng.choice([a for a in actors if a.kind == "country"] or actors)
        actors.append(
            _Actor(f"person:{first.lower()}-{last.lower()}", f"{first} {last}", "person",
                   role=rng.choice(ROLES), affiliation=country.id)
        )
    words, _ = vocabulary()
    topic = tuple(rng.sample(words[3000:], 8))
    other = rng.choice([c for c in CITIES if c != city])
    claimant, addressee = rng.sample(range(len(actors)), 2)
    return Happening(
        key=key,
        day=day,
        city=city,
        kind=rng.choice(KINDS),
        parties=tuple(actors),
        topic=topic,
        follow_up=(other, day + timedelta(days=rng.randint(1, 6))),
        hours=rng.randint(2, 12),
        delegates=rng.randint(12, 480),
        demand=(claimant, addressee, rng.choice(DEMAND_ACTIONS)),
    )


@dataclass
class _Writer:
    """Appends text and remembers where every named thing landed (offsets into the text)."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    mentions: dict[str, list[Mention]] = field(default_factory=dict)

    def add(self, text: str, key: str | None = None) -> Mention:
        mention = Mention(self.length, self.length + len(text), text)
        self.parts.append(text)
        self.length += len(text)
        if key is not None:
            self.mentions.setdefault(key, []).append(mention)
        return mention

    def text(self) -> str:
        return "".join(self.parts)


def _long_date(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}"


def _filler(rng: random.Random, h: Happening) -> str:
    """A sentence of Zipf vocabulary with some of the happening's own words mixed in."""
    words = zipf_words(rng, rng.randint(10, 26))
    for i in range(len(words)):
        if rng.random() < 0.12:
            words[i] = rng.choice(h.topic)
    return " ".join(words).capitalize() + "."


def _article(seed: int, h: Happening, index: int) -> Article:
    """One report of ``h``: title, lead, and a shuffled body of template sentences."""
    rng = random.Random(f"article:{seed}:{h.key}:{index}")
    slug, city_name, country, lat, lon = h.city
    venue_id = f"place:{slug}-{country.lower()}"
    what, verb, _ = h.kind
    names = rng.sample(h.parties, len(h.parties))
    a, b = names[0], names[1]
    published = h.day + timedelta(days=rng.choice((0, 0, 1, 1, 2)))
    w = _Writer()
    dates: list[DateRef] = []
    venues: list[Venue] = []
    demands: list[Demand] = []
    facts: list[Fact] = []
    venue_mentions: list[Mention] = []

    # Lead: who, what, where, when.
    w.add(a.name, a.id)
    w.add(" and ")
    w.add(b.name, b.id)
    w.add(f" {verb} in ")
    venue_mentions.append(w.add(city_name, venue_id))
    w.add(" on ")
    when = w.add(WEEKDAYS[h.day.weekday()])
    dates.append(DateRef(when.text, when.start, when.end, h.day.isoformat(), "day", True))
    w.add(f", {rng.choice(('officials said', 'according to officials', 'as expected'))}. ")

    sentences = ["quote", "demand", "duration", "follow", "delegates"]
    sentences += ["filler"] * rng.randint(8, 20)
    rng.shuffle(sentences)
    follow_city, follow_day = h.follow_up
    follow_id = f"place:{follow_city[0]}-{follow_city[2].lower()}"
    for kind in sentences:
        if kind == "filler":
            w.add(_filler(rng, h) + " ")
        elif kind == "quote":
            speaker = rng.choice([p for p in h.parties if p.kind == "person"] or [a])
            w.add(f'"{_filler(rng, h)[:-1]}," said ')
            w.add(speaker.name, speaker.id)
            w.add(f", {speaker.role or 'a spokesperson'}. ")
        elif kind == "demand":
            claimant, addressee = h.parties[h.demand[0]], h.parties[h.demand[1]]
            cue, joiner = rng.choice(CUES)
            start = w.length
            w.add(claimant.name, claimant.id)
            w.add(f" {cue} ")
            w.add(addressee.name, addressee.id)
            w.add(f" {joiner}{h.demand[2]}.")
            sentence = Mention(start, w.length, "".join(w.parts)[start:])
            demands.append(Demand(claimant.id, addressee.id, h.demand[2], cue, "demand", sentence))
            w.add(" ")
        elif kind == "duration":
            hours = h.hours if rng.random() < 0.8 else h.hours + 1
            value = f"{NUMBER_WORDS[hours - 2]}-hour"
            w.add("The ")
            mention = w.add(f"nearly {value}" if rng.random() < 0.2 else value)
            facts.append(Fact("duration", what, mention.text, mention))
            w.add(f" {what} ended without a breakthrough. ")
        elif kind == "follow":
            w.add(f"Further {what} are planned in ")
            venue_mentions_follow = w.add(follow_city[1], follow_id)
            w.add(" on ")
            ref = w.add(_long_date(follow_day))
            dates.append(DateRef(ref.text, ref.start, ref.end, follow_day.isoformat(), "day", True))
            w.add(". ")
            venues.append(
                Venue(follow_id, follow_city[1], follow_city[2], follow_city[3], follow_city[4],
                      what, follow_day.isoformat(), (venue_mentions_follow,))
            )
        elif kind == "delegates":
            w.add(f"Some {h.delegates} delegates attended, and {rng.choice(h.topic)} "
                  f"dominated the {what}. ")
    text = w.text().rstrip()
    venues.insert(0, Venue(venue_id, city_name, country, lat, lon, what, h.day.isoformat(),
                           tuple(venue_mentions)))
    parties = tuple(
        Party(p.id, p.name, p.kind, tuple(w.mentions[p.id]),
              (p.role,) if p.role else (), p.affiliation)
        for p in h.parties
        if p.id in w.mentions
    )
    places = tuple(
        Place(v.id, v.name, v.country, v.lat, v.lon, tuple(w.mentions.get(v.id, ())))
        for v in venues
    )
    title = rng.choice((
        f"{what.capitalize()} in {city_name}: {a.name} and {b.name}",
        f"{a.name} and {b.name} {h.kind[2]} in {city_name}",
        f"{city_name} {what} end without breakthrough",
        f"{a.name} presses {b.name} at {city_name} {what}",
    ))  # fmt: skip
    digest = hashlib.sha256(f"{seed}:{h.key}:{index}:{title}\n{text}".encode()).hexdigest()
    return Article(
        id="a" + digest[:23],
        text=text,
        content_hash=digest,
        extractor_version=EXTRACTOR_VERSION,
        indexed_at=now_iso(),
        title=title,
        url=f"https://{rng.choice(SOURCES)}.example/{digest[:12]}",
        source=rng.choice(SOURCES),
        published_at=f"{published.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z",
        language="en",
        parties=parties,
        venues=tuple(venues),
        places=places,
        dates=tuple(sorted(dates, key=lambda d: d.start)),
        demands=tuple(demands),
        facts=tuple(facts),
    )


def synthetic_groups(n: int, seed: int = 7) -> list[list[Article]]:
    """``n`` articles grouped by the happening they report (1-10 each, about 5.5 on average).

    The groups for a smaller ``n`` are a prefix of those for a larger one (bar the last,
    which is cut short), so a benchmark can grow an index without changing what is in it.
    """
    groups: list[list[Article]] = []
    left = n
    for key in itertools.count():
        if left <= 0:
            break
        h = _happening(seed, key)
        count = min(left, random.Random(f"count:{seed}:{key}").randint(1, 10))
        groups.append([_article(seed, h, i) for i in range(count)])
        left -= count
    return groups


def arrival_order(groups: Sequence[Sequence[Article]]) -> list[Article]:
    """All articles of ``groups`` in publication order, as a news feed would deliver them."""
    return sorted((a for g in groups for a in g), key=lambda a: (a.published_at or "", a.id))


def synthetic_articles(n: int, seed: int = 7) -> list[Article]:
    """``n`` synthetic articles about ``~n/5.5`` happenings, in publication order."""
    return arrival_order(synthetic_groups(n, seed))


# -- loading without per-article assignment --------------------------------------------------


Prefilled = tuple[Event, list[Article], str]
"""An event, its articles (``event_id`` set) and the text the event is found by."""


def as_submitted(articles: Sequence[Article]) -> list[tuple[ArticleInput, Extraction]]:
    """The synthetic articles as a client sends them, with the extraction they were made
    with: what ``Indexer.ingest_batch`` takes when NLP is off the measurement."""
    return [
        (ArticleInput(id=a.id, text=a.text, title=a.title, source=a.source,
                      published_at=a.published_at, url=a.url),
         Extraction(text=a.text, parties=a.parties, venues=a.venues, places=a.places,
                    dates=a.dates, demands=a.demands, facts=a.facts))
        for a in articles
    ]


def prefilled_event(group: Sequence[Article]) -> Prefilled:
    """The event assignment would build for one happening's articles, without asking the store."""
    signature = similarity.signature(group[0])
    for other in group[1:]:
        signature = similarity.combine(signature, similarity.signature(other))
    event_id = event_id_for(group[0])
    members = [replace(a, event_id=event_id) for a in group]
    now = now_iso()
    event = merge_event(event_id, members, first_seen=now, last_updated=now,
                        signature=signature.to_dict())
    return event, members, event_text(members)


def prefilled_events(groups: Sequence[Sequence[Article]]) -> list[Prefilled]:
    """One event per happening; computed once and loaded into as many stores as needed."""
    return [prefilled_event(group) for group in groups if group]


def prefill(store: Store, events: Sequence[Prefilled], *, chunk: int = 500) -> int:
    """Load whole happenings as articles plus one merged event each; returns articles loaded.

    Elasticsearch gets bulk requests of the exact documents ElasticsearchStore writes (its
    own document builders) and one refresh at the end; the embedded store gets the public
    put_articles transactions (one fsync each) and one put_event per event.
    """
    from indexer.store.elasticsearch import ElasticsearchStore

    if isinstance(store, ElasticsearchStore):
        return _prefill_elasticsearch(store, events, chunk)
    loaded = 0
    for start in range(0, len(events), 50):  # one transaction per 50 happenings
        batch = events[start : start + 50]
        store.put_articles([replace(a, event_id=e.id) for e, members, _ in batch for a in members])
        for event, members, text in batch:
            store.put_event(event, version=None, text=text)
            loaded += len(members)
    return loaded


def _prefill_elasticsearch(store: Any, events: Sequence[Prefilled], chunk: int) -> int:
    from elasticsearch import Elasticsearch, helpers

    from indexer.store.es_compile import article_document, event_document
    from indexer.store.query import SearchQuery

    store.ping()  # creates the articles index
    store.search_events(SearchQuery(size=1))  # and the events index
    client = Elasticsearch(store.url, request_timeout=120)

    def actions() -> Iterator[dict[str, Any]]:
        for event, members, text in events:
            for article in members:
                member = replace(article, event_id=event.id)
                yield {"_op_type": "create", "_index": store.alias, "_id": article.id,
                       "_source": article_document(member)}
            yield {"_op_type": "create", "_index": store.events_alias, "_id": event.id,
                   "_source": event_document(event, text)}

    try:
        helpers.bulk(client, actions(), chunk_size=chunk, max_chunk_bytes=8_000_000,
                     request_timeout=120)
        client.indices.refresh(index=f"{store.alias},{store.events_alias}")
    finally:
        client.close()
    return sum(len(members) for _, members, _ in events)
