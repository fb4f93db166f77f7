"""``seglab serve``: the local web page and REST API (:mod:`seglab.web`, extra ``seglab[web]``).

Listens on 127.0.0.1:8000 by default (loopback: only this machine can
connect; there is no authentication, so ``--host 0.0.0.0`` prints a
warning). ``--port 0`` picks a free port. The socket is bound before the
application starts, so a port in use is reported at once (exit code 2), and
a missing ``fastapi``/``uvicorn``/``python-multipart`` gives exit code 3 with
the pip command. Ctrl-C stops the server and its workers.

Examples
--------
>>> ns = build_parser().parse_args(["--port", "0", "--workers", "2"])
>>> settings_of(ns).port, settings_of(ns).workers, settings_of(ns).host
(0, 2, '127.0.0.1')
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Sequence

from ..core.optional import require
from ..web.settings import Settings
from .common import EXIT_OK, Parser, UsageError

__all__ = ["build_parser", "settings_of", "run"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def build_parser() -> Parser:
    """The parser of ``seglab serve``."""
    d = Settings()
    parser = Parser(prog="seglab serve", description="Serve the seglab web page and REST API (docs/web.md). "
                    "The API is described at /openapi.json.")
    parser.add_argument("--host", default=d.host, help=f"address to listen on (default {d.host}: this machine only)")
    parser.add_argument("--port", type=int, default=d.port, help=f"port (default {d.port}; 0: any free port)")
    parser.add_argument("--workers", type=int, default=d.workers, metavar="N",
                        help=f"worker processes that segment (default {d.workers})")
    parser.add_argument("--queue", type=int, default=d.queue_size, metavar="N",
                        help=f"jobs that may wait for a worker; more get 429 (default {d.queue_size})")
    parser.add_argument("--max-upload-mb", type=float, default=d.max_upload_mb, metavar="MB",
                        help=f"largest request body (default {d.max_upload_mb:g})")
    parser.add_argument("--max-pixels", type=int, default=d.max_pixels, metavar="N",
                        help=f"largest image, height x width (default {d.max_pixels:_})")
    parser.add_argument("--timeout", type=float, default=d.timeout, metavar="S",
                        help=f"seconds one job (one method of a comparison) may run (default {d.timeout:g})")
    parser.add_argument("--wait", type=float, default=d.wait, metavar="S",
                        help=f"seconds a request waits before answering 202 with a job to poll (default {d.wait:g})")
    parser.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"),
                        help="uvicorn's logging; info logs every request (default info)")
    parser.add_argument("--open", action="store_true", help="open the page in a browser once the server is up")
    return parser


def settings_of(ns: argparse.Namespace) -> Settings:
    """The :class:`~seglab.web.settings.Settings` of the parsed options."""
    try:
        return Settings(host=ns.host, port=ns.port, workers=ns.workers, queue_size=ns.queue,
                        max_upload_mb=ns.max_upload_mb, max_pixels=ns.max_pixels, timeout=ns.timeout, wait=ns.wait)
    except ValueError as exc:
        raise UsageError(f"seglab serve: {exc}") from None


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or a UsageError saying why not."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise UsageError(f"seglab serve: cannot resolve --host {host!r} ({exc.strerror}).") from None
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and accepted
    # connections inherit it; without it every keep-alive response waited ~40 ms for a delayed ACK (Nagle)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"seglab serve: port {port} on {host} is in use (another server?); choose another "
                             "with --port N, or --port 0 for any free one.") from None
        raise UsageError(f"seglab serve: cannot listen on {host}:{port} ({exc.strerror}).") from None
    return sock


def _open_when_started(server: object, url: str) -> None:
    def wait_and_open() -> None:
        for _ in range(600):
            if getattr(server, "started", False):
                webbrowser.open(url)
                return
            time.sleep(0.1)

    threading.Thread(target=wait_and_open, daemon=True).start()


def run(argv: Sequence[str]) -> int:
    """Run ``seglab serve`` with the arguments after ``serve``; return the exit code when it stops."""
    ns = build_parser().parse_args(argv)
    settings = settings_of(ns)
    for module in ("fastapi", "uvicorn", "python_multipart"):
        require(module, extra="web", feature="seglab serve")
    import uvicorn

    from ..web.app import create_app

    sock = _bind(ns.host, ns.port)
    port = sock.getsockname()[1]
    shown = f"[{ns.host}]" if ":" in ns.host else ns.host
    url = f"http://{shown}:{port}/"
    if ns.host not in _LOOPBACK:
        print(f"warning: listening on {ns.host}: anyone who can reach this machine can use the server "
              "(there is no authentication).", file=sys.stderr)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level=ns.log_level, timeout_graceful_shutdown=5))
    print(f"seglab serve: {url} ({settings.workers} workers, Ctrl-C stops)", file=sys.stderr)
    if ns.open:
        _open_when_started(server, url)
    server.run(sockets=[sock])
    return EXIT_OK
