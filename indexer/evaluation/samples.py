"""Scores the pipeline on the two Geneva sample articles against geneva-talks.expected.json.

Each expected item is a check that is found or not; the report gives found/expected per
section. Other steps add sections with :func:`register_section`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.evaluation import SHARED_DIR
from indexer.models import Extraction, Party
from indexer.pipeline import Pipeline, default_pipeline

DEFAULT_DIR = SHARED_DIR / "samples"
EXPECTED_FILE = "geneva-talks.expected.json"


@dataclass(frozen=True)
class Check:
    """One expected item and whether the pipeline produced it."""

    section: str
    item: str
    found: bool
    detail: str = ""


SectionScorer = Callable[[Mapping[str, Any], Mapping[str, Extraction]], list[Check]]
_EXTRA_SECTIONS: dict[str, SectionScorer] = {}


def register_section(name: str, scorer: SectionScorer) -> None:
    """Add a section (e.g. demands, dates) scored by ``scorer(expected, extractions)``."""
    _EXTRA_SECTIONS[name] = scorer


def _party(extraction: Extraction, name: str) -> Party | None:
    return next((p for p in extraction.parties if p.name == name), None)


def _name_of(extraction: Extraction, party_id: str | None) -> str | None:
    return next((p.name for p in extraction.parties if p.id == party_id), None)


def score_boilerplate(expected: Mapping[str, Any], got: Mapping[str, Extraction]) -> list[Check]:
    """Every listed boilerplate string is absent from the cleaned text."""
    checks = []
    for fname, spec in expected["articles"].items():
        for junk in spec.get("boilerplate_must_be_removed", []):
            gone = junk not in got[fname].text
            checks.append(Check("boilerplate", f"{fname}: {junk!r} removed", gone))
    return checks


def _party_checks(spec: Mapping[str, Any], fname: str, ex: Extraction) -> list[Check]:
    name = spec["name"]
    party = _party(ex, name)
    label = f"{fname}: {name}"
    checks = [Check("parties", f"{label} ({spec['kind']})", party is not None
                    and party.kind == spec["kind"])]
    texts = {m.text for m in party.mentions} if party else set()
    for alias in spec.get("aliases_in_text", []):
        if alias in ex.text:
            hit = any(alias in t for t in texts)
            checks.append(Check("parties", f"{label} alias {alias!r}", hit))
    if "misspelling_in_text" in spec and spec["misspelling_in_text"] in ex.text:
        hit = spec["misspelling_in_text"] in texts
        checks.append(Check("parties", f"{label} misspelling {spec['misspelling_in_text']!r}", hit))
    for role in spec.get("roles_in_text", []):
        if role in ex.text:
            hit = party is not None and role in party.roles
            checks.append(Check("parties", f"{label} role {role!r}", hit))
    if "affiliation" in spec:
        got_aff = _name_of(ex, party.affiliation) if party else None
        checks.append(Check("parties", f"{label} affiliation {spec['affiliation']}",
                            got_aff == spec["affiliation"], f"got {got_aff}"))
    return checks


def score_parties(expected: Mapping[str, Any], got: Mapping[str, Extraction]) -> list[Check]:
    """Each expected party with its kind, aliases, roles and affiliation, per article."""
    checks: list[Check] = []
    for spec in expected["parties"]:
        for fname, ex in got.items():
            if spec.get("only_in", fname) == fname:
                checks.extend(_party_checks(spec, fname, ex))
    return checks


def score_not_parties(expected: Mapping[str, Any], got: Mapping[str, Extraction]) -> list[Check]:
    """Media, agencies and boilerplate names never become parties or party mentions."""
    checks = []
    for fname, ex in got.items():
        for name in expected.get("not_parties", []):
            bad = [p.name for p in ex.parties
                   if p.name == name or any(m.text == name for m in p.mentions)]
            checks.append(Check("not_parties", f"{fname}: {name} not a party", not bad,
                                f"got {bad}" if bad else ""))
    return checks


def score_venues(expected: Mapping[str, Any], got: Mapping[str, Extraction]) -> list[Check]:
    """Each expected venue with its country code and the date of its happening."""
    checks = []
    for fname, spec in expected["articles"].items():
        for venue in spec.get("venues", []):
            found = next((v for v in got[fname].venues if v.name == venue["name"]), None)
            ok = found is not None and (found.country, found.date) == (
                venue["country"], venue["date"])
            detail = f"got {found.country}, {found.date}" if found else "no venue"
            checks.append(Check("venues", f"{fname}: {venue['name']} {venue['country']} "
                                f"{venue['date']}", ok, detail))
    return checks


def score_places(expected: Mapping[str, Any], got: Mapping[str, Extraction]) -> list[Check]:
    """Locations named in passing are kept as places, not promoted to venues."""
    checks = []
    for fname, spec in expected["articles"].items():
        for name in spec.get("places_not_venues", []):
            ex = got[fname]
            ok = any(p.name == name for p in ex.places) and all(v.name != name for v in ex.venues)
            checks.append(Check("places_not_venues", f"{fname}: {name}", ok))
    return checks


SECTIONS: dict[str, SectionScorer] = {
    "boilerplate": score_boilerplate,
    "parties": score_parties,
    "not_parties": score_not_parties,
    "venues": score_venues,
    "places_not_venues": score_places,
}


def score_demands(expected: Mapping[str, Any], got: Mapping[str, Extraction]) -> list[Check]:
    """Claimant, addressee, stance and action key words of every expected demand."""
    from indexer.evaluation.demands_samples import score_samples

    result = score_samples(dict(got), dict(expected))
    return [
        Check("demands", f"{item['item']} in {item['article']}", item["found"], item["detail"])
        for item in result["items"]
    ]


def score_event(expected: Mapping[str, Any], got: Mapping[str, Extraction]) -> list[Check]:
    """The two articles make one event with the expected venue, date, related and conflicts."""
    from indexer.events import similarity
    from indexer.events.merge import merge_event
    from indexer.ingest import build_article
    from indexer.models import ArticleInput

    spec = expected["event"]
    articles = [
        build_article(
            ArticleInput(text=got[name].text, source=meta.get("source"),
                         published_at=meta.get("published_at")),
            got[name],
            "samples",
        )
        for name, meta in expected["articles"].items()
    ]
    first, *rest = [similarity.signature(a) for a in articles]
    event_sig, joined = first, True
    for sig in rest:
        joined &= similarity.choose(sig, [("event", event_sig)]) == "event"
        event_sig = similarity.combine(event_sig, sig)
    event = merge_event("event", articles, first_seen="", last_updated="")
    checks = [
        Check("event", f"{spec['articles']} articles in one event", joined),
        Check("event", f"date {spec['date']}", event.date is not None
              and event.date.value == spec["date"]),
        Check("event", f"venue {spec['venue']}", event.venue is not None
              and event.venue.name == spec["venue"]),
    ]
    checks += [
        Check("event", f"title mentions {word}", word in event.title)
        for word in spec["title_mentions"]
    ]
    for rel in spec["related"]:
        related = [
            h for h in event.related
            if h.venue == rel["venue"]
            and all(w.lower() in (h.what or "").lower() for w in rel["what_key_words"])
        ]
        checks.append(Check("event", f"related {rel['venue']}", bool(related),
                            "" if related else str([(h.venue, h.what) for h in event.related])))
    for conflict in spec["conflicts"]:
        wanted = set(conflict["values"])
        found = any(wanted <= {v.value for v in c.values} for c in event.conflicts)
        checks.append(Check("event", f"conflict: {conflict['about']}", found))
    return checks


def extract_samples(sample_dir: Path, pipeline: Pipeline | None = None) -> dict[str, Extraction]:
    """Run the pipeline over every article listed in the expected file."""
    expected = load_expected(sample_dir)
    pipe = pipeline or default_pipeline()
    return {
        fname: pipe.extract((sample_dir / fname).read_text("utf-8"),
                            published_at=spec.get("published_at"))
        for fname, spec in expected["articles"].items()
    }


def load_expected(sample_dir: Path) -> dict[str, Any]:
    """The expected items (geneva-talks.expected.json) as a dict."""
    data: dict[str, Any] = json.loads((sample_dir / EXPECTED_FILE).read_text("utf-8"))
    return data


def score(expected: Mapping[str, Any], got: Mapping[str, Extraction]) -> list[Check]:
    """All checks of all sections, the built-in ones first."""
    checks: list[Check] = []
    sections = [*SECTIONS.values(), score_demands, score_event, *_EXTRA_SECTIONS.values()]
    for scorer in sections:
        checks.extend(scorer(expected, got))
    return checks


def run(eval_dir: Path = DEFAULT_DIR, limit: int | None = None) -> dict[str, Any]:
    """Score the samples; ``limit`` is accepted for CLI symmetry and ignored (two articles)."""
    checks = score(load_expected(eval_dir), extract_samples(eval_dir))
    sections: dict[str, dict[str, Any]] = {}
    for check in checks:
        entry = sections.setdefault(check.section, {"found": 0, "expected": 0, "missing": []})
        entry["expected"] += 1
        entry["found"] += int(check.found)
        if not check.found:
            entry["missing"].append(f"{check.item} {check.detail}".strip())
    found = sum(s["found"] for s in sections.values())
    total = sum(s["expected"] for s in sections.values())
    return {"corpus": "samples", "found": found, "expected": total, "sections": sections}


def format_report(result: dict[str, Any]) -> str:
    """Markdown table of found/expected per section, then what is missing."""
    lines = ["| section | found / expected |", "|---|---|"]
    for name, sec in result["sections"].items():
        lines.append(f"| {name} | {sec['found']} / {sec['expected']} |")
    lines.append(f"| **all** | **{result['found']} / {result['expected']}** |")
    missing = [m for sec in result["sections"].values() for m in sec["missing"]]
    if missing:
        lines += ["", "Missing:", *(f"- {m}" for m in missing)]
    return "\n".join(lines)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(
        os.environ.get("STORYRECORDS_SAMPLES_DIR", DEFAULT_DIR))
    print(format_report(run(target)))
