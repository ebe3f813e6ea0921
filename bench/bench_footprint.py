"""Idle memory and time to ready of `indgang serve`, against a bare FastAPI app.

Both run as their own process under the same uvicorn, started the same way
(`uvicorn.run(app, host, port, log_config=None, proxy_headers=True)`). Time to ready is from
starting the process to the first 200 from `/readyz`; idle memory is the process's resident
set (VmRSS) a few seconds later, with no requests in between. `indgang serve` runs with no
credentials on a new SQLite file and a new cache directory: its first start migrates,
creates the demo data and builds the crisis screen's example index, the later ones find the
database current and the index built. Printed as a table with the ratios; `--json` as well.

    .venv/bin/python bench/bench_footprint.py [--runs 3] [--settle 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVE_TIMEOUT = 120.0
FIGURES = ("ready_s", "cpu_s", "rss_mb")


def bare_app(port: int) -> None:
    """The reference: a FastAPI app with one probe, under uvicorn as `indgang serve` runs it."""
    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, proxy_headers=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used (steadier than wall time on a busy box)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_ready(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + SERVE_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.02)
    raise TimeoutError("not ready in time")


def measure(
    command: list[str], *, cwd: str, env: dict[str, str], settle: float
) -> dict[str, float]:
    """Start, wait for /readyz, let it idle, read its memory, stop it."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(process, port)
        ready = time.perf_counter() - started
        cpu = cpu_seconds(process.pid)
        time.sleep(settle)
        memory = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {"ready_s": round(ready, 2), "cpu_s": round(cpu, 2), "rss_mb": round(memory, 1)}


def indgang_command() -> list[str]:
    script = Path(sys.executable).with_name("indgang")
    return [str(script), "serve"] if script.exists() else [sys.executable, "-m", "bot", "serve"]


def run(runs: int, settle: float) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INDGANG_")}
    bare = [sys.executable, str(Path(__file__).resolve()), "--bare"]
    with tempfile.TemporaryDirectory() as tmp:
        env["INDGANG_DATABASE_URL"] = f"sqlite:///{tmp}/footprint.db"
        # The first start builds the crisis screen's example index into it; later ones map it.
        env["INDGANG_CACHE_DIR"] = f"{tmp}/cache"
        first = measure(indgang_command(), cwd=tmp, env=env, settle=settle)
        again = [measure(indgang_command(), cwd=tmp, env=env, settle=settle) for _ in range(runs)]
        reference = [measure(bare, cwd=tmp, env=env, settle=settle) for _ in range(runs)]

    def median(rows: list[dict[str, float]], key: str) -> float:
        return round(statistics.median(row[key] for row in rows), 2)

    return {
        "runs": runs,
        "first_start": first,
        "indgang": {key: median(again, key) for key in FIGURES},
        "bare_fastapi": {key: median(reference, key) for key in FIGURES},
        "every_run": {"indgang": again, "bare_fastapi": reference},
    }


def table(result: dict[str, object]) -> str:
    first: dict[str, float] = result["first_start"]  # type: ignore[assignment]
    ours: dict[str, float] = result["indgang"]  # type: ignore[assignment]
    bare: dict[str, float] = result["bare_fastapi"]  # type: ignore[assignment]

    def row(label: str, figures: dict[str, float]) -> str:
        return (
            f"{label:34} {figures['ready_s']:8.2f} {figures['cpu_s']:8.2f} "
            f"{figures['rss_mb']:12.1f}"
        )

    ratio = {key: ours[key] / bare[key] for key in FIGURES}
    return "\n".join(
        [
            f"{'':34} {'ready s':>8} {'CPU s':>8} {'idle RSS MB':>12}",
            row("indgang serve, first start", first),
            row("indgang serve, later (median)", ours),
            row("bare FastAPI app (median)", bare),
            row("ratio indgang / bare", ratio),
            "targets: idle RSS < 120 MB, ready < 3 s after the first start "
            "(CPU s: to ready, steadier than wall time on a busy machine)",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="starts of each after the first")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds idle before reading")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_app(args.port)
        return
    result = run(args.runs, args.settle)
    print(table(result))
    if args.json:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
