"""Which addresses a feed may send us to: public ones only, unless the operator allows more.

A feed is untrusted, so a link or redirect to ``127.0.0.1``, ``10.0.0.5``, ``169.254.169.254``
(a cloud metadata service) or ``[::1]`` would make us a proxy into the operator's network.
Every hop is resolved, checked, and then connected to by the address that was checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

from indexer.web.errors import FetchError

Resolver = Callable[..., list[tuple[Any, ...]]]


def is_public(address: str) -> bool:
    """Globally routable unicast: not loopback, private, link-local, reserved or multicast."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return is_public(str(mapped))
        if ip.teredo is not None:
            return False
    return bool(ip.is_global) and not (ip.is_multicast or ip.is_loopback or ip.is_link_local
                                       or ip.is_private or ip.is_reserved or ip.is_unspecified)


def resolve(host: str, port: int, *, allow_private: bool,
            resolver: Resolver = socket.getaddrinfo,
            check: Callable[[str], bool] = is_public) -> list[tuple[str, int]]:
    """The addresses to connect to for ``host``; :class:`FetchError` if any is not public.

    All of them must pass, not just the first: a name that resolves to one public and one
    private address could otherwise be steered to the private one.
    """
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {exc}", reason="unreachable") from exc
    addresses = list(dict.fromkeys((str(info[4][0]), int(info[4][1])) for info in infos))
    if not addresses:
        raise FetchError(f"cannot resolve {host}", reason="unreachable")
    if not allow_private:
        for address, _ in addresses:
            if not check(address):
                raise FetchError(
                    f"{host} resolves to {address}, a loopback, private or link-local address; "
                    "refused (use --allow-private to allow)",
                    reason="blocked",
                )
    return addresses
