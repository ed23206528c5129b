"""No input below the caps can make an extraction step do super-linear work.

Each case is a pathological family of inputs (the reproducers of issue 8, long runs of one
token, tabs, punctuation, digits, capitalised words, deep parentheses, chained clauses) at
sizes n and 4n; :mod:`tests.extract.growth` says why counting lines and a loose clock make
that robust on a loaded machine. Before these fixes several took hours or never finished:
``"more from a" + " " * 2000 + "!"`` took 26 s in cleaning, ``"the past " * 150`` never
finished normalising, ``"a" + ")" * 8000`` took 17 s to tokenise.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from indexer.extract import budget
from indexer.extract.clean import clean_text
from indexer.extract.temporal_values import normalise
from tests.extract.growth import DEADLINE, growth, in_child

Family = Callable[[int], str]


def _capitalised(n: int) -> str:
    rng = random.Random(n)
    words = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India"]
    return " ".join(rng.choice(words) for _ in range(n // 6))


# Raw text families for cleaning, by size in characters.
CLEAN_FAMILIES: dict[str, Family] = {
    "more from + spaces": lambda n: "more from a" + " " * n + "!",
    "newsletter repeated": lambda n: "x " + "newsletter " * (n // 11),
    "sign up + newsletters": lambda n: "sign up " + "newsletter " * (n // 11) + "x",
    "agency credits repeated": lambda n: "Talks ended." + " (ap)" * (n // 5),
    "agency credit chain": lambda n: "Talks. dpa" + " / x" * (n // 4) + " (",
    "one line of tabs": lambda n: "\t" * n,
    "tabs then a word": lambda n: "\t" * n + "x",
    "photo + tabs": lambda n: "photo" + "\t" * n + "x",
    "blanks before a copyright sign": lambda n: "x" + " \t" * (n // 2) + "y",
    "blanks before (d)": lambda n: " " * n + "(d)",
    "one long token": lambda n: "a" * n,
    "one token repeated": lambda n: "a " * (n // 2),
    "punctuation": lambda n: ".!?" * (n // 3),
    "digits": lambda n: "1" * n,
    "capitalised words": _capitalised,
    "deep parentheses": lambda n: "(" * (n // 2) + ")" * (n // 2),
    "blank lines": lambda n: "\n" * n + "x",
    "furniture lines": lambda n: "Advertisement\n" * (n // 14),
}


@pytest.mark.parametrize("family", sorted(CLEAN_FAMILIES))
def test_cleaning_grows_linearly(family: str) -> None:
    make = CLEAN_FAMILIES[family]
    found = growth(clean_text, make(100_000), make(400_000))
    assert not found.problems(), found


def test_the_issue_reproducers_clean_in_well_under_a_second() -> None:
    # 26 s, 2.3 s and 3.4 s before (the first would take hours at this size)
    for text in (
        "more from a" + " " * 20_000 + "!",
        "x " + "newsletter " * 4000,
        "Talks ended." + " (ap)" * 2000,
    ):
        seconds = in_child(_seconds, clean_text, text)
        assert seconds is not None and seconds < 1.0, text[:20]


def _seconds(step: Callable[[Any], object], arg: Any) -> float:
    import time

    start = time.perf_counter()
    step(arg)
    return time.perf_counter() - start


def test_repeated_modifiers_below_the_expression_cap_normalise_at_once() -> None:
    # "the past the past ..." was read in every way: 8 s at 14 repeats, exponential after
    text = "the past " * 27 + "years"
    assert len(text) <= budget.MAX_EXPRESSION_CHARS
    seconds = in_child(_seconds, lambda t: normalise(t, None), text)
    assert seconds is not None and seconds < 1.0
    assert normalise(text, None) == normalise("the past years", None)


def test_a_span_longer_than_the_expression_cap_is_no_date() -> None:
    # "the week of the week of ..." recursed once per repeat: a RecursionError (a 500) at 1,000
    assert normalise("the week of " * 2000 + "January 10, 2022", None) is None
    found = normalise("the week of January 10, 2022", None)
    assert found is not None and found.value == "2022-W02"


def test_nested_week_of_below_the_cap_answers_at_once() -> None:
    text = "the week of " * 20 + "January 10, 2022"
    assert len(text) <= budget.MAX_EXPRESSION_CHARS
    normalise(text, None)  # the first call compiles patterns; time the next
    seconds = in_child(_seconds, lambda t: normalise(t, None), text)
    assert seconds is not None and seconds < 1.0


@pytest.fixture(scope="module")
def blank() -> Language:
    return spacy.blank("en")


@pytest.fixture(scope="module")
def nlp() -> Language:
    from indexer.pipeline import load_model

    return load_model()


# Runs without whitespace whose affixes spaCy peels one at a time.
RUN_FAMILIES: dict[str, Family] = {
    "closing brackets": lambda n: "a" + ")" * n,
    "opening brackets": lambda n: "(" * n,
    "quotes": lambda n: '"' * n,
    "emoji": lambda n: "\U0001f600" * n,
    "possessives": lambda n: "'s" * (n // 2),
}


@pytest.mark.parametrize("family", sorted(RUN_FAMILIES))
def test_tokenising_long_runs_grows_linearly_and_keeps_the_text(
    blank: Language, family: str
) -> None:
    from indexer.pipeline import make_doc

    make = RUN_FAMILIES[family]
    found = growth(lambda text: make_doc(blank, text), make(20_000), make(80_000))
    assert not found.problems(), found
    text = "Talks in Geneva " + make(1000) + " ended.\n\n  " + make(450)
    doc = make_doc(blank, text)
    assert doc.text == text
    assert [t.idx for t in doc] == sorted(t.idx for t in doc)


def test_ordinary_text_is_tokenised_exactly_as_spacy_does(blank: Language) -> None:
    from indexer.pipeline import make_doc

    text = "NATO's talks (in Geneva) ended on Monday, 10 Jan. 2022 - see https://example.org/x."
    assert [t.text for t in make_doc(blank, text)] == [t.text for t in blank.make_doc(text)]


# Article families for the spaCy-based steps, by size in tokens (roughly).
DOC_FAMILIES: dict[str, Family] = {
    "weekday repeated": lambda n: "Monday " * n,
    "the past repeated": lambda n: "the past " * (n // 2),
    "week of repeated": lambda n: "the week of " * (n // 3) + "January 10",
    "one long sentence": lambda n: "talks in Geneva on Monday and " * (n // 6),
    "many sentences": lambda n: "Talks in Geneva on Monday. " * (n // 6),
    "coordinated actors": lambda n: "NATO and Russia and " * (n // 4),
    "dates repeated": lambda n: "January 1, 2020, " * (n // 5),
    "durations repeated": lambda n: "the 8-hour talks " * (n // 4),
    "people repeated": lambda n: "Mr. Smith said " * (n // 4),
    "quarters repeated": lambda n: "the third quarter " * (n // 3),
    "digits": lambda n: "1 2 3 " * (n // 3),
    "capitalised words": lambda n: _capitalised(n * 6),
    "deep parentheses": lambda n: "(a " * (n // 3) + ")" * (n // 3),
    "punctuation": lambda n: "! ? " * (n // 4),
    "chained demands": lambda n: "Russia demanded that NATO withdraw " * (n // 6),
    "quoted first person": lambda n: '"We urge all of them to go," he said. ' * (n // 12),
    "appositive demanders": lambda n: "Ann Weber, a lobbyist who demanded, loudly, that we go, "
    * (n // 14),
}
SMALL_DOC, LARGE_DOC = 1500, 6000


def _spans(doc: Doc) -> object:
    from indexer.extract.temporal_spans import find_temporal_spans

    return find_temporal_spans(doc)


def _dates(doc: Doc) -> object:
    from indexer.extract.dates import extract_dates

    return extract_dates(doc, "2022-01-11")


def _entities(doc: Doc) -> object:
    from indexer.extract.entities import candidates

    return candidates(doc)


def _places(doc: Doc) -> object:
    from indexer.extract.places import extract_locations

    return extract_locations(doc, (), _dates(doc))  # type: ignore[arg-type]


def _facts(doc: Doc) -> object:
    from indexer.extract.facts import extract_facts

    return extract_facts(doc)


def _parties(doc: Doc) -> object:
    from indexer.extract.parties import extract_parties

    return extract_parties(doc)


def _demands(doc: Doc) -> object:
    from indexer.extract.demands import extract_demands
    from indexer.extract.parties import extract_parties

    return extract_demands(doc, extract_parties(doc))


STEPS: dict[str, Callable[[Doc], object]] = {
    "temporal spans": _spans,
    "dates": _dates,
    "entities": _entities,
    "places": _places,
    "facts": _facts,
    "parties": _parties,
    "demands": _demands,
}


def _parsed_pairs(
    nlp: Language, families: dict[str, Family], steps: dict[str, Callable[[Doc], object]]
) -> Callable[[str], tuple[Doc, Doc]]:
    """The small and large parsed doc of each of ``families``, parsed once for all ``steps``."""
    from indexer.pipeline import parse

    made: dict[str, tuple[Doc, Doc]] = {}

    def get(family: str) -> tuple[Doc, Doc]:
        if family not in made:
            make = families[family]
            made[family] = (
                parse(nlp, clean_text(make(SMALL_DOC))),
                parse(nlp, clean_text(make(LARGE_DOC))),
            )
        return made[family]

    for step in steps.values():  # load reference tables and caches before any child forks
        step(parse(nlp, "NATO met Russia in Geneva on Monday for eight-hour talks."))
    return get


@pytest.fixture(scope="module")
def docs(nlp: Language) -> Callable[[str], tuple[Doc, Doc]]:
    return _parsed_pairs(nlp, DOC_FAMILIES, STEPS)


@pytest.mark.slow
@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize("family", sorted(DOC_FAMILIES))
def test_extraction_steps_grow_linearly(
    docs: Callable[[str], tuple[Doc, Doc]], family: str, step: str
) -> None:
    small, large = docs(family)
    found = growth(STEPS[step], small, large)
    assert not found.problems(), found


# Argument structures that only the parties and demands steps read closely: a chain of
# demands each stating the rest as its action, pronouns, titles and unlisted names to resolve
# against every mention before them, many cues in one sentence, a long coordinated subject.
ARGUMENT_FAMILIES: dict[str, Family] = {
    "nested demands": lambda n: "Russia demanded that NATO demand that " * (n // 6),
    "pronouns": lambda n: "Mr. Smith met NATO. He urged NATO to leave. " * (n // 12),
    "titles": lambda n: (
        "Foreign Minister Sergei Lavrov met NATO. The minister urged NATO to leave. " * (n // 15)
    ),
    "unlisted names": lambda n: "Russia urged Congress to act. " * (n // 6),
    "cues in one sentence": lambda n: "Russia called for talks and " * (n // 5),
    "coordinated subject": lambda n: "cats and " * (n // 2) + "dogs demanded talks.",
}
ARGUMENT_STEPS = {"parties": _parties, "demands": _demands}


@pytest.fixture(scope="module")
def argument_docs(nlp: Language) -> Callable[[str], tuple[Doc, Doc]]:
    return _parsed_pairs(nlp, ARGUMENT_FAMILIES, ARGUMENT_STEPS)


@pytest.mark.slow
@pytest.mark.parametrize("step", sorted(ARGUMENT_STEPS))
@pytest.mark.parametrize("family", sorted(ARGUMENT_FAMILIES))
def test_parties_and_demands_grow_linearly_on_argument_structures(
    argument_docs: Callable[[str], tuple[Doc, Doc]], family: str, step: str
) -> None:
    small, large = argument_docs(family)
    found = growth(ARGUMENT_STEPS[step], small, large)
    assert not found.problems(), found


@pytest.mark.slow
def test_the_reproducers_go_through_the_whole_pipeline_in_seconds(nlp: Language) -> None:
    from indexer.errors import Unprocessable
    from indexer.pipeline import Pipeline

    pipeline = Pipeline(nlp)
    pipeline.extract("NATO met Russia in Geneva on Monday for eight-hour talks.")  # warm caches

    def extract(text: str) -> str:
        try:
            return pipeline.extract(text, published_at="2022-01-11").text[:20]
        except Unprocessable as exc:
            return str(exc)

    for text in (
        "more from a" + " " * 20_000 + "!",
        "x " + "newsletter " * 4000,
        "Talks ended." + " (ap)" * 2000,
        "\t" * 20_000,
        "the past " * 150,
        "Talks ended. a" + ")" * 2000,
    ):
        seconds = in_child(_seconds, extract, text)
        assert seconds is not None and seconds < DEADLINE / 2, text[:20]
