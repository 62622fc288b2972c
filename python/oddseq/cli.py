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
    detect = commands.add_parser(
        "detect",
        help="rank the entities of a log file (CSV or Parquet) and write the table",
        description="Score every entity (or session) of an event log and write the ranked "
        "table: score, rank, is_anomaly, cluster, reason.",
    )
    detect.add_argument("file", help="event log, .csv or .parquet")
    detect.add_argument("--entity", required=True, help="column of entity ids (user, block)")
    detect.add_argument("--event", required=True, help="column of event types")
    detect.add_argument("--time", help="column of timestamps (omit for ordered logs)")
    detect.add_argument("--item", help="column of item ids")
    detect.add_argument("--value", help="column of numbers per event, such as a price")
    detect.add_argument(
        "--category", help="column of item categories (with --item): category spread, takeovers"
    )
    detect.add_argument("--session-gap", help="split entities into sessions at gaps, e.g. 30min")
    detect.add_argument(
        "--method",
        default="auto",
        help="auto, kmeans, knn, lof, pca, dbscan, robust_z, iforest, ecod or markov",
    )
    detect.add_argument(
        "--contamination", default="auto", help="expected share of anomalies in (0, 0.5], or auto"
    )
    detect.add_argument(
        "--normal",
        help="a log of normal behaviour only (same columns, same format): fit on it and rank "
        "FILE, with the cut calibrated on held-out normal scores",
    )
    detect.add_argument(
        "--false-alarm-rate",
        type=float,
        help="share of normal entities the automatic cut may flag, in (0, 0.5) "
        "(default 0.001 with --normal, 0.01 without)",
    )
    detect.add_argument(
        "--min-events", type=int, default=1, help="leave out entities with fewer events"
    )
    detect.add_argument("-o", "--output", required=True, help="output table, .csv or .parquet")
    detect.add_argument(
        "--sep",
        help="CSV field separator (default: whichever of , ; tab | the first line has most)",
    )
    detect.add_argument(
        "--names", help="column names for a CSV without a header line, comma-separated"
    )
    args = parser.parse_args(argv)
    if args.command == "detect":
        return _detect(args)
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


def _guess_separator(path) -> str:
    """The field separator of a delimited text file: the candidate its first line holds
    most often (commas, semicolons as in Diginetica, tabs as in YOOCHOOSE, pipes)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        first = f.readline()
    counts = {sep: first.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def _parse_times(column, name):
    """A CSV's time column as read: numbers (since the epoch) stay numbers; text such as
    "2019-10-01 00:00:05 UTC" is parsed as dates (in a notebook the caller would call
    pd.to_datetime; from the shell there is no other chance)."""
    import warnings

    import pandas as pd

    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        return column
    try:
        with warnings.catch_warnings():  # "could not infer format": the error below says more
            warnings.simplefilter("ignore", UserWarning)
            return pd.to_datetime(column, utc=True)
    except (ValueError, TypeError, OverflowError) as error:
        raise ValueError(
            f"column {name!r} holds neither numbers nor dates pandas can read ({error})"
        ) from None


def _detect(args) -> int:
    from pathlib import Path

    import pandas as pd

    from ._pipeline import detect_anomalies

    def read(path_text):
        source = Path(path_text)
        if not source.is_file():
            raise FileNotFoundError(f"no such file: {path_text}")
        if source.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(source)
        else:
            names = args.names.split(",") if args.names else None
            frame = pd.read_csv(
                source,
                sep=args.sep or _guess_separator(source),
                header=None if names else 0,
                names=names,
            )
        missing = [
            c
            for c in (args.entity, args.event, args.time, args.item, args.value, args.category)
            if c is not None and c not in frame.columns
        ]
        if missing:
            raise ValueError(
                f"column(s) {missing} not in {path_text}; it has {list(frame.columns)}"
            )
        if args.time is not None:
            frame[args.time] = _parse_times(frame[args.time], args.time)
        return frame

    try:
        log = read(args.file)
        normal = read(args.normal) if args.normal else None
        contamination = args.contamination
        if contamination != "auto":
            try:
                contamination = float(contamination)
            except ValueError:
                raise ValueError(
                    f"--contamination must be a number in (0, 0.5] or auto, got {contamination!r}"
                ) from None
        table = detect_anomalies(
            log,
            entity=args.entity,
            event=args.event,
            time=args.time,
            item=args.item,
            value=args.value,
            category=args.category,
            session_gap=args.session_gap,
            contamination=contamination,
            method=args.method,
            normal=normal,
            false_alarm_rate=args.false_alarm_rate,
            min_events=args.min_events,
        )
        out = Path(args.output)
        if out.suffix.lower() in (".parquet", ".pq"):
            table.to_parquet(out)
        else:
            table.to_csv(out)
    except (ValueError, TypeError, FileNotFoundError, ImportError) as error:
        print(f"oddseq detect: {error}", file=sys.stderr)
        return 2
    flagged = int(table["is_anomaly"].sum())
    print(f"{len(table):,} scored, {flagged:,} flagged; table written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
