"""``python -m benchmarks [name ...]``: run benchmarks (all when no name is given).

Each benchmark runs as its own ``python -m benchmarks.<name>`` process (so one
benchmark's memory or crash does not affect the next) with a time limit.
Collect comparable figures with ``python -m benchmarks | grep '^BENCH '``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

# name -> time limit in seconds
BENCHMARKS = {
    "ingest": 120,
    "replay": 120,
    "memory": 90,
    "append_throughput": 90,
    "alertmanager_ingest": 120,
    "schedules": 60,
    "auth": 120,
    "live": 120,
    "escalation": 240,
}
HERE = Path(__file__).parent


def available() -> list[str]:
    return [name for name in BENCHMARKS if (HERE / f"{name}.py").exists()]


def run(name: str) -> bool:
    """Run one benchmark module; True when it exited 0 within its time limit."""
    print(f"\n##### benchmark: {name}", flush=True)
    start = time.perf_counter()
    try:
        code = subprocess.run(
            [sys.executable, "-m", f"benchmarks.{name}"], timeout=BENCHMARKS[name], check=False
        ).returncode
    except subprocess.TimeoutExpired:
        print(f"##### {name}: timed out after {BENCHMARKS[name]} s", flush=True)
        return False
    print(f"##### {name}: exit {code} in {time.perf_counter() - start:.1f} s", flush=True)
    return code == 0


def main(argv: list[str] | None = None) -> int:
    names = available()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="name", help=f"one of {', '.join(names)} (default: all)"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(names))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(names)}")
    failed = [name for name in (args.names or names) if not run(name)]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
