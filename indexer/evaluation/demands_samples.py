"""Scores the demands found in the Geneva samples against geneva-talks.expected.json.

An expected demand is found when one extracted demand of that article has the same
claimant and addressee (by canonical name), the same stance, and an action containing
every key word. Matching is "by meaning" as the expected file asks, so a key word also
matches a listed synonym the other article uses ("forces" ~ "troops").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from indexer.models import Demand, Extraction

SYNONYMS: dict[str, tuple[str, ...]] = {
    "forces": ("forces", "troops", "troop"),
    "withdraw": ("withdraw", "pull out", "pull back"),
    "reduc": ("reduc", "cut"),
    "deliver": ("deliver", "supply", "supplies"),
}


def _name(extraction: Extraction, party_id: str | None) -> str | None:
    """Canonical name of a party id in this extraction."""
    return next((p.name for p in extraction.parties if p.id == party_id), party_id)


def has_key_words(action: str, key_words: list[str]) -> bool:
    """Every key word (or one of its synonyms) occurs in the action, ignoring case."""
    text = action.lower()
    return all(
        any(form.lower() in text for form in SYNONYMS.get(word.lower(), (word,)))
        for word in key_words
    )


def _matches(spec: Mapping[str, Any], demand: Demand, extraction: Extraction) -> bool:
    """Whether one extracted demand is the expected one."""
    return (
        _name(extraction, demand.claimant) == spec["claimant"]
        and _name(extraction, demand.addressee) == spec.get("addressee")
        and demand.stance == spec["stance"]
        and has_key_words(demand.action, spec["action_key_words"])
    )


def _articles(spec: Mapping[str, Any], names: list[str]) -> list[str]:
    """The articles an expected demand should be found in."""
    where = spec.get("in", "both")
    return names if where == "both" else [where]


def score_samples(extractions: dict[str, Extraction], expected: dict[str, Any]) -> dict[str, Any]:
    """Found/expected for the demands section, with one row per (demand, article)."""
    names = sorted(expected["articles"])
    items = []
    for spec in expected.get("demands", []):
        for article in _articles(spec, names):
            extraction = extractions.get(article)
            hits = (
                []
                if extraction is None
                else [d for d in extraction.demands if _matches(spec, d, extraction)]
            )
            label = (
                f"{spec['claimant']} -> {spec.get('addressee')} ({spec['stance']}): "
                f"{' '.join(spec['action_key_words'])}"
            )
            items.append(
                {
                    "article": article,
                    "item": label,
                    "found": bool(hits),
                    "detail": hits[0].action if hits else "",
                }
            )
    return {
        "found": sum(1 for item in items if item["found"]),
        "expected": len(items),
        "items": items,
    }


def format_report(result: Mapping[str, Any]) -> str:
    """Markdown list of the demand checks."""
    lines = [f"### Demands on the samples: {result['found']}/{result['expected']} found", ""]
    for item in result["items"]:
        mark = "x" if item["found"] else " "
        detail = f" — “{item['detail']}”" if item["detail"] else ""
        lines.append(f"- [{mark}] {item['article']}: {item['item']}{detail}")
    return "\n".join(lines) + "\n"
