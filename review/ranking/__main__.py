"""Command line: `python -m review.ranking solve input.json` prints the result as JSON.

Errors go to stderr with exit status 2 and a message naming the offending field; a
programme officer running what-if analyses should never face a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from review.ranking.engine import solve
from review.ranking.errors import RankingError
from review.ranking.model import parse_params
from review.ranking.robustness import seed_commitment

EXIT_INVALID = 2
EXIT_INTERNAL = 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m review.ranking")
    commands = parser.add_subparsers(dest="command", required=True)
    solve_command = commands.add_parser("solve", help="rank and select; print the result JSON")
    solve_command.add_argument("input", help="input JSON file, or - for stdin")
    commit_command = commands.add_parser("commit", help="print the SHA-256 commitment of a seed")
    commit_command.add_argument("seed")
    arguments = parser.parse_args(argv)
    if arguments.command == "commit":
        print(seed_commitment(arguments.seed))
        return 0
    return _solve(arguments.input)


def _solve(path: str) -> int:
    try:
        text = sys.stdin.read() if path == "-" else _read(path)
        data = json.loads(text)
        result = solve(parse_params(data))
    except OSError as error:
        return _fail(f"input: cannot read {path}: {error.strerror}")
    except UnicodeDecodeError:
        return _fail("input: not UTF-8 text")
    except json.JSONDecodeError as error:
        return _fail(f"input: not valid JSON (line {error.lineno}, column {error.colno})")
    except RankingError as error:
        return _fail(str(error))
    except Exception as error:  # a bug must still not show users a traceback
        print(f"internal error (please report): {error!r}", file=sys.stderr)
        return EXIT_INTERNAL
    sys.stdout.write(result.to_json() + "\n")
    return 0


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
