"""A polite HTTP client for feeds and article pages: robots.txt, conditional GET, a delay per
host, a User-Agent naming the project, timeouts, size caps, and no private addresses.

Built on ``http.client`` so that each hop connects to exactly the address that was checked
(no second DNS lookup an attacker could answer differently). Redirects are followed by hand,
and every hop is checked again: its scheme, its resolved addresses and its robots.txt.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.robotparser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from indexer import __version__
from indexer.web.addresses import Resolver, is_public, resolve
from indexer.web.errors import FetchError, PageTooLarge
from indexer.web.limits import MAX_PAGE_BYTES, inflate

USER_AGENT = f"storyrecords/{__version__} (news indexer; respects robots.txt)"
#: The token robots.txt rules name us by.
ROBOTS_AGENT = "storyrecords"
MAX_ROBOTS_BYTES = 512 * 1024
#: robots.txt is fetched again after this many seconds.
ROBOTS_TTL = 24 * 3600.0
#: A robots.txt Crawl-delay is honoured up to this many seconds.
MAX_CRAWL_DELAY = 60.0
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Policy:
    """How politely and how carefully to fetch."""

    user_agent: str = USER_AGENT
    timeout: float = 10.0
    deadline: float = 30.0
    host_delay: float = 1.0
    max_bytes: int = MAX_PAGE_BYTES
    max_redirects: int = 5
    allow_private: bool = False
    robots: bool = True


@dataclass(frozen=True)
class Response:
    """A successful fetch (status 200), or ``not_modified`` after a conditional GET."""

    url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


@dataclass
class Fetcher:
    """Fetches one URL at a time; remembers robots.txt and last request time per host."""

    policy: Policy = field(default_factory=Policy)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    resolver: Resolver = socket.getaddrinfo
    #: Which resolved addresses may be connected to (unless ``policy.allow_private``).
    address_ok: Callable[[str], bool] = is_public
    _last: dict[str, float] = field(default_factory=dict)
    _robots: dict[str, tuple[float, _Rules]] = field(default_factory=dict)
    requests: int = 0

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
            accept: str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1") -> Response:
        """GET ``url`` following redirects; :class:`FetchError` for anything but 200 or 304."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(self.policy.max_redirects + 1):
            self._check_robots(current)
            status, reply, body = self._request(current, headers, self.policy.max_bytes)
            if status in _REDIRECTS and reply.get("location"):
                current = urljoin(current, reply["location"])
                continue
            if status == 304:
                return Response(current, 304, etag=reply.get("etag") or etag,
                                last_modified=reply.get("last-modified") or last_modified,
                                not_modified=True)
            if status != 200:
                raise FetchError(f"{current}: HTTP {status}", reason="http", status=status)
            kind, charset = _content_type(reply.get("content-type", ""))
            return Response(current, status, body, kind, charset, reply.get("etag"),
                            reply.get("last-modified"))
        raise FetchError(f"{url}: more than {self.policy.max_redirects} redirects",
                         reason="redirects")

    def allowed(self, url: str) -> bool:
        """Whether robots.txt of ``url``'s host lets us fetch it (fetched once per host)."""
        if not self.policy.robots:
            return True
        return self._rules(url).allows(url)

    def _rules(self, url: str) -> _Rules:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        known = self._robots.get(origin)
        if known is not None and self.clock() - known[0] < ROBOTS_TTL:
            return known[1]
        rules = self._load_robots(origin)
        self._robots[origin] = (self.clock(), rules)
        return rules

    def _check_robots(self, url: str) -> None:
        _split(url)
        if not self.allowed(url):
            raise FetchError(f"{url}: disallowed by robots.txt", reason="robots")

    def _load_robots(self, origin: str) -> _Rules:
        """RFC 9309: a 4xx means no rules; a 5xx or no answer means stay away for now.

        Only real answers are remembered; a host that is down is asked again next time.
        """
        target = origin + "/robots.txt"
        for _ in range(self.policy.max_redirects + 1):
            status, reply, body = self._request(target, {"Accept": "text/plain"},
                                                MAX_ROBOTS_BYTES)
            if status in _REDIRECTS and reply.get("location"):
                target = urljoin(target, reply["location"])
                continue
            break
        if status == 200:
            parser = urllib.robotparser.RobotFileParser(target)
            parser.parse(body.decode("utf-8", errors="replace").splitlines())
            return _Rules(parser=parser)
        if status >= 500 or status in _REDIRECTS:
            raise FetchError(f"{target} answered {status}; not fetching from this host for now "
                             "(RFC 9309)", reason="robots", status=status)
        return _Rules(everything=True)

    def _wait_turn(self, host: str, delay: float) -> None:
        last = self._last.get(host)
        if last is not None:
            wait = delay - (self.clock() - last)
            if wait > 0:
                self.sleep(wait)

    def _request(self, url: str, headers: Mapping[str, str], limit: int
                 ) -> tuple[int, dict[str, str], bytes]:
        scheme, host, port, target = _split(url)
        addresses = resolve(host, port, allow_private=self.policy.allow_private,
                            resolver=self.resolver, check=self.address_ok)
        origin = f"{scheme}://{urlsplit(url).netloc}"
        known = self._robots.get(origin)
        asked = known[1].crawl_delay() if known is not None else None
        self._wait_turn(host, min(max(self.policy.host_delay, asked or 0.0), MAX_CRAWL_DELAY))
        started = self.clock()
        connection = _connection(scheme, host, port, addresses[0][0], self.policy.timeout)
        self.requests += 1
        try:
            connection.putrequest("GET", target, skip_accept_encoding=True)
            sent = {"User-Agent": self.policy.user_agent, "Accept-Encoding": "gzip, deflate",
                    **headers}
            for name, value in sent.items():
                connection.putheader(name, value)
            connection.endheaders()
            reply = connection.getresponse()
            fields = {k.lower(): v for k, v in reply.getheaders()}
            body = b""
            if reply.status == 200:
                body = self._read(reply, fields, limit, started, url)
            return reply.status, fields, body
        except TimeoutError as exc:
            raise FetchError(f"{url}: timed out", reason="timeout") from exc
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            raise FetchError(f"{url}: {exc.__class__.__name__}: {exc}",
                             reason="unreachable") from exc
        finally:
            connection.close()
            self._last[host] = self.clock()

    def _read(self, reply: http.client.HTTPResponse, fields: Mapping[str, str], limit: int,
              started: float, url: str) -> bytes:
        declared = fields.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"{url}: {declared} bytes is over the limit of {limit}",
                             reason="too-large")
        parts: list[bytes] = []
        size = 0
        while chunk := reply.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise FetchError(f"{url}: over the limit of {limit} bytes", reason="too-large")
            if self.clock() - started > self.policy.deadline:
                raise FetchError(f"{url}: took longer than {self.policy.deadline:g}s",
                                 reason="timeout")
            parts.append(chunk)
        body = b"".join(parts)
        encoding = fields.get("content-encoding", "").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            try:
                body = inflate(body, limit)
            except PageTooLarge as exc:
                raise FetchError(f"{url}: over the limit of {limit} bytes decompressed",
                                 reason="too-large") from exc
        return body


@dataclass(frozen=True)
class _Rules:
    """One host's robots.txt: parsed rules, or all allowed / all disallowed."""

    parser: urllib.robotparser.RobotFileParser | None = None
    everything: bool = True

    def allows(self, url: str) -> bool:
        if self.parser is None:
            return self.everything
        return self.parser.can_fetch(ROBOTS_AGENT, url)

    def crawl_delay(self) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(ROBOTS_AGENT)
        return float(delay) if delay is not None else None


def _split(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url}: only http and https URLs are fetched", reason="blocked")
    if parts.username or parts.password:
        raise FetchError(f"{url}: URLs with credentials are not fetched", reason="blocked")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError(f"{url}: invalid port", reason="blocked") from exc
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, target


def _content_type(value: str) -> tuple[str, str | None]:
    kind, *params = value.split(";")
    charset = None
    for param in params:
        key, _, found = param.partition("=")
        if key.strip().lower() == "charset":
            charset = found.strip().strip("\"'") or None
    return kind.strip().lower(), charset


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address while sending the real host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """As :class:`_PinnedHTTP`, with TLS verified against the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        context: Any = self._context  # type: ignore[attr-defined]
        self.sock = context.wrap_socket(sock, server_hostname=self.host)


def _connection(scheme: str, host: str, port: int, address: str, timeout: float
                ) -> http.client.HTTPConnection:
    kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    return kind(host, port, address, timeout)
