"""Demands step: who demands, rejects, offers or accepts what of whom, read off the parse.

A cue (verb "demand", "call on/for", "urge", "insist on", "press for", "reject", "offer";
adjective "willing/ready to"; noun "X's demands for ...") anchors each record. Its subject
gives the claimants (one record each when coordinated), its object or "on/of" phrase the
addressee, and its complement the action. Party ids come from the party mentions, so
"Moscow", "the Western alliance" or a pronoun count as the party they were resolved to.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial

from spacy.tokens import Doc, Span, Token

from indexer.extract import budget
from indexer.extract.demand_actions import (
    NOMINALISATIONS,
    from_noun,
    passive_infinitive,
    tokens_text,
)
from indexer.extract.reference import demonyms, words
from indexer.models import Demand, Mention, Party, Stance

VERB_CUES: dict[str, Stance] = {
    "demand": "demand",
    "call": "demand",
    "urge": "demand",
    "insist": "demand",
    "press": "demand",
    "ask": "demand",
    "request": "demand",
    "appeal": "demand",
    "push": "demand",
    "implore": "demand",
    "advocate": "demand",
    "recommend": "demand",
    "advise": "demand",
    "order": "demand",
    "instruct": "demand",
    "suggest": "demand",
    "tell": "demand",
    "encourage": "demand",
    "direct": "demand",
    "command": "demand",
    "beg": "demand",
    "plead": "demand",
    "reject": "rejects",
    "rebuff": "rejects",
    "dismiss": "rejects",
    "refuse": "rejects",
    "offer": "offers",
    "propose": "offers",
    "accept": "accepts",
    "agree": "accepts",
}
ADJ_CUES: dict[str, Stance] = {"willing": "offers", "ready": "offers", "prepared": "offers"}
NOUN_CUES = {"demand", "call", "request", "ultimatum", "insistence"}
_CUE_PREPS = {
    "call": {"for"},
    "insist": {"on", "upon"},
    "press": {"for"},
    "push": {"for"},
    "appeal": {"for", "to"},
    "ask": {"for"},
    "advocate": {"for"},
    "plead": {"for"},
    "advise": {"against", "on"},
    "recommend": {"against"},
}
_ADDRESSED_BY_OBJECT = {
    "urge", "ask", "press", "implore", "advise", "order", "instruct", "tell", "encourage",
    "direct", "command", "beg",
}  # fmt: skip
# These address whoever they name as object only when a second complement says what to do.
_ADDRESSED_BY_NAMED_OBJECT = {"recommend", "suggest", "demand", "request"}
# "told reporters that ..." reports speech: these are demands only with "to <verb>".
_NEEDS_INFINITIVE = {"tell", "encourage", "direct", "command", "beg", "plead"}
# "demanded that X leave": a that-clause states the action and its subject the addressee.
_MANDATIVE = {"demand", "insist", "urge", "recommend", "suggest", "ask", "request", "advise"}
# These also report facts ("insisted that it was"): the clause must be a subjunctive.
_NEEDS_SUBJUNCTIVE = {"insist", "suggest", "advise"}
# "had been advising Marco Rubio": advice given, its content unstated (an empty action).
_ADVICE = {"advise"}
_INDICATIVE_AUX = {"will", "would", "could", "can", "may", "might", "be", "have", "do", "'ll", "wo"}
_NAMED_TAGS = {"NNP", "NNPS", "PRP"}
_SPEECH_VERBS = {
    "say",
    "comment",
    "answer",
    "confirm",
    "disclose",
    "elaborate",
    "discuss",
    "identify",
    "reveal",
    "speculate",
    "name",
    "give",
    "provide",
    "release",
}
_RELATIVE_PRONOUNS = {"who", "that", "which"}
_NEEDS_PREP = {"call", "insist", "push", "appeal", "plead"}
_ADDRESSEE_PREPS = {"on", "upon", "of", "from", "to"}
_SUBJECTS = {"nsubj", "nsubjpass"}
_PRONOUNS = {"he", "she", "him", "her", "his"}
# "all of the key players", "one of his aides": the actors are the "of" phrase's.
_QUANTIFIERS = {
    "all", "some", "many", "most", "one", "none", "each", "several", "both", "few", "any",
    "majority", "dozens", "hundreds", "thousands", "half", "number", "group",
}  # fmt: skip
# How far a head is followed through conjuncts, quantifiers and appositions (constant work).
_CLIMB = 4
_INCLUDE_SUBJECTS = {"this", "these", "they", "those", "it"}
_NO_ONE = {"it", "there", "this", "that", "what", "which", "something", "anything", "nothing"}

# What a complement of a cue asks for: its text, its tokens and whether it is negated.
Action = tuple[str, list[Token], bool]


@dataclass(frozen=True)
class _Draft:
    """A demand before claimants are split and addressees inferred."""

    claimants: tuple[str, ...]
    addressees: tuple[str, ...]
    action: str
    action_tokens: tuple[int, ...]
    cue: str
    stance: Stance
    sentence: Span
    negated: bool


class PartyIndex:
    """Which party each token belongs to, from the parties' mentions plus demonyms."""

    def __init__(self, doc: Doc, parties: Sequence[Party]) -> None:
        """Map every token inside a party mention to that party's id."""
        self.by_token: dict[int, str] = {}
        self.kind: dict[str, str] = {p.id: p.kind for p in parties}
        self.persons: list[tuple[int, str]] = []
        for party in parties:
            for mention in party.mentions:
                span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
                if span is None:
                    continue
                for token in span:
                    if token.i not in self.by_token or party.kind == "person":
                        self.by_token[token.i] = party.id
                if party.kind == "person":
                    self.persons.append((span.start, party.id))
        self.persons.sort()
        self._person_starts = [start for start, _ in self.persons]
        self.demonyms = self._demonyms(parties)

    @staticmethod
    def _demonyms(parties: Sequence[Party]) -> dict[str, str]:
        """Demonyms of the countries in the text ("Russian" -> Russia), from the reference data."""
        present = {p.id for p in parties if p.kind == "country"}
        return {
            word: f"country:{code}"
            for word, code in demonyms().items()
            if f"country:{code}" in present
        }

    def party_of(self, token: Token) -> str | None:
        """The party a single token refers to, if any (mention, demonym or pronoun)."""
        if token.i in self.by_token:
            return self.by_token[token.i]
        if token.lower_ in self.demonyms:
            return self.demonyms[token.lower_]
        if token.lower_ in _PRONOUNS:  # the person mentioned last before the pronoun
            before = bisect_left(self._person_starts, token.i)
            return self.persons[before - 1][1] if before else None
        return None

    def party_of_phrase(self, head: Token) -> str | None:
        """The party a noun phrase names: its head, an apposition, else its modifiers."""
        direct = self.by_token.get(head.i)
        if direct is None and head.lower_ in _PRONOUNS:
            direct = self.party_of(head)
        if direct:
            return direct
        for child in head.children:
            if child.dep_ == "appos" and (found := self.by_token.get(child.i)):
                return found
        if _too_wide(head):
            return None
        for token in head.subtree:
            if token.dep_ in {"prep", "relcl", "acl"} and token.i != head.i:
                break
            if found := self.party_of(token):
                return found
        return None

    def parties_in(self, tokens: Sequence[Token]) -> list[str]:
        """Parties named in a run of tokens, in order of first mention."""
        seen: list[str] = []
        for token in tokens:
            party = self.party_of(token)
            if party and party not in seen:
                seen.append(party)
        return seen


def _too_wide(*heads: Token) -> bool:
    """Whether the phrases of ``heads`` together span ``budget.MAX_PHRASE_TOKENS`` or more."""
    start = min(head.left_edge.i for head in heads)
    return max(head.right_edge.i for head in heads) - start >= budget.MAX_PHRASE_TOKENS


def _conjuncts(token: Token) -> list[Token]:
    """A token and everything coordinated with it ("the US and NATO" -> [US, NATO])."""
    return [token, *[c for c in token.conjuncts if c.i > token.i]]


def _subject(verb: Token) -> Token | None:
    """The subject of a verb, borrowed from the governing verb (conjuncts, xcomps), from the
    object for "hired experts to advise", and past an inanimate one ("emails … and urged")."""
    node = verb
    for _ in range(5):
        subject = next((c for c in node.children if c.dep_ in _SUBJECTS), None)
        if subject is not None:
            if subject.lower_ in _RELATIVE_PRONOUNS and node.dep_ == "relcl":
                return node.head
            if node == verb or _animate(subject) or node.dep_ != "ccomp":
                return subject
        controller = _object_controller(node)
        if controller is not None:
            return controller
        if node.dep_ == "acl" and node.head.pos_ in {"NOUN", "PROPN", "PRON"}:
            return _noun_owner(node.head)
        if node.dep_ in {"conj", "xcomp", "acomp", "advcl"} or (
            subject is not None and node.dep_ == "ccomp"
        ):
            if node.head.i == node.i:
                return None
            node = node.head
        else:
            return None
    return None


def _animate(token: Token) -> bool:
    """Someone who can demand: a name, a pronoun or a noun for people or an institution."""
    return token.tag_ in _NAMED_TAGS or bool(token.ent_type_) or is_actor_noun(token)


def _is_infinitive(verb: Token) -> bool:
    return any(c.dep_ == "aux" and c.lower_ == "to" for c in verb.children)


def _object_controller(verb: Token) -> Token | None:
    """The object of the governing verb that an infinitive's action is done by, if any."""
    if verb.dep_ not in {"xcomp", "advcl"} or not _is_infinitive(verb):
        return None
    obj = next((c for c in verb.head.children if c.dep_ == "dobj" and c.i < verb.i), None)
    if obj is None or not (obj.tag_ in _NAMED_TAGS or is_actor_noun(obj)):
        return None
    return obj


def _is_passive(cue: Token) -> bool:
    """ "Countries are being urged to ...": the subject is addressed, the agent demands; also
    a participle coordinated with a passive ("is funded, advised and staffed by ...")."""
    node = cue
    for _ in range(_CLIMB):
        if node.tag_ != "VBN":
            return False
        if any(c.dep_ in {"auxpass", "nsubjpass"} for c in node.children):
            return True
        if node.dep_ != "conj" or node.head.i == node.i:
            return False
        node = node.head
    return False


def _agent(cue: Token) -> Token | None:
    """The "by X" of a passive cue, or of the last of its coordinated participles ("is advised,
    led and staffed by X")."""
    verb: Token | None = cue
    for _ in range(_CLIMB):
        if verb is None:
            break
        for child in verb.children:
            if child.dep_ == "agent" or (
                child.dep_ == "prep" and child.lower_ == "by" and verb.tag_ == "VBN"
            ):
                return next((p for p in child.children if p.dep_ == "pobj"), None)
        verb = next((c for c in verb.children if c.dep_ == "conj" and c.tag_ == "VBN"), None)
    return None


def _noun_owner(noun: Token) -> Token | None:
    """Who issues a document or act: "posted a letter urging ..." is the letter's writer's."""
    if is_actor_noun(noun) or noun.tag_ in {"NNP", "NNPS"}:
        return noun
    owner = next((c for c in noun.children if c.dep_ == "poss"), None)
    if owner is not None and owner.tag_ in {"NNP", "NNPS", "PRP$"}:
        return owner
    for ancestor in noun.ancestors:
        if ancestor.pos_ in {"VERB", "AUX"}:
            return _subject(ancestor)
    return None


def phrase_head(token: Token) -> Token:
    """The head naming the actor a phrase stands for: "all of the key players" -> players;
    "the columnist (and senior fellow)" in apposition to "Max Boot" -> Boot."""
    for _ in range(_CLIMB):
        if token.lower_ in _QUANTIFIERS or token.pos_ == "NUM":
            of = next((c for c in token.children if c.dep_ == "prep" and c.lower_ == "of"), None)
            pobj = next((p for p in of.children if p.dep_ == "pobj"), None) if of else None
            if pobj is not None:
                token = pobj
                continue
        anchor = token
        for _ in range(_CLIMB):
            if anchor.dep_ != "conj" or anchor.head.pos_ not in {"NOUN", "PROPN"}:
                break
            anchor = anchor.head
        named = anchor.head.tag_ in _NAMED_TAGS or bool(anchor.head.ent_type_)
        if anchor.dep_ == "appos" and token.pos_ == "NOUN" and named:
            token = anchor.head
            continue
        break
    return token


def claimant_head(cue: Token) -> Token | None:
    """The phrase head that states who demands: subject, passive agent or document's writer."""
    if cue.pos_ == "ADJ":
        head = _subject(cue.head)
    elif _is_passive(cue):
        head = _agent(cue)
    else:
        head = _subject(cue)
    return phrase_head(head) if head is not None else None


def is_actor_noun(token: Token) -> bool:
    """A common noun that names people or an institution ("protesters", "the government")."""
    return token.pos_ == "NOUN" and token.lemma_.lower() in words().actor_nouns


def _own_tokens(item: Token, skip: set[int]) -> list[Token]:
    """The subtree of one conjunct without its coordinated siblings."""
    excluded: set[int] = set(skip)
    for child in item.children:
        if child.dep_ in {"conj", "cc"} or (child.dep_ == "punct" and child.i > item.i):
            excluded.update(t.i for t in child.subtree)
    return [t for t in item.subtree if t.i not in excluded]


def _claimants(index: PartyIndex, subject: Token | None) -> tuple[str, ...]:
    """Every party in a (possibly coordinated) subject."""
    if subject is None:
        return ()
    found = [index.party_of_phrase(s) for s in _conjuncts(subject)]
    return tuple(dict.fromkeys(p for p in found if p))


def _items(obj: Token) -> list[Token]:
    """Coordinated demand nouns, including ones the parser attached too deep.

    "a reduction in the number of US forces ... and an assurance that ..." is often parsed
    with "assurance" coordinated to "number"; a determiner-led nominalisation is lifted out.
    """
    items = _conjuncts(obj)
    for item in list(items):
        for token in item.subtree:
            if (
                token.dep_ == "conj"
                and token.i not in {x.i for x in items}
                and token.head.i > item.i
                and token.lemma_.lower() in NOMINALISATIONS
                and any(c.dep_ == "det" for c in token.children)
            ):
                items.append(token)
    return items


def _is_noun_item(item: Token) -> bool:
    """Whether a coordinated item of a noun object gives an action."""
    return item.pos_ in {"NOUN", "PROPN"} or item.dep_ == "pobj"


def _has_noun_action(obj: Token) -> bool:
    """Whether ``_noun_actions(obj)`` gives any action, reading deeper only when it must."""
    items = _conjuncts(obj)
    if _too_wide(*items):
        return False
    return any(map(_is_noun_item, items)) or any(map(_is_noun_item, _items(obj)))


def _noun_actions(obj: Token) -> list[Action]:
    """One normalised action per coordinated noun object (none when they are too wide)."""
    if _too_wide(*_conjuncts(obj)):
        return []
    items = _items(obj)
    actions = []
    for item in items:
        if not _is_noun_item(item):
            continue
        skip = {t.i for other in items if other.i > item.i for t in other.subtree}
        own = _own_tokens(item, skip)
        while own and (own[-1].dep_ == "cc" or own[-1].is_punct):
            own.pop()
        actions.append((from_noun(item, own), own, False))
    return actions


def _verb_action(verb: Token) -> tuple[str, list[Token], bool]:
    """Action from an infinitive complement ("to stop the escalation"), negation noted."""
    own = [t for t in verb.subtree if t.dep_ not in {"aux", "neg"} or t.head.i != verb.i]
    negated = any(c.dep_ == "neg" for c in verb.children)
    text = tokens_text(own)
    for prefix in ("to ", "not to "):
        text = text.removeprefix(prefix)
    return text.strip(' ,.;:"“”'), own, negated


def _hyphenated_action(parts: list[Token]) -> tuple[str, list[Token], bool]:
    """ "de - escalate X" split by the parser into sibling xcomps, read back as one action."""
    own = sorted({t for part in parts for t in part.subtree}, key=lambda t: t.i)
    own = [t for t in own if t.dep_ not in {"aux", "neg"}]
    negated = any(c.dep_ == "neg" for part in parts for c in part.children)
    return tokens_text(own).strip(' ,.;:"“”'), own, negated


def _passive_clause(clause: Token) -> Action:
    """ "[for] Russian troops to be withdrawn from X" read as "withdraw Russian troops from X"."""
    subj = [c for c in clause.children if c.dep_ in _SUBJECTS]
    if not subj:
        return _verb_action(clause)
    obj = list(subj[0].subtree)
    skip = {t.i for t in obj} | {
        c.i for c in clause.children if c.dep_ in {"aux", "auxpass", "mark", "neg"}
    }
    rest = [t for t in clause.subtree if t.i > clause.i and t.i not in skip]
    own = list(clause.subtree)
    negated = any(c.dep_ == "neg" for c in clause.children)
    if clause.tag_ == "VBN":
        return passive_infinitive(obj, clause, rest), own, negated
    return tokens_text(t for t in own if t.dep_ != "mark"), own, negated


def _named_object(cue: Token) -> Token | None:
    """ "recommended the IOC decline entries": a named object followed by what it should do."""
    if cue.lemma_.lower() not in _ADDRESSED_BY_NAMED_OBJECT:
        return None
    objects = [c for c in cue.children if c.dep_ in {"dobj", "iobj", "dative"}]
    if not objects or not (objects[0].tag_ in _NAMED_TAGS or is_actor_noun(objects[0])):
        return None
    complements = [c for c in cue.children if c.dep_ in {"xcomp", "ccomp", "oprd"}]
    return objects[0] if len(objects) > 1 or complements else None


def _object_is_action(cue: Token, obj: Token) -> bool:
    """ "urged restraint", "urged closer collaboration": an object that names no one is what
    is asked for, when nothing else says what to do."""
    if obj.tag_ in _NAMED_TAGS or obj.ent_type_ or is_actor_noun(obj) or obj.pos_ != "NOUN":
        return False
    return not any(c.dep_ in {"xcomp", "ccomp", "oprd"} for c in cue.children)


def _mandative(clause: Token) -> bool:
    """ "that she get into the market" (subjunctive or should), not "that it was wrong"."""
    if clause.tag_ not in {"VB", "VBP"} or (clause.lemma_ == "be" and clause.lower_ != "be"):
        return False
    auxiliaries = (c for c in clause.children if c.dep_ in {"aux", "auxpass"})
    return not any(c.lemma_.lower() in _INDICATIVE_AUX for c in auxiliaries)


def _that_clause(cue: Token) -> Token | None:
    """The mandative that-clause of a cue ("demanded that NATO stop"), if there is one."""
    lemma = cue.lemma_.lower()
    if lemma not in _MANDATIVE:
        return None
    clause = next((c for c in cue.children if c.dep_ == "ccomp"), None)
    if clause is None:
        clause = _stray_clause(cue)
    if clause is None or (lemma in _NEEDS_SUBJUNCTIVE and not _mandative(clause)):
        return None
    return clause


def _stray_clause(cue: Token) -> Token | None:
    """ "agents who demanded, in rapid succession, that she tell them ...": a that-clause right
    after an object-less cue's own words that the parser hung on a verb above the cue."""
    if any(c.dep_ in {"dobj", "xcomp", "ccomp", "oprd"} for c in cue.children):
        return None
    doc = cue.doc
    at = cue.right_edge.i + 1
    while at < len(doc) and doc[at].is_punct and at - cue.right_edge.i <= _CLIMB:
        at += 1
    if at >= len(doc) or doc[at].lower_ != "that" or doc[at].dep_ != "mark":
        return None
    clause = doc[at].head
    if clause.dep_ not in {"ccomp", "advcl"} or not _mandative(clause):
        return None
    node = cue
    for _ in range(_CLIMB):
        if node.head.i == node.i:
            return None
        node = node.head
        if node.i == clause.head.i:
            return clause
    return None


def addressee_heads(cue: Token) -> list[Token]:
    """Who is addressed: "urge X (and Y)", "call on X", "appeal to X", "demand that X ..."."""
    lemma = cue.lemma_.lower()
    named = _named_object(cue)
    if named is not None:
        return _conjuncts(named)
    for child in cue.children:
        if child.dep_ in {"dobj", "iobj", "dative"} and lemma in _ADDRESSED_BY_OBJECT:
            if _object_is_action(cue, child):
                return []
            return [phrase_head(c) for c in _conjuncts(child)]
        if child.dep_ == "prep" and child.lower_ in _ADDRESSEE_PREPS:
            pobjs = [p for p in child.children if p.dep_ == "pobj"]
            if pobjs and (lemma != "call" or child.lower_ != "for"):
                return [phrase_head(c) for c in _conjuncts(pobjs[0])]
    if _is_passive(cue):
        subject = next((c for c in cue.children if c.dep_ == "nsubjpass"), None)
        if subject is None and cue.dep_ == "conj":  # "CNAS is ... and is advised by ..."
            subject = _subject(cue)
        return [phrase_head(s) for s in _conjuncts(subject)] if subject is not None else []
    clause = _that_clause(cue)
    if clause is not None:
        subject = next((c for c in clause.children if c.dep_ in _SUBJECTS), None)
        if subject is not None and subject.lower_ not in _NO_ONE:
            return _conjuncts(subject)
    return _held(cue)


def _held(cue: Token) -> list[Token]:
    """ "stopped him at the border while demanding a bribe", "cornered the minister, demanding
    answers": a participle cue asks it of whom the act it accompanies was done to."""
    if cue.dep_ != "advcl" or cue.tag_ != "VBG" or cue.head.pos_ not in {"VERB", "AUX"}:
        return []
    obj = next((c for c in cue.head.children if c.dep_ in {"dobj", "dative"} and c.i < cue.i), None)
    if obj is None or obj.lower_ in _NO_ONE or not _animate(obj):
        return []
    return [phrase_head(c) for c in _conjuncts(obj)]


def argument_heads(doc: Doc) -> Iterator[tuple[Token, bool]]:
    """Every claimant (True) and addressee (False) phrase head of a cue in ``doc``.

    The parties step reads these to give common-noun and pronoun arguments a party.
    """
    for token in doc:
        lemma = token.lemma_.lower()
        if token.pos_ in {"VERB", "AUX"} and lemma in VERB_CUES and _states_a_demand(token):
            claimant = claimant_head(token)
            if claimant is not None:
                yield from ((c, True) for c in _conjuncts(claimant))
            yield from ((a, False) for a in addressee_heads(token))
        elif token.pos_ == "NOUN" and lemma in NOUN_CUES:
            owner = next((c for c in token.children if c.dep_ == "poss"), None)
            if owner is not None:
                yield owner, True


def _states_a_demand(cue: Token) -> bool:
    """Whether a verb cue is used as one: "told X to V" (not "told reporters"), "called for"."""
    lemma = cue.lemma_.lower()
    if lemma in _NEEDS_INFINITIVE and not any(
        c.dep_ in {"xcomp", "ccomp"} and _is_infinitive(c) for c in cue.children
    ):
        return False
    if VERB_CUES[lemma] in {"rejects", "accepts"} and lemma not in {"refuse", "agree"}:
        return _rejected_object(cue) is not None
    cue_text, complements = _cue_complements(cue)
    has_action = bool(complements) or _has_object_action(cue)
    return has_action and not (lemma in _NEEDS_PREP and cue_text == lemma)


def _explicit_addressees(index: PartyIndex, cue: Token) -> tuple[str, ...]:
    """The parties among the addressee heads."""
    found = (index.party_of_phrase(head) for head in addressee_heads(cue))
    return tuple(dict.fromkeys(p for p in found if p))


def _cue_actions(cue: Token) -> tuple[str, list[Action]]:
    """The cue as written ("call on") and the actions its complements name."""
    cue_text, complements = _cue_complements(cue)
    actions = [action for read in complements for action in read()]
    if not actions:
        for obj in _action_objects(cue):
            actions.extend(_noun_actions(obj))
    if not actions and _advice_given(cue):
        actions.append(("", [], False))
    return cue_text, actions


def _cue_complements(cue: Token) -> tuple[str, list[Callable[[], list[Action]]]]:
    """The cue as written and, unread, each complement that states an action.

    Reading a complement walks its subtree, so deciding whether a cue states a demand at all
    (which only needs to know that there is one) stays constant work per cue: in a chain of
    clauses ("X demanded that Y demand that ...") every cue's complement is the rest of the
    chain. Each reader gives at least one action.
    """
    lemma = cue.lemma_.lower()
    cue_text = lemma
    complements: list[Callable[[], list[Action]]] = []
    xcomps = [c for c in cue.children if c.dep_ in {"xcomp", "oprd"}]
    if len(xcomps) > 1 and any(c.text == "-" for c in xcomps):
        if not _too_wide(*xcomps):
            complements.append(lambda: [_hyphenated_action(xcomps)])
    elif any(c.pos_ in {"VERB", "AUX"} for c in xcomps):
        verb = next(c for c in xcomps if c.pos_ in {"VERB", "AUX"})
        if not _too_wide(verb):
            complements.append(lambda: [_verb_action(verb)])
    elif (told := _told_infinitive(cue)) is not None and not _too_wide(told):
        complements.append(partial(_one, _verb_action, told))
    for child in cue.children:
        if child.dep_ == "prep" and child.lower_ in {"on", "upon"} and lemma == "call":
            cue_text = f"call {child.lower_}"
        elif child.dep_ == "prep" and child.lower_ in _CUE_PREPS.get(lemma, set()):
            cue_text = f"{lemma} {child.lower_}"
            for pobj in child.children:
                # a pobj is always one of its own noun actions, unless the items are too wide
                if pobj.dep_ == "pobj" and not _too_wide(*_conjuncts(pobj)):
                    complements.append(partial(_noun_actions, pobj))
                elif pobj.dep_ == "pcomp" and not _too_wide(pobj):
                    complements.append(partial(_one, _verb_action, pobj))
        elif child.dep_ == "advcl" and any(
            m.dep_ == "mark" and m.lower_ == "for" for m in child.children
        ):
            cue_text = f"{lemma} for"
            if not _too_wide(child):
                complements.append(partial(_one, _passive_clause, child))
    clause = _that_clause(cue)
    if clause is not None and not _too_wide(clause):
        complements.append(partial(_one, _clause_action, clause))
    return cue_text, complements


def _told_infinitive(cue: Token) -> Token | None:
    """ "call on Moscow to pull back", "urged them, to ...": the infinitive parsed as a purpose
    clause of a cue that names whom it addresses is what they are asked to do."""
    addressed = any(
        (c.dep_ in {"dobj", "dative"} and _animate(c))
        or (
            c.dep_ == "prep"
            and c.lower_ in _ADDRESSEE_PREPS
            and any(p.dep_ == "pobj" and _animate(p) for p in c.children)
        )
        for c in cue.children
    )
    if not addressed:
        return None
    return next(
        (c for c in cue.children if c.dep_ == "advcl" and c.i > cue.i and _is_infinitive(c)),
        None,
    )


def _one(read: Callable[[Token], Action], head: Token) -> list[Action]:
    """The one action ``read`` gives for ``head``, as a list."""
    return [read(head)]


def _clause_action(clause: Token) -> Action:
    """A that-clause as the action, without its "that"."""
    own = [t for t in clause.subtree if not (t.dep_ == "mark" and t.head.i == clause.i)]
    return tokens_text(own), own, False


def _action_objects(cue: Token) -> list[Token]:
    """Direct objects that are what is asked for, when no complement says it."""
    lemma = cue.lemma_.lower()
    named = _named_object(cue)
    return [
        child
        for child in cue.children
        if child.dep_ == "dobj"
        and child != named
        and (lemma not in _ADDRESSED_BY_OBJECT or _object_is_action(cue, child))
    ]


def _advice_given(cue: Token) -> bool:
    """ "had been advising Marco Rubio", "is advised by X": advice with unstated content."""
    if cue.lemma_.lower() not in _ADVICE:
        return False
    return any(c.dep_ == "dobj" for c in cue.children) or (
        _is_passive(cue) and _agent(cue) is not None
    )


def _has_object_action(cue: Token) -> bool:
    """Whether the objects of a cue without complements give it an action (without reading it)."""
    return any(_has_noun_action(obj) for obj in _action_objects(cue)) or _advice_given(cue)


def _rejected_object(cue: Token) -> Token | None:
    """The demand being rejected or accepted ("rejected Russia's demands")."""
    for child in cue.children:
        if child.dep_ in {"dobj", "nsubjpass"}:
            return child
    return None


def _from_verb(index: PartyIndex, cue: Token, stance: Stance, sentence: Span) -> Iterator[_Draft]:
    """Drafts anchored on a verb or adjective cue in ``sentence``."""
    lemma = cue.lemma_.lower()
    if cue.pos_ != "ADJ" and not _states_a_demand(cue):
        return
    claimants = _claimants(index, claimant_head(cue))
    if not claimants:
        return
    if stance in {"rejects", "accepts"} and lemma not in {"refuse", "agree"}:
        obj = _rejected_object(cue)
        if obj is None:
            return
        owner = next((index.party_of(c) for c in obj.children if c.dep_ == "poss"), None)
        content = _noun_content(obj)
        actions = content or _noun_actions(obj)
        for text, tokens, negated in actions:
            yield _Draft(
                claimants,
                (owner,) if owner else (),
                text,
                tuple(t.i for t in tokens),
                lemma,
                stance,
                sentence,
                negated,
            )
        return
    cue_text, actions = _cue_actions(cue)
    if lemma in _NEEDS_PREP and cue_text == lemma:
        return
    if lemma == "refuse" and any(
        t.lemma_ in _SPEECH_VERBS for _, tokens, _ in actions for t in tokens[:1]
    ):
        return
    addressees = _explicit_addressees(index, cue)
    cue_negated = any(c.dep_ == "neg" for c in cue.children)
    for text, tokens, negated in actions:
        if text or lemma in _ADVICE:
            yield _Draft(
                claimants,
                addressees,
                text,
                tuple(t.i for t in tokens),
                cue_text,
                stance,
                sentence,
                negated or cue_negated,
            )


def _noun_content(noun: Token) -> list[tuple[str, list[Token], bool]]:
    """What a demand noun asks for: "demands for X" / "demand that ..." / "demand to V"."""
    found: list[tuple[str, list[Token], bool]] = []
    for child in noun.children:
        if child.dep_ == "prep" and child.lower_ in {"for", "of"}:
            for pobj in child.children:
                if pobj.dep_ == "pobj":
                    found.extend(_noun_actions(pobj))
        elif child.dep_ in {"acl", "relcl"} and child.pos_ == "VERB" and not _too_wide(child):
            found.append(_verb_action(child))
    return found


def _from_noun(index: PartyIndex, noun: Token, sentence: Span) -> Iterator[_Draft]:
    """Drafts from a possessed demand noun: "Russia's demands for a guaranteed end to ..."."""
    owner = next((c for c in noun.children if c.dep_ == "poss"), None)
    if owner is None:
        return
    claimant = index.party_of_phrase(owner)
    if claimant is None:
        return
    for text, tokens, negated in _noun_content(noun):
        yield _Draft(
            (claimant,),
            (),
            text,
            tuple(t.i for t in tokens),
            f"{noun.lower_} for",
            "demand",
            sentence,
            negated,
        )


def _from_listing(index: PartyIndex, sent: Span, previous: Span | None) -> Iterator[_Draft]:
    """ "Moscow made clear ... key demands. These included X and Y." -> Russia demands X, Y."""
    root = sent.root
    if previous is None or root.lemma_ != "include":
        return
    subject = next((c for c in root.children if c.dep_ in _SUBJECTS), None)
    if subject is None or subject.lower_ not in _INCLUDE_SUBJECTS:
        return
    if not any(t.lemma_.lower() in NOUN_CUES and t.pos_ == "NOUN" for t in previous):
        return
    claimants = _claimants(index, _subject(previous.root))
    if not claimants:
        return
    for obj in (c for c in root.children if c.dep_ == "dobj"):
        for text, tokens, negated in _noun_actions(obj):
            yield _Draft(
                claimants, (), text, tuple(t.i for t in tokens), "demands", "demand", sent, negated
            )


def _drafts(doc: Doc, index: PartyIndex) -> Iterator[_Draft]:
    """Every draft in the document, sentence by sentence."""
    previous: Span | None = None
    for sent in doc.sents:
        for token in sent:
            lemma = token.lemma_.lower()
            if token.pos_ in {"VERB", "AUX"} and lemma in VERB_CUES:
                yield from _from_verb(index, token, VERB_CUES[lemma], sent)
            elif token.pos_ == "ADJ" and lemma in ADJ_CUES:
                if any(c.dep_ == "xcomp" for c in token.children):
                    yield from _from_verb(index, token, ADJ_CUES[lemma], sent)
            elif token.pos_ == "NOUN" and lemma in NOUN_CUES:
                yield from _from_noun(index, token, sent)
        yield from _from_listing(index, sent, previous)
        previous = sent


def _addressees(index: PartyIndex, doc: Doc, draft: _Draft, claimant: str) -> list[str | None]:
    """Named addressees, else the first other party in the action ("withdraw Russian forces")."""
    named = [a for a in draft.addressees if a != claimant]
    if named:
        return list(named)
    return [_infer_addressee(index, doc, draft, claimant)]


def _infer_addressee(index: PartyIndex, doc: Doc, draft: _Draft, claimant: str) -> str | None:
    """The first party other than the claimant named inside the action."""
    tokens = [doc[i] for i in sorted(draft.action_tokens)]
    for party in index.parties_in(tokens):
        if party != claimant and index.kind.get(party) != "person":
            return party
    return None


def _sentence_mention(sent: Span) -> Mention:
    """The sentence as a Mention, without surrounding whitespace."""
    text = sent.text
    start = sent.start_char + (len(text) - len(text.lstrip()))
    stripped = text.strip()
    return Mention(start, start + len(stripped), stripped)


def _fill_counterparts(demands: list[Demand], sides: dict[str, str]) -> list[Demand]:
    """Give addressee-less records the party the claimant's side otherwise addresses.

    "Sherman said the United States was willing to talk" has no addressee in the sentence;
    whom the US side (the US, or people affiliated with it) addresses elsewhere is the
    counterpart the offer is made to.
    """
    addressed: dict[str, Counter[str]] = {}
    for d in demands:
        if d.addressee:
            side = sides.get(d.claimant, d.claimant)
            addressed.setdefault(side, Counter())[d.addressee] += 1
    filled = []
    for d in demands:
        side = sides.get(d.claimant, d.claimant)
        counts = addressed.get(side)
        if d.addressee is None and counts:
            top = [p for p, _ in counts.most_common() if p not in {d.claimant, side}]
            if top:
                d = replace(d, addressee=top[0])
        filled.append(d)
    return filled


def extract_demands(doc: Doc, parties: Sequence[Party]) -> tuple[Demand, ...]:
    """All demand-like records in ``doc``; one per claimant when claimants are coordinated."""
    index = PartyIndex(doc, parties)
    found: dict[tuple[str, str | None, str, str, int], Demand] = {}
    sentences: dict[int, Mention] = {}  # by start: a sentence's text is read once, not per cue
    for draft in _drafts(doc, index):
        for claimant, addressee in (
            (c, a) for c in draft.claimants for a in _addressees(index, doc, draft, c)
        ):
            key = (claimant, addressee, draft.action, draft.stance, draft.sentence.start)
            if key in found:
                continue
            sentence = sentences.get(draft.sentence.start)
            if sentence is None:
                sentence = sentences[draft.sentence.start] = _sentence_mention(draft.sentence)
            found[key] = Demand(
                claimant=claimant,
                addressee=addressee,
                action=draft.action,
                cue=draft.cue,
                stance=draft.stance,
                sentence=sentence,
                negated=draft.negated,
            )
    sides = {p.id: p.affiliation for p in parties if p.affiliation}
    return tuple(_fill_counterparts(list(found.values()), sides))
