"""The floor for `make bench FLOOR=1`: a plain `rasa init` bot (trained by init itself)
served on another port under the same load, so our p95 and memory read as ratios of
what Rasa costs with nothing of ours in it (targets in docs/bench.md).

Trains a model, so it is slow and never part of a test run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Optional, Sequence

import requests

from bench import load

RASA = Path(sys.executable).with_name("rasa")
START_SECONDS = 300


def _serve(workdir: Path, port: int) -> subprocess.Popen:
    """Waits for the root route: Rasa only listens once the model is loaded."""
    server = subprocess.Popen(
        [
            str(RASA),
            "run",
            "--port",
            str(port),
            "--model",
            "models",
            "--credentials",
            "credentials.yml",
        ],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=2).ok:
                return server
        except requests.ConnectionError:
            time.sleep(1)
    server.kill()
    raise SystemExit(f"the floor bot did not start on :{port}")


def ratios(ours: Dict, floor: Dict) -> Dict:
    """Per concurrency level, our p95 over the floor's; RSS of the largest instance of each."""
    floor_p95 = {r["concurrency"]: r["p95_ms"] for r in floor["levels"]}
    p95 = {
        str(r["concurrency"]): round(r["p95_ms"] / floor_p95[r["concurrency"]], 2)
        for r in ours["levels"]
        if r["p95_ms"] and floor_p95.get(r["concurrency"])
    }
    ours_rss, floor_rss = (
        max(ours["rss_mb"]["rasa"], default=0),
        max(floor["rss_mb"]["rasa"], default=0),
    )
    return {"p95": p95, "rss": round(ours_rss / floor_rss, 2) if floor_rss else None}


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours", type=Path, default=Path("results/bench.json"))
    parser.add_argument("--port", type=int, default=5095)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    ours = json.loads(args.ours.read_text())
    levels = [r["concurrency"] for r in ours["levels"]]
    with tempfile.TemporaryDirectory(prefix="rasa-floor-") as tmp:
        workdir = Path(tmp)
        subprocess.run(
            [str(RASA), "init", "--no-prompt", "--init-dir", str(workdir)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        server = _serve(workdir, args.port)
        try:
            floor = asyncio.run(
                load.run(
                    f"http://127.0.0.1:{args.port}",
                    levels,
                    ours["bounds"]["requests"],
                    ours["bounds"]["seconds"],
                    webhook=False,
                )
            )
            floor["rss_mb"] = load.process_rss(lambda argv: str(args.port) in argv)
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = {"floor": floor, "ratios": ratios(ours, floor)}
    print(load.table(floor))
    print(
        f"our p95 / floor p95 by concurrency: {result['ratios']['p95']}; "
        f"RSS ratio: {result['ratios']['rss']}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
