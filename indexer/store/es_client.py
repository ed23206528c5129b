"""Building the Elasticsearch client from what an operator configures, and naming a server safely.

Real clusters run with security on: the client authenticates with an API key
(``STORYRECORDS_ELASTICSEARCH_API_KEY``) or with a user and password written into the URL
(``https://user:pass@host:9200``, percent-encoded), and verifies the server's TLS certificate
against a CA file (``STORYRECORDS_ELASTICSEARCH_CA_CERTS``). Credentials are taken out of the
URL before the client sees it, so no message built from the URL can carry them; every log line
and error message names the server with :func:`redact_url`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from elastic_transport.client_utils import DEFAULT, DefaultType
from elasticsearch import Elasticsearch

#: Shown where credentials were removed, so a reader can tell they were configured.
REDACTED = "***"


def _split(url: str) -> tuple[SplitResult, str | None, str | None]:
    """The URL without credentials, plus the decoded user and password (``None`` when absent)."""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return parts, None, None
    user, colon, password = userinfo.partition(":")
    return parts._replace(netloc=hostport), unquote(user), unquote(password) if colon else None


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``: safe for logs and messages."""
    try:
        parts, user, _ = _split(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket: show nothing of it
        return "<unparsable Elasticsearch URL>"
    if user is None:
        return urlunsplit(parts)
    return urlunsplit(parts._replace(netloc=f"{REDACTED}@{parts.netloc}"))


def build_client(
    url: str,
    *,
    api_key: str | None = None,
    ca_certs: str | Path | None = None,
    timeout: float = 10.0,
) -> Elasticsearch:
    """A client for ``url`` that authenticates and verifies TLS as configured; sends nothing yet.

    ``api_key`` is the ``encoded`` value Elasticsearch returns when a key is created (sent as
    ``Authorization: ApiKey <encoded>``), or ``id:api_key``. User and password come from the
    URL. Both at once is ambiguous and refused. ``ca_certs`` is a PEM file the server's
    certificate must chain to; without it an ``https`` URL is verified against the system's
    trust store. Invalid combinations raise :class:`ValueError` naming the setting, never its
    value.
    """
    parts, user, password = _split(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"the Elasticsearch URL must be http:// or https://: {redact_url(url)}")
    basic_auth: tuple[str, str] | None = None
    key: str | tuple[str, str] | None = None
    if user is not None:
        if api_key:
            raise ValueError(
                "give Elasticsearch credentials once: an API key "
                "(STORYRECORDS_ELASTICSEARCH_API_KEY) or user:password in the URL, not both"
            )
        basic_auth = (user, password or "")
    elif api_key:
        key_id, colon, secret = api_key.partition(":")
        key = (key_id, secret) if colon else api_key
    ca_file: str | DefaultType = DEFAULT  # the client's own default: the system trust store
    if ca_certs is not None:
        if parts.scheme != "https":
            raise ValueError(
                "STORYRECORDS_ELASTICSEARCH_CA_CERTS is set but the Elasticsearch URL is not "
                f"https: {redact_url(url)}"
            )
        if not Path(ca_certs).is_file():
            raise ValueError(f"STORYRECORDS_ELASTICSEARCH_CA_CERTS: no such file {ca_certs}")
        ca_file = str(ca_certs)
    return Elasticsearch(
        urlunsplit(parts),
        basic_auth=basic_auth,
        api_key=key,
        ca_certs=ca_file,
        request_timeout=timeout,
        max_retries=1,
        retry_on_timeout=False,
    )
