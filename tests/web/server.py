"""A local HTTP server in the test process (threads) serving fixture feeds and pages."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: A route answers (status, headers, body) for the request's headers.
Route = Callable[[dict[str, str]], tuple[int, dict[str, str], bytes]]


@dataclass
class Site:
    """Routes by path, every request seen, and an event that releases slow handlers."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for seen, _ in self.requests if seen == path)

    def page(self, path: str, body: bytes | str, *, etag: str | None = None,
             kind: str = "text/html; charset=utf-8") -> None:
        """Serve ``body`` at ``path``, answering 304 to a matching If-None-Match."""
        data = body.encode("utf-8") if isinstance(body, str) else body

        def route(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            if etag is not None and headers.get("if-none-match") == etag:
                return 304, {"ETag": etag}, b""
            extra = {"ETag": etag} if etag else {}
            return 200, {"Content-Type": kind, **extra}, data

        self.routes[path] = route

    def status(self, path: str, code: int) -> None:
        self.routes[path] = lambda headers: (code, {"Content-Type": "text/plain"}, b"no")

    def redirect(self, path: str, location: str, code: int = 301) -> None:
        self.routes[path] = lambda headers: (code, {"Location": location}, b"")

    def slow(self, path: str) -> None:
        """A host that never answers in time: the handler waits until the test ends."""

        def route(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            self.release.wait(30)
            return 200, {"Content-Type": "text/html"}, b"<html><body>late</body></html>"

        self.routes[path] = route


@contextmanager
def serve(site: Site | None = None) -> Iterator[Site]:
    """Run ``site`` on 127.0.0.1 at a free port for the duration of the block."""
    running = site or Site()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            path = self.path.split("?")[0]
            running.requests.append((path, headers))
            route = running.routes.get(path)
            status, extra, body = route(headers) if route else (404, {}, b"not found")
            try:
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client gave up (a timeout test): nothing to answer

        def log_message(self, format: str, *args: object) -> None:
            return

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            """A client that hangs up early (limits, timeouts) is expected here, not news."""
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)  # type: ignore[arg-type]

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    running.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
