"""The ``oddseq`` command line."""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="oddseq", description="Find odd behaviour sequences.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="score a synthetic (or given) log and show the odd users"
    )
    demo.add_argument("--n-users", type=int, default=5000, help="users in the synthetic log")
    demo.add_argument("--difficulty", choices=["easy", "medium", "hard"], default="medium")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--data", help="a log file to score instead of the synthetic one")
    demo.add_argument("--format", default="taobao", choices=["taobao"], help="format of --data")
    demo.add_argument("--top", type=int, default=15, help="rows to show")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ._demo import run_demo

        try:
            run_demo(
                n_users=args.n_users,
                difficulty=args.difficulty,
                seed=args.seed,
                data=args.data,
                data_format=args.format,
                top=args.top,
            )
        except (ValueError, TypeError, FileNotFoundError) as error:
            print(f"oddseq demo: {error}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
