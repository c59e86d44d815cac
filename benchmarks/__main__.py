"""Run the benchmarks and write ``bench-results/results.json``: ``python -m benchmarks --help``."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pathlib
import platform
import sys
import time

SCENARIOS = {
    "engine": "benchmarks.engine",
    "run_sqlite": "benchmarks.run_sqlite",
    "memory": "benchmarks.memory",
    "growth": "benchmarks.growth",
    "postgres_workers": "benchmarks.postgres_workers",
    "templates": "benchmarks.templates",
    "imports": "benchmarks.imports",
}


def _memory_gib() -> float | None:
    """The machine's memory in GiB (Linux), for the record."""
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return round(kib / 1024 / 1024, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "scenarios",
        nargs="*",
        choices=[*SCENARIOS, []],
        metavar="SCENARIO",
        help=f"which to run (default: all): {', '.join(SCENARIOS)}",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes: proves the benchmarks work (CI), measures little",
    )
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("bench-results"))
    args = parser.parse_args(argv)
    chosen = args.scenarios or list(SCENARIOS)
    results: dict[str, object] = {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "memory_gib": _memory_gib(),
        },
        "quick": args.quick,
        "scenarios": {},
    }
    for name in chosen:
        try:
            module = importlib.import_module(SCENARIOS[name])
        except ModuleNotFoundError as exc:
            if exc.name == SCENARIOS[name]:
                print(f"{name:<18} not available in this version", flush=True)
                continue
            raise
        started = time.perf_counter()
        outcome = module.run(args.quick)
        outcome["seconds"] = round(time.perf_counter() - started, 2)
        results["scenarios"][name] = outcome  # type: ignore[index]
        figures = ", ".join(f"{k}={v}" for k, v in outcome.items())
        print(f"{name:<18} {figures}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / ("results-quick.json" if args.quick else "results.json")
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
