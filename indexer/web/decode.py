"""Bytes to page text: refuse binary files and encoding garbage, honour the declared charset."""

from __future__ import annotations

import codecs
import re

from indexer.web.errors import BadPage

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"RIFF", "a RIFF media file"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""",
                           re.IGNORECASE)
_HTML_SIGN = re.compile(
    r"<(?:!doctype\s+html|html|head|body|title|meta|p|div|article|main|section|h1|table)[\s>/]",
    re.IGNORECASE,
)
_FEED_SIGN = re.compile(r"<(?:rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
#: Share of characters that may be replacement or C0/C1 control characters before we give up.
MAX_GARBAGE = 0.01
_SNIFF = 8192


def _bom(raw: bytes) -> tuple[str | None, bytes]:
    for mark, name in _BOMS:
        if raw.startswith(mark):
            return name, raw[len(mark):]
    return None, raw


def _known(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def _garbage_share(text: str) -> float:
    if not text:
        return 0.0
    bad = text.count("\ufffd") + len(_CONTROL.findall(text))
    return bad / len(text)


def decode_html(raw: bytes, declared: str | None = None) -> str:
    """The page as text: BOM, then the HTTP charset, then ``<meta charset>``, then UTF-8.

    Raises :class:`BadPage` for binary content, for text no candidate decodes cleanly, and
    for input that is not HTML at all (plain text, JSON, a feed).
    """
    bom, body = _bom(raw)
    if bom is None:
        head = body[:_SNIFF]
        for magic, what in _MAGIC:
            if head.startswith(magic):
                raise BadPage(f"not an HTML page: the content is {what}")
        if b"\x00" in head:
            raise BadPage("not an HTML page: the content is binary")
    found = _META_CHARSET.search(body[:_SNIFF])
    candidates = [bom, _known(declared), _known(found.group(1).decode("ascii")) if found else None,
                  "utf-8"]
    text: str | None = None
    for name in dict.fromkeys(c for c in candidates if c):
        if name in ("utf-16", "utf-32") and bom is None:
            continue  # a <meta> cannot honestly declare a two-byte encoding it is written in
        try:
            decoded = body.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        if _garbage_share(decoded) <= MAX_GARBAGE:
            text = decoded
            break
    if text is None:
        text = _fallback(body)
    check_is_html(text)
    return text


def _fallback(body: bytes) -> str:
    """Undeclared legacy encodings (Windows-1252, Shift JIS…) via charset-normalizer."""
    from charset_normalizer import from_bytes

    best = from_bytes(body[:1_000_000]).best()
    if best is None:
        raise BadPage("the text is in no encoding we can read (encoding garbage)")
    try:
        text = body.decode(best.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise BadPage("the text is in no encoding we can read (encoding garbage)") from exc
    if _garbage_share(text) > MAX_GARBAGE:
        raise BadPage("the text is in no encoding we can read (encoding garbage)")
    return text


def check_is_html(text: str) -> None:
    """:class:`BadPage` unless ``text`` has HTML markup near its start (not a feed, not JSON)."""
    head = text[:65536]
    if _HTML_SIGN.search(head):
        return
    if _FEED_SIGN.search(head):
        raise BadPage("not an HTML page: this is an RSS/Atom feed; submit it as a feed")
    raise BadPage("not an HTML page: no HTML markup found")
