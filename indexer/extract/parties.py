"""Parties: the actors of an article under canonical ids, with every mention, role and affiliation.

Countries are ``country:<ISO alpha-2>``, organisations ``org:<short name>``, people
``person:<slug>``; ids are stable across articles so facets count one actor once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from spacy.tokens import Doc, Span

from indexer.extract.entities import Candidate, candidates
from indexer.extract.reference import Reference, fold, reference, slug
from indexer.models import Mention, Party, PartyKind

_FUZZY_MIN = 85.0


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

    people = [c for c in found if c.role == "person"]
    roles = {id(c): role_span(c.span, ref) for c in people}
    inside_roles = [(r.start, r.end) for r in roles.values() if r is not None]
    fulls = sorted(
        {_clean_person(c.key) for c in people if len(_clean_person(c.key).split()) > 1},
        key=len,
        reverse=True,
    )
    for cand in found:
        span = cand.span
        in_role = any(s <= span.start and span.end <= e for s, e in inside_roles)
        if cand.role == "country":
            add(f"country:{cand.key}", ref.country_names.get(cand.key, cand.key), "country", span)
        elif cand.role == "organization":
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
                builder.affiliation = _affiliation(role, found)
    parties = [b.freeze() for b in builders.values()]
    return tuple(sorted(parties, key=lambda p: p.mentions[0].start if p.mentions else 0))


def _short(acronyms: dict[str, str], key: str) -> str:
    for acronym, target in acronyms.items():
        if target == key:
            return acronym.upper()
    return key


def _affiliation(role: Span, found: Sequence[Candidate]) -> str | None:
    """The first country or organisation named in a person's role."""
    for cand in found:
        if role.start <= cand.span.start and cand.span.end <= role.end:
            if cand.role == "country":
                return f"country:{cand.key}"
            if cand.role == "organization" and cand.key.startswith("org:"):
                return cand.key
    return None
