"""Load test of ``seglab serve`` on loopback: ``POST /segment`` otsu on a 512x512 image at 1, 4 and 16 clients.

The image is the bundled astronaut as gray uint8 (what otsu segments), sent as
a PNG; the answer carries the label PNG as a download URL.

Starts ``seglab serve --port 0`` in a subprocess (its own workers, request logging off), then, with
httpx and asyncio, sends requests from N concurrent clients (each waits for
its answer before the next), for each N in turn and for several interleaved
rounds. Reports per N the median (p50) and 95th percentile (p95) latency
over every request of every round, the throughput and the errors (any answer
other than 200), next to a direct call in this process, timed in the same
run: ``seglab.segment`` alone, and the whole path the server runs (read the
PNG, segment, encode the labels PNG). The server's overhead is its p50 at one
client minus the direct call's p50. CPU seconds of the server process, its
workers and the client (Linux /proc) are reported per request too: on a
shared machine they show how much of the latency is work and how much is
waiting for a CPU.

Usage (from the repository root)::

    .venv/bin/python benchmarks/web/load.py --requests 300 --rounds 3 --out /tmp/web-load.json
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from importlib.resources import files
from pathlib import Path

import httpx
import numpy as np

import seglab
from seglab.io import encode_png
from seglab.run import encode, prepare, read_input, run_image

SAMPLE = files("seglab") / "samples" / "astronaut.png"  # 512 x 512 RGB, sent as a gray PNG (otsu's input)


def start_server(workers: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "seglab.cli", "serve", "--port", "0", "--workers", str(workers),
                             "--queue", "64", "--log-level", "warning"], stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        found = re.search(r"seglab serve: (http://127\.0\.0\.1:\d+)/", line)
        if found:
            url = found[1]
            break
    else:
        raise RuntimeError("the server did not start")
    threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining: a full pipe blocks the server
    for _ in range(600):
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not answer /health")


async def load(url: str, image: bytes, clients: int, requests: int) -> tuple[list[float], int, float]:
    """`requests` requests from `clients` concurrent clients: (latencies in s, errors, wall seconds)."""
    latencies: list[float] = []
    errors = 0
    left = requests

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal left, errors
        while left > 0:
            left -= 1
            start = time.perf_counter()
            response = await http.post(url + "/segment", files={"image": ("astronaut_gray.png", image, "image/png")},
                                       data={"method": "otsu", "outputs": "labels"})
            latencies.append(time.perf_counter() - start)
            errors += response.status_code != 200

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=120) as http:
        start = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        return latencies, errors, time.perf_counter() - start


def direct(image_path: Path, repeats: int) -> dict[str, float]:
    """Median seconds of seglab.segment alone, and of read + segment + encode (the server's work in its worker)."""
    image = seglab.read_image(image_path)
    job = prepare("otsu", outputs=("labels",))
    alone, whole = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        seglab.segment(image, "otsu")
        alone.append(time.perf_counter() - start)
        start = time.perf_counter()
        read, notes = read_input(image_path)
        encode(job, run_image(job, read, source=str(image_path), notes=notes), "x")
        whole.append(time.perf_counter() - start)
    return {"segment": float(np.median(alone)), "read_segment_encode": float(np.median(whole))}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pids(pid: int) -> list[int]:
    """The server's worker processes: its children (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ")[0]
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,4,16", help="comma-separated concurrency levels")
    parser.add_argument("--requests", type=int, default=300, help="requests per level and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every level")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1), help="server worker processes")
    parser.add_argument("--out", help="write every number as JSON here")
    ns = parser.parse_args()
    levels = [int(c) for c in ns.clients.split(",")]
    gray = seglab.to_gray(seglab.read_image(SAMPLE)).astype(np.uint8)
    image = encode_png(gray)
    image_path = Path(tempfile.mkdtemp()) / "astronaut_gray.png"
    image_path.write_bytes(image)
    load_before = loadavg()
    proc, url = start_server(ns.workers)
    try:
        asyncio.run(load(url, image, 2, 40))  # warm-up: connections, workers, caches
        results: dict[int, dict[str, list]] = {c: {"latencies": [], "errors": [], "seconds": [], "cpu": []}
                                                for c in levels}
        workers = worker_pids(proc.pid)
        for _ in range(ns.rounds):
            for clients in levels:
                before = (cpu_seconds(proc.pid), sum(map(cpu_seconds, workers)), time.process_time())
                latencies, errors, seconds = asyncio.run(load(url, image, clients, ns.requests))
                after = (cpu_seconds(proc.pid), sum(map(cpu_seconds, workers)), time.process_time())
                results[clients]["latencies"] += latencies
                results[clients]["errors"].append(errors)
                results[clients]["seconds"].append(seconds)
                results[clients]["cpu"].append([b - a for a, b in zip(before, after)])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    base = direct(image_path, 200)
    rows = []
    for clients in levels:
        lat = np.array(results[clients]["latencies"]) * 1000
        rows.append({
            "clients": clients, "requests": len(lat), "errors": int(sum(results[clients]["errors"])),
            "p50_ms": float(np.percentile(lat, 50)), "p95_ms": float(np.percentile(lat, 95)),
            "per_second": len(lat) / sum(results[clients]["seconds"]),
            "cpu_ms": [float(v) * 1000 / len(lat) for v in np.sum(results[clients]["cpu"], axis=0)],
        })
    out = io.StringIO()
    out.write(f"server: {ns.workers} workers; {ns.rounds} interleaved rounds of {ns.requests} requests per level; "
              f"load average {load_before} before, {loadavg()} after\n\n")
    out.write("| clients | requests | errors | p50 ms | p95 ms | requests/s | CPU ms a request: server, workers, "
              "client |\n|---:|---:|---:|---:|---:|---:|---|\n")
    for r in rows:
        cpu = ", ".join(f"{v:.1f}" for v in r["cpu_ms"])
        out.write(f"| {r['clients']} | {r['requests']} | {r['errors']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
                  f"{r['per_second']:.0f} | {cpu} |\n")
    one = rows[0]["p50_ms"] if levels[0] == 1 else float("nan")
    out.write(f"\ndirect, same run (median of 200): seglab.segment {base['segment'] * 1000:.1f} ms; read + segment + "
              f"encode labels {base['read_segment_encode'] * 1000:.1f} ms\n")
    out.write(f"server overhead at 1 client (p50 - seglab.segment): {one - base['segment'] * 1000:.1f} ms "
              f"(x{one / (base['segment'] * 1000):.1f}); against read + segment + encode: "
              f"{one - base['read_segment_encode'] * 1000:.1f} ms\n")
    print(out.getvalue())
    if ns.out:
        Path(ns.out).write_text(json.dumps({"rows": rows, "direct_s": base, "workers": ns.workers,
                                            "rounds": ns.rounds, "requests": ns.requests}, indent=2))


if __name__ == "__main__":
    main()
