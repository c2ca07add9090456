"""Delivering one webhook over HTTP, safely: only http(s), only to public addresses (checked
after DNS, and the connection made to the address that was checked), no redirects
followed, a timeout, and a bounded read of the answer."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

# Cloud metadata services, refused even where private addresses are allowed.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
MAX_URL_LENGTH = 2000


class UnsafeUrl(ValueError):
    """A URL we will not send to; the message says why, for the organiser."""


class DeliveryFailed(Exception):
    """The receiver did not accept the event (an error, a timeout, or a non-2xx answer)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the IP address that was checked, and that we connect to


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return False
    if allow_private:
        return not (address.is_multicast or address.is_unspecified)
    return address.is_global


def check_url(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and path of a URL we may send to, before DNS; raises UnsafeUrl."""
    if len(url) > MAX_URL_LENGTH or any(ord(ch) < 0x21 for ch in url):
        raise UnsafeUrl("not a URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeUrl("not a URL") from error
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("only http and https URLs")
    if not parts.hostname or parts.username or parts.password:
        raise UnsafeUrl("the URL needs a host, and no user name or password")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def resolve(url: str, *, allow_private: bool) -> Target:
    """The URL's host resolved and checked: every address it resolves to must be public
    (unless `allow_private`), never a metadata service. Raises UnsafeUrl."""
    scheme, host, port, path = check_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise UnsafeUrl(f"the host does not resolve: {host}") from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeUrl(f"the host does not resolve: {host}")
    refused = [a for a in addresses if not _allowed(a, allow_private)]
    if refused:
        raise UnsafeUrl(
            f"{host} resolves to a loopback, private, link-local or metadata address ({refused[0]})"
        )
    return Target(scheme, host, port, path, str(addresses[0]))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._address = target.address
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the host name, not the address we dialled.
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    allow_private: bool,
    max_response_bytes: int = 4096,
    tls_context: ssl.SSLContext | None = None,
) -> int:
    """POST `body` to `url`; the status code if it is 2xx. Raises UnsafeUrl (the address
    is not allowed now) or DeliveryFailed (anything else: refused, timed out, a redirect,
    a non-2xx answer). Only the first `max_response_bytes` of the answer are read."""
    target = resolve(url, allow_private=allow_private)
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(
            target, timeout, tls_context or ssl.create_default_context()
        )
    else:
        connection = _PinnedHTTPConnection(target, timeout)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "campaign-webhooks/1",
                **headers,
            },
        )
        response = connection.getresponse()
        response.read(max_response_bytes)  # bounded: a huge answer is not read to the end
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryFailed(type(error).__name__ + (f": {error}" if str(error) else "")) from error
    finally:
        connection.close()
    if 300 <= status < 400:
        raise DeliveryFailed(f"HTTP {status}: redirects are not followed")
    if not 200 <= status < 300:
        raise DeliveryFailed(f"HTTP {status}")
    return status
