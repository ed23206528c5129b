"""The article body of a page: trafilatura's main-text extraction, then our own cleaning.

trafilatura finds the main content; on top of it we drop what its output still carries on
news pages and the benchmark's human readers leave out: the headline repeated as the first
line, runs of link-only lines (related stories, tag lists) at either end, and the page
furniture :func:`indexer.extract.clean.clean_text` knows. No per-site rules: each step uses
only what the page itself says (its title, its links).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import trafilatura
from lxml.html import HtmlElement

from indexer.errors import Unprocessable
from indexer.extract.budget import check_text
from indexer.extract.clean import clean_text
from indexer.web.errors import NotAnArticle

#: An article has at least this many words (CJK characters count half a word each).
MIN_WORDS = 25
#: Lines longer than this (in words) are never treated as a link.
MAX_LINK_WORDS = 60
#: An index page: at least this share of its extracted lines are links to elsewhere.
INDEX_LINK_SHARE = 0.6
_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_ERROR_TITLE = re.compile(
    r"\b(404|410|page not found|not found|no longer available|seite nicht gefunden|"
    r"p[aá]gina no encontrada|page introuvable|pagina non trovata)\b",
    re.IGNORECASE,
)
_LABEL_END = (".", "!", "?", '"', "\u201d", ":", ";")


def norm(text: str | None) -> str:
    """Lower-cased words joined by one space: the form lines and titles are compared in."""
    return " ".join(_WORD.findall((text or "").lower()))


def word_count(text: str) -> int:
    """Words, with CJK characters counted half a word each (they are not space-separated)."""
    return len(_WORD.findall(text)) + len(_CJK.findall(text)) // 2


def anchor_texts(tree: HtmlElement) -> frozenset[str]:
    """The normalised text of every link on the page."""
    found = {norm(a.text_content()) for a in tree.iter("a")}
    found.discard("")
    return frozenset(found)


def title_lines(tree: HtmlElement, titles: Iterable[str | None]) -> frozenset[str]:
    """Forms the headline takes on the page: metadata titles, ``<title>``, every ``<h1>``."""
    found = {norm(t) for t in titles}
    node = tree.find(".//title")
    if node is not None:
        full = node.text_content()
        found.add(norm(full))
        for sep in (" | ", " - ", " \u2013 ", " \u2014 ", " :: "):
            found.add(norm(full.rpartition(sep)[0]))
    found.update(norm(h1.text_content()) for h1 in tree.iter("h1"))
    found.discard("")
    return frozenset(found)


def is_link_line(line: str, anchors: frozenset[str]) -> bool:
    """Most of the line's words are the text of one link (checked from either end)."""
    text = norm(line)
    if not text or text.count(" ") >= MAX_LINK_WORDS:
        return False
    cuts = [i for i, ch in enumerate(text) if ch == " "]
    words = len(cuts) + 1
    ends = [*cuts, len(text)]  # ends[k - 1]: where the first k words end
    starts = [0] + [c + 1 for c in cuts]  # starts[i]: where word i begins
    for size in range(words, (words + 1) // 2 - 1, -1):
        if text[:ends[size - 1]] in anchors or text[starts[words - size]:] in anchors:
            return True
    return False


def _trim_edges(lines: list[str], anchors: frozenset[str]) -> list[str]:
    """Drop link-only lines at both ends, and a short label ("Tags") heading a dropped run."""
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or is_link_line(lines[end - 1], anchors)):
        end -= 1
    if 0 < end < len(lines):
        label = lines[end - 1].rstrip()
        if len(norm(label).split()) <= 3 and not label.endswith(_LABEL_END):
            end -= 1
    start = 0
    while start < end and (not lines[start].strip() or is_link_line(lines[start], anchors)):
        start += 1
    return lines[start:end]


def _drop_headline(lines: list[str], titles: frozenset[str]) -> list[str]:
    start = 0
    while start < len(lines) and (not norm(lines[start]) or norm(lines[start]) in titles):
        start += 1
    return lines[start:]


def trafilatura_text(tree: HtmlElement, url: str | None = None) -> str:
    """trafilatura's own default extraction (the benchmark's setting): the floor we compare to."""
    return trafilatura.extract(tree, url=url, include_comments=False) or ""


def main_text(tree: HtmlElement, url: str | None, titles: Iterable[str | None]) -> str:
    """The article body with paragraphs as lines; '' when the page has none.

    ``fast`` skips trafilatura's readability/jusText fallback, which on news pages mostly
    trades a clean body for a page's worth of teasers.
    """
    raw = trafilatura.extract(tree, url=url, include_comments=False, fast=True) or ""
    try:
        check_text(raw)  # a page's text goes through the same cap as a client's
    except Unprocessable as exc:
        raise Unprocessable(f"The page's main text is too long. {exc}", field="html") from exc
    anchors = anchor_texts(tree)
    lines = _drop_headline(raw.split("\n"), title_lines(tree, titles))
    text = clean_text("\n".join(lines))
    return "\n".join(_trim_edges(text.split("\n"), anchors)).strip()


def check_article(text: str, tree: HtmlElement, title: str | None) -> None:
    """:class:`NotAnArticle` for an empty, error or index page, naming which it looks like."""
    words = word_count(text)
    if words < MIN_WORDS:
        if _ERROR_TITLE.search(title or ""):
            raise NotAnArticle(f"the page looks like an error page ({title!r}), not an article")
        raise NotAnArticle(f"no article text found on the page ({words} words of main text)")
    if words < 150 and _ERROR_TITLE.search(title or ""):
        raise NotAnArticle(f"the page looks like an error page ({title!r}), not an article")
    lines = [line for line in text.split("\n") if line.strip()]
    anchors = anchor_texts(tree)
    links = sum(1 for line in lines if is_link_line(line, anchors))
    if len(lines) >= 5 and links >= INDEX_LINK_SHARE * len(lines):
        raise NotAnArticle(
            f"the page looks like an index page: {links} of its {len(lines)} text lines are "
            "links to other pages"
        )
