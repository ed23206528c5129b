"""Hand-built parties for the Geneva samples, found by string search (no party extractor)."""

from __future__ import annotations

import re

from indexer.models import Mention, Party, PartyKind

AFFILIATIONS = {
    "person:wendy-sherman": "country:US",
    "person:sergei-ryabkov": "country:RU",
    "person:dmytro-kuleba": "country:UA",
    "person:andrij-melnyk": "country:UA",
}
ALIASES: dict[tuple[str, str, PartyKind], tuple[str, ...]] = {
    ("country:US", "United States", "country"): ("United States", "USA", "US"),
    ("country:RU", "Russia", "country"): ("Russia", "Russian", "Moscow"),
    ("org:nato", "NATO", "organization"): (
        "NATO",
        "Western Defense Alliance",
        "Western defense alliance",
        "western defense alliance",
        "Western military alliance",
        "Western alliance",
    ),
    ("country:UA", "Ukraine", "country"): ("Ukraine", "Ukrainian"),
    ("org:osce", "OSCE", "organization"): (
        "Organization for Security and Cooperation in Europe",
        "OSCE",
    ),
    ("country:DE", "Germany", "country"): ("Germany",),
    ("person:wendy-sherman", "Wendy Sherman", "person"): ("Wendy Sherman", "Sherman"),
    ("person:sergei-ryabkov", "Sergei Ryabkov", "person"): ("Sergei Ryabkov", "Ryabkov"),
    ("person:dmytro-kuleba", "Dmytro Kuleba", "person"): ("Dmytro Kuleba",),
    ("person:andrij-melnyk", "Andrij Melnyk", "person"): ("Andrij Melnyk",),
}


def build_parties(text: str) -> list[Party]:
    """Every listed party that occurs in ``text``, with non-overlapping mentions."""
    parties = []
    for (pid, name, kind), aliases in ALIASES.items():
        taken: list[tuple[int, int]] = []
        for alias in sorted(aliases, key=len, reverse=True):
            for match in re.finditer(r"\b" + re.escape(alias) + r"\b", text):
                if not any(s < match.end() and match.start() < e for s, e in taken):
                    taken.append((match.start(), match.end()))
        if taken:
            mentions = tuple(Mention(s, e, text[s:e]) for s, e in sorted(taken))
            parties.append(Party(pid, name, kind, mentions, affiliation=AFFILIATIONS.get(pid)))
    return parties
