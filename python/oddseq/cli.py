"""The ``oddseq`` command line."""

from __future__ import annotations

import argparse
import contextlib
import re
import shlex
import string
import sys

# (ids written as floats, 450.0 read as 450: shared with the Python API; the stream
# imports whole_float_id from here)
from .utils._ids import WHOLE_FLOAT_TEXT, whole_float_id, whole_float_ids  # noqa: F401


def main(argv=None) -> int:
    args = None
    try:
        parser = _parser()
        given = sys.argv[1:] if argv is None else list(argv)
        refused = _normal_given_a_file(given)
        if refused is not None:  # (argparse says "ignored explicit argument" alone)
            print(f"oddseq fit: {refused}", file=sys.stderr)
            return 2
        args, extra = parser.parse_known_args(argv)
        if extra:
            print(
                f"oddseq {args.command}: "
                + _not_taken(parser, args.command, extra, sys.argv[1:] if argv is None else argv),
                file=sys.stderr,
            )
            return 2
        return _main(args)
    except KeyboardInterrupt:
        # Ctrl-C: one line, not a traceback (a stream says its summary first)
        command = f"oddseq {args.command}" if args is not None else "oddseq"
        print(f"{command}: interrupted (Ctrl-C)", file=sys.stderr)
        return 130


#: The options of a fitted model, which oddseq score and oddseq stream use as fitted.
_MODEL_OPTIONS = "the model's features, detector and cut are set when it is fitted"


def _normal_given_a_file(argv) -> str | None:
    """The refusal of ``oddseq fit ... --normal=FILE`` (detect's --normal takes a file,
    fit's is a flag), in the words :func:`_not_taken` gives ``--normal FILE``; else
    None."""
    if not argv or argv[0] != "fit":
        return None
    given = next((a for a in argv[1:] if a.startswith("--normal=")), None)
    if given is None:
        return None
    return _fit_normal_is_a_flag(given, given.split("=", 1)[1])


def _fit_normal_is_a_flag(shown: str, path: str) -> str:
    """fit's refusal of a file given to its --normal (``shown`` as typed), with both
    routes for ``path``, the normal log."""
    return (
        f"{shown!r}: oddseq fit --normal takes no file: it says that FILE, the log fitted "
        f"on, is normal: oddseq fit {path} --normal ... --save model.oddseq, then oddseq "
        f"score LOG --model model.oddseq ...; or in one step, oddseq detect LOG --normal "
        f"{path} ..."
    )


def _not_taken(parser, command: str, extra: list, argv=()) -> str:
    """The refusal of arguments ``command`` does not take (argparse's own says
    "oddseq: error: unrecognized arguments" under the top-level usage): where another
    command takes the option, that command, and how the two go together. ``argv``: the
    command line, to read what came before an argument."""
    import argparse

    choices = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    choices = choices.choices
    first = extra[0]
    argv = list(argv)
    # (the argument's last place: the log's FILE may be the same path)
    at = len(argv) - 1 - argv[::-1].index(first) if first in argv else 0
    after = argv[at - 1] if at > 0 else None
    if command == "fit" and after == "--normal":  # detect's --normal FILE, fit's a flag
        return _fit_normal_is_a_flag(first, first)
    if command == "fit" and "--normal" in argv and not first.startswith("-"):
        return (  # (fit --normal NORMAL LOG: NORMAL read as FILE, LOG left over)
            f"{first!r}: oddseq fit takes one FILE, the log it fits on, and --normal no "
            "file: it says that FILE is normal: oddseq fit NORMAL_FILE --normal ... --save "
            "model.oddseq, then oddseq score LOG --model model.oddseq ...; or in one step, "
            "oddseq detect LOG --normal NORMAL_FILE ..."
        )
    if not first.startswith("-"):
        if command == "stream":
            return (
                f"{first!r}: oddseq stream reads its events on standard input, not from a "
                "file argument: oddseq stream --model ... < FILE (or tail -n +1 -f FILE | oddseq "
                "stream --model ...)"
            )
        return (
            f"unrecognized arguments: {' '.join(extra)}; oddseq {command} --help lists its options"
        )
    option = first.split("=", 1)[0]
    if command == "stream" and option in ("-o", "--output"):
        return (
            f"{option}: oddseq stream writes its alerts to standard output, one JSON line "
            "each: oddseq stream ... > alerts.jsonl (its summary goes to stderr)"
        )
    if command == "fit" and option in ("-o", "--output", "--top"):
        return (
            f"{option}: oddseq fit writes a model file, --save model.oddseq; a ranked table "
            "of a log is oddseq detect LOG ... -o FILE, or oddseq score LOG --model "
            "model.oddseq ... -o FILE"
        )
    others = [
        name
        for name in ("fit", "detect", "score", "stream", "demo")
        if name != command and option in choices[name]._option_string_actions
    ]
    if not others:
        return (
            f"unrecognized arguments: {' '.join(extra)}; oddseq {command} --help lists its options"
        )
    named = [f"oddseq {name}" for name in others]
    where = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    said = f"{option} is not an option of oddseq {command}; it is an option of {where}"
    if command == "demo":
        return (
            f"{said}; oddseq demo runs on a synthetic log (or --data, a Taobao file): for a "
            "log of your own, oddseq detect LOG --entity COLUMN --event COLUMN --time COLUMN"
        )
    if command == "detect" and option == "--model":
        return f"{said}; to rank a log with a saved model: oddseq score LOG --model FILE ..."
    if command in ("score", "stream") and "fit" in others:
        return (
            f"{said}: {_MODEL_OPTIONS} (oddseq fit LOG ... {option} ... --save "
            f"model.oddseq), and oddseq {command} uses them as they are"
            + (" (--calibrate LOG sets a cut for alerts)" if command == "stream" else "")
        )
    if command in ("score", "stream") and others == ["detect"]:
        return f"{said}, which fits and ranks one log (a model file holds no group stage)"
    return said


def _main(args) -> int:
    if getattr(args, "category", None) and not args.item:
        print(
            f"oddseq {args.command}: --category needs --item, the column of item ids",
            file=sys.stderr,
        )
        return 2
    if getattr(args, "sep", None) in _TAB_SPELLINGS:
        args.sep = "\t"  # --sep '\t' as typed in a shell (backslash, t), or --sep tab
    if getattr(args, "sep", None) in _UNEXPANDED_TABS:
        print(
            f"oddseq {args.command}: --sep {_quoted(args.sep)} is a tab written for bash "
            "($'\\t'), which /bin/sh (cron, sh -c) passes as its text; write --sep tab, "
            "which every shell passes as it is",
            file=sys.stderr,
        )
        return 2
    if getattr(args, "sep", None) == "":
        print(
            f"oddseq {args.command}: --sep must be one or more characters (the field "
            "separator), got ''",
            file=sys.stderr,
        )
        return 2
    if getattr(args, "sep", None) is not None:
        try:
            separator_pattern(args.sep, regex=args.command != "stream")
        except ValueError as error:
            print(f"oddseq {args.command}: {error}", file=sys.stderr)
            return 2
    if args.command == "detect":
        return _detect(args)
    if args.command == "score":
        return _score(args)
    if args.command in ("fit", "stream"):
        from .stream._cli import run as run_stream_command

        return run_stream_command(args)
    if args.command == "demo":
        return _demo(args)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oddseq", description="Find odd behaviour sequences.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"oddseq {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_demo(commands)
    _add_detect(commands)
    from .stream._cli import add_commands as add_stream_commands

    # In the order of a user's day, as the README teaches them: fit a model, rank a
    # later log with it (score), score events as they arrive (stream).
    add_stream_commands(commands, between=_add_score)  # oddseq fit, score, stream
    return parser


def _add_demo(commands) -> None:
    demo = commands.add_parser(
        "demo", help="score a synthetic (or given) log and show the odd users"
    )
    demo.add_argument("--n-users", type=int, default=5000, help="users in the synthetic log")
    demo.add_argument("--difficulty", choices=["easy", "medium", "hard"], default="medium")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument(
        "--data",
        help="a Taobao UserBehavior file to score instead of the synthetic one; its ids "
        "are read as numbers, as read_taobao keeps them (int32, for 100 million rows), so "
        "0123 and 123 as one id: for ids that are labels, oddseq detect FILE (it reads ids "
        "as written)",
    )
    demo.add_argument("--format", default="taobao", choices=["taobao"], help="format of --data")
    demo.add_argument("--top", type=int, default=15, help="rows to show")
    _progress_option(demo)


def _add_detect(commands) -> None:
    detect = commands.add_parser(
        "detect",
        help="rank the entities of a log file (CSV, Parquet or JSON lines) and write the table",
        description="Score every entity (or session) of an event log and write the ranked "
        "table: score, rank, is_anomaly, p_normal (the share of the fitted entities that "
        "score as high: of normal ones with --normal, else an upper bound; select by "
        "is_anomaly), cluster, group (the group that acts together, -1 for none; where "
        "groups are looked for) and reason.",
        epilog="CSV output is safe to open in a spreadsheet: text cells that begin with "
        "= + - @ (or a tab or carriage return) get a leading apostrophe, so they are read "
        "as text, not run as formulas (CSV injection), but for a sign before digits alone "
        "(a phone number: +49 1500 229651, kept as written); Parquet and JSON keep every value "
        "as it is. Reasons quote long labels (over 80 characters) in a short form.",
    )
    detect.add_argument(
        "file",
        help="event log, .csv (.tsv, .txt, compressed too), .parquet, .jsonl (JSON lines) "
        "or .json (an array of objects)",
    )
    detect.add_argument("--entity", required=True, help="column of entity ids (user, block)")
    detect.add_argument(
        "--event",
        help="column of event types (omit for a click log without one: every event is "
        "then one type, 'event')",
    )
    detect.add_argument("--time", help="column of timestamps (omit for ordered logs)")
    add_reading_options(detect)
    detect.add_argument("--item", help="column of item ids")
    detect.add_argument("--value", help="column of numbers per event, such as a price")
    detect.add_argument(
        "--category", help="column of item categories (with --item): category spread, takeovers"
    )
    detect.add_argument(
        "--session-gap",
        help="split entities into sessions at gaps longer than this, with a unit: 30min, 90s, 1h",
    )
    detect.add_argument(
        "--method",
        default="auto",
        help="auto, kmeans, knn, lof, pca, dbscan, robust_z, iforest, ecod, markov, invariants "
        "(system logs: the counting relations sessions keep), or with the neural extra lstm, "
        "transformer or autoencoder",
    )
    detect.add_argument("--contamination", default="auto", help=CONTAMINATION_HELP)
    detect.add_argument(
        "--normal",
        help="a log of normal behaviour only (same columns, same format): fit on it and rank "
        "FILE, with the cut calibrated on held-out normal scores",
    )
    detect.add_argument("--false-alarm-rate", type=float, help=FALSE_ALARM_RATE_HELP)
    detect.add_argument(
        "--min-events", type=int, default=1, help="leave out entities with fewer events"
    )
    detect.add_argument(
        "--recent-change",
        action="store_true",
        help="also compare each entity's recent sessions (its last day) with its own past: "
        "for hijacked accounts (needs --time)",
    )
    detect.add_argument(
        "--no-crowds",
        dest="crowds",
        action="store_const",
        const=False,
        default="auto",
        help="leave out crowd_peak, the largest crowd of entities on one of an entity's items "
        "in one hour against the item's usual (counted by default with --item and --time, "
        "but not with --normal nor in a log spanning under a day)",
    )
    detect.add_argument(
        "--crowds",
        dest="crowds",
        action="store_const",
        const=True,
        help="count crowds always: above 20 million events, with --normal, in a log under a "
        "day (the default leaves them out there)",
    )
    detect.add_argument(
        "--funnel",
        help="the event of each purchase-funnel role, role=event pairs separated by commas: "
        "view=view,cart=add,buy=pay_ok (roles view, cart, fav, buy; 'none' for no funnel); "
        "default: read from the event names (pv/view, cart/add_to_cart/add, fav/wishlist, "
        "buy/purchase/order; checkout is never a purchase)",
    )
    detect.add_argument(
        "--group-by",
        help="columns entities share, comma-separated (device_id,ip): look for groups that "
        "act together on them (default: on --item when given); a column of public values "
        "(a chain's stores, countries: most held by more than the square root of the "
        "entities) is left out, as no sign of a ring",
    )
    detect.add_argument("--context", help=CONTEXT_HELP)
    detect.add_argument("--entity-features", metavar="FILE", help=ENTITY_FEATURES_HELP)
    detect.add_argument(
        "--no-groups",
        dest="groups",
        action="store_const",
        const=False,
        default="auto",
        help="do not look for groups",
    )
    detect.add_argument(
        "--groups",
        dest="groups",
        action="store_const",
        const=True,
        help="look for groups even above 20 million events (default: up to that size)",
    )
    detect.add_argument(
        "--group-patience",
        type=int,
        metavar="N",
        help="the group search goes on past N blocks in a row that are no group (default 3: "
        "crowds cut into blocks, pollers of a few URLs, can end it before a ring behind "
        "them); looks for groups as --groups does, crowds further down may be groups too",
    )
    detect.add_argument(
        "--group-max-share",
        metavar="SHARE",
        help="a block of at least this share of the entities (and of 100) is a segment of "
        "the population, no group (default 0.05: a mobile carrier's customers behind its "
        "shared addresses with --group-by device_id,ip); none keeps every block a group "
        "however large; looks for groups as --groups does",
    )
    detect.add_argument(
        "--max-groups",
        type=int,
        metavar="N",
        help="list the N most significant groups of each search (default 20, or one per "
        "1,000 entities, at most 100; a warning says where the search judged more blocks "
        "to be groups than it lists); looks for groups as --groups does",
    )
    _table_output_options(detect)
    _progress_option(detect)


def _max_share(text):
    """--group-max-share's share: a number in (0, 1), or "none" for no bar (the
    detector's None); None where the option is not given."""
    if text is None:
        return None
    if str(text).strip().lower() == "none":
        return "none"
    try:
        share = float(text)
    except ValueError:
        share = float("nan")
    if not 0 < share < 1:
        raise ValueError(
            "--group-max-share must be a share of the entities in (0, 1), e.g. 0.05, or "
            f"none to keep every block a group however large, got {text!r}"
        )
    return share


def group_search_option(args):
    """``groups=`` of the one call from --groups / --no-groups / --group-patience /
    --max-groups / --group-max-share: a GroupDetector with those settings where any of
    the last three is given."""
    settings = {
        name: value
        for name, value in (
            ("patience", getattr(args, "group_patience", None)),
            ("max_groups", getattr(args, "max_groups", None)),
            ("max_share", _max_share(getattr(args, "group_max_share", None))),
        )
        if value is not None
    }
    options = {
        "patience": "--group-patience",
        "max_groups": "--max-groups",
        "max_share": "--group-max-share",
    }
    asked = next(iter(map(options.get, settings)), "--groups" if args.groups is True else None)
    if asked and not args.item and not getattr(args, "group_by", None):
        # (before the file is read and the model fitted: review RV s50 L4)
        raise ValueError(
            f"{asked} needs --item or --group-by: the column(s) whose values entities share "
            "(a product, a device, an IP)"
        )
    if not settings:
        return args.groups
    if args.groups is False:
        what = {
            "--group-patience": "sets how far the group search goes",
            "--max-groups": "sets how many groups the search lists",
            "--group-max-share": "sets how large a group may be",
        }[asked]
        raise ValueError(f"{asked} {what}, --no-groups says not to look: pass one of the two")
    for name, value in settings.items():
        if name != "max_share" and value < 1:
            raise ValueError(f"{options[name]} must be at least 1, got {value}")
    from .graph import GroupDetector

    if settings.get("max_share") == "none":
        settings["max_share"] = None
    return GroupDetector(**settings)


def _add_score(commands) -> None:
    score = commands.add_parser(
        "score",
        help="rank the entities of a later log file with a saved model (from oddseq fit)",
        description="Score every entity of a log file with a model saved by oddseq fit "
        "(the features, scaling, detector and cut it learned, unchanged) and write the "
        "ranked table as oddseq detect does: score, rank, is_anomaly, p_normal, cluster "
        "and reason. A model file holds no group stage: no group column.",
        epilog="The columns are the roles the model was fitted with: pass --time, --item "
        "and --value exactly when oddseq fit had them; a model fitted with --context reads "
        "the same side columns of this file, each value's sharers counted over this file "
        "as the fit counted them over its own. CSV output is made safe from "
        "spreadsheet formulas as in oddseq detect. Warnings (scores unchanged) say where "
        "the file is not like the fitted one: a time span over 3x longer or shorter, "
        "event types the model never saw, other column names, and far more flagged than "
        "the model promises (said in the summary line too).",
    )
    score.add_argument(
        "file",
        help="event log, .csv (.tsv, .txt, compressed too), .parquet, .jsonl (JSON lines) "
        "or .json (an array of objects)",
    )
    score.add_argument("--model", required=True, help="a model file from oddseq fit")
    score.add_argument("--entity", required=True, help="column of entity ids")
    score.add_argument("--event", help="column of event types (as in oddseq fit)")
    score.add_argument("--time", help="column of timestamps (as in oddseq fit)")
    score.add_argument("--item", help="column of item ids (as in oddseq fit)")
    score.add_argument("--value", help="column of numbers per event (as in oddseq fit)")
    score.add_argument(
        "--category",
        help="column of item categories (with --item), for a model fitted with --category: "
        "the categories of this file's items join the fitted ones (which win where both "
        "name an item), so items new since the fit have theirs",
    )
    score.add_argument(
        "--entity-features",
        metavar="FILE",
        help="for a model fitted with --entity-features: this file's entities' side "
        "attributes, the fitted columns (as oddseq fit's --entity-features); without it the "
        "model reads the table it was fitted with, as it was then (said), but a model "
        "fitted with --context too needs it",
    )
    add_reading_options(score)
    _table_output_options(score)
    _progress_option(score)


# The cut's options of detect and fit, as AnomalyPipeline's contamination= and
# false_alarm_rate=.
CONTAMINATION_HELP = (
    "expected share of anomalies in (0, 0.5], or auto: the score cut's share (members of "
    "groups that act together are flagged beside it)"
)
CONTEXT_HELP = (
    "side columns the events came from, comma-separated (device_id,ip,country): per "
    "entity, how many values it used, how many others share its most shared one, and the "
    "share of its events with a value that were on one of one day in a longer history "
    "(a hijacked account's "
    "night on a new phone) and the event types it did only there, beyond chance (the "
    "thief's password change), scored with the behaviour"
)
FALSE_ALARM_RATE_HELP = (
    "share of normal entities the automatic cut may flag, in (0, 0.5) (default 0.01; "
    "0.005 with --normal)"
)
ENTITY_FEATURES_HELP = (
    "a table of side attributes per entity (CSV, Parquet or JSON lines, UTF-8): a column "
    "named as --entity holds the ids, one row each, and every other column a number "
    "(account age, cards on file, a score of your own), scored with the behaviour and "
    "named in reasons (Python's entity_features=); an entity without a row takes the "
    "fitted medians, said, and a table of under half of the entities is refused; with "
    "--normal one table serves both files"
)


def recent_change_option(args) -> None:
    """--recent-change refused without --time, in the shell's words (detect, fit): it
    compares each entity's last day with its own past, which needs the events' times
    (the encoder's own refusal advises Sequences.from_events(..., time=...))."""
    if getattr(args, "recent_change", False) and args.time is None:
        raise ValueError(
            "--recent-change compares each entity's last day of activity with its own "
            "past and needs the events' times: give --time COLUMN, or leave --recent-change "
            "out"
        )


def cut_options(args):
    """--contamination as AnomalyPipeline's contamination= ("auto" or a number), checked
    with --false-alarm-rate and --normal in the shell's words (detect, fit): a share
    beside --normal is refused as AnomalyPipeline.fit refuses contamination= beside
    normal=True (``refuse_share_with_normal``), naming --false-alarm-rate."""
    if args.contamination == "auto":
        value = "auto"
    else:
        try:
            value = float(args.contamination)
        except ValueError:
            raise ValueError(
                f"--contamination must be a number in (0, 0.5] or auto, got {args.contamination!r}"
            ) from None
    if getattr(args, "normal", None) and value != "auto" and 0 < value <= 0.5:
        later = (
            "a later log, keep the top rows of oddseq score's table"
            if getattr(args, "command", None) == "fit"
            else f"{getattr(args, 'file', None) or 'FILE'}, keep the top rows of its ranked table"
        )
        rate = (
            f"--false-alarm-rate {value:g} instead (the {1 - value:g} quantile of "
            "out-of-fold normal scores)"
            if value < 0.5
            else "--false-alarm-rate a rate under 0.5 instead, such as 0.1 (a quantile of "
            "out-of-fold normal scores)"
        )
        raise ValueError(
            f"--contamination {args.contamination} with --normal: --contamination is the "
            "share of anomalies in the fitted log, and --normal says it holds none; its cut, "
            "the top share of the fitted entities' own in-sample scores, is not the "
            "normal-only cut. For the share of normal entities the cut may flag, pass "
            f"{rate}; to flag a set share of {later} (--top N)"
        )
    if args.false_alarm_rate is not None and value != "auto":
        raise ValueError(
            f"--false-alarm-rate sets the cut of --contamination auto; with --contamination "
            f"{args.contamination} the top share is flagged whatever the rate: pass one "
            "of the two"
        )
    return value


def _write_ranked(table, args, fmt):
    """The ranked table (its ``--top`` rows) written to ``--output``; what was written."""
    written = table if args.top is None else table.head(args.top)
    written = _distinct_id_names(written, args)
    try:
        _write(written, args.output, fmt)
    except BrokenPipeError:
        if args.output != STDOUT:  # a named pipe (-o FIFO) whose reader left: an error
            raise OSError(f"could not write {args.output}: its reader closed it") from None
        # `oddseq detect ... | head`: the reader has what it wanted.
        _quiet(sys.stdout)
    except OSError as error:
        raise OSError(f"could not write {args.output}: {error.strerror or error}") from None
    return written


def _distinct_id_names(table, args):
    """``table`` with each id level named apart from the table's columns and the levels
    before it (``--entity rank``: the ids written as ``rank_id``, said on stderr): a file
    cannot hold two columns of one name (pandas: "cannot insert rank, already exists")."""
    names, taken = [], set(map(str, table.columns))
    for name in table.index.names:
        new = name
        while new is not None and str(new) in taken:
            new = f"{new}_id"
        if new != name:
            print(
                f"oddseq {getattr(args, 'command', None) or 'detect'}: the ids of column "
                f"{name!r} are written as {new!r}: the ranked table has its own {name!r}",
                file=sys.stderr,
            )
        taken.add(str(new))
        names.append(new)
    return table if names == list(table.index.names) else table.rename_axis(names)


def _home_path(text: str) -> str:
    """A path option with "~" read as the home folder, as pandas reads the input's
    (the shell expands it only unquoted and not after "="); '-' as it is."""
    import os

    return text if text == STDOUT else os.path.expanduser(text)


def _output_path(text: str) -> str:
    """-o's path: "~" as the home folder, and /dev/stdout as '-' (standard output, with
    the closing line on stderr: as a file it is a pipe whose name tells no format, and
    the closing line would run into the table)."""
    return STDOUT if text == "/dev/stdout" else _home_path(text)


def _table_output_options(parser) -> None:
    """-o, --force and --top: where a ranked table goes (detect and score)."""
    parser.add_argument(
        "-o",
        "--output",
        default=STDOUT,
        type=_output_path,
        help="output table; the extension picks the format: .csv (.tsv, .csv.gz ...), "
        ".parquet, .jsonl / .ndjson (JSON lines) or .json (an array of records); '-', "
        "/dev/stdout or none: CSV on standard output (the closing line then goes to stderr)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing output")
    parser.add_argument(
        "--top", type=int, help="write only the N odd-most rows (default: every entity)"
    )


def _add_categories(pipe, log, item, category) -> None:
    """The item categories of the scored log joined to those ``pipe`` was fitted with
    (the fitted ones win where both name an item: ``AnomalyPipeline.add_item_categories``),
    refused in shell words: their category features then read the items new since the
    fit."""
    from ._pipeline import item_category_map

    if item is None:
        raise ValueError("--category needs --item (the column of the items it names)")
    fitted = getattr(pipe, "item_categories", None)
    if fitted is None:
        raise ValueError(
            "--category: the model was fitted without item categories; leave out "
            "--category, or fit with oddseq fit --category to use them"
        )
    pipe.add_item_categories(item_category_map(log, item, category))  # Python's route


def model_role_errors(pipe, roles: dict) -> list:
    """What the columns given for ``roles`` (entity, event, time, item, value -> column
    or None) lack or add against the columns ``pipe`` was fitted with, in shell words
    (a role the model does not record is not checked)."""
    encoders = dict(getattr(getattr(pipe, "encoder_", None), "encoders_", []))
    counts, diversity = encoders.get("counts"), encoders.get("diversity")
    fitted = {}
    if counts is not None:
        fitted["event"] = ("event types", not getattr(counts, "single_type_", False))
        fitted["time"] = ("times", bool(getattr(counts, "has_times_", False)))
    if diversity is not None:
        fitted["item"] = ("items", bool(getattr(diversity, "has_items_", False)))
        fitted["value"] = ("values", bool(getattr(diversity, "has_values_", False)))
    errors = []
    for role, (what, had) in fitted.items():
        given = roles.get(role) is not None
        if had and not given:
            errors.append(f"the model was fitted with {what}; pass --{role} (its column)")
        elif given and not had and role != "event":
            # (An event column of one type fits a model "without event types": giving
            # it again to score is no mistake.)
            errors.append(f"the model was fitted without {what}; leave out --{role}")
    return errors


def _score(args) -> int:
    from ._fitted_data import fitted_event_types
    from .sequences import Sequences
    from .sequences._sequences import spelt_as

    progress = _progress_wanted(args)
    roles = dict(entity=args.entity, event=args.event, time=args.time, item=args.item)
    roles["value"] = args.value
    try:
        if args.top is not None and args.top < 1:
            raise ValueError(f"--top must be at least 1, got {args.top}")
        fmt = _check_output(args.output, args.force)
        check_side_path(args)
        with shell_warnings("score"):
            pipe = load_model(args.model)
            errors = model_role_errors(pipe, roles)
            if errors:
                raise ValueError(f"--model {args.model}: " + "; ".join(errors))
            log = read_log(
                args.file, args, [*roles.values(), args.category], progress, allow_empty=True
            )
            gap = _fitted_session_gap(pipe, args.model)
            if not len(log):
                index = [args.entity] + ([] if gap is None else ["session"])
                raise _NoEvents(_empty_table(log, index, groups=False))
            log = as_fitted_labels(pipe, log, args.item, args.category)
            log = fold_spellings_option(log, args, fitted_event_types(pipe))
            if args.fold_spellings and args.drop_duplicates:  # (read_log left it: folded first)
                log = _drop_duplicates(log, args.file, args)
            if args.category is not None:
                _add_categories(pipe, log, args.item, args.category)
            with spelt_as(fitted_event_types(pipe)):  # its spellings' map: the model's
                seqs = Sequences.from_events(log, **roles, session_gap=gap, **reading_kwargs(args))
            side, facts = scored_side(pipe, log, args)
            table = pipe.score(seqs, entity_features=side)
            if facts is not None:  # the value behind each reason naming a sharing
                from ._pipeline import context_named, say_brief_types, say_shared_values

                named = context_named(table, _context_of(pipe, args)["columns"])
                table = say_shared_values(table, {c: facts[c] for c in named if c in facts})
                table = say_brief_types(table, facts)
        written = _write_ranked(table, args, fmt)
    except _NoEvents as none:
        return _no_events(args, fmt, none.table)
    except (ValueError, TypeError, OSError, ImportError) as error:
        text = shell_error_text(error)
        print(f"oddseq score: {text}", file=sys.stderr)
        return 2
    from ._fitted_data import alarm_summary

    _say_written(table, written, args, alarm_summary(pipe, table), pipe)
    return 0


def _fitted_session_gap(pipe, model):
    """The session gap a model fitted on sessions (in Python: detect_anomalies(...,
    session_gap=...)) was fitted at, as a Timedelta, for oddseq score to split the file's
    entities at it; None for a model of whole entities. Refused where the model is of
    sessions and records no gap (saved before it was recorded)."""
    columns = (getattr(pipe, "_fitted_data", None) or {}).get("columns") or {}
    if not isinstance(columns.get("entity"), list):
        return None
    gap = columns.get("session_gap_ns")
    if not gap:
        raise ValueError(
            f"--model {model} was fitted on sessions (in Python, with session_gap=...) and "
            "records no gap to split this file's entities at; score it in Python, "
            "model.score(Sequences.from_events(log, ..., session_gap=...)) with the fit's "
            "gap, or fit it again"
        )
    import pandas as pd

    return pd.Timedelta(int(gap), unit="ns")


class _NoEvents(Exception):
    """The file scored (detect, score) has no events; ``table``: its table of no rows
    (:func:`_empty_table`)."""

    def __init__(self, table):
        super().__init__("no events")
        self.table = table


def _empty_table(log, index, groups):
    """The ranked table of a day without events, with the columns and dtypes the same
    command writes on a day with events (so that a daily Parquet dataset keeps one
    schema): ``log``, the file read (no rows), whose ``index[0]`` column gives the
    index's dtype (a CSV's ids as its reader's label rules read them); ``index[1:]``:
    ``session`` (int64); ``groups``: with the group stage's column."""
    import numpy as np
    import pandas as pd

    from ._pipeline import empty_table

    levels = [pd.Index(log[index[0]].iloc[:0], name=index[0])]
    levels += [pd.Index([], dtype=np.int64, name=name) for name in index[1:]]
    ids = levels[0] if len(index) == 1 else pd.MultiIndex.from_arrays(levels, names=index)
    return empty_table(ids, groups)


def _no_events(args, fmt, table) -> int:
    """A day without events (a header line alone; no rows; with --names, no lines):
    ``table``, its table of no rows, written and said on stderr; exit status 0, as oddseq
    stream's for no events, so that a daily job tells "no events" (0) from bad input
    (2)."""
    from pathlib import Path

    if Path(args.file).suffix.lower() in (".parquet", ".pq"):
        held = "no rows"
    elif getattr(args, "names", None):
        held = "no lines, with --names"
    else:
        held = "a header line only"
    try:
        written = _write_ranked(table, args, fmt)
    except OSError as error:
        print(f"oddseq {args.command}: {error}", file=sys.stderr)
        return 2
    print(
        f"oddseq {args.command}: no events in {args.file} ({held}): an empty table",
        file=sys.stderr,
    )
    _say_written(table, written, args)
    return 0


def _say_written(table, written, args, alarm=None, pipe=None) -> None:
    """The closing line of detect and score: counts, where the table went; ``alarm``:
    far more flagged than the model promises (:func:`oddseq._fitted_data.alarm_summary`),
    said beside the count; ``pipe``: the model, whose last fit or score says how many
    sequences its ``min_events`` left out (said beside the count, where any), and how
    many of the table's rows are group members under it, listed for their group and not
    scored (detect's group stage: counted apart from the scored)."""
    flagged = int(table["is_anomaly"].sum())
    last = pipe._last_score() if pipe is not None else None
    left = int(getattr(last, "left_out", 0) or 0)
    listed = int(getattr(last, "listed", 0) or 0)
    if listed:  # "1,227 scored and 7 listed for their group (fewer than 6 events, ...)"
        k = pipe.min_events
        scored = (
            f"{len(table) - listed:,} scored and {listed:,} listed for their group (with "
            f"fewer than {k:,} events, --min-events {k}: not scored on their own"
            + (f"; {left:,} others with fewer left out)" if left else ")")
        )
    else:
        scored = f"{len(table):,} scored" + (
            f" ({left:,} with fewer than {pipe.min_events:,} events left out, --min-events "
            f"{pipe.min_events})"
            if left
            else ""
        )
    shown = (
        ""
        if args.top is None
        else " (the top row)"
        if len(written) == 1
        else f" (the top {len(written):,} rows)"
    )
    notes = [alarm] if alarm else []
    if "group" in table.columns and flagged:
        # (members are flagged whatever the cut: threshold_info_ counts the cut's alone,
        # and a share given, contamination=0.04, reads 4.75% with them: TR s47b L8)
        members = int((table["is_anomaly"].to_numpy(bool) & (table["group"] >= 0)).sum())
        if members:
            notes.append(f"{members:,} of the flagged are members of groups")
    # (detect's own search: a model file's groups_ is its fit's, and score has no stage)
    ended = _group_search_ended(getattr(pipe, "groups_", None)) if args.command == "detect" else ""
    if ended:
        notes.append(ended)
    said = f" ({'; '.join(notes)})" if notes else ""
    place, stream = (
        ("standard output", sys.stderr) if args.output == STDOUT else (args.output, sys.stdout)
    )
    try:
        print(
            f"{scored}, {flagged:,} flagged{said}; table written to {place}{shown}",
            file=stream,
            flush=True,
        )
    except BrokenPipeError:  # `oddseq detect ... 2>&1 | head`: the reader has left
        _quiet(stream)


def _group_search_ended(finder) -> str:
    """Where the group stage's search stopped on its patience without a group (its
    ``search_ends_``), in the closing line's words, with the option that searches on;
    "" where it found a group or ran to the end. The shell had no word of it: a farm of
    30 devices was the block after the three that ended the search (TR s52 H1, review
    RV s50 M3)."""
    from ._pipeline import NORMAL_HOLDS_IT

    ends = getattr(finder, "search_ends_", None)
    if not ends or len(getattr(finder, "groups_", ())):
        return ""
    candidates = getattr(finder, "candidates_", None)
    if candidates is not None and "why_not" in candidates:
        if (candidates["why_not"] == NORMAL_HOLDS_IT).any():
            return ""  # (it found groups, which the normal log holds: said by a warning)
    blocks = [e["blocks"] for e in ends.values() if e.get("end") == "patience"]
    if not blocks:
        return ""
    patience = int(finder.patience)
    if patience >= _FURTHER_PATIENCE:
        # (the advice taken: a search on to 20, then 60, found no coupon ring that
        # group_by found, TR s53 M1; more patience is no promise, so not advised again)
        return (
            f"the group search stopped after {max(blocks):,} blocks at --group-patience "
            f"{patience}, none a group"
        )
    # (the count of blocks is not the patience: "after 10 blocks ... --group-patience
    # 10" read as advice already taken, TR s63 L1; the patience is the run that ends it)
    return (
        f"the group search stopped after {max(blocks):,} blocks, none a group: it stops at "
        f"{patience} blocks in a row that are no group, crowds aside (--group-patience "
        f"{patience}); "
        f"--group-patience {_FURTHER_PATIENCE} searches on to {_FURTHER_PATIENCE} in a row"
    )


# The patience the closing line advises where a search stopped on a lower one: the ad
# network's farm of 30 devices was the fourth block (TR s52 H1).
_FURTHER_PATIENCE = 10


def _quiet(stream) -> None:
    """``stream`` (stdout or stderr) pointed at devnull after its reader closed the pipe,
    as Python's docs advise, so that the flush at exit does not raise again."""
    import os

    os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def _demo(args) -> int:
    from ._demo import run_demo

    try:
        if args.top < 1:
            raise ValueError(f"--top must be at least 1, got {args.top}")
        if args.data is None and args.n_users < 1:
            raise ValueError(f"--n-users must be at least 1, got {args.n_users}")
        if args.seed < 0:
            raise ValueError(f"--seed must be 0 or more, got {args.seed}")
        with shell_warnings("demo"):
            run_demo(
                n_users=args.n_users,
                difficulty=args.difficulty,
                seed=args.seed,
                data=args.data,
                data_format=args.format,
                top=args.top,
                progress=_progress_wanted(args),
            )
    except (ValueError, TypeError, OSError, ImportError) as error:
        print(f"oddseq demo: {shell_error_text(error)}", file=sys.stderr)
        return 2
    return 0


def _progress_option(parser) -> None:
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bars on stderr (default: on when stderr is a terminal)",
    )


def _progress_wanted(args) -> bool:
    if args.progress is not None:
        return bool(args.progress)
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


# ---- How a log is read: ONE definition of the options for every command that reads
# one (detect and fit read a file, stream reads lines from stdin), so that each option a
# message advises (--dayfirst, --time-format, --dropna, --encoding ...) exists wherever
# that message can appear.
def add_reading_options(parser, *, file=True) -> None:
    """Add the options that say how a log is read: the time options to every command,
    and for a file (``file=True``: detect, fit) --dropna, --encoding, --sep and --names;
    for lines from stdin (stream) --sep alone, a comma by default."""
    parser.add_argument(
        "--time-unit",
        default="s",
        choices=["s", "ms", "us", "ns"],
        help="unit of numeric times since the epoch (default s)",
    )
    parser.add_argument(
        "--time-format",
        help="strftime format of dates written as text, e.g. '%%d/%%m/%%Y %%H:%%M:%%S', or "
        "ISO8601 or mixed (default: inferred)",
    )
    parser.add_argument(
        "--dayfirst",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="dates like 01/12/2017 are day first (--dayfirst) or month first "
        "(--no-dayfirst); by default the values decide, and ambiguous ones are refused",
    )
    if not file:
        parser.add_argument(
            "--sep",
            default=",",
            help="CSV field separator (default ,); a tab is tab (or '\\t', or $'\\t' in "
            "bash); several characters ('||') are that text",
        )
        _names_option(parser)
        return
    parser.add_argument(
        "--drop-unreadable-times",
        action="store_true",
        help="drop the rows whose --time is text that is no date, where they are few and "
        "the rest read one way (a MySQL zero date, 'not a date'), saying how many on "
        "stderr; dates in a second format are read with --time-format mixed, not dropped",
    )
    parser.add_argument(
        "--read-amounts",
        action="store_true",
        help="read the --value column's amounts written as text with a currency sign, "
        "thousands separators or a decimal comma as numbers ('12,50 €' is 12.5, "
        "'£1,234.00' is 1234; oddseq.preprocessing.read_amounts), saying how many on "
        "stderr",
    )
    parser.add_argument(
        "--drop-duplicates",
        action="store_true",
        help="drop rows that repeat an earlier row in every column (anywhere in the file, "
        "columns not read included) once the file is read (after --read-amounts, "
        "--drop-unreadable-times and --fold-spellings; saying how many on stderr): a "
        "log exported twice, or a pipeline's retries. oddseq stream's --drop-duplicates "
        "drops less (an event equal to its entity's previous one): a stream cannot see "
        "again a row it already scored",
    )
    parser.add_argument(
        "--dropna",
        action="store_true",
        help="drop rows with a missing entity, event or time (with a warning) instead of "
        "refusing them",
    )
    parser.add_argument(
        "--fold-spellings",
        action="store_true",
        help="read event types spelt apart only in case, spaces around them or (a funnel "
        "step's name) word separators or plural as one: every event label stripped and in "
        "lower case, a step's other names as its most frequent one (oddseq score: each "
        "spelling the model never saw as the model's own). The fix the spelling warning "
        "advises",
    )
    parser.add_argument(
        "--encoding",
        help="text encoding of CSV input, e.g. latin-1 or utf-16 (default: UTF-8, or "
        "whatever a byte-order mark says)",
    )
    parser.add_argument(
        "--format",
        choices=["auto", "csv", "jsonl"],
        default="auto",
        help="input format of a text file (default auto: JSON lines where the name ends "
        ".jsonl or .ndjson, compressed too, or the first line is a JSON object, as oddseq "
        "stream decides; else CSV); Parquet by its name",
    )
    parser.add_argument(
        "--sep",
        help="CSV field separator (default: whichever of , ; tab | the first line has "
        "most); a tab is tab (or '\\t', or $'\\t' in bash); several characters ('||', "
        "' | ') are that text, or a regular expression where they hold an escape, a "
        "class or a quantifier ('\\s+')",
    )
    _names_option(parser)


def _names_option(parser) -> None:
    parser.add_argument(
        "--names", help="column names for a CSV without a header line, comma-separated"
    )


# --sep values that mean a tab: the escape as a shell passes it ('\t' is a backslash
# and a t), and the word.
_TAB_SPELLINGS = ("\\t", "tab")
# --sep $'\t' as /bin/sh passes it (it does not expand $'...'): $ and the escape's text.
_UNEXPANDED_TABS = ("$\\t", "$'\\t'", '$"\\t"')
# The separators a header line is searched for when columns are missing: (what the
# line then holds, the option to pass).
_SEPARATOR_ADVICE = {
    "\t": ("tabs", "--sep tab"),
    ";": ("semicolons", "--sep ';'"),
    "|": ("pipes", "--sep '|'"),
    ",": ("commas", "--sep ,"),
}


# What marks a --sep of several characters as a regular expression: an escape (\s, \|),
# a class [...], a group (...), a quantifier (+ * ? {n}).
_REGEX_MARKS = re.compile(r"\\|\[|\(|[+*?]|\{\d")


def separator_pattern(sep: str, *, regex: bool = True) -> str:
    """What pandas is given for ``--sep``: one character as it is (pandas reads it as
    text); several as their text (escaped: pandas takes them for a regular expression,
    where '||' matches empty text everywhere and ' | ' a single space), unless they are
    plainly a regular expression (an escape such as \\s or \\|, a class [...], a group
    (...), a quantifier + * ? {n}; ``regex``: allowed; without it, as for stream, 'a|b'
    is its text). A ValueError naming --sep and the
    spelling of each reading for alternatives ('a|b': the text, or either?), and for a
    regular expression that does not compile, matches empty text or captures a group
    (pandas would put the separators among the fields)."""
    if len(sep) == 1:
        return sep
    if not _REGEX_MARKS.search(sep):
        choices = sep.split("|")
        # stream never splits at a regular expression: there 'a|b' can only be its text.
        if regex and len(choices) > 1 and all(c.strip() for c in choices):
            either = (
                f"[{''.join(choices)}]"
                if all(len(c) == 1 for c in choices)
                else f"(?:{'|'.join(re.escape(c) for c in choices)})"
            )
            text = re.escape(sep)
            raise ValueError(
                f"--sep {_quoted(sep)} could be the text {_quoted(sep)} or a regular "
                f"expression (any of {', '.join(map(_quoted, choices))}); write --sep "
                f"{_quoted(text)} for the text, --sep {_quoted(either)} for any of them"
            )
        return re.escape(sep)
    if not regex:
        raise ValueError(
            f"--sep {_quoted(sep)} looks like a regular expression, but oddseq stream "
            "splits each line at a separator's text; give the text (e.g. --sep '||'), or "
            "read the file with oddseq detect or fit, which take a regular expression"
        )
    try:
        pattern = re.compile(sep)
    except re.error as error:
        raise ValueError(
            f"--sep {_quoted(sep)} is not a regular expression Python can read ({error}); "
            f"for the text itself, escape it: --sep {_quoted(re.escape(sep))}"
        ) from None
    if pattern.search("") is not None:
        raise ValueError(
            f"--sep {_quoted(sep)} as a regular expression matches empty text, so it "
            "would split between every two characters; make it need a character (+ in "
            "place of *)"
        )
    if pattern.groups:
        raise ValueError(
            f"--sep {_quoted(sep)} captures a group, and pandas would put each separator "
            "it matches among the fields; write the group as (?:...)"
        )
    return sep


def _quoted(text: str) -> str:
    """Text as a shell takes it: in single quotes (a quote inside written '\\'')."""
    return "'" + text.replace("'", "'\\''") + "'"


def shown_fields(fields, width: int = 80) -> list:
    """A header's fields for a message: each longer than ``width`` characters cut there,
    with "..." (a file of one sequence per line has hundreds of numbers in its second)."""
    return [f if len(f) <= width else f[:width] + "..." for f in map(str, fields)]


def spelt_otherwise(missing, fields) -> str:
    """The header's spelling of each wanted column it lacks as given but holds with other
    spaces, case, ``_``, ``-`` or ``.`` ('user_id ' for user_id, 'UserId'), where exactly
    one field reads so: an export's header with a space at a name's end was "column(s)
    ['user_id'] not in log.csv; it has [..., 'user_id ', ...]", the difference left to be
    spotted (HC s33). Empty where none does."""

    def bare(text) -> str:
        return re.sub(r"[\s_.\-]+", "", str(text)).casefold()

    fields = [str(f) for f in fields]
    said = []
    for name in missing:
        alike = [f for f in fields if f != name and bare(f) == bare(name)]
        if len(alike) == 1:
            said.append(f"{alike[0]!r} for {str(name)!r}")
    if not said:
        return ""
    return (
        f"; the header spells {', '.join(said)}: pass the name as the header spells it "
        "(in quotes where it holds spaces), or fix the header"
    )


def header_advice(fields, sep, names_given: bool, guessed=None) -> str:
    """The fix to add where a header (``fields``, split at ``sep``; None where the
    separator was guessed, ``guessed`` it) lacks a wanted column: --sep when its fields
    hold another separator or spaces around the one they were split at ('LineId | Date':
    ' | '), --names when it looks like a line of data (a field is a number) and no
    --names was given; empty when neither."""
    fields = [str(f) for f in fields]
    used = sep or guessed
    if (
        used is not None
        and len(used) == 1
        and not used.isspace()
        and len(fields) > 1
        and fields[0].endswith(" ")
        and fields[-1].startswith(" ")
        and all(f.startswith(" ") and f.endswith(" ") for f in fields[1:-1])
    ):
        shown = _quoted(f" {used} ")
        return f"; the header line holds {shown} between names: pass --sep {shown}"
    for candidate, (what, option) in _SEPARATOR_ADVICE.items():
        # In every field (a header not split at all is one field): a column name that
        # merely holds a ';' is no sign of another separator.
        if candidate != sep and all(candidate in f for f in fields):
            # Doubled or spaced ('||', ' | '): the separator is that text.
            for longer in (candidate * 2, f" {candidate} "):
                if longer != sep and all(longer in f for f in fields):
                    shown = _quoted(longer)
                    return f"; the header line holds {shown} between names: pass --sep {shown}"
            return f"; the header line holds {what}: pass {option}"
    if not names_given and any(_is_number(f) for f in fields):
        return (
            f"; its first line looks like data, not a header: for a file without a header "
            f"line pass --names with its {len(fields)} column names, comma-separated, in order"
        )
    return ""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def duration_option(text, option: str, *, zero: bool = False):
    """A duration option's text for the Python API (None stays None): refused when it is
    a bare number, which has no unit (``--session-gap 30``: seconds? minutes?), text
    that is no duration (``--ttl abc``), or one not above 0 (``--ttl 0s``, ``nan``,
    ``--session-gap=-5min``), in the shell's words (Python's say "seconds (a number)",
    which the shell refuses, and name ttl, session_gap); ``zero`` lets a zero through
    as 0, in any unit (``--lateness 0``, ``0s``: none)."""
    import pandas as pd

    from .utils._time import duration_ns, is_bare_number, no_unit_message

    if text is None:
        return None
    examples = "e.g. '30s', '5min', '2h' or '1d'" + (" (0: none)" if zero else "")
    not_positive = ValueError(
        f"{option} {text.strip()!r} is no "
        f"{'duration of 0 or more' if zero else 'positive duration'}: "
        f"write a number {'of 0 or more' if zero else 'above 0'} with a unit, {examples}"
    )
    if is_bare_number(text):
        number = float(text)
        if zero and number == 0:
            return 0
        if not number > 0:  # (0 or -5 is no positive duration in any unit)
            raise not_positive
        raise ValueError(no_unit_message(f"{option} {text.strip()}", text, python=False))
    try:
        duration_ns(text, option)
    except TypeError:
        raise ValueError(
            f"{option} {text.strip()!r} is no duration: write a number with a unit, {examples}"
        ) from None
    except ValueError as error:
        if " is too long" in str(error):  # (said with the option's name)
            raise ValueError(str(error)) from None
        try:
            delta = pd.Timedelta(text)
        except (TypeError, ValueError, OverflowError):
            delta = None
        if zero and delta is not None and not pd.isna(delta) and delta.value == 0:
            return 0
        raise not_positive from None
    return text


def reading_kwargs(args) -> dict:
    """The reading options as keyword arguments of the reader (``Sequences.from_events``,
    ``detect_anomalies``; ``StreamScorer`` takes all but ``dropna``, which stream lacks)."""
    kwargs = dict(time_unit=args.time_unit, time_format=args.time_format, dayfirst=args.dayfirst)
    if hasattr(args, "dropna"):
        kwargs["dropna"] = args.dropna
    return kwargs


# oddseq fit --normal --context: the file's sharers are counted among its entities alone
# (TR s54 H1: a classifieds log's 700 vetted users, households split among them; scored
# on the whole log, 113 of 253 family members flagged, 5.7% against 0.5% promised, where
# oddseq detect LOG --normal FILE, counting over both, flagged 4).
CONTEXT_OF_A_NORMAL_FILE = (
    "--context with --normal counts each value's sharers among this file's entities alone: "
    "a vetted list of some of a log's entities holds a part of each household or shared "
    "device (a family's tablet reads as one member's), and oddseq score of the log they "
    "came from counts them whole, past anything this model saw (a classifieds trial: 113 "
    "of 253 family members flagged, 5.7% against the 0.5% promised). To score a log of the "
    "same period, give both files to one call, oddseq detect LOG --normal FILE --context "
    "..., which counts the sharers over both; or fit on a normal file that holds whole "
    "households"
)


def check_side_path(args) -> None:
    """``--entity-features FILE`` refused before the log is read where FILE is no file
    (a typo is said at once, naming the option)."""
    from pathlib import Path

    path = getattr(args, "entity_features", None)
    if path is not None and not Path(path).expanduser().is_file():
        what = "a folder" if Path(path).expanduser().is_dir() else "no such file"
        raise FileNotFoundError(f"--entity-features {path}: {what}")


def read_side_table(args, log):
    """The table of ``--entity-features FILE`` (None without), read as a log is (CSV,
    Parquet, JSON lines, by its name or first line; UTF-8 or a byte-order mark's
    encoding), none of the log's own options applied to it (--names, --sep, --encoding,
    the fixes of times and amounts), its --entity column's ids in the kind of ``log``'s
    (the file read, whose ids the table keys): plain whole numbers as the numbers they
    are where the log's ids are numbers, numbers as text where the log's are text. A
    ValueError naming the option where it lacks that column or a row has no id. Its
    rows are checked where the model joins them (one per entity, numbers)."""
    path = getattr(args, "entity_features", None)
    if path is None:
        return None
    import argparse

    entity = args.entity
    table_args = argparse.Namespace(**vars(args))
    for name in ("names", "sep", "encoding", "item", "category", "value", "time", "event"):
        setattr(table_args, name, None)
    for name in ("read_amounts", "drop_unreadable_times", "fold_spellings", "drop_duplicates"):
        setattr(table_args, name, False)
    table_args.format = "auto"
    table_args.command = "entity-features"
    try:
        table = read_log(path, table_args, [])
    except ValueError as error:
        raise ValueError(f"--entity-features {path}: {error}") from None
    if entity not in table.columns:
        shown = [str(c) for c in table.columns][:12]
        raise ValueError(
            f"--entity-features {path} has no column {entity!r} (its columns: {shown}): "
            f"name its column of ids {entity!r}, as --entity names the log's"
        )
    ids = table[entity]
    blank = ids.isna() | ids.astype(str).str.strip().eq("")
    if blank.any():
        raise ValueError(
            f"--entity-features {path} has {int(blank.sum()):,} row(s) without an id in "
            f"its column {entity!r} (the first at row {int(blank.to_numpy().argmax())}, "
            "counted from 0 after the header): give each row its entity's id, or remove "
            "those rows"
        )
    return table.assign(**{entity: _ids_like(ids, log[entity])})


def _ids_like(ids, logged):
    """A side table's ``ids`` in the kind of the log's (``logged``): where the log's are
    numbers, each id written as a plain whole number ("123", not "0123" or "123.0") as
    that number, the others kept as text (an id no log entity has); where the log's are
    text, numbers as their text."""
    import pandas as pd

    if logged.dtype.kind in "iu" and _is_text(ids):
        text = ids.astype(str)
        plain = text.str.fullmatch(_PLAIN_WHOLE_NUMBER)
        if plain.all():
            return pd.to_numeric(text).astype(logged.dtype)
        out = ids.astype(object).copy()
        out[plain] = [int(v) for v in text[plain]]
        return out
    if ids.dtype.kind in "iu" and _is_text(logged):
        return ids.astype(str)
    return ids


def context_reading(args) -> dict:
    """The time reading options a side table is read with (``reading_kwargs`` less
    ``dropna``, which the sequences' reading applies)."""
    return {k: v for k, v in reading_kwargs(args).items() if k != "dropna"}


def fitted_context(log, context, gap, roles, args, given=None):
    """oddseq fit's side table: with --context (``context``: its columns, or None) the
    file's context features, as detect_anomalies' context= makes them, joined to
    ``given`` (--entity-features' table) where there is one; ``given`` alone without;
    None without either. (The model keeps what it read, ``context_``, after the fit:
    ``context_record``.)"""
    if context is None:
        return given
    from ._pipeline import side_tables

    if getattr(args, "normal", False):
        import warnings

        from .exceptions import DataWarning

        warnings.warn(CONTEXT_OF_A_NORMAL_FILE, DataWarning, stacklevel=2)
    roles = dict(entity=roles["entity"], event=roles["event"], time=roles["time"])
    side, _ = side_tables(log, None, given, None, context, gap, roles, context_reading(args))
    return side


def _context_of(pipe, args) -> dict | None:
    """The model's ``context_``; for a model saved before it was kept (a detect_anomalies
    model of context=), what its side table's columns say (``values[<column>]``,
    ``brief_share[<column>]`` where it read times, ``brief_types[<column>]`` where it
    read event types too); None for a model without."""
    from ._pipeline import CONTEXT_KINDS

    context = getattr(pipe, "context_", None)
    if context is not None or getattr(pipe, "entity_features", None) is None:
        return context
    names = list(pipe._side_table().columns)
    kinds = "|".join(CONTEXT_KINDS)
    found = [re.fullmatch(rf"({kinds})\[(.*)\]", str(n)) for n in names]
    if not names or not all(found):
        return None  # (a side table of the caller's own: no option of the shell gives it)
    columns = list(dict.fromkeys(m.group(2) for m in found))
    timed = any(m.group(1) in ("brief_share", "brief_types") for m in found)
    typed = any(m.group(1) == "brief_types" for m in found)
    return {
        "columns": columns,
        "entity": args.entity,
        "time": args.time if timed else None,
        "event": args.event if typed else None,
        "reading": {},
        "given": [],
    }


def scored_side(pipe, log, args):
    """oddseq score's side table: for a model fitted with --context, (the file's context
    features, each value's sharers counted over the file's entities, as oddseq fit
    counted them over its file's, joined to --entity-features' table where the model
    was fitted with one too, and the reasons' facts of that sharing); else
    (--entity-features' table or None, None), refused where the model has no place for
    it."""
    given = read_side_table(args, log)
    context = _context_of(pipe, args)
    if context is None:
        if given is not None and getattr(pipe, "entity_features", None) is None:
            raise ValueError(
                f"--entity-features: --model {args.model} was fitted without side "
                "attributes, so it has no place for them; fit it with them (oddseq fit "
                "... --entity-features FILE)"
            )
        return given, None
    from ._pipeline import CONTEXT_MARK, _context_features, joined_side
    from .encode._context import context_columns

    named = ",".join(context["columns"])
    if context.get("given") and given is None:
        raise ValueError(
            f"--model {args.model} was fitted with side columns {context['given']} beside "
            f"its context ({named}): give this file's entities' with --entity-features FILE "
            f"(a table keyed by --entity {args.entity})"
        )
    if given is not None and not context.get("given"):
        raise ValueError(
            f"--entity-features: --model {args.model} was fitted with --context {named} "
            "and no side attributes of its own, so it has no place for them; fit it with "
            "them (oddseq fit ... --entity-features FILE)"
        )
    missing = [c for c in context["columns"] if c not in log.columns]
    if missing:
        raise ValueError(
            f"--model {args.model} was fitted with --context {named}, and {args.file} lacks "
            f"{missing}: give a file with those columns, or fit a model without them"
        )
    if (args.time is None) != (context["time"] is None):
        raise ValueError(
            f"--model {args.model} was fitted with --context and "
            + ("no --time" if context["time"] is None else f"--time {context['time']}")
            + " (the share of events on a value of one brief stretch reads times): score "
            "the file as it was fitted"
        )
    columns = context_columns(
        context["columns"], log, dict(entity=args.entity, time=args.time), "--model's context"
    )
    kept: dict = {}
    reading = context_reading(args)
    # (a model fitted with event types refuses a file scored without --event before)
    event = args.event if context.get("event") is not None else None
    (side,) = _context_features([log], args.entity, columns, args.time, event, kept=kept, **reading)
    empty = [c for c in columns if side[f"values[{c}]"].isna().all()]
    if empty and len(side):
        others = [c for c in context["columns"] if c not in empty]
        refit = f"oddseq fit --context {','.join(others)}" if others else "oddseq fit"
        raise ValueError(
            f"{args.file}'s {'column' if len(empty) == 1 else 'columns'} {empty} "
            f"{'has' if len(empty) == 1 else 'have'} no value, and --model {args.model} was "
            f"fitted with --context {named}: give a file with values there, or fit a model "
            f"without {'it' if len(empty) == 1 else 'them'} ({refit})"
        )
    side.attrs[CONTEXT_MARK] = list(columns)  # (its gaps said in context='s words)
    if given is not None:  # (every entity of either: the file's keep their context)
        side = joined_side(side, given, args.entity, every=True)
    return side, kept.get("facts", {})  # (the sharing's, and the brief types' under
    # oddseq.encode._context.TYPES_FACTS)


def sequence_file_advice(fields, command: str = "detect") -> str:
    """The fix where the "header" (``fields``) is a line of a file of one sequence per line
    (hdfs_xu's ``blk_1,5 5 22``, DeepLog's ``5 5 22``: whole-number event ids separated by
    spaces, after an id and a comma or alone), not of an event table; empty otherwise.
    ``command``: the oddseq command the table is then given to (detect, stream)."""
    fields = [str(f) for f in fields]
    tokens = fields[-1].split()
    if len(fields) > 2 or len(tokens) < 2 or not all(t.lstrip("-").isdigit() for t in tokens):
        return ""
    if len(fields) == 2 and (not fields[0].strip() or len(fields[0].split()) > 1):
        return ""
    form = "an id, a comma, then" if len(fields) == 2 else "only"
    return (
        f"; its lines look like one sequence per line ({form} event ids separated by "
        "spaces), not an event table. Read it in Python with "
        "oddseq.datasets.read_sequences_file(path); for the shell, write it as a table "
        "first (read_sequences_file(path).to_pandas().to_csv('table.csv', index=False)) "
        "and run "
        + (
            "oddseq stream --model MODEL --entity entity --event event < table.csv"
            if command == "stream"
            else "oddseq detect table.csv --entity entity --event event"
        )
    )


def _refuse_workbook(source, path_text) -> None:
    """A spreadsheet workbook given as the log (an Excel .xlsx / .xlsm zip of ``xl/``, an
    OpenDocument sheet, an old OLE2 .xls), whatever its name, refused with the fix: read
    as text it was "not utf-8 text ...: pass --encoding latin-1", which cannot work (HC
    s33). A CSV compressed as .zip is a zip of no ``xl/``: read as before."""
    import zipfile

    with open(source, "rb") as file:
        head = file.read(8)
    workbook = head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: .xls
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(source) as book:
                names = book.namelist()
                kind = book.read("mimetype")[:80] if "mimetype" in names else b""
        except (zipfile.BadZipFile, OSError, KeyError):
            names, kind = [], b""
        workbook = any(n.startswith("xl/") for n in names) or b"spreadsheet" in kind
    if workbook:
        raise ValueError(
            f"{path_text} is a spreadsheet workbook (Excel or OpenDocument), not a CSV, "
            "Parquet or JSON lines log: save its sheet as CSV (in Excel: File > Save As > "
            "CSV UTF-8) and pass that file, or in Python read it with "
            f"pd.read_excel({str(path_text)!r}) and pass the DataFrame to "
            "oddseq.detect_anomalies"
        )


# The options that name a column of the log, in the order a message says them.
_COLUMN_OPTIONS = ("entity", "event", "time", "item", "value", "category")


def _given_as(args, missing) -> str:
    """The options that named the ``missing`` columns, as typed: "--entity user_id,
    --time timestamp" (trial s42: the refusal listed the columns and not which option
    to change)."""
    said = []
    listed = {"context": (getattr(args, "context", None) or "").split(",")}
    for column in missing:
        options = [o for o in _COLUMN_OPTIONS if getattr(args, o, None) == column]
        options += [o for o, columns in listed.items() if column in columns]
        text = column if _plain_word(column) else repr(column)
        said += [f"--{option} {text}" for option in options] or [text]
    return ", ".join(said)


def _plain_word(text) -> bool:
    """Whether ``text`` needs no quotes on a shell's command line."""
    return bool(re.fullmatch(r"[\w.:/+-]+", str(text)))


def read_log(path_text, args, columns, progress=False, allow_empty=False):
    """The log file ``path_text`` (CSV, Parquet or JSON lines) as a DataFrame, read as the reading
    options say; a ValueError naming the fix when it is not text of its encoding or
    lacks one of ``columns`` (None ones skipped), or has no rows (``allow_empty``: a
    header line alone is a log of no events, the table a day without events has)."""
    from pathlib import Path

    import pandas as pd

    source = Path(path_text).expanduser()  # "~/log.csv", as pandas reads it
    if not source.is_file():
        what = "a folder" if source.is_dir() else "no such file"
        raise FileNotFoundError(f"{what}: {path_text}")
    _refuse_workbook(source, path_text)
    parquet = source.suffix.lower() in (".parquet", ".pq")
    json_lines = not parquet and _is_json_lines(source, args)
    json_array = not parquet and not json_lines and _is_json_array(source, args)
    headerless = (
        bool(getattr(args, "names", None))
        and source.suffix.lower() not in _COMPRESSED
        and not json_lines
    )
    # With --names a file has no header line: its day without events is 0 bytes.
    if source.stat().st_size == 0 and not (allow_empty and headerless and not parquet):
        raise ValueError(
            f"{path_text} is empty (0 bytes); give the log file: a header line, then one "
            "event per line"
        )
    if source.suffix.lower() in (".parquet", ".pq"):
        try:
            frame = pd.read_parquet(source)
        except ImportError:
            raise
        except Exception as error:  # pyarrow's own words: ArrowInvalid, OSError...
            raise ValueError(
                f"{path_text} is not a Parquet file ({type(error).__name__}: no Parquet data, "
                "or cut short), as its name says; a CSV log needs a name ending .csv (or .tsv, "
                ".txt)"
            ) from None
        # Columns pandas wrote as the index (df.set_index("user_id").to_parquet(...)):
        # columns of the file, as any other (the shell has no reset_index).
        named = [n for n in frame.index.names if n is not None and n not in frame.columns]
        if named:
            frame = frame.reset_index(level=named)
    elif json_lines:
        frame = _read_json_lines(source, path_text, args)
    elif json_array:
        frame = _read_json_lines(source, path_text, args, lines=False)
    else:
        encoding = getattr(args, "encoding", None) or (
            "utf-8" if source.suffix.lower() in _COMPRESSED else _sniff_encoding(source)
        )
        try:
            frame = _read_csv(source, args, encoding, progress)
        except UnicodeDecodeError as error:
            # The undecodable byte among its neighbours: the position pandas reports is
            # within its own buffer, not the file's.
            raw = error.object[max(0, error.start - 25) : error.end + 25]
            near = " ".join(raw.decode(encoding, "replace").split())
            raise ValueError(
                f"{path_text} is not {encoding} text (byte 0x{error.object[error.start]:02x}, "
                f"{error.reason}, in {near!r}); pass --encoding, e.g. --encoding latin-1 (or "
                "cp1252, utf-16)"
            ) from None
        except LookupError:
            raise ValueError(f"--encoding {encoding!r} is not a known encoding") from None
        except pd.errors.EmptyDataError:
            raise ValueError(
                f"{path_text} holds no fields (blank lines only); give the log file: a "
                "header line, then one event per line"
            ) from None
        except pd.errors.ParserError as error:
            detail = re.sub(r"^Error tokenizing data\. C error: ", "", _first_line(error))
            raise ValueError(
                f"{path_text} is not a CSV table pandas can read ({detail}): a "
                "quote left open, or rows with more fields than the header? Fix that row, or "
                "give the separator with --sep"
            ) from None
        except (OSError, EOFError):
            if source.suffix.lower() not in _COMPRESSED:
                raise
            raise ValueError(not_compressed(path_text)) from None
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing:
        advice = ""
        if not parquet and not json_lines and not json_array:
            guessed = None if args.sep else _guess_separator(source, encoding)
            advice = sequence_file_advice(frame.columns) or header_advice(
                frame.columns, args.sep, bool(args.names), guessed
            )
        advice = advice or spelt_otherwise(missing, frame.columns)
        raise ValueError(
            f"column(s) {missing} not in {path_text} (given as {_given_as(args, missing)}); it "
            f"has {shown_fields(frame.columns)}{advice}"
        )
    if getattr(args, "read_amounts", False):
        frame = _read_amounts(frame, path_text, args)
    if getattr(args, "drop_unreadable_times", False):
        frame = _drop_unreadable_times(frame, path_text, args)
    score_folds = getattr(args, "command", None) == "score" and getattr(
        args, "fold_spellings", False
    )
    if not score_folds:  # (score folds to its model's spellings, then drops: in _score)
        frame = fold_spellings_option(frame, args)
        # Once folded: rows that differ only in an event's spelling repeat each other
        # (TR s49 M3: dropped before the fold they were left, and the duplicate warning
        # advised --drop-duplicates, which had been passed).
        if getattr(args, "drop_duplicates", False):
            frame = _drop_duplicates(frame, path_text, args)
    if not len(frame) and not allow_empty:
        raise ValueError(f"{path_text} has no rows; an event log needs at least one event")
    if source.suffix.lower() not in (".parquet", ".pq"):
        for column in _label_columns(args):
            if column in frame.columns:
                frame[column] = as_labels(frame[column])
    return frame


#: The suffixes of JSON lines files (before a compression suffix).
_JSON_LINES = (".jsonl", ".ndjson")


def _is_json_lines(source, args) -> bool:
    """Whether the text file ``source`` is read as JSON lines: --format jsonl, or (auto)
    a name ending .jsonl/.ndjson (compressed too), or a first non-blank line that is a
    JSON object, as ``oddseq stream`` decides (its first line starting with ``{``)."""
    fmt = getattr(args, "format", None) or "auto"
    if fmt != "auto":
        return fmt == "jsonl"
    suffixes = [x.lower() for x in source.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _JSON_LINES:
        return True
    if getattr(args, "names", None) or source.suffix.lower() == ".zst":
        return False  # --names: CSV without a header; zstd is not peeked (pandas opens it)
    encoding = getattr(args, "encoding", None) or (
        "utf-8" if source.suffix.lower() in _COMPRESSED else _sniff_encoding(source)
    )
    try:
        with _peek_text(source, encoding) as f:
            for _, line in zip(range(1000), f):
                if line.strip():
                    return line.lstrip().startswith("{")
    except (OSError, EOFError, LookupError, UnicodeDecodeError):
        return False  # the CSV reader says what is wrong with the file
    return False


def _is_json_array(source, args) -> bool:
    """Whether the text file ``source`` (not JSON lines) is a JSON array of objects
    (``[{"user_id": 7, ...}, ...]``, what ``-o table.json`` and many exports write):
    with --format auto, its first characters that are not blank are ``[`` and ``{``."""
    fmt = getattr(args, "format", None) or "auto"
    if fmt != "auto" or getattr(args, "names", None):
        return False
    if source.suffix.lower() == ".zst":
        return False  # not peeked, as _is_json_lines
    encoding = getattr(args, "encoding", None) or (
        "utf-8" if source.suffix.lower() in _COMPRESSED else _sniff_encoding(source)
    )
    try:
        with _peek_text(source, encoding) as f:
            head = f.read(65_536).lstrip()
    except (OSError, EOFError, LookupError, UnicodeDecodeError):
        return False  # the CSV reader says what is wrong with the file
    return head.startswith("[") and head[1:].lstrip().startswith(("{", "]"))


def _read_json_lines(source, path_text, args, lines: bool = True):
    """A JSON lines file (one object per line, compressed too) as a DataFrame: ids
    (entity, item, category) as text where they are not all whole numbers, as the CSV
    reader keeps them (``as_labels`` then makes plain whole numbers int64 again) and
    as ``oddseq stream`` reads a line's fields; times as written (numbers or text).
    ``lines=False``: a JSON array of objects, read alike."""
    import pandas as pd

    if getattr(args, "names", None):
        raise ValueError(
            f"--names is for CSV without a header line, and {path_text} is JSON lines "
            "(each object names its fields); leave --names out"
        )
    try:
        # dtype=False, no date conversion: values as JSON has them (the time column is
        # read by the time options, as from CSV); pandas 3 converts no dates without
        # dtype (and deprecates convert_dates), pandas 2 needs it said
        dates = {} if int(pd.__version__.split(".")[0]) >= 3 else {"convert_dates": False}
        frame = pd.read_json(
            source,
            lines=lines,
            orient=None if lines else "records",
            dtype=False,
            precise_float=True,
            encoding=getattr(args, "encoding", None) or "utf-8",
            **dates,
        )
    except (ValueError, TypeError) as error:
        if not lines:
            raise ValueError(
                f"{path_text} is not a JSON array of objects pandas can read "
                f'({_first_line(error)}): [{{"user_id": 7, "behavior": "pv", '
                '"timestamp": 1511539256}, ...]; a CSV file read with --format csv'
            ) from None
        raise ValueError(
            f"{path_text} is not JSON lines pandas can read ({_first_line(error)}): one "
            'JSON object per line, e.g. {"user_id": 7, "behavior": "pv", "timestamp": '
            "1511539256}; a CSV file read with --format csv"
        ) from None
    except (OSError, EOFError):
        if source.suffix.lower() not in _COMPRESSED:
            raise
        raise ValueError(not_compressed(path_text)) from None
    wanted = _label_columns(args)
    if getattr(args, "time_format", None) is not None and getattr(args, "time", None):
        wanted.append(args.time)  # read as written, as from CSV (20171201 is a date)
    for column in wanted:
        if column in frame.columns:
            frame[column] = _json_text(frame[column])
    return frame


def _json_text(column):
    """A JSON column of ids as the text of its values (None missing): a number whole
    as its integer (1 and 1.0 alike: JSON readers keep no difference; a column of
    integers with a null is read as floats), text as it is, other values as Python
    writes them (``oddseq stream``'s ``str(value)``)."""
    import numpy as np
    import pandas as pd

    if column.dtype.kind in "iu":
        return column  # whole numbers: as_labels keeps them int64
    if pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
        return column.astype(object).where(column.notna(), None)
    values = column.to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and v != v):
            out[i] = None
        elif isinstance(v, float) and v.is_integer() and abs(v) < 2**63:
            out[i] = str(int(v))
        else:
            out[i] = v if isinstance(v, str) else str(v)
    return pd.Series(out, index=column.index, name=column.name, dtype=object)


def _drop_unreadable_times(frame, path_text, args):
    """``frame`` without the rows whose time is text that is no date, where they are a
    minority (--drop-unreadable-times; :func:`oddseq.utils._time.rows_with_no_date`),
    said on stderr with the rows' line numbers in the file."""
    import pandas as pd

    from .utils._time import rows_with_no_date

    time = getattr(args, "time", None)
    if time is None:
        raise ValueError("--drop-unreadable-times reads the --time column: name it with --time")
    column = frame[time]
    if column.dtype.kind not in "OSU" and not isinstance(column.dtype, pd.StringDtype):
        return frame
    where = rows_with_no_date(column, args.time_format, args.dayfirst)
    if where.size:
        first = column.iloc[where[0]]
        print(
            f"oddseq: dropped {where.size:,} rows of {path_text} whose {time!r} is no date "
            f"(such as {str(first)[:40]!r}, {_file_line(frame, where[0], args)})",
            file=sys.stderr,
        )
        frame = frame.drop(index=frame.index[where])
    else:
        print(
            f"oddseq: --drop-unreadable-times dropped no row of {path_text}: none of its "
            f"{time!r} values is text that no date format reads among dates that read one "
            "way (dates in a second format are read with --time-format mixed)",
            file=sys.stderr,
        )
    return frame


def _file_line(frame, position: int, args) -> str:
    """Where the row at ``position`` is in the file: "line N" of a text file (its index
    is the row's number from 0, a CSV's header line first), "row N" of a Parquet one."""
    import numpy as np

    label = frame.index[position]
    row = int(label) if isinstance(label, (int, np.integer)) else position
    text = str(getattr(args, "file", "")).lower()
    if text.endswith((".parquet", ".pq")):
        return f"row {row}"
    lines = any(text.endswith(s) or f"{s}." in text for s in (".jsonl", ".ndjson", ".json"))
    header = getattr(args, "names", None) is None and not lines  # (a CSV's header line)
    return f"line {row + (1 if header else 0) + 1}"


def _read_amounts(frame, path_text, args):
    """``frame`` with its --value column's text amounts read as numbers (--read-amounts),
    said on stderr; refused without --value."""
    import pandas as pd

    from .preprocessing import read_amounts

    value = getattr(args, "value", None)
    if value is None:
        raise ValueError("--read-amounts reads the --value column: name it with --value")
    column = frame[value]
    read = read_amounts(column)
    text = column.notna() & pd.to_numeric(column, errors="coerce").isna()
    if text.any():
        lost = int((text & read.isna()).sum())
        said = f"; {lost:,} of them hold no number and are missing" if lost else ""
        print(
            f"oddseq: read {int(text.sum()):,} amounts of {value!r} in {path_text} written "
            f"as text (such as {str(column[text].iloc[0])!r} -> {read[text].iloc[0]:g}){said}",
            file=sys.stderr,
        )
    frame = frame.copy(deep=False)
    frame[value] = read
    return frame


def _drop_duplicates(frame, path_text, args):
    """``frame`` without the rows that repeat an earlier row in every column
    (--drop-duplicates), said on stderr."""
    try:
        repeated = frame.duplicated()
    except TypeError:  # unhashable cells: a Parquet list, map or struct column
        raise ValueError(_uncomparable_message(frame, path_text)) from None
    n = int(repeated.sum())
    where = f"oddseq {getattr(args, 'command', None) or 'detect'}"
    if n:
        print(
            f"{where}: dropped {n:,} duplicated rows of {len(frame):,} ({n / len(frame):.0%}) "
            f"in {path_text} (--drop-duplicates)",
            file=sys.stderr,
        )
        return frame[~repeated.to_numpy()].reset_index(drop=True)
    print(f"{where}: no row of {path_text} repeats an earlier one", file=sys.stderr)
    return frame


def _uncomparable_message(frame, path_text) -> str:
    """Why --drop-duplicates cannot compare the rows of ``frame``: its columns whose cells
    are lists (or other values that have no hash), and what to do."""
    from collections.abc import Hashable

    columns = [
        column
        for column in frame.columns
        if frame[column].dtype == object
        and any(not isinstance(v, Hashable) for v in frame[column].to_numpy())
    ]
    if not columns:
        named, it = "a column holds values that cannot be compared (lists?)", "it"
    else:
        named = (
            f"column {columns[0]!r} holds" if len(columns) == 1 else f"columns {columns} hold"
        ) + " lists (values that cannot be compared as a whole)"
        it = "it" if len(columns) == 1 else "them"
    return (
        f"--drop-duplicates compares every column of {path_text}; {named}: drop {it} from "
        "the file, or leave --drop-duplicates out"
    )


def _label_columns(args) -> list:
    """The columns of ids a file's reader keeps as written (entity, item, category, and
    the --context and --group-by columns: a card column of digits with a lettered card far
    down was a mix of numbers and text, and its "0123" the number 123; review RV s64 H1,
    L7)."""
    roles = ("entity", "item", "category")
    columns = [getattr(args, r, None) for r in roles]
    for option in ("context", "group_by"):
        given = getattr(args, option, None)
        columns += given.split(",") if isinstance(given, str) else []
    return list(dict.fromkeys(c for c in columns if c))


# A whole number as a number writes it: no zeros in front, no + sign, no point, no "-0"
# (its number prints as "0", another id), within int64 (19 digits at most).
_PLAIN_WHOLE_NUMBER = r"0|-?[1-9][0-9]{0,18}"


def as_labels(column):
    """A column of ids read as text, as labels: whole numbers written as floats
    (``450.0``) as their plain text first (:func:`whole_float_ids`); then, where every id
    is a whole number written plainly (``123``, not ``0123``, ``+123`` or ``123.5``) and
    none is missing, the int64 numbers, which print as the same text (and read as fast as
    before); else the text as written, so that ids that differ as text stay apart."""
    import numpy as np

    if column.dtype.kind in "iuf":
        return column
    plain = whole_float_ids(column)
    if plain is not None:
        column = plain
    if column.isna().any():
        return column
    text = column.astype(str)
    if not text.str.fullmatch(_PLAIN_WHOLE_NUMBER).all():
        return column
    try:
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        # Arrow's cast of Arrow-backed text: a twentieth of pandas' astype's time
        # (1.9 million ids: 0.02 CPU s against 0.36).
        numbers = pc.cast(pa.array(text.array), pa.int64()).to_numpy(zero_copy_only=False)
        return pd.Series(numbers, index=column.index, name=column.name)
    except ImportError:
        pass
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return column  # beyond int64: stays text
    try:
        return text.astype(np.int64)
    except (OverflowError, ValueError):  # beyond int64: stays text
        return column


# Column names that read as a time or an event type (case-blind): the columns
# omitted_roles_note names first for --time and --event (a time's name is no event's:
# REES46's event_time beside event_type). Event names best first (RV s34 L3: BGL's
# structured CSV has Type, RAS or KERNEL's kind of message, before EventId): one that
# says "event", then a behaviour's or a template's, then a bare type or kind; a type of
# something else (device_type, user_type) is none.
_TIME_NAMES = re.compile(r"time|(?<!up)date|^ts$|_ts$|^ts_|_at$|^when$")
_EVENT_NAMES = (
    re.compile(r"event"),
    re.compile(r"behaviou?r|action|activity|verb|template|operation|^op$"),
    re.compile(r"^(type|kind)(_?(id|name))?$"),
)


def _named_as(role: str, columns) -> list:
    """The ``columns`` whose names read as ``role``'s (event or time), best first (in the
    file's order within a kind): for the event, never a time's name."""
    low = [str(c).lower() for c in columns]
    if role == "time":
        return [c for c, name in zip(columns, low) if _TIME_NAMES.search(name)]
    ranked: list = []
    for pattern in _EVENT_NAMES:
        ranked += [
            c
            for c, name in zip(columns, low)
            if c not in ranked and pattern.search(name) and not _TIME_NAMES.search(name)
        ]
    return ranked


def omitted_roles_note(command: str, args, columns) -> str | None:
    """The line ``oddseq detect`` and ``oddseq fit`` say on stderr where --event or
    --time is left out (review s33 HE LOW-4): what the command does then (every event one
    type; each entity's events in the file's row order), and the file's columns no option
    names, those whose names read as an event type or a time first, with the option that
    takes each; None where both are given."""
    missing = [role for role in ("event", "time") if getattr(args, role, None) is None]
    if not missing:
        return None
    used = {getattr(args, r, None) for r in ("entity", "event", "time", "item", "value")}
    used.add(getattr(args, "category", None))
    for option in ("group_by", "context"):
        used.update((getattr(args, option, None) or "").split(","))
    free = [c for c in columns if c not in used]
    done = {
        "event": "no --event, so every event is one type",
        "time": "no --time, so each entity's events are in the file's row order",
    }
    said, hints, roles = [], [], []
    for role in missing:
        said.append(done[role])
        like = _named_as(role, free)
        if like:
            hints.append(f"--{role} {shlex.quote(str(like[0]))}")
            roles.append("event type" if role == "event" else role)
    if hints:
        those = "that is" if len(hints) == 1 else "those are"
        advice = f"pass {' '.join(hints)} if {those} the {' and '.join(roles)}"
    else:
        if missing == ["event"]:  # (a date is no event type: Diginetica's eventdate)
            free = [c for c in free if not _TIME_NAMES.search(str(c).lower())]
        if free:
            shown = ", ".join(repr(str(c)) for c in free[:6])
            shown += " ..." if len(free) > 6 else ""
            options = " or ".join(f"--{role} COLUMN" for role in missing)
            advice = f"the file's other columns: {shown}; {options} takes one"
        else:
            advice = "the file has no other column that could be one"
    return f"oddseq {command}: {'; '.join(said)} ({advice})"


def _is_text(column) -> bool:
    return column.dtype == object or column.dtype.kind in "OUT" or str(column.dtype) == "str"


def matched_labels(first, second, columns):
    """Two logs read by ``read_log`` whose label ``columns`` (ids, side and group_by
    columns) are numbers in one and text in the other (plain whole numbers beside
    ``0123``, or a card column with one lettered card): the numbers as their text in both,
    so the same label is one label (``FILE`` and ``--normal``), without a word: the
    reader made them differ, not the files."""
    from .utils._ids import labels_alike

    for column in dict.fromkeys(c for c in columns if c):
        if column in first.columns and column in second.columns:
            first, second, _ = labels_alike(first, second, column)
    return first, second


def _like(column, fitted):
    """A file's id ``column`` in the kind of a model's ``fitted`` labels (an Index):
    whole numbers as text where the model's are text; text as numbers where the model's
    are numbers (a model fitted in Python, or before ids were read as text) and every id
    reads as one (as the file was read then)."""
    import pandas as pd

    if fitted is None or not len(fitted) or column.dtype.kind == "f":
        return column
    if column.dtype.kind in "iu" and _is_text(pd.Series(fitted)):
        return column.astype(str)
    if fitted.dtype.kind in "iuf" and _is_text(column):
        try:
            return pd.to_numeric(column)
        except (ValueError, TypeError):
            return column
    return column


def as_fitted_labels(pipe, log, item, category):
    """``log``'s item (and ``category``) columns in the kind of the model's fitted item
    categories, so that its items find theirs (``oddseq score``)."""
    fitted = getattr(pipe, "item_categories", None)
    if fitted is None or item is None or item not in log.columns:
        return log
    import pandas as pd

    fitted = pd.Series(fitted)
    log = log.assign(**{item: _like(log[item], fitted.index)})
    if category is not None and category in log.columns:
        log = log.assign(**{category: _like(log[category], pd.Index(fitted.to_numpy()))})
    return log


def not_compressed(path_text) -> str:
    """The words for a file whose name says it is compressed and whose bytes are not."""
    from pathlib import Path

    suffix = Path(path_text).suffix.lower()
    kind = {".gz": "gzip", ".bz2": "bzip2", ".zst": "zstandard"}.get(suffix, suffix[1:])
    return (
        f"{path_text} is not {kind}-compressed, as its name ({suffix}) says, or is cut "
        f"short; rename it without {suffix} if it is plain text"
    )


def _first_line(error) -> str:
    """A library error's first line (its class name where it says nothing)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def load_model(path_text: str):
    """``oddseq.load`` of ``--model PATH``: a missing file or a folder named in the
    option's words, with the command that writes a model."""
    from pathlib import Path

    from . import load

    where = Path(path_text).expanduser()  # '~/m.oddseq' (quoted, or --model=~/...)
    write = "oddseq fit LOG.csv ... --save model.oddseq writes one"
    if where.is_dir():
        raise ValueError(f"--model {path_text} is a folder; give the model file ({write})")
    if not where.exists():
        raise ValueError(f"--model {path_text}: no such file; give the model file ({write})")
    try:
        model = load(where)
    except PermissionError:
        raise ValueError(f"--model {path_text}: not allowed to read it (permissions)") from None
    from ._pipeline import AnomalyPipeline

    if not isinstance(model, AnomalyPipeline):  # an estimator's own save(), not oddseq fit's
        from ._persist import _a

        raise ValueError(
            f"--model {path_text} holds {_a(type(model).__name__)}, not a model of oddseq "
            f"fit (an AnomalyPipeline); {write}"
        )
    return model


# The commands that take --drop-duplicates (add_reading_options' file readers; the
# stream's own, which also drops the --calibrate file's duplicated rows).
DROP_DUPLICATES_COMMANDS = ("detect", "fit", "score", "stream")


def fold_spellings_option(frame, args, fitted_types=None):
    """--fold-spellings: the event column as the spelling warning's fix rewrites it
    (``fitted_types``: a model's event types, for oddseq score: the map to its own)."""
    from .sequences._sequences import fold_spellings

    event = getattr(args, "event", None)
    if getattr(args, "fold_spellings", False) and event is not None and event in frame.columns:
        frame[event] = fold_spellings(frame[event], fitted_types)
    return frame


# The commands that take --fold-spellings (add_reading_options' file readers).
FOLD_SPELLINGS_COMMANDS = ("detect", "fit", "score")


def _in_shell_words(text: str, command: str | None = None) -> str:
    """A message's Python routes replaced by the shell's (a warning's or an error's);
    ``command``: the oddseq command that says it (its options)."""
    from ._pipeline import (
        CATEGORY_ROUTE,
        CONTEXT_FILL,
        CONTEXT_SHELL,
        CONTEXT_WITH_SESSIONS,
        FEW_NORMAL_RATE,
        GROUPS_CHECK,
        LARGE_GROUP_CHECK,
        NORMAL_HELD_RECORD,
        PAST_CAP_RECORD,
    )

    # threshold_info_['bagged'] and the like: the fitted model's record, which the shell
    # has no handle on (TR s54 L1); the counts beside them stay
    record = r"threshold_info_\['\w+'\]"
    text = re.sub(rf"; {record}\)", ")", text)  # "(1.57%; <record>)"
    text = re.sub(rf", {record}, leaves", " leaves", text)  # "the floor above it, <record>, leaves"
    text = re.sub(rf", {record}", "", text)  # "flagged 29, <record>)", "draws, <record>; "
    check = re.escape(LARGE_GROUP_CHECK).replace(re.escape("{group}"), r"\d+")
    # (the large-group warning: no pipeline in the shell; its members' reasons name it)
    text = re.sub(check, "Read the objects its members' reasons name", text)
    # (the groups-together and past-the-share warnings: the same, of every group)
    text = text.replace(GROUPS_CHECK, "Read the objects, days and hours the members' reasons name")
    # (the groups past the cap, and those the normal log holds: no pipeline either)
    text = text.replace(PAST_CAP_RECORD, "").replace(NORMAL_HELD_RECORD, "")
    from .encode._behaviour import NO_VIEW_FIX
    from .preprocessing._quality import DROP_ROUTE, DUPLICATES_COUNTED, STRAY_ROUTE

    if NO_VIEW_FIX in text:  # a funnel read without a view: the shell's --funnel
        text = text.replace(
            NO_VIEW_FIX,
            "--funnel view=<item view>,buy=<the act that ends it: a purchase, a message to "
            "a seller>,...; or the roles it has alone, --funnel as read above, to keep "
            "them without a view and say nothing; or --funnel none for no funnel",
        )
    if CONTEXT_WITH_SESSIONS in text:  # no side table, no session_gap= in the shell
        text = (
            "--context reads each entity's whole history (a value of one day in a longer "
            "one), and with --session-gap each session would take its entity's: a hijacked "
            "account's every session, the owner's too. Score whole entities with --context: "
            "leave --session-gap out"
        )
    if CONTEXT_FILL in text:  # context gaps: no side table in the shell
        # (oddseq score has no --context: the model's, refitted without it)
        out = " out of the model (oddseq fit --context without it)" if command == "score" else None
        text = text.replace(" out of context" + CONTEXT_SHELL, out or " out of --context")
        text = text.replace("context=: ", "--context: ", 1)
        text = text.replace(CONTEXT_FILL, "")

    if CATEGORY_ROUTE in text:  # items without a category: the file's, with --category
        text = text.replace(
            CATEGORY_ROUTE,
            "add the categories of this file's items with oddseq score --category COLUMN "
            "(its column of item categories)",
        )

    if DROP_ROUTE in text:  # duplicated rows: the shell's option, where the command has it
        shell_route = (
            "Drop them with --drop-duplicates"
            if command in DROP_DUPLICATES_COMMANDS
            else "Remove them from the file"
        )
        text = text.replace(DUPLICATES_COUNTED, "").replace(DROP_ROUTE, shell_route)

    if text.startswith("entity_features "):  # the table's refusal: its fix is the file's
        text = "--entity-features: the table " + text[len("entity_features ") :]
        if "side" in text or "(" in text:
            text += " (pandas' words, 'side' the table: make that change to the file)"
    side = "score(seqs, entity_features=side)"
    if side in text:  # a model fitted with a side table: the file's, --entity-features
        route = (
            "oddseq score --entity-features FILE (the fitted columns, keyed by --entity)"
            if command in (None, "score")
            else f"model.{side} in Python (oddseq {command} has no option for a side table)"
        )
        text = text.replace(side, route)

    first, *rest = FEW_NORMAL_RATE.split("{rate}")
    few = re.search(
        re.escape(first) + r"(?P<rate>[0-9.e-]+)" + r"(?P=rate)".join(map(re.escape, rest)), text
    )
    if few:  # the few-normal warning's rate: the shell's option, as the shell takes it
        text = text.replace(few.group(0), f"pass --false-alarm-rate {few.group('rate')} or more")

    if command in FOLD_SPELLINGS_COMMANDS:  # the spelling warning's fix: the option
        text = _spelling_fix_in_shell_words(text, command)

    if STRAY_ROUTE in text:  # the stray-event warning: no quality_report in the shell
        text = text.replace(f"; {STRAY_ROUTE}", "") + (
            " (remove those rows from the file and run again)"
        )
    # The cap's route: a GroupDetector of several settings, whose spaces the general
    # rule below cannot read (review RV s60 M1), and the cap by its option's name.
    text = _CAP_ROUTE.sub(r"\1", text)
    text = text.replace(" (max_groups: by default", " (--max-groups: by default")
    # "pass time_unit='ms' (--time-unit ms from the shell)": the shell's route alone
    # (trial s43 L1: the Python spelling first is noise in the shell).
    text = _PYTHON_THEN_SHELL.sub(_the_shell_route, text)
    return text


# The past-the-cap warning's route (_pipeline.warn_groups_past_the_cap).
_CAP_ROUTE = re.compile(
    r"groups=oddseq\.graph\.GroupDetector\([^()]*\) \((--max-groups \d+) from the shell\)"
)


def _spelling_fix_in_shell_words(text: str, command: str) -> str:
    """The spelling warning's pandas fixes as --fold-spellings, which does the same."""
    from .sequences._sequences import FOLD_AND_REFIT, FOLD_SPELLINGS, MAP_TO_THE_MODELS

    if FOLD_SPELLINGS in text:  # the fold, the warning's last words
        text = text[: text.index(FOLD_SPELLINGS)] + (
            f"If each is one type, run oddseq {command} again with --fold-spellings, which "
            "reads every event label stripped of spaces around it and in lower case (and a "
            "funnel step's other names as its most frequent one)"
        )
    mapped = re.search(
        re.escape(MAP_TO_THE_MODELS) + r" \(.*?\)(?P<first>[^:]*): df\[.*?\] = df\[.*?\]"
        r"\.replace\((?P<map>\{.*?\})\)(?=\. The model|$)",
        text,
    )
    if mapped:  # the map to the model's spellings
        text = text.replace(
            mapped.group(0),
            f"run oddseq {command} again with --fold-spellings, which maps them to its own"
            f"{mapped.group('first')}: {mapped.group('map')}",
        )
    from ._fitted_data import MAP_TO_MODEL_SPELLINGS

    unseen = re.search(
        re.escape(MAP_TO_MODEL_SPELLINGS) + r"(?P<first>[^,]*), df\[.*?\] = df\[.*?\]"
        r"\.replace\((?P<map>\{.*?\})\)(?=$|\. )",
        text,
    )
    if unseen:  # the unseen-types warning's map to the model's spellings
        text = text.replace(
            unseen.group(0),
            f"run oddseq {command} again with --fold-spellings, which maps them to the "
            f"model's spellings{unseen.group('first')}: {unseen.group('map')}",
        )
    return text.replace(
        FOLD_AND_REFIT,
        "fit again with --fold-spellings, and score with --fold-spellings",
    )


def _template_pattern(template: str) -> str:
    """A regular expression matching ``template``'s text (``str.format`` fields, as
    ``{entity!r}``, become named groups), from the text's start."""
    pattern = ""
    for literal, field, _, _ in string.Formatter().parse(template):
        pattern += re.escape(literal)
        if field is not None:
            pattern += rf"(?P<{field}>.+?)"
    return pattern


def shell_error_text(error) -> str:
    """An error's message on one line in the shell's words: its options
    (``--min-events 1`` for ``min_events=1``) and its routes (``oddseq fit``/``score``
    for a Python call)."""
    from .sequences._sequences import (
        MAKE_THEM_MISSING,
        PICK_THE_FIELD,
        READ_AMOUNTS_NOTE,
        SAME_COLUMN,
    )
    from .utils._validation import FIT_ON_MANY, NORMAL_OF_MANY

    text = _in_shell_words(" ".join(str(error).split()) or type(error).__name__)
    text = text.replace(
        NORMAL_OF_MANY,
        "A model learns what is usual from many entities: give --normal a file of many normal ones",
    )
    text = text.replace("and the normal data holds", "and the --normal file holds")
    from .utils._time import MAKE_UNREADABLE_MISSING

    if MAKE_UNREADABLE_MISSING in text:  # no pandas line runs in the shell
        text = text[: text.index(MAKE_UNREADABLE_MISSING)]
        text += (
            "Remove those rows from the file (--drop-unreadable-times drops them), or correct "
            "their times."
        )
        # (rows as pandas numbers them: from 0, after the header line where there is one)
        text = text.replace("that is no date", "that is no date (rows counted from 0)", 1)
        text = text.replace("that are no date", "that are no date (rows counted from 0)", 1)
    text = text.replace(
        FIT_ON_MANY,
        "A model learns what is usual from many entities: to score one (or a few), fit "
        "a model on a log of many (oddseq fit MANY.csv ... --save model.oddseq) and score "
        "this file with it: oddseq score FILE ... --model model.oddseq",
    )
    # Input refusals whose fix is pandas code: the file's own fix in the shell, found by
    # the sentences' constants (a rewording on the Python side keeps these).
    if PICK_THE_FIELD in text:
        field = re.search(r"\.str\.get\((.*?)\)(?:, or make it text|$)", text)
        which = (
            "a list's first item"
            if field is None or field.group(1) == "0"
            else f"each object's {field.group(1)}"
        )
        text = text[: text.index(PICK_THE_FIELD)] + (
            f"Write one value per row in that field of the file ({which}), or name a field "
            "that holds one"
        )
    if MAKE_THEM_MISSING in text:
        text = text[: text.index(MAKE_THEM_MISSING)] + ", or leave those cells empty (missing)"
    if READ_AMOUNTS_NOTE in text:
        text = re.sub(
            r"with df\[[^\]]*\] = oddseq\.preprocessing\.read_amounts\(df\[[^\]]*\]\) "
            + re.escape(READ_AMOUNTS_NOTE),
            "with --read-amounts ('12,50 €' is 12.5)",
            text,
        )
    same = re.match(_template_pattern(SAME_COLUMN), text)
    if same:
        entity, role, column = (same.group(k) for k in ("entity", "role", "column"))
        text = (
            f"--entity {entity} and --{role} {column} name the same column: the entity is "
            f"whose sequence a row is (a user, session or block), the {role} another column "
            f"of each row; pass --{role} its own column"
            + (" (or leave --event out for a log without event types)" if role == "event" else "")
        )
    # An error about a parameter starts with its Python name ("contamination must be in
    # (0, 0.5]"): the shell's option of that name (trial s40 F13).
    text = _LEADING_PARAMETER.sub(lambda m: "--" + m.group(1).replace("_", "-"), text)
    text = text.replace("not in the DataFrame", "not in the file")
    text = text.replace("give funnel (--funnel from the shell)", "give --funnel")
    return text.replace("min_events=", "--min-events ").replace(
        "lower min_events", "lower --min-events"
    )


# A parameter with its value, then its shell option in brackets: "time_unit='ms'
# (--time-unit ms from the shell)", "event=... (--event from the shell)".
_PYTHON_THEN_SHELL = re.compile(r"\b[a-z_]+=(\S*?) \((--[a-z-]+)( [^()]*?)? from the shell\)")


def _the_shell_route(match) -> str:
    """The shell's option of a ``_PYTHON_THEN_SHELL`` match, with the Python value where
    the bracket names none (``--time-format '%d'``; not for ``...`` or ``True``)."""
    value, option, shell_value = match.groups()
    if shell_value and ("--" in shell_value or " and " in shell_value):
        return match.group(0)  # (a bracket of several options: left as it is)
    if shell_value or value in ("", "...", "True") or (value == "False" and "--no-" in option):
        return option + (shell_value or "")
    return f"{option} {value}"


# The parameters of detect_anomalies whose shell option is their name with dashes.
_LEADING_PARAMETER = re.compile(
    r"^(contamination|false_alarm_rate|min_events|group_by|method|session_gap|time_unit"
    r"|time_format|category|funnel|context)\b(?= must| column| is | gives| names| has)"
)


@contextlib.contextmanager
def shell_warnings(command, advice=()):
    """Warnings as one line each on stderr, ``oddseq COMMAND: warning: ...``;
    ``advice``: (start, words) pairs, the words said after a warning that starts so
    (its route from the shell where the message names the Python one)."""
    import warnings

    def say(message, category, filename, lineno, file=None, line=None):
        text = _in_shell_words(str(message), command)
        text += "".join(words for start, words in advice if text.startswith(start))
        print(f"oddseq {command}: warning: {text}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = say
        yield


def funnel_option(text: str | None) -> dict | None:
    """``--funnel view=pv,cart=add,buy=pay_ok`` as the ``funnel`` dict ("none": {};
    None: not given)."""
    from .encode._behaviour import _FUNNEL_NAMES

    if text is None:
        return None
    if text.strip().lower() == "none":
        return {}
    funnel = {}
    for pair in text.split(","):
        role, sep, event = pair.partition("=")
        role, event = role.strip(), event.strip()
        if not sep or not event or role not in _FUNNEL_NAMES or role in funnel:
            raise ValueError(
                f"--funnel {text!r} is not a list of role=event pairs with distinct roles among "
                f"{', '.join(_FUNNEL_NAMES)}, e.g. --funnel view=pv,buy=purchase "
                "(or --funnel none)"
            )
        funnel[role] = event
    return funnel


def _guess_separator(path, encoding="utf-8") -> str:
    """The field separator of a delimited text file: the candidate its first line holds
    most often (commas, semicolons as in Diginetica, tabs as in YOOCHOOSE, pipes)."""
    with _open_text(path, encoding) as f:
        first = f.readline()
    counts = {sep: first.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


# -o's name for standard output (and its default): CSV there, the closing line on stderr.
STDOUT = "-"
_COMPRESSED = (".gz", ".bz2", ".xz", ".zip", ".zst")
# Output formats by extension (after any compression suffix, for the text formats).
_OUTPUT_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# ... but a sign before digits alone (with spaces, dots or dashes: a phone number
# "+49 1500 229651", an id "-271") is arithmetic on numbers, with no function or command
# to run: such ids stay as written, so that a table's ids join back to the log (trial
# s40: 0 of 300 phone numbers did).
_SIGNED_NUMBER = re.compile(r"[+-][0-9][0-9 .\-]*")


def _open_text(path, encoding):
    import bz2
    import gzip
    import lzma
    from pathlib import Path

    openers = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
    opener = openers.get(Path(path).suffix.lower(), open)
    return opener(path, "rt", encoding=encoding, errors="replace", newline="")


def _peek_text(path, encoding):
    """``_open_text``, and a zip's one file as text (pandas reads a zip of one file; one
    of several is not peeked: an OSError, and pandas' reader says what is wrong)."""
    import io
    import zipfile
    from pathlib import Path

    if Path(path).suffix.lower() != ".zip":
        return _open_text(path, encoding)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise OSError(str(error)) from None
    files = [info for info in archive.infolist() if not info.is_dir()]
    if len(files) != 1:
        archive.close()
        raise OSError(f"{len(files)} files in the zip")
    member = archive.open(files[0])
    archive.close()  # (the member keeps the file open until it is closed)
    return io.TextIOWrapper(member, encoding=encoding, errors="replace", newline="")


def _sniff_encoding(path) -> str:
    """UTF-8 unless the file starts with a byte-order mark (UTF-16 from Excel and
    Windows tools, UTF-8 with a BOM)."""
    with open(path, "rb") as f:
        start = f.read(4)
    if start.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if start.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    return "utf-8"


def _output_format(out) -> str:
    suffixes = [x.lower() for x in out.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes = suffixes[:-1]
        compressed = True
    else:
        compressed = False
    fmt = _OUTPUT_FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None or (compressed and fmt == "parquet"):
        known = ", ".join(sorted(_OUTPUT_FORMATS))
        raise ValueError(
            f"-o {out}: unknown output extension {''.join(out.suffixes) or '(none)'}; use one "
            f"of {known} (text formats may end in .gz, .bz2, .xz, .zip too)"
        )
    return fmt


def _check_output(path_text: str, force: bool) -> str:
    """The output's format, after checking it can be written: before the scoring, so a
    typo costs nothing."""
    import os
    from pathlib import Path

    if path_text == STDOUT:
        if sys.stdout is None:  # (started with stdout closed: `>&-`)
            raise ValueError("-o -: standard output is closed; give -o FILE")
        return "csv"
    out = Path(path_text)
    if out.is_dir():
        raise ValueError(f"-o {path_text} is a folder; give a file name, e.g. {out / 'odd.csv'}")
    if out.is_char_device() and os.access(out, os.W_OK):
        # -o /dev/null: the summary and the warnings alone (trial s43c L1); a device
        # takes the text, not a file to overwrite
        return "csv"
    fmt = _output_format(out)
    folder = out.parent
    if not folder.is_dir():
        from ._persist import missing_folder

        raise ValueError(f"-o {path_text}: {missing_folder(folder)}")
    if out.exists() and not force:
        raise ValueError(f"{path_text} exists; pass --force to overwrite it, or choose another -o")
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ValueError(f"-o {path_text}: no permission to write there")
    return fmt


def _csv_safe(frame):
    """A copy whose text cells cannot run as spreadsheet formulas: those starting with
    = + - @ (or a tab or carriage return) get a leading apostrophe, as OWASP advises, but
    for a sign before digits alone (``_SIGNED_NUMBER``: a phone number). Numbers stay
    numbers (a negative number is not a formula)."""
    import pandas as pd

    frame = frame.copy()

    def runs_as_formula(text) -> bool:
        return (
            isinstance(text, str)
            and text.startswith(_FORMULA_STARTS)
            and _SIGNED_NUMBER.fullmatch(text) is None
        )

    def safe(text):
        return "'" + text if runs_as_formula(text) else text

    for name in frame.columns:
        column = frame[name]
        textual = (pd.StringDtype, pd.CategoricalDtype)
        if column.dtype == object or isinstance(column.dtype, textual):
            text = column.astype(object)
            risky = text.map(runs_as_formula)
            if risky.any():
                frame[name] = text.where(~risky.astype(bool), "'" + text[risky].astype(str))
    frame.columns = [safe(str(c)) for c in frame.columns]
    return frame


def _write(table, path_text: str, fmt: str) -> None:
    flat = table.reset_index()
    if path_text == STDOUT:
        # UTF-8 bytes, as -o FILE.csv writes them, whatever the console's code page; and
        # no text layer to turn each line's end into another (\r\r\n on Windows).
        binary = getattr(sys.stdout, "buffer", None)
        sys.stdout.flush()
        if binary is None:
            _csv_safe(flat).to_csv(sys.stdout, index=False)
            sys.stdout.flush()
        else:
            _csv_safe(flat).to_csv(binary, index=False, encoding="utf-8", mode="wb")
            binary.flush()  # a closed pipe is said here, inside _write_ranked's handler
        return
    if fmt == "parquet":
        table.to_parquet(path_text)
    elif fmt in ("csv", "tsv"):
        _csv_safe(flat).to_csv(path_text, index=False, sep="\t" if fmt == "tsv" else ",")
    else:
        flat.to_json(path_text, orient="records", lines=fmt == "jsonl", force_ascii=False)


def _read_csv(source, args, encoding, progress):
    """A delimited text file as a DataFrame; with progress, in chunks under a bar of the
    bytes read."""
    import pandas as pd

    from .utils._progress import bar

    names = args.names.split(",") if args.names else None
    typed = args.sep or _guess_separator(source, encoding)
    sep = separator_pattern(typed)
    if names:
        _check_names(source, names, sep, encoding, typed)
    options = dict(sep=sep, header=None if names else 0, names=names, encoding=encoding)
    # Ids are labels, read as written: "0123" and "123" are two customers, "00018444"
    # keeps its zeros (as oddseq stream reads them); plain whole numbers become numbers
    # again below (as_labels).
    options["dtype"] = {column: str for column in _label_columns(args)}
    if getattr(args, "time_format", None) is not None and getattr(args, "time", None):
        # Read as written: 000037 read as a number is 37, which %H%M%S cannot read.
        options["dtype"][args.time] = str
    if len(sep) > 1:
        options["engine"] = "python"  # the one that takes them (pandas warned it chose it)
    compressed = source.suffix.lower() in _COMPRESSED
    if not progress or compressed:
        return pd.read_csv(source, **options)
    size = source.stat().st_size
    chunks = []
    with (
        open(source, "rb") as handle,
        bar(f"reading {source.name}", total=size, unit="B", enabled=True) as progress_bar,
    ):
        for chunk in pd.read_csv(handle, chunksize=1_000_000, **options):
            chunks.append(chunk)
            progress_bar.update(handle.tell() - progress_bar.n)
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]


def _check_names(source, names, sep, encoding, typed=None) -> None:
    """--names against the file's first line: one name per field (pandas would make
    the extra leading fields an index, or fill missing ones, without a word), and not
    the file's own header (it would become a row of data). ``sep``: as pandas gets it
    (``separator_pattern``); ``typed``: as the user wrote it, for the message."""
    import csv

    if source.suffix.lower() in (".zip", ".zst"):
        return  # not opened here; pandas reads them
    with _open_text(source, encoding) as f:
        first = f.readline().rstrip("\r\n")
    if not first.strip():
        return
    try:
        # A separator of several characters is a regular expression to pandas (r'\s+').
        fields = next(csv.reader([first], delimiter=sep)) if len(sep) == 1 else re.split(sep, first)
    except (csv.Error, re.error):
        return  # pandas says what is wrong with the line
    given = ",".join(names)
    if [f.strip() for f in fields] == [n.strip() for n in names]:
        raise ValueError(
            f"the first line of {source} is its header ({first[:200]}); leave out --names "
            "(it is for files without a header line)"
        )
    if len(fields) != len(names):
        raise ValueError(
            f"--names gives {len(names)} names ({given[:200]}) but the lines of {source} "
            f"have {len(fields)} field{'' if len(fields) == 1 else 's'} (first line: "
            f"{first[:200]!r}, separator {typed or sep!r}); "
            "give one name per field, in order, or --sep if the separator is another"
        )


def _detect(args) -> int:
    from ._pipeline import _group_objects, detect_anomalies

    progress = _progress_wanted(args)

    roles = (args.entity, args.event, args.time, args.item, args.value, args.category)

    def read(path_text, allow_empty=False):
        return read_log(path_text, args, roles, progress, allow_empty)

    try:
        if args.top is not None and args.top < 1:
            raise ValueError(f"--top must be at least 1, got {args.top}")
        contamination = cut_options(args)
        recent_change_option(args)
        if args.group_by and args.groups is False:
            raise ValueError(
                "--group-by names columns to look for groups on, --no-groups says not to "
                "look: pass one of the two"
            )
        groups_option = group_search_option(args)
        fmt = _check_output(args.output, args.force)
        duration_option(args.session_gap, "--session-gap")  # before the reading
        funnel = funnel_option(args.funnel)
        check_side_path(args)
        with shell_warnings("detect"):
            log = read(args.file, allow_empty=True)
            normal = read(args.normal) if args.normal else None
            if not len(log):
                group_by = args.group_by.split(",") if args.group_by else None
                # The group stage's column where the same options run it on a real day.
                groups = _group_objects(log, groups_option, group_by, args.item) is not None
                index = [args.entity] + (["session"] if args.session_gap else [])
                raise _NoEvents(_empty_table(log, index, groups))
            if normal is not None:
                # (the labels: not the times or amounts, each file's read as written)
                labels = [args.entity, args.event, args.item, args.category]
                labels += (args.context or "").split(",") + (args.group_by or "").split(",")
                log, normal = matched_labels(log, normal, labels)
            table, pipe = detect_anomalies(
                log,
                entity=args.entity,
                event=args.event,
                time=args.time,
                item=args.item,
                value=args.value,
                category=args.category,
                session_gap=duration_option(args.session_gap, "--session-gap"),
                contamination=contamination,
                method=args.method,
                normal=normal,
                false_alarm_rate=args.false_alarm_rate,
                min_events=args.min_events,
                recent_change=args.recent_change,
                crowds=args.crowds,
                groups=groups_option,
                group_by=args.group_by.split(",") if args.group_by else None,
                funnel=funnel,
                context=args.context.split(",") if args.context else None,
                entity_features=read_side_table(args, log),
                progress=progress,
                return_pipeline=True,
                **reading_kwargs(args),
            )
        # Said with a table, not beside a refusal (whose one line is the fix).
        note = omitted_roles_note("detect", args, log.columns)
        if note is not None:
            print(note, file=sys.stderr)
        written = _write_ranked(table, args, fmt)
    except _NoEvents as none:
        return _no_events(args, fmt, none.table)
    except (ValueError, TypeError, OSError, ImportError) as error:
        text = shell_error_text(error)
        print(f"oddseq detect: {text}", file=sys.stderr)
        return 2
    from ._fitted_data import alarm_summary

    # With --normal, FILE is scored with the model fitted on the normal log: the share
    # alarm its warning told (before the group stage's flags), in the summary too.
    _say_written(table, written, args, alarm_summary(pipe) if args.normal else None, pipe)
    return 0


if __name__ == "__main__":
    sys.exit(main())
