"""Cleaning: cut what is not the article (related headlines, photo credits, agency sign-offs).

Pure text in, text out. Every offset the later steps produce is into the returned text, so
this runs first and nothing downstream ever sees the raw input.

It reads raw client text, so every step is linear in the input: a quantifier that could hand
characters to a neighbour is possessive (``*+``) or atomic (``(?>...)``), a photo credit is
found with ``str.find``, and the agency sign-offs at the end are read backwards in one pass.
"""

from __future__ import annotations

import re

# A line that opens a block of unrelated links; it and everything after it is dropped.
_TAIL_BLOCK = re.compile(
    r"^\s*+(more stories|more from [\w .-]++|related (stories|articles|news|content|coverage)|"
    r"read (more|also)|also read|you (may|might) also like|recommended( for you)?|"
    r"most (read|popular)|top stories|latest news|trending( now)?)\s*+:?\s*+$",
    re.IGNORECASE,
)
# Whole lines that are page furniture rather than article text. The atomic group settles on
# the first "newsletter", so a line of many is one scan, not one per pair.
_JUNK_LINE = re.compile(
    r"^\s*+(sign up( for| to)?\b.*newsletter.*|subscribe\b.*|(?>.*?\bnewsletter\b).*sign up.*|"
    r"follow us\b.*|share (this|on)\b.*|click here\b.*|read (more|also)\s*+:.*|related\s*+:.*|"
    r"advertisement|(photo|image|picture|foto)\s*+(credit)?\s*+:.*|\(?(photo|image)\s*+:.*\)?)"
    r"\s*$",
    re.IGNORECASE,
)
# A line that is a copyright notice from its start: "(c) 2022 AFP", "Copyright Reuters".
_COPYRIGHT_LINE = re.compile(r"\s*+(\(c\)|copyright\b)", re.IGNORECASE)
# An agency sign-off at the very end: "... sovereignty. dpa", "(AFP)", "- Reuters", "EPA / dpa".
# Matched on the reversed text from its end, so each sign-off costs its own length:
# \s* (?:word / )* )? agency (? [ \t]*dash?[ \t]*, and then the closing mark before it.
_AGENCY = r"dpa|afp|ap|reuters|apa|sda|kna|epd|ansa|efe|tass|xinhua|ddp|kyodo|upi"
_TRAILING_CREDIT_REVERSED = re.compile(
    r"\s*(?:\w+[ \t]*/[ \t]*)*\)?\b(?:"
    + "|".join(agency[::-1] for agency in _AGENCY.split("|"))
    + r")\b\(?[ \t]*[-\u2013\u2014]?[ \t]*(?=[.!?\u201d\"'\u2019)])",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _drop_photo_credit(line: str) -> str:
    """Cut a "© epa Sergei Ilnitsky / EPA / dpa" credit to the end of the line."""
    if _COPYRIGHT_LINE.match(line):
        return ""
    at = line.find("\u00a9")
    return line if at < 0 else line[:at].rstrip(" \t")


def _drop_trailing_credits(text: str) -> str:
    """Strip agency sign-offs from the end, one after another ("... talks. (AP) (AP)")."""
    reversed_text = text[::-1]
    cut = 0
    while (match := _TRAILING_CREDIT_REVERSED.match(reversed_text, cut)) is not None:
        cut = match.end()
        while cut < len(reversed_text) and reversed_text[cut].isspace():
            cut += 1
    return text[: len(text) - cut]


def clean_text(raw: str) -> str:
    """Return the article body without boilerplate, paragraphs kept, whitespace normalised."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    lines: list[str] = []
    for line in text.split("\n"):
        if _TAIL_BLOCK.match(line):
            break
        if _JUNK_LINE.match(line):
            continue
        lines.append(_SPACES.sub(" ", _drop_photo_credit(line)).strip())
    return _drop_trailing_credits(_BLANK_LINES.sub("\n\n", "\n".join(lines)).strip())
