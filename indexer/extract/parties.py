"""Parties: the actors of an article under canonical ids, with every mention, role and affiliation.

Countries are ``country:<ISO alpha-2>``, organisations ``org:<short name>``, people
``person:<slug>``; ids are stable across articles so facets count one actor once. Where an
unnamed actor demands or is addressed ("protesters demanded", "urged law enforcement
agencies"), it is a ``group:<slug>`` party with the affiliation its phrase states; where a
pronoun or title does ("he urged", "the minister called on"), its antecedent party gets the
mention.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from spacy.tokens import Doc, Span, Token

from indexer.extract import coreference
from indexer.extract.coreference import Antecedent
from indexer.extract.demands import argument_heads, is_actor_noun
from indexer.extract.entities import Candidate, candidates
from indexer.extract.reference import Reference, fold, reference, slug, words
from indexer.models import Mention, Party, PartyKind

_FUZZY_MIN = 85.0
# A name right after one of these is a person's, whatever NER called it ("President Trump").
_PERSON_TITLES = frozenset(
    {"mr.", "mr", "mrs.", "mrs", "ms.", "ms", "dr.", "president", "sen.", "senator", "rep.",
     "gov.", "governor", "chancellor", "pope", "king", "queen", "prince", "princess", "judge"}
)  # fmt: skip
_QUANTITY = frozenset(
    {"more", "many", "several", "some", "other", "few", "all", "both", "most", "various",
     "numerous", "dozens", "hundreds", "thousands", "than", "least", "about", "over"}
)  # fmt: skip
_PHRASE_DEPS = frozenset({"compound", "amod", "nmod"})
#: What may close a direct quotation before its speaker: curly, doubled or straight marks.
_CLOSING_QUOTES = coreference.CLOSING_QUOTES | coreference.STRAIGHT_QUOTES
_QUOTE_VERBS = frozenset(
    {"say", "said", "says", "add", "added", "tell", "told", "explain", "explained", "recall",
     "recalled", "continue", "continued", "insist", "insisted"}
)  # fmt: skip
# What only people have: "Trump's candidacy", "Pence's wife", "the Trump acolytes" (lemmas).
_PERSONAL_NOUNS = frozenset(
    {"candidacy", "nomination", "presidency", "wife", "husband", "son", "daughter", "father",
     "mother", "child", "family", "birthday", "childhood", "career", "life",
     "death", "funeral", "lawyer", "aide", "running", "mate", "tenure", "memoir", "biography",
     "administration", "supporter", "acolyte", "follower", "loyalist", "mind", "health",
     "temperament", "personality", "speech", "hair", "face", "voice", "age", "widow", "widower",
     "adviser", "advisor"}
)  # fmt: skip


@dataclass
class _Builder:
    """Mutable accumulator for one party while the doc is scanned (never leaves this module)."""

    id: str
    name: str
    kind: PartyKind
    mentions: list[Mention] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    affiliation: str | None = None

    def freeze(self) -> Party:
        mentions = tuple(sorted(set(self.mentions), key=lambda m: (m.start, m.end)))
        return Party(self.id, self.name, self.kind, mentions, tuple(self.roles), self.affiliation)


def _mention(span: Span) -> Mention:
    return Mention(span.start_char, span.end_char, span.text)


def _org_party(key: str, span: Span, ref: Reference) -> tuple[str, str]:
    for org in ref.orgs.values():
        if org.id == key:
            return org.id, org.name
    name = span.text
    return f"org:{slug(name)}", name


def _acronyms(found: Sequence[Candidate]) -> dict[str, str]:
    """'Some Long Name (SLN)': the acronym resolves to the expansion's party key."""
    aliases: dict[str, str] = {}
    for cand in found:
        doc = cand.span.doc
        end = cand.span.end
        if cand.role != "organization" or end + 2 >= len(doc) or doc[end].text != "(":
            continue
        acronym = doc[end + 1]
        if acronym.text.isupper() and doc[end + 2].text == ")":
            aliases[fold(acronym.text)] = cand.key
    return aliases


def role_span(person: Span, ref: Reference) -> Span | None:
    """The title stated with a name: 'Russian Deputy Foreign Minister Sergei Ryabkov'."""
    return _title_prefix(person, ref) or _appositive_title(person)


def _title_prefix(person: Span, ref: Reference) -> Span | None:
    """Capitalised title words and affiliations right before the name ('US Deputy ...')."""
    doc = person.doc
    start = person.start
    for i in range(person.start - 1, -1, -1):
        tok = doc[i]
        titled = fold(tok.text) in ref.title_words or tok.ent_type_ in {"GPE", "NORP", "ORG"}
        if titled and (tok.is_title or tok.is_upper or bool(tok.ent_type_)):
            start = i
        elif not (tok.lower_ == "of" and start == i + 1 and i > 0 and doc[i - 1].is_title):
            break
    return doc[start : person.start] if start < person.start else None


def _appositive_title(person: Span) -> Span | None:
    """'The Ukrainian ambassador in Berlin, Andrij Melnyk' or 'Melnyk, the ambassador,'."""
    head = person.root
    title = (
        head.head
        if head.dep_ == "appos" and head.head.pos_ == "NOUN"
        else next((c for c in head.children if c.dep_ == "appos" and c.pos_ == "NOUN"), None)
    )
    if title is None:
        return None
    side = [
        t.i
        for t in title.subtree
        if (t.i < person.start) == (title.i < person.start) and not person.start <= t.i < person.end
    ]
    if not side:
        return None
    doc = person.doc
    start, end = min(side), max(side) + 1
    while start < end and (doc[start].is_punct or doc[start].lower_ in {"the", "a", "an"}):
        start += 1
    while end > start and doc[end - 1].is_punct:
        end -= 1
    return doc[start:end] if end > start else None


def _person_key(name: str, fulls: list[str]) -> str:
    """Map a short or misspelt name to a full name already in the article."""
    if name in fulls:
        return name
    parts = name.split()
    for full in fulls:
        full_parts = full.split()
        if len(parts) == 1 and parts[0] in (full_parts[-1], full_parts[0]):
            return full
    for full in fulls:
        full_parts = full.split()
        target = full_parts[-1] if len(parts) == 1 else full
        if fuzz.ratio(name, target) >= _FUZZY_MIN and name[0] == target[0]:
            return full
    return name


def _clean_person(text: str) -> str:
    words = [w for w in text.split() if fold(w) not in {"mr.", "mrs.", "ms.", "dr.", "mr", "mrs"}]
    return " ".join(words) or text


def extract_parties(doc: Doc) -> tuple[Party, ...]:
    """All actors of the doc, aliases resolved, in order of first mention."""
    ref = reference()
    found = candidates(doc)
    acronyms = _acronyms(found)
    builders: dict[str, _Builder] = {}

    def add(pid: str, name: str, kind: PartyKind, span: Span) -> _Builder:
        builder = builders.setdefault(pid, _Builder(pid, name, kind))
        builder.mentions.append(_mention(span))
        return builder

    people = _people(found, ref)
    routed = {c.span.start for c in people}
    roles = {id(c): role_span(c.span, ref) for c in people}
    in_a_role = _RoleCover([(r.start, r.end) for r in roles.values() if r is not None])
    affiliations = _Affiliations(found)
    # Longest first; names of one length in the order the article first mentions them (a
    # set here let hash order pick between "Jane Smith" and "John Smith" for "Smith").
    fulls = sorted(
        dict.fromkeys(
            _clean_person(c.key) for c in people if len(_clean_person(c.key).split()) > 1
        ),
        key=len,
        reverse=True,
    )
    for cand in found:
        span = cand.span
        in_role = in_a_role.covers(span.start, span.end)
        if not any(ch.isupper() for ch in span.text):
            continue  # "between us" tagged GPE: a pronoun, not the United States
        if cand.role == "country":
            add(f"country:{cand.key}", ref.country_names.get(cand.key, cand.key), "country", span)
        elif cand.role == "organization" and span.start not in routed:
            key = acronyms.get(fold(span.text), cand.key)
            if in_role and not key.startswith("org:"):
                continue  # "Secretary of State": part of a title, not an actor
            pid, name = _org_party(key, span, ref)
            if key in acronyms.values() and not key.startswith("org:"):
                pid, name = f"org:{slug(_short(acronyms, key))}", _short(acronyms, key)
            add(pid, name, "organization", span)
    for cand in people:
        name = _person_key(_clean_person(cand.key), fulls)
        builder = add(f"person:{slug(name)}", name, "person", cand.span)
        role = roles[id(cand)]
        if role is not None:
            if role.text not in builder.roles:
                builder.roles.append(role.text)
            if builder.affiliation is None:
                builder.affiliation = affiliations.of(role)
    _unnamed_and_referring(doc, builders, ref)
    parties = [b.freeze() for b in builders.values()]
    return tuple(sorted(parties, key=lambda p: p.mentions[0].start if p.mentions else 0))


def _people(found: Sequence[Candidate], ref: Reference) -> list[Candidate]:
    """Person candidates, cleaned, plus ORG-tagged names that are a person's at every mention:
    named as a person elsewhere, after a personal title, or used as only a person's name is."""
    people = [p for c in found if c.role == "person" and (p := _person_span(c)) is not None]
    names: set[str] = set()
    for person in people:
        parts = fold(_clean_person(person.span.text)).split()
        names.update({" ".join(parts), parts[0], parts[-1]} if parts else set())
    known = {o.id for o in ref.orgs.values()}
    unknown = [c for c in found if c.role == "organization" and c.key not in known]
    named = {i for p in people for i in range(p.span.start, p.span.end)}
    for cand in unknown:
        before = cand.span.doc[cand.span.start - 1] if cand.span.start > 0 else None
        if (before is not None and fold(before.text) in _PERSON_TITLES) or _person_like(
            cand.span, named
        ):
            names.add(fold(cand.span.text))
    people += [
        Candidate(c.span, "person", c.span.text) for c in unknown if fold(c.span.text) in names
    ]
    return sorted(people, key=lambda c: c.span.start)


def _person_like(span: Span, named: set[int]) -> bool:
    """A one-word ORG name coordinated with a person (``named``: the people's tokens), owning
    what only people have ("Trump's candidacy"), or taken up by he/his/she/her before another
    name comes, is a person's."""
    if len(span) != 1 or not span.text.isalpha() or span.text.isupper():
        return False
    token = span.root
    if any(c.i in named for c in token.conjuncts):
        return True
    if token.dep_ in {"poss", "compound", "amod", "nmod"} and (
        token.head.lemma_.lower() in _PERSONAL_NOUNS
    ):
        return True
    if _aged(token) or _quoted_speaker(token):
        return True
    if token.dep_ not in {"nsubj", "nsubjpass", "poss"}:
        return False
    doc = span.doc
    end = span.sent.end
    if end < len(doc):
        end = doc[end].sent.end
    for other in doc[span.end : end]:
        if other.ent_type_ or other.pos_ == "PROPN":
            return False
        if other.pos_ == "PRON" and other.lower_ in coreference.MASCULINE | coreference.FEMININE:
            return True
    return False


def _aged(token: Token) -> bool:
    """ "Sanchez, 56, a 10-term House member": a name with an age set off by commas."""
    doc = token.doc
    at = token.i + 1
    return (
        at + 2 < len(doc)
        and doc[at].text == ","
        and doc[at + 1].like_num
        and doc[at + 1].text.isdigit()
        and 0 < int(doc[at + 1].text) < 120
        and doc[at + 2].text == ","
    )


def _quoted_speaker(token: Token) -> bool:
    """ "'... to bring in investors,' VanBuskirk said": a bare name saying a direct quotation
    (an organisation's words are "the ministry said", "X said in a statement")."""
    verb = token.head
    if token.dep_ != "nsubj" or not {verb.lemma_.lower(), verb.lower_} & _QUOTE_VERBS:
        return False
    if any(c.dep_ == "prep" for c in verb.children):  # "said in a statement"
        return False
    first = min(token.i, verb.i)
    doc = token.doc
    return (
        abs(token.i - verb.i) == 1
        and first >= 2
        and doc[first - 1].text in _CLOSING_QUOTES
        and doc[first - 2].text in {",", ".", "!", "?"}
    )


def _person_span(cand: Candidate) -> Candidate | None:
    """A PERSON span as a name: none without a capital letter ("'m"), cut before "'s"."""
    span = cand.span
    if not any(ch.isupper() for ch in span.text):
        return None
    for token in span[1:]:
        if token.lower_ in {"'s", "\u2019s"}:
            span = span.doc[span.start : token.i]
            return Candidate(span, cand.role, span.text)
    return cand


def _owners(doc: Doc, builders: dict[str, _Builder]) -> dict[int, str]:
    """Token index -> party id for every mention so far (people win where mentions overlap)."""
    owner: dict[int, str] = {}
    for builder in builders.values():
        for mention in builder.mentions:
            span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
            for token in span or ():
                if token.i not in owner or builder.kind == "person":
                    owner[token.i] = builder.id
    return owner


def _antecedents(doc: Doc, builders: dict[str, _Builder]) -> list[Antecedent]:
    """Every named mention, with what a pronoun needs to know about its party."""
    found = []
    for builder in builders.values():
        roles = frozenset(w for r in builder.roles for w in fold(r).split())
        spans = [
            span
            for m in builder.mentions
            if (span := doc.char_span(m.start, m.end, alignment_mode="expand")) is not None
        ]
        gender = None
        if builder.kind == "person":
            before = [doc[s.start - 1].text for s in spans if s.start > 0]
            own = [coreference.pronoun_after(s.root) for s in spans if s.root.dep_ == "nsubj"]
            told = [("woman" if p.startswith("her") else "man") for p in own if p]
            gender = coreference.gender_of(builder.roles, before + told)
        for span in spans:
            subject = span.root.dep_ in {"nsubj", "nsubjpass"}
            found.append(
                Antecedent(span.start, span.end, builder.id, builder.kind, gender, roles, subject)
            )
    return found


def _group_phrase(head: Token, owner: dict[int, str]) -> tuple[Span, str, str | None] | None:
    """An unnamed actor's phrase, its display name and affiliation ("Ukrainian protesters").

    None when a named party's officials or members speak for that party ("U.S. officials").
    """
    doc = head.doc
    start = head.i
    while start > 0:
        prev = doc[start - 1]
        if prev.text == "-" and start > 1 and doc[start - 2].dep_ in _PHRASE_DEPS:
            start -= 1
            continue
        inside = prev.dep_ in _PHRASE_DEPS and head.i >= prev.head.i >= start - 1
        if not inside or prev.pos_ in {"NUM", "DET"} or prev.lower_ in _QUANTITY:
            break
        start -= 1
    span = doc[start : head.i + 1]
    linked = [owner[t.i] for t in span if t.i in owner]
    for child in head.children:
        if child.dep_ == "poss" and child.i in owner:
            linked.append(owner[child.i])
        elif child.dep_ == "prep" and child.lower_ in {"of", "from"}:
            linked.extend(owner[p.i] for p in child.children if p.dep_ == "pobj" and p.i in owner)
    if linked and head.lemma_.lower() in words().representative_nouns:
        return None
    phrase = fold(span.text)
    if phrase in reference().media or any(phrase.endswith(c) for c in reference().media_cues):
        return None
    affiliation = linked[0] if linked else None
    if affiliation is None:
        codes = [reference().demonyms.get(fold(t.text)) for t in span]
        affiliation = next((f"country:{c}" for c in codes if c), None)
    name = "".join(
        (t.text if t.pos_ == "PROPN" or t.ent_type_ else t.lower_) + t.whitespace_ for t in span
    ).strip()
    return span, name, affiliation


def _unnamed_and_referring(doc: Doc, builders: dict[str, _Builder], ref: Reference) -> None:
    """Give demand arguments that name no party one: a pronoun's or title's antecedent, a
    group for a common noun ("protesters"), an organisation for an unlisted proper noun."""
    owner = _owners(doc, builders)
    antecedents = _antecedents(doc, builders)
    pending: dict[str, tuple[Span, str, str | None]] = {}
    for token in doc:
        if token.tag_ == "NNS" and token.i not in owner and is_actor_noun(token):
            phrase = _group_phrase(token, owner)
            if phrase is not None:
                gid = f"group:{slug(phrase[1])}"
                pending.setdefault(gid, phrase)
                subject = token.dep_ in {"nsubj", "nsubjpass"}
                antecedents.append(
                    Antecedent(phrase[0].start, phrase[0].end, gid, "group", subject=subject)
                )

    windows = _Windows(doc, antecedents)
    known = _KnownNames(builders)

    def add(pid: str, span: Span) -> None:
        if pid not in builders:
            name = pending[pid][1] if pid in pending else span.text
            affiliation = pending[pid][2] if pid in pending else None
            builders[pid] = _Builder(pid, name, "group", affiliation=affiliation)
            if pid in pending:
                builders[pid].mentions.append(_mention(pending[pid][0]))
        builders[pid].mentions.append(_mention(span))
        known.mentioned(builders[pid])
        owner.update((t.i, pid) for t in span if t.i not in owner)

    quotations: coreference.Quotations | None = None
    for head, _ in argument_heads(doc):
        if head.i in owner:
            continue
        if head.lower_ in coreference.FIRST_PERSON:
            quotations = quotations or coreference.Quotations(doc)
            if (speaker := _speaker_party(quotations, head, owner, windows)) is not None:
                add(speaker, doc[head.i : head.i + 1])
        elif head.pos_ == "PRON":
            if (found := coreference.resolve_pronoun(head, windows.around(head))) is not None:
                add(found.party, doc[head.i : head.i + 1])
        elif (found := coreference.resolve_nominal(head, windows.around(head))) is not None:
            add(found.party, doc[head.i : head.i + 1])
        elif is_actor_noun(head):
            phrase = _group_phrase(head, owner)
            if phrase is not None:
                gid = f"group:{slug(phrase[1])}"
                pending.setdefault(gid, phrase)
                add(gid, phrase[0])
        else:
            _unlisted_organization(head, builders, owner, ref, known)


def _speaker_party(
    quotations: coreference.Quotations, token: Token, owner: dict[int, str], windows: _Windows
) -> str | None:
    """ "'We urge Russia to ...,' Kuleba said": a first-person word in a direct quotation is its
    speaker's party (a named speaker, or the one a speaking pronoun refers to)."""
    speaker = quotations.speaker(token)
    if speaker is None:
        return None
    if speaker.i in owner:
        return owner[speaker.i]
    if speaker.pos_ == "PRON":
        found = coreference.resolve_pronoun(speaker, windows.around(speaker))
    else:  # "the minister said"
        found = coreference.resolve_nominal(speaker, windows.around(speaker))
    return found.party if found is not None else None


class _Windows:
    """The antecedents overlapping a word's coreference window, in their order.

    The window runs from ``coreference.WINDOW_SENTENCES`` sentences before the word's to the
    end of its own. Everything resolving the word reads lies there (the nearest mention before
    it in the window, the mentions holding its clause's and its sentence's subject), so the
    answer is the one over all antecedents, without scanning every mention of the article.
    """

    def __init__(self, doc: Doc, antecedents: Sequence[Antecedent]) -> None:
        self._doc = doc
        self._antecedents = antecedents
        self._by_start = sorted(range(len(antecedents)), key=lambda k: antecedents[k].start)
        self._starts = [antecedents[k].start for k in self._by_start]
        self._longest = max((a.end - a.start for a in antecedents), default=0)
        self._sent_starts: list[int] = []  # read on first use, like the sentences themselves
        self._sent_ends: list[int] = []

    def around(self, token: Token) -> list[Antecedent]:
        if not self._sent_starts:
            for sent in self._doc.sents:
                self._sent_starts.append(sent.start)
                self._sent_ends.append(sent.end)
        at = bisect_right(self._sent_starts, token.i) - 1
        floor = self._sent_starts[max(at - coreference.WINDOW_SENTENCES, 0)]
        end = self._sent_ends[at]
        low = bisect_left(self._starts, floor - self._longest)
        high = bisect_left(self._starts, end)
        inside = sorted(k for k in self._by_start[low:high] if self._antecedents[k].end > floor)
        return [self._antecedents[k] for k in inside]


class _KnownNames:
    """The article's party for a folded name, as ``_unlisted_organization`` looks it up: the
    last party (in order of creation) with a mention of that text, else the first person whose
    name has that word. Built on first use, then kept up to date as mentions are added, so each
    look-up is constant work instead of a pass over every mention."""

    def __init__(self, builders: dict[str, _Builder]) -> None:
        self._builders = builders
        self._order: dict[str, int] = {}
        self._noted: dict[str, int] = {}  # party id -> how many of its mentions are indexed
        self._by_mention: dict[str, _Builder] = {}
        self._by_part: dict[str, _Builder] = {}
        self._built = False

    def get(self, name: str) -> _Builder | None:
        if not self._built:
            self._built = True
            for builder in self._builders.values():
                self.mentioned(builder)
        found = self._by_mention.get(name)
        return found if found is not None else self._by_part.get(name)

    def mentioned(self, builder: _Builder) -> None:
        """Index the mentions added to ``builder`` (a new builder goes last in the order)."""
        if not self._built:
            return
        if builder.id not in self._order:
            self._order[builder.id] = len(self._order)
            if builder.kind == "person":
                for part in fold(builder.name).split():
                    self._by_part.setdefault(part, builder)
        rank = self._order[builder.id]
        for mention in builder.mentions[self._noted.get(builder.id, 0) :]:
            key = fold(mention.text)
            current = self._by_mention.get(key)
            if current is None or self._order[current.id] <= rank:
                self._by_mention[key] = builder
        self._noted[builder.id] = len(builder.mentions)


def _unlisted_organization(
    head: Token,
    builders: dict[str, _Builder],
    owner: dict[int, str],
    ref: Reference,
    known: _KnownNames,
) -> None:
    """A proper-noun argument NER missed or took for a place: the article's party of that name,
    else the country of a capital ("called on Moscow"), an organisation (acronym or ORG-tagged:
    "urges Congress") or a person (two or three title-case words)."""
    doc = head.doc
    if head.pos_ != "PROPN":
        head = next((c for c in head.lefts if c.dep_ == "compound" and c.pos_ == "PROPN"), head)
        if head.pos_ != "PROPN" or not head.text.isupper():
            return
    start = head.i
    while start > 0:
        prev = doc[start - 1]
        if prev.pos_ != "PROPN" or prev.dep_ != "compound" or prev.i in owner:
            break
        start -= 1
    span = doc[start : head.i + 1]
    if head.i in owner or not span.text[:1].isupper() or fold(span.text) in ref.media:
        return
    builder = known.get(fold(span.text))
    capital = ref.capitals.get(fold(span.text))
    if builder is None and capital is not None:  # "called on Moscow": the state acts
        pid = f"country:{capital}"
        builder = _Builder(pid, ref.country_names.get(capital, capital), "country")
    elif builder is None and len(span) == 1 and head.ent_type_ == "ORG":
        if _person_like(span, set()):
            builder = _Builder(f"person:{slug(head.text)}", head.text, "person")
        else:
            builder = _Builder(f"org:{slug(head.text)}", head.text, "organization")
    elif builder is None and len(span) == 1 and head.text.isupper():
        builder = _Builder(f"org:{slug(head.text)}", head.text, "organization")
    elif builder is None and 2 <= len(span) <= 3:
        if not all(t.is_title and not t.ent_type_ for t in span):
            return
        builder = _Builder(f"person:{slug(span.text)}", span.text, "person")
    elif builder is None:
        return
    builder = builders.setdefault(builder.id, builder)
    builder.mentions.append(_mention(span))
    known.mentioned(builder)
    owner.update((t.i, builder.id) for t in span)


def _short(acronyms: dict[str, str], key: str) -> str:
    for acronym, target in acronyms.items():
        if target == key:
            return acronym.upper()
    return key


class _RoleCover:
    """Whether a token range lies inside one of the role spans, in log time per question.

    A range [start, end) is inside a role (s, e) with s <= start and end <= e: of the roles
    starting at or before ``start``, the one reaching furthest decides.
    """

    def __init__(self, roles: Sequence[tuple[int, int]]) -> None:
        ordered = sorted(roles)
        self._starts = [s for s, _ in ordered]
        self._reach: list[int] = []
        for _, end in ordered:
            self._reach.append(max(end, self._reach[-1]) if self._reach else end)

    def covers(self, start: int, end: int) -> bool:
        at = bisect_right(self._starts, start)
        return at > 0 and self._reach[at - 1] >= end


class _Affiliations:
    """The first country or organisation named in a person's role, read off the candidates
    starting inside the role (candidates are in text order and do not overlap)."""

    def __init__(self, found: Sequence[Candidate]) -> None:
        self._found = found
        self._starts = [c.span.start for c in found]
        self._known: dict[tuple[int, int], str | None] = {}

    def of(self, role: Span) -> str | None:
        key = (role.start, role.end)
        if key not in self._known:
            self._known[key] = self._first(role)
        return self._known[key]

    def _first(self, role: Span) -> str | None:
        for at in range(bisect_left(self._starts, role.start), len(self._found)):
            cand = self._found[at]
            if cand.span.start >= role.end:
                break
            if cand.span.end <= role.end:
                if cand.role == "country":
                    return f"country:{cand.key}"
                if cand.role == "organization" and cand.key.startswith("org:"):
                    return cand.key
        return None
