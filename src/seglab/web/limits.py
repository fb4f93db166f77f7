"""ASGI middleware: the upload limit, enforced while the body arrives, and the page's security headers.

:class:`BodyLimit` answers 413 at once when ``Content-Length`` is over the
limit, and stops reading a body sent without one (chunked) as soon as it
passes the limit; nothing beyond the limit is read or stored.
:class:`SecurityHeaders` lets the page load only the server's own assets
(no CDN, no inline script) and forbids framing and MIME sniffing.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "SecurityHeaders", "TrustedHosts", "CONTENT_SECURITY_POLICY", "host_name"]

#: Only the server's own scripts, styles and data; images may also be blob:/data: URLs made by the page.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def _too_large(limit: int) -> str:
    return f"the request body is larger than the server's limit of {limit / 2**20:.3g} MiB (seglab serve --max-upload-mb)."


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            body = json.dumps({"detail": _too_large(self.max_bytes), "error": "RequestTooLarge"}).encode()
            await send({"type": "http.response.start", "status": 413,
                        "headers": [(b"content-type", b"application/json"), (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": body})
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(413, _too_large(self.max_bytes))
            return message

        await self.app(scope, limited, send)


class SecurityHeaders:
    """Add :data:`CONTENT_SECURITY_POLICY`, ``nosniff`` and ``no-referrer`` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> Any:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"],
                                      (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                                      (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
            await send(message)

        await self.app(scope, receive, with_headers)


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without its port (IPv6 literals keep their brackets).

    >>> host_name("localhost:8000"), host_name("[::1]:8000"), host_name("example.org")
    ('localhost', '[::1]', 'example.org')
    """
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    return header.split(":", 1)[0]


class TrustedHosts:
    """Refuse requests whose ``Host`` is not one of `allowed_hosts` (``"*"``: any), as a 400 in the API's JSON shape.

    The guard against DNS rebinding: a page elsewhere that resolves its own
    name to 127.0.0.1 sends its name as the Host.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.allowed = set(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or "*" in self.allowed:
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        if host_name(header) in self.allowed:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = json.dumps({"detail": f"the Host header {header[:100]!r} is not this server's name; open the page "
                                     "at the address seglab serve printed (a page elsewhere may not reach it).",
                           "error": "InvalidHost"}).encode()
        await send({"type": "http.response.start", "status": 400,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
