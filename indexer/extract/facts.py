"""Details sources often state differently — how long something lasted — as comparable facts.

"the eight-hour talks" and "the nearly eight-hour talks" are the same measure with a different
hedge; keeping the hedge in the value lets the event merger show the disagreement.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc

from indexer.models import Fact, Mention

_NUMBER = (
    r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty|thirty|forty|fifty|sixty|a|an|half an?)"
)
_HEDGE = r"(?:nearly|almost|about|around|roughly|some|over|more than|less than|at least|up to)"
_DURATION = re.compile(
    rf"\b(?:(?P<hedge>{_HEDGE})\s+)?(?P<amount>{_NUMBER})[- ]"
    r"(?P<unit>minute|hour|day|week|month|year)s?"
    rf"(?:[- ]long)?\s+(?P<about>[a-z]+(?:[- ][a-z]+)?)",
    re.IGNORECASE,
)
# Nouns a duration can qualify in news about happenings.
_HAPPENINGS = {
    "talks", "talk", "meeting", "meetings", "session", "negotiations", "summit", "conference",
    "discussion", "discussions", "hearing", "siege", "standoff", "strike", "operation", "visit",
    "trial", "debate", "ceasefire", "truce", "war", "battle", "search", "rescue", "outage",
}  # fmt: skip


def extract_facts(doc: Doc) -> tuple[Fact, ...]:
    """Durations that qualify a happening ("the nearly eight-hour talks")."""
    facts: list[Fact] = []
    text = doc.text  # built afresh on every access, so once
    for match in _DURATION.finditer(text):
        about_words = match.group("about").lower().replace("-", " ").split()
        noun = next((w for w in about_words if w in _HAPPENINGS), None)
        if noun is None:
            continue
        hedge = (match.group("hedge") or "").lower()
        amount, unit = match.group("amount").lower(), match.group("unit").lower()
        value = " ".join(part for part in (hedge, f"{amount}-{unit}") if part)
        end = match.start("about") + match.group("about").lower().index(noun) + len(noun)
        start = match.start()
        facts.append(
            Fact(
                kind="duration",
                about=_canonical(noun),
                value=value,
                mention=Mention(start, end, text[start:end]),
            )
        )
    return tuple(facts)


def _canonical(noun: str) -> str:
    return {"talk": "talks", "meetings": "meeting", "discussion": "discussions"}.get(noun, noun)
