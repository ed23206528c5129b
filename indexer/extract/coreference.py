"""Light, deterministic coreference: a pronoun or a title noun names a party mentioned before it.

"He urged ...", "the minister called on ...", "they demanded ...": the antecedent is the
nearest compatible mention in the same or the three preceding sentences, where compatible
means of the right kind (people for he/she, groups and organisations for they, organisations
and countries for it), of a matching gender when the text tells one ("Mrs.", "spokeswoman"),
with the title among a person's stated roles for "the minister", and never the subject of the
pronoun's own clause for an object pronoun ("Sherman urged her"). A subject pronoun prefers
the nearest antecedent that was itself a subject ("Trump demanded ... as he demanded").
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from spacy.tokens import Doc, Token

from indexer.extract.reference import fold, words

Gender = Literal["f", "m"]
WINDOW_SENTENCES = 3
MASCULINE = frozenset({"he", "him", "his", "himself"})
FEMININE = frozenset({"she", "her", "hers", "herself"})
PLURAL = frozenset({"they", "them", "their", "theirs", "themselves"})
NEUTER = frozenset({"it", "its", "itself"})
PRONOUNS = MASCULINE | FEMININE | PLURAL | NEUTER
_OBJECT_DEPS = frozenset({"dobj", "dative", "iobj", "pobj"})
_COUNTRY_NOUNS = frozenset({"country", "nation"})
_ORG_NOUNS = frozenset(
    {"company", "firm", "group", "organization", "organisation", "alliance", "bloc", "agency"}
)
# Title nouns that stand for the person holding the title ("the minister", "the senator").
_PERSON_TITLES = frozenset(
    {
        "president", "minister", "secretary", "ambassador", "envoy", "chancellor", "spokesman",
        "spokeswoman", "spokesperson", "chief", "leader", "director", "commander", "senator",
        "representative", "governor", "mayor", "king", "queen", "prince", "princess", "pope",
        "chairman", "chairwoman", "negotiator", "adviser", "advisor", "commissioner", "judge",
        "attorney", "general", "officer", "speaker", "premier", "congressman", "congresswoman",
        "diplomat", "prosecutor",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Antecedent:
    """A mention that a later pronoun or title may refer to."""

    start: int
    end: int
    party: str
    kind: str
    gender: Gender | None = None
    roles: frozenset[str] = frozenset()
    subject: bool = False


def gender_of(role_texts: Sequence[str], before: Sequence[str]) -> Gender | None:
    """A person's gender when the text tells it (titles, "spokeswoman"); None when it conflicts."""
    lists = words()
    found: set[Gender] = set()
    for text in [*role_texts, *before]:
        for word in fold(text).split():
            if word in lists.feminine:
                found.add("f")
            elif word in lists.masculine:
                found.add("m")
    return found.pop() if len(found) == 1 else None


def pronoun_after(subject: Token) -> str | None:
    """ "Clinton release her tax returns": the gendered pronoun a subject's own clause uses for it.

    Only when no other name comes between, so the pronoun can only be the subject's.
    """
    verb = subject.head
    for token in verb.subtree:
        if token.i <= subject.i:
            continue
        if token.pos_ == "PROPN" or token.ent_type_ == "PERSON":
            return None
        if token.lower_ in {"his", "himself", "her", "herself"}:
            return token.lower_
    return None


def _sentence_floor(token: Token) -> int:
    """The first token of the window in which antecedents are looked for."""
    sent = token.sent
    doc = token.doc
    start = sent.start
    for _ in range(WINDOW_SENTENCES):
        if start == 0:
            break
        start = doc[start - 1].sent.start
    return start


def _own_subject(token: Token) -> Token | None:
    """The subject of the verb an object pronoun depends on (binding: "X urged him" is not X),
    borrowed from the first verb when it is coordinated ("X met Y and urged him")."""
    head = token.head
    if token.dep_ == "pobj" and head.head.i != head.i:
        head = head.head
    for _ in range(WINDOW_SENTENCES + 1):
        subject = next((c for c in head.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
        if subject is not None or head.dep_ != "conj" or head.head.i == head.i:
            return subject
        head = head.head
    return None


def _compatible(pronoun: str, candidate: Antecedent) -> bool:
    if pronoun in MASCULINE or pronoun in FEMININE:
        wanted: Gender = "m" if pronoun in MASCULINE else "f"
        return candidate.kind == "person" and candidate.gender in {None, wanted}
    if pronoun in PLURAL:
        return candidate.kind in {"group", "organization"}
    return candidate.kind in {"organization", "country"}


def _nearest(token: Token, candidates: Sequence[Antecedent]) -> Antecedent | None:
    """The latest candidate ending before ``token`` inside the window."""
    floor = _sentence_floor(token)
    before = [c for c in candidates if floor <= c.start and c.end <= token.i]
    return max(before, key=lambda c: (c.end, -c.start)) if before else None


def _cataphora(token: Token, fitting: Sequence[Antecedent]) -> Antecedent | None:
    """ "In announcing that he would ..., Comey said": a pronoun in a clause fronted before its
    sentence's subject refers to that subject."""
    main = token.sent.root
    subject = next((c for c in main.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
    if subject is None or subject.i < token.i:
        return None
    fronted = next((c for c in main.children if c.i < subject.i and token in c.subtree), None)
    if fronted is None or fronted.dep_ not in {"prep", "advcl"}:
        return None
    return next((a for a in fitting if a.start <= subject.i < a.end), None)


def resolve_pronoun(token: Token, antecedents: Sequence[Antecedent]) -> Antecedent | None:
    """The party a third-person pronoun refers to, if the text allows one."""
    pronoun = token.lower_
    if pronoun not in PRONOUNS:
        return None
    excluded: set[str] = set()
    if token.dep_ in _OBJECT_DEPS:
        subject = _own_subject(token)
        if subject is not None:
            excluded = {a.party for a in antecedents if a.start <= subject.i < a.end}
    fitting = [a for a in antecedents if _compatible(pronoun, a) and a.party not in excluded]
    ahead = _cataphora(token, fitting)
    if ahead is not None:
        return ahead
    if token.dep_ in {"nsubj", "nsubjpass"}:
        subjects = _nearest(token, [a for a in fitting if a.subject])
        if subjects is not None:
            return subjects
    return _nearest(token, fitting)


def resolve_nominal(head: Token, antecedents: Sequence[Antecedent]) -> Antecedent | None:
    """ "the minister" -> the person whose stated role says minister; "the country" likewise."""
    if head.tag_ != "NN" or not any(c.lower_ == "the" and c.dep_ == "det" for c in head.children):
        return None
    if any(t.pos_ == "PROPN" for t in head.subtree):
        return None
    noun = head.lemma_.lower()
    if noun in _COUNTRY_NOUNS:
        fitting = [a for a in antecedents if a.kind == "country"]
    elif noun in _ORG_NOUNS:
        fitting = [a for a in antecedents if a.kind == "organization"]
    elif noun in _PERSON_TITLES:
        fitting = [a for a in antecedents if a.kind == "person" and noun in a.roles]
    else:
        return None
    return _nearest(head, fitting)


FIRST_PERSON = frozenset({"i", "me", "my", "we", "us", "our", "ours"})
_OPENING_QUOTES = frozenset({"\u201c", "``"})
CLOSING_QUOTES = frozenset({"\u201d", "''"})
STRAIGHT_QUOTES = frozenset({'"'})
_SPEECH_VERBS = frozenset(
    {"say", "tell", "add", "state", "write", "declare", "insist", "stress", "note", "explain",
     "announce", "tweet", "warn", "continue", "argue", "reply", "respond"}
)  # fmt: skip
# How many tokens may stand between a quotation mark and the speech verb or its subject.
_ATTRIBUTION_REACH = 4


class Quotations:
    """The direct quotations of a doc and who says each, read once ("'We urge ...,' Kuleba said").

    Quotation marks pair up in text order (curly marks by their shape, straight ones by
    alternation); a quotation's speaker is the subject of a speech verb right after its closing
    mark ("...," he said / said the minister) or right before its opening one (X said: "...").
    A quotation with neither continues the one before it when that one ended in the same or
    the previous sentence ("...," he said. "We ...").
    """

    def __init__(self, doc: Doc) -> None:
        self._doc = doc
        self._spans: list[tuple[int, int]] = []  # (opening mark, closing mark)
        opened: int | None = None
        for token in doc:
            text = token.text
            if text in _OPENING_QUOTES or (text in STRAIGHT_QUOTES and opened is None):
                opened = token.i
            elif (text in CLOSING_QUOTES or text in STRAIGHT_QUOTES) and opened is not None:
                self._spans.append((opened, token.i))
                opened = None
        self._starts = [s for s, _ in self._spans]
        self._speakers: dict[int, Token | None] = {}

    def speaker(self, token: Token) -> Token | None:
        """The head of the phrase saying the quotation ``token`` stands in, if any."""
        at = bisect_right(self._starts, token.i) - 1
        if at < 0 or not self._spans[at][0] < token.i < self._spans[at][1]:
            return None
        return self._speaker_at(at)

    def _speaker_at(self, at: int) -> Token | None:
        chain: list[int] = []  # quotations that continue the one before, latest first
        found: Token | None = None
        while at not in self._speakers:
            start, end = self._spans[at]
            found = self._after(end) or self._before(start)
            chain.append(at)
            if found is not None or at == 0 or not self._continues(at):
                break
            at -= 1
        else:
            found = self._speakers[at]
        for k in chain:
            self._speakers[k] = found
        return found

    def _continues(self, at: int) -> bool:
        """Whether quotation ``at`` opens in the sentence where the one before it closed, or the
        sentence after."""
        sent = self._doc[self._spans[at][0]].sent
        floor = self._doc[sent.start - 1].sent.start if sent.start > 0 else sent.start
        return self._spans[at - 1][1] >= floor

    def _after(self, end: int) -> Token | None:
        doc = self._doc
        for token in doc[end + 1 : min(end + 1 + _ATTRIBUTION_REACH, len(doc))]:
            if token.text in _OPENING_QUOTES:
                break
            if token.lemma_.lower() in _SPEECH_VERBS and token.pos_ in {"VERB", "AUX"}:
                return _speech_subject(token, end)
        return None

    def _before(self, start: int) -> Token | None:
        doc = self._doc
        for token in reversed(doc[max(start - _ATTRIBUTION_REACH, 0) : start]):
            if token.text in CLOSING_QUOTES:
                break
            if token.lemma_.lower() in _SPEECH_VERBS and token.pos_ in {"VERB", "AUX"}:
                return _speech_subject(token, start)
        return None


def _speech_subject(verb: Token, mark: int) -> Token | None:
    """The subject of a speech verb, when it stands outside the quotation (past ``mark``)."""
    subject = next((c for c in verb.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
    if subject is None:
        return None
    quoted = (verb.i > mark) != (subject.i > mark)
    return None if quoted else subject
