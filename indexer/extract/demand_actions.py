"""Turn the words a demand is phrased in into a short verb phrase.

"the withdrawal of Russian forces from the border" and "Russian troops to be withdrawn
from the border" both become "withdraw Russian ... from the border", so the same demand
reads the same in every article and groups when events are merged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from spacy.tokens import Token

NOMINALISATIONS = {
    "withdrawal": "withdraw",
    "reduction": "reduce",
    "termination": "terminate",
    "end": "end",
    "rejection": "reject",
    "assurance": "assure",
    "delivery": "deliver",
    "removal": "remove",
    "release": "release",
    "halt": "halt",
    "cessation": "cease",
    "return": "return",
    "expansion": "expand",
    "guarantee": "guarantee",
    "de-escalation": "de-escalate",
    "deescalation": "de-escalate",
    "recognition": "recognize",
    "lifting": "lift",
    "suspension": "suspend",
    "resignation": "resign",
    "investigation": "investigate",
    "pullout": "pull out",
    "pull-out": "pull out",
    "ceasefire": "cease fire",
    "restoration": "restore",
    "cancellation": "cancel",
    "abolition": "abolish",
    "closure": "close",
    "dismantling": "dismantle",
    "deployment": "deploy",
    "supply": "supply",
    "payment": "pay",
    "extradition": "extradite",
    "punishment": "punish",
    "apology": "apologize",
    "stop": "stop",
    "ban": "ban",
    "inclusion": "include",
    "exclusion": "exclude",
    "admission": "admit",
    "negotiation": "negotiate",
    "resumption": "resume",
    "implementation": "implement",
}
_PASSIVE_INFINITIVE = re.compile(r"^(?P<obj>.+?) to be (?P<verb>\w+)(?P<rest>.*)$")
_NUMBER_OF = re.compile(r"^(?:in|of) (?:the )?(?:number|size|level|amount) of ")


def tokens_text(tokens: Iterable[Token]) -> str:
    """Join tokens with their original spacing, trimmed."""
    return "".join(t.text_with_ws for t in tokens).strip()


def _strip(text: str) -> str:
    """Drop edge punctuation, quotes and a leading infinitive "to"/"not to"."""
    text = re.sub(r"\s+", " ", text).strip(" ,.;:!?\"'\u201c\u201d\u2018\u2019()")
    text = re.sub(r"^(?:not )?to ", "", text)
    return text


def _verb_lemma(token: Token) -> str:
    """The base form of a participle ("withdrawn" -> "withdraw")."""
    return token.lemma_.lower() if token.lemma_ else token.lower_


def from_noun(head: Token, tokens: list[Token]) -> str:
    """Phrase for a noun demand: "the reduction in US troops" -> "reduce US troops"."""
    lemma = head.lemma_.lower()
    verb = NOMINALISATIONS.get(lemma) or NOMINALISATIONS.get(head.lower_)
    if verb is None:
        kept = [t for t in tokens if not (t.i == tokens[0].i and t.dep_ == "det")]
        return _strip(tokens_text(kept))
    before = [t for t in tokens if t.i < head.i and t.dep_ not in {"det", "poss", "case"}]
    before = [t for t in before if not (t.dep_ == "amod" and t.lower_ in {"guaranteed", "full"})]
    after = tokens_text(t for t in tokens if t.i > head.i)
    after = _NUMBER_OF.sub("", after)
    if not before:
        after = re.sub(r"^(?:of|to|in|on|for) ", "", after)
    words = [verb, tokens_text(before), after] if before else [verb, after]
    return _strip(" ".join(w for w in words if w))


def from_clause(text: str) -> str:
    """Phrase for a clause: a passive infinitive becomes active ("X to be withdrawn" -> ...)."""
    text = _strip(text)
    return text


def passive_infinitive(obj: list[Token], verb: Token, rest: list[Token]) -> str:
    """ "Russian troops to be withdrawn from X" -> "withdraw Russian troops from X"."""
    return _strip(f"{_verb_lemma(verb)} {tokens_text(obj)} {tokens_text(rest)}")
