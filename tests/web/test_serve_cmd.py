"""`seglab serve`: its options, a port in use (exit 2), a missing extra (exit 3)."""

from __future__ import annotations

import socket
import sys

import pytest

from seglab.cli import main
from seglab.cli.serve_cmd import build_parser, settings_of


def test_options_become_settings():
    ns = build_parser().parse_args(["--host", "0.0.0.0", "--port", "0", "--workers", "3", "--queue", "5",
                                    "--max-upload-mb", "2", "--max-pixels", "1000", "--timeout", "9", "--wait", "1"])
    s = settings_of(ns)
    assert (s.host, s.port, s.workers, s.queue_size, s.max_upload_bytes, s.max_pixels, s.timeout, s.wait) == (
        "0.0.0.0", 0, 3, 5, 2 * 2**20, 1000, 9.0, 1.0)
    assert settings_of(build_parser().parse_args([])).host == "127.0.0.1"  # loopback by default


def test_a_port_in_use_is_a_clear_usage_error(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    assert f"port {port} on 127.0.0.1 is in use" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "words"), [
    (["--workers", "0"], "workers must be at least 1"),
    (["--port", "70000"], "port must lie in [0, 65535]"),
    (["--host", "no.such.host.invalid"], "cannot resolve --host"),
    (["--timeout", "inf"], "timeout must be at most 604800"),  # the job timer refuses 1e10 s and more
    (["--timeout", "1e12"], "timeout must be at most 604800"),
    (["--max-upload-mb", "inf"], "max_upload_mb must be at most"),
])
def test_bad_options_exit_2(capsys, args, words):
    assert main(["serve", *args]) == 2
    assert words in capsys.readouterr().err


def test_a_missing_web_extra_exits_3_with_the_pip_command(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if it were not installed
    assert main(["serve", "--port", "0"]) == 3
    assert 'pip install "seglab[web]"' in capsys.readouterr().err


def test_importing_seglab_and_the_command_line_stays_light():
    import subprocess

    code = ("import sys, seglab, seglab.cli, seglab.cli.serve_cmd, seglab.web; "
            "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette', 'pydantic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_accepted_connections_send_without_nagle_delay():
    """asyncio turns TCP_NODELAY on only for sockets created as TCP; without it every keep-alive response
    waited about 40 ms for the client's delayed ACK (measured: 44 ms a /health request, 0.6 ms with it)."""
    import asyncio

    from seglab.cli.serve_cmd import _bind

    async def accepted_nodelay() -> int:
        found: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport):
                sock = transport.get_extra_info("socket")
                found.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        listener = _bind("127.0.0.1", 0)
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(found, 5)
        finally:
            writer.close()
            server.close()

    assert asyncio.run(accepted_nodelay()) != 0
