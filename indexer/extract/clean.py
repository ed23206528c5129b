"""Cleaning: cut what is not the article (related headlines, photo credits, agency sign-offs).

Pure text in, text out. Every offset the later steps produce is into the returned text, so
this runs first and nothing downstream ever sees the raw input.
"""

from __future__ import annotations

import re

# A line that opens a block of unrelated links; it and everything after it is dropped.
_TAIL_BLOCK = re.compile(
    r"^\s*(more stories|more from [\w .-]+|related (stories|articles|news|content|coverage)|"
    r"read (more|also)|also read|you (may|might) also like|recommended( for you)?|"
    r"most (read|popular)|top stories|latest news|trending( now)?)\s*:?\s*$",
    re.IGNORECASE,
)
# Whole lines that are page furniture rather than article text.
_JUNK_LINE = re.compile(
    r"^\s*(sign up( for| to)?\b.*newsletter.*|subscribe\b.*|.*\bnewsletter\b.*sign up.*|"
    r"follow us\b.*|share (this|on)\b.*|click here\b.*|read (more|also)\s*:.*|related\s*:.*|"
    r"advertisement|(photo|image|picture|foto)\s*(credit)?\s*:.*|\(?(photo|image)\s*:.*\)?)\s*$",
    re.IGNORECASE,
)
# A photo credit: "© epa Sergei Ilnitsky / EPA / dpa" up to the end of its line.
_PHOTO_CREDIT = re.compile(r"[ \t]*©[^\n]*|^\s*(\(c\)|copyright\b)[^\n]*", re.IGNORECASE)
# An agency sign-off at the very end: "... sovereignty. dpa", "(AFP)", "- Reuters".
_AGENCY = r"dpa|afp|ap|reuters|apa|sda|kna|epd|ansa|efe|tass|xinhua|ddp|kyodo|upi"
_TRAILING_CREDIT = re.compile(
    rf"(?<=[.!?\u201d\"'\u2019)])[ \t]*[-\u2013\u2014]?[ \t]*"
    rf"\(?\b(?:{_AGENCY})\b\)?(?:[ \t]*/[ \t]*\w+)*\s*$",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(raw: str) -> str:
    """Return the article body without boilerplate, paragraphs kept, whitespace normalised."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    lines: list[str] = []
    for line in text.split("\n"):
        if _TAIL_BLOCK.match(line):
            break
        if _JUNK_LINE.match(line):
            continue
        line = _PHOTO_CREDIT.sub("", line)
        lines.append(_SPACES.sub(" ", line).strip())
    cleaned = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    previous = None
    while previous != cleaned:
        previous = cleaned
        cleaned = _TRAILING_CREDIT.sub("", cleaned).rstrip()
    return cleaned
