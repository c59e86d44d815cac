"""The ``creditflow`` command line: the demo, and running and inspecting dunning from a terminal.

Exit codes: 0 success; 1 a run finished with failures; 2 wrong usage; 3 bad input or a record that
does not exist (one sentence on stderr); 4 an unexpected error (``--debug`` shows the traceback).
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        from ._commands import cli
    except ModuleNotFoundError as exc:  # the cli extra is missing
        if exc.name in {"click", "rich"}:
            print(
                f"creditflow's command line needs {exc.name!r}: pip install 'creditflow[cli]'",
                file=sys.stderr,
            )
            return 2
        raise
    return cli(argv)


if __name__ == "__main__":
    raise SystemExit(main())
