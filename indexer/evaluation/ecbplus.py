"""Scores party and place spans against ECB+ (Cybulska & Vossen 2014), annotated sentences only.

Gold parties are HUMAN_PART_PER/ORG/GPE mentions, gold places LOC_* mentions. ECB+ also
annotates pronouns and common nouns ("he", "the police"), which a named-entity extractor
does not aim at, so recall is also reported on the *named* gold mentions alone.
"""

from __future__ import annotations

import csv
import os
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.evaluation import SHARED_DIR
from indexer.extract.parties import extract_parties
from indexer.extract.places import extract_locations
from indexer.pipeline import load_model, parse

DEFAULT_DIR = SHARED_DIR / "eval" / "ecbplus"
PARTY_TAGS = frozenset({"HUMAN_PART_PER", "HUMAN_PART_ORG", "HUMAN_PART_GPE"})
_NO_SPACE_BEFORE = frozenset({",", ".", ":", ";", "!", "?", ")", "'s", "n't", "%", "'", "-", "/"})
_NO_SPACE_AFTER = frozenset({"(", "$", "-", "/", "``"})
_QUOTES = {"``": '"', "''": '"'}

Span = tuple[int, ...]


@dataclass(frozen=True)
class GoldDoc:
    """One ECB+ document rebuilt as text, with token offsets and gold spans (token ids)."""

    name: str
    text: str
    offsets: dict[int, tuple[int, int]]
    sentence_of: dict[int, int]
    annotated: frozenset[int]
    gold: dict[str, list[tuple[Span, str]]]


def annotated_sentences(eval_dir: Path) -> dict[str, set[int]]:
    """Document name ('1_10ecbplus.xml') -> sentence numbers whose annotation is complete."""
    table: dict[str, set[int]] = {}
    with (eval_dir / "annotated_sentences.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = f"{row['Topic']}_{row['File']}.xml"
            table.setdefault(name, set()).add(int(row["Sentence Number"]))
    return table


def _detokenise(tokens: list[tuple[int, int, str]]) -> tuple[str, dict[int, tuple[int, int]]]:
    parts: list[str] = []
    offsets: dict[int, tuple[int, int]] = {}
    length, previous, last_sentence = 0, "", -1
    for tid, sentence, raw in tokens:
        word = _QUOTES.get(raw, raw)
        if sentence != last_sentence and parts:
            sep = "\n"
        elif not parts or raw in _NO_SPACE_BEFORE or previous in _NO_SPACE_AFTER:
            sep = ""
        else:
            sep = " "
        parts.append(sep + word)
        length += len(sep)
        offsets[tid] = (length, length + len(word))
        length += len(word)
        previous, last_sentence = raw, sentence
    return "".join(parts), offsets


def load_doc(path: Path, annotated: Iterable[int]) -> GoldDoc:
    """Parse one ECB+ XML file into text, offsets and gold party/place spans."""
    root = ET.parse(path).getroot()
    tokens = [(int(t.get("t_id", "0")), int(t.get("sentence", "0")), t.text or "")
              for t in root.iter("token")]
    text, offsets = _detokenise(tokens)
    gold: dict[str, list[tuple[Span, str]]] = {"parties": [], "places": []}
    markables = root.find("Markables")
    for mark in markables if markables is not None else []:
        ids = tuple(sorted(int(a.get("t_id", "0")) for a in mark.iter("token_anchor")))
        if not ids:
            continue
        if mark.tag in PARTY_TAGS:
            gold["parties"].append((ids, mark.tag))
        elif mark.tag.startswith("LOC_"):
            gold["places"].append((ids, mark.tag))
    return GoldDoc(path.name, text, offsets, {t: s for t, s, _ in tokens},
                   frozenset(annotated), gold)


def iter_docs(eval_dir: Path, limit: int | None = None) -> Iterator[GoldDoc]:
    """Documents that have annotated sentences, in a stable order."""
    table = annotated_sentences(eval_dir)
    paths = sorted((eval_dir / "docs").glob("*/*.xml"),
                   key=lambda p: (int(p.parent.name), p.name))
    count = 0
    for path in paths:
        if path.name in table:
            yield load_doc(path, table[path.name])
            count += 1
            if limit is not None and count >= limit:
                return


def _to_tokens(doc: GoldDoc, start: int, end: int) -> Span:
    return tuple(t for t, (s, e) in doc.offsets.items() if s < end and start < e)


def predict(doc: GoldDoc) -> dict[str, list[Span]]:
    """Party and place mention spans (as ECB+ token ids) from the extraction steps."""
    parsed = parse(load_model(), doc.text)
    parties = extract_parties(parsed)
    venues, places = extract_locations(parsed, parties)
    party_spans = [_to_tokens(doc, m.start, m.end) for p in parties for m in p.mentions]
    locations = [m for v in venues for m in v.mentions] + [m for p in places for m in p.mentions]
    place_spans = [_to_tokens(doc, m.start, m.end) for m in locations]
    return {"parties": [s for s in party_spans if s], "places": [s for s in place_spans if s]}


def _named(doc: GoldDoc, span: Span) -> bool:
    """A gold mention that contains a name (a capitalised word not opening its sentence)."""
    first = min(t for t, s in doc.sentence_of.items() if s == doc.sentence_of[span[0]])
    words = [doc.text[slice(*doc.offsets[t])] for t in span]
    return any(w[:1].isupper() and (t != first or len(span) > 1)
               for t, w in zip(span, words, strict=True) if w.lower() not in _PRONOUNS)


_PRONOUNS = frozenset({"he", "she", "it", "they", "we", "i", "you", "his", "her", "their", "the",
                       "a", "an", "this", "that", "these", "those", "its", "our", "my"})


def _match(gold: list[Span], pred: list[Span], strict: bool) -> int:
    """One-to-one matches: identical token spans, or any token overlap when lenient."""
    used: set[int] = set()
    hits = 0
    for g in gold:
        for i, p in enumerate(pred):
            if i in used:
                continue
            if (g == p) if strict else not set(g).isdisjoint(p):
                used.add(i)
                hits += 1
                break
    return hits


def _prf(tp_p: int, n_pred: int, tp_g: int, n_gold: int) -> dict[str, float]:
    precision = tp_p / n_pred if n_pred else 0.0
    recall = tp_g / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def run(eval_dir: Path = DEFAULT_DIR, limit: int | None = None) -> dict[str, Any]:
    """Span precision/recall/F1 for parties and places over the annotated sentences."""
    counts: Counter[str] = Counter()
    started = time.perf_counter()
    n_docs = 0
    for doc in iter_docs(eval_dir, limit):
        n_docs += 1
        predicted = predict(doc)
        for kind in ("parties", "places"):
            inside = [
                (span, tag) for span, tag in doc.gold[kind]
                if doc.sentence_of[span[0]] in doc.annotated
            ]
            gold = [span for span, _ in inside]
            named = [span for span, _ in inside if _named(doc, span)]
            pred = [s for s in predicted[kind] if doc.sentence_of[s[0]] in doc.annotated]
            counts[f"{kind}.gold"] += len(gold)
            counts[f"{kind}.named_gold"] += len(named)
            counts[f"{kind}.pred"] += len(pred)
            for mode, strict in (("strict", True), ("overlap", False)):
                counts[f"{kind}.{mode}.tp_pred"] += _match(pred, gold, strict)
                counts[f"{kind}.{mode}.tp_gold"] += _match(gold, pred, strict)
                counts[f"{kind}.{mode}.tp_named"] += _match(named, pred, strict)
            for span, tag in inside:
                counts[f"tag.{tag}.gold"] += 1
                counts[f"tag.{tag}.found"] += _match([span], pred, False)
    result: dict[str, Any] = {"corpus": "ecbplus", "documents": n_docs,
                              "seconds": round(time.perf_counter() - started, 1)}
    for kind in ("parties", "places"):
        entry: dict[str, Any] = {k: counts[f"{kind}.{k}"] for k in ("gold", "named_gold", "pred")}
        for mode in ("strict", "overlap"):
            tp_p, tp_g = counts[f"{kind}.{mode}.tp_pred"], counts[f"{kind}.{mode}.tp_gold"]
            entry[mode] = _prf(tp_p, entry["pred"], tp_g, entry["gold"])
            entry[mode]["recall_named"] = round(
                counts[f"{kind}.{mode}.tp_named"] / entry["named_gold"], 4
            ) if entry["named_gold"] else 0.0
        result[kind] = entry
    result["recall_by_tag_overlap"] = {
        key[4:-5]: round(counts[f"tag.{key[4:-5]}.found"] / counts[key], 4)
        for key in sorted(counts) if key.startswith("tag.") and key.endswith(".gold")
    }
    return result


def format_report(result: dict[str, Any]) -> str:
    """Markdown table of span P/R/F1 (strict and overlap) and recall on named mentions."""
    lines = [
        f"ECB+ topics 1-35, annotated sentences only: {result['documents']} documents "
        f"({result['seconds']} s).",
        "",
        "| spans | match | precision | recall | F1 | recall (named gold only) "
        "| gold / named / predicted |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in ("parties", "places"):
        entry = result[kind]
        for mode in ("strict", "overlap"):
            m = entry[mode]
            lines.append(
                f"| {kind} | {mode} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} "
                f"| {m['recall_named']:.3f} | {entry['gold']} / {entry['named_gold']} / "
                f"{entry['pred']} |"
            )
    lines += ["", "Recall by gold tag (overlap): " + ", ".join(
        f"{tag} {value:.3f}" for tag, value in result["recall_by_tag_overlap"].items())]
    return "\n".join(lines)


if __name__ == "__main__":
    directory = Path(os.environ.get("STORYRECORDS_ECBPLUS_DIR", DEFAULT_DIR))
    limit_arg = int(sys.argv[1]) if len(sys.argv) > 1 else None
    print(format_report(run(directory, limit_arg)))
