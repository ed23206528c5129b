"""Linear-time lookups over a parsed Doc: a token's children, sentence and coordination head.

spaCy's ``Token.children`` walks the token's whole subtree and ``Span.sent`` walks to the
sentence's edges on every call, so asking once per mention is quadratic on a deep tree or a
long sentence ("talks in Geneva on Monday and ..." a thousand times). These tables are built
in one pass and kept on the doc (``doc.user_data``), so every step shares them.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Token

_KEY = "storyrecords.doc_index"


@dataclass(frozen=True)
class DocIndex:
    """Per-token tables of one doc, by token index."""

    children: tuple[tuple[int, ...], ...]
    aux_children: tuple[tuple[int, ...], ...]
    sentence: tuple[int, ...]
    sentences: tuple[tuple[int, int], ...]
    conj_head: tuple[int, ...]

    def children_of(self, token: Token) -> list[Token]:
        """``token.children`` in text order, without walking the subtree."""
        doc = token.doc
        return [doc[i] for i in self.children[token.i]]

    def auxiliaries_of(self, token: Token) -> list[Token]:
        """The children of ``token`` attached as auxiliaries ("aux", "auxpass")."""
        doc = token.doc
        return [doc[i] for i in self.aux_children[token.i]]

    def sentence_of(self, token: Token) -> int:
        """The number of the sentence ``token`` is in."""
        return self.sentence[token.i]


def _conj_heads(doc: Doc) -> tuple[int, ...]:
    """For every token, the first conjunct it is coordinated with (itself when none)."""
    top = list(range(len(doc)))
    done = [False] * len(doc)
    for token in doc:
        path: list[int] = []
        node = token
        while not done[node.i] and node.dep_ == "conj" and node.head.i != node.i:
            done[node.i] = True
            path.append(node.i)
            node = node.head
        end = top[node.i]
        for i in path:
            top[i] = end
        done[node.i] = True
    return tuple(top)


def _has_sentences(doc: Doc) -> bool:
    """Whether ``doc.sents`` can be read (a parse or sentence starts were set)."""
    return doc.has_annotation("SENT_START") or doc.has_annotation("DEP")


def doc_index(doc: Doc) -> DocIndex:
    """The doc's tables, built on first use."""
    cached = doc.user_data.get(_KEY)
    if isinstance(cached, DocIndex):
        return cached
    children: list[list[int]] = [[] for _ in range(len(doc))]
    aux_children: list[list[int]] = [[] for _ in range(len(doc))]
    for token in doc:
        head = token.head.i
        if head != token.i:
            children[head].append(token.i)
            if token.dep_ in {"aux", "auxpass"}:
                aux_children[head].append(token.i)
    sentence = [0] * len(doc)
    sentences: list[tuple[int, int]] = []
    bounds = [(sent.start, sent.end) for sent in doc.sents] if _has_sentences(doc) else []
    for number, (start, end) in enumerate(bounds or [(0, len(doc))]):
        sentences.append((start, end))
        for i in range(start, end):
            sentence[i] = number
    index = DocIndex(
        children=tuple(tuple(c) for c in children),
        aux_children=tuple(tuple(c) for c in aux_children),
        sentence=tuple(sentence),
        sentences=tuple(sentences),
        conj_head=_conj_heads(doc),
    )
    doc.user_data[_KEY] = index
    return index
