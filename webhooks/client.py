"""Webhook delivery: which addresses may be called, how a message is signed, and the call.

No server-side request forgery: an endpoint's host is resolved when it is registered AND
again at each delivery (DNS may change in between), every address it resolves to must be a
public one, and the connection goes to the very address that was checked (the name is not
resolved a second time by the HTTP library). Redirects are not followed. The platform
setting WEBHOOK_ALLOW_PRIVATE_URLS lifts the address rule, for tests and closed networks.

The signature header is `X-GovDesk-Signature: t=<unix time>,v1=<hex>`, where <hex> is the
HMAC-SHA256, keyed with the endpoint's secret, of "<unix time>.<body>" (README.md shows how
a receiver checks it).
"""

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SIGNATURE_HEADER = "X-GovDesk-Signature"
USER_AGENT = "GovDesk-Webhooks/1"
RESPONSE_READ_LIMIT = 4096


class WebhookAddressRefused(Exception):
    """The endpoint's host resolves to an address GovDesk may not call."""


def _address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve_webhook_host(url: str) -> tuple[str, int, list[str]]:
    """(host, port, addresses) of the URL, every address allowed; WebhookAddressRefused or
    OSError otherwise."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not settings.GOVDESK_WEBHOOK_ALLOW_PRIVATE_URLS:
        refused = [a for a in addresses if not _address_is_public(a)]
        if refused or not addresses:
            raise WebhookAddressRefused(f"{host} resolves to a non-public address {refused}")
    return host, port, addresses


def webhook_url_check(url: str) -> str:
    """The URL if GovDesk may call it; ValidationError on `url` otherwise."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValidationError({"url": _("Enter a valid address.")}) from None
    allow_private = settings.GOVDESK_WEBHOOK_ALLOW_PRIVATE_URLS
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in schemes or not parts.hostname:
        raise ValidationError({"url": _("Enter an https:// address.")})
    if parts.username or parts.password:
        raise ValidationError({"url": _("Leave the user name and password out of the address.")})
    try:
        resolve_webhook_host(url)
    except WebhookAddressRefused:
        raise ValidationError(
            {"url": _("This address is on a private or local network: GovDesk may not call it.")}
        ) from None
    except (OSError, UnicodeError):
        raise ValidationError({"url": _("This host name cannot be found.")}) from None
    return url


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


@dataclass
class WebhookResult:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to now."""

    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the host name, as for any HTTPS request.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def webhook_post(*, url: str, secret: str, body: bytes, headers: dict) -> WebhookResult:
    """POSTs one signed message; the outcome, never an exception."""
    started = time.monotonic()

    def result(status_code: int | None, error: str = "") -> WebhookResult:
        return WebhookResult(status_code, error[:500], int((time.monotonic() - started) * 1000))

    parts = urlsplit(url)
    if parts.scheme != "https" and not settings.GOVDESK_WEBHOOK_ALLOW_PRIVATE_URLS:
        return result(None, "refused: only https:// addresses are called")
    try:
        host, port, addresses = resolve_webhook_host(url)
    except WebhookAddressRefused as error:
        return result(None, f"refused: {error}")
    except (OSError, UnicodeError) as error:
        return result(None, f"cannot resolve the host: {error}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timestamp = int(time.time())
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(
        host, port, addresses[0], timeout=settings.GOVDESK_WEBHOOK_TIMEOUT
    )
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                SIGNATURE_HEADER: webhook_signature(secret, timestamp, body),
            },
        )
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
    except (OSError, http.client.HTTPException) as error:
        return result(None, f"{error.__class__.__name__}: {error}")
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        return result(response.status, f"answered {response.status} {response.reason}")
    return result(response.status)
