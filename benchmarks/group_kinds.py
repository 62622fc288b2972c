"""What the group stage's groups do, by labelled kind: rings, farms and alt armies beside
the normal teams (a game's raid guilds) that the null of independent entities also reads
as groups.

For each source and seed this fits :class:`oddseq.graph.GroupDetector` as the pipeline's
``item=`` call does (``method="auto"``: lockstep windows of an hour on the log's item
column; ``--object-cat`` adds make_ecommerce's category column), labels each group by its
members' most common kind (its ``purity`` the share of members of that kind) and measures,
from the log alone, what separates a team of people who meet for shared content from an
account group whose shared work is much of what it does:

- ``windows``: the distinct hours in which at least two members act on the group's
  objects (the group's meetings);
- ``dedication``: per member, the share of its acts (an object in an hour) that are on
  the group's objects in the group's meeting hours; the median over members;
- ``hour_share``: per member, the share of its active hours that are meeting hours;
  the median over members;
- ``co_hours``: per member, the share of its active hours in which it acts on an object
  (any object) that another member acts on in that hour; the median over members;
- ``other_crowds``: per group object, the hours outside the meetings in which at least
  three non-members act on it (others' crowds on it: team content many teams do); the
  median over objects;
- ``gap_cv_in`` / ``gap_cv_out``: the coefficient of variation of each member's gaps
  between its events (under an hour) inside its meeting hours and outside them, the
  median over members (a script's metronome is near 0; human think times near 1 or
  above); NaN where a member has fewer than 5 gaps there;
- ``gap_in`` / ``gap_out``: the median gap (s).

Run (one heavy process at a time; the fits are cached under ``--cache``)::

    python benchmarks/group_kinds.py --source game --seeds 338 --n 20000
    python benchmarks/group_kinds.py --source clean-game --seeds 340 --n 20000
    python benchmarks/group_kinds.py --source shop accounts --seeds 687 --n 20000
    python benchmarks/group_kinds.py --source ecom --seeds 687 --n 10000 [--object-cat]
    python benchmarks/group_kinds.py --source ecom --seeds 687 --n 10000 \
        --cache /tmp/gk --without think-time whole-seconds community

Output: one JSON line per group on stdout (``--out`` appends them to a file) and a table
of the medians per source and kind.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

HOUR = 3600


def draw(source: str, seed: int, n: int, share: float = 0.04):
    """(events, entity, object, time column, kinds Series, planted group Series or None)."""
    if source in ("ecom", "clean-ecom"):
        from oddseq import datasets

        rings = 0 if source.startswith("clean-") else 10
        rate = 0.0 if source.startswith("clean-") else 0.02
        d = datasets.make_ecommerce(n_users=n, anomaly_rate=rate, random_state=seed, rings=rings)
        return d.events, "user_id", "item_id", "timestamp", d["kinds"].astype(str), None
    from heldout_verdicts import SOURCES

    clean = source.startswith("clean-")
    src = SOURCES[source.removeprefix("clean-")]()
    ev, lab = src.draw_clean(n, seed) if clean else src.draw(n, share, seed)
    lab = lab.set_index(src.entity)
    planted = lab["group"] if "group" in lab.columns else None
    return ev, src.entity, src.item, "timestamp", lab["kind"].astype(str), planted


def fit(ev, entity, obj, tcol, teams: bool = True, **kw):
    """GroupDetector's groups with graph/_teams.py's rule on (``teams``) or off, and the
    rule's reading of every block that passed the tests (read with the rule off too)."""
    from oddseq.graph import GroupDetector, _detector, _teams

    log = []

    class Reading:
        @staticmethod
        def team(det, graph, rows, *args):
            res = _teams.team(det, graph, rows, *args)
            log.append({**res, "rows": det._events.ids[rows]})
            return res if teams else {**res, "team": False}

    was = _detector._teams, _detector._TEAMS
    _detector._teams, _detector._TEAMS = Reading, True
    try:
        t = time.process_time()
        det = GroupDetector(method="auto", **kw).fit(ev, entity=entity, object=obj, time=tcol)
        cpu = time.process_time() - t
    finally:
        _detector._teams, _detector._TEAMS = was
    return {
        "groups": det.groups_.copy(),
        "acts": det.group_acts_.copy(),
        "labels": pd.Series(det.group_labels_, index=det.entity_ids_),
        "cpu": cpu,
        "teams": log,
    }


def _labels(values: pd.Series) -> pd.Series:
    """Object values as text, an integral float as its integer (3222.0 is 3222)."""
    return values.astype(str).str.replace(r"\.0$", "", regex=True)


def _gap_stats(t: np.ndarray, inside: np.ndarray):
    """(cv in, cv out, median gap in, median gap out) of one member's sorted times;
    a gap is inside when both its ends are."""
    gaps = np.diff(t)
    both = inside[1:] & inside[:-1]
    out = ~inside[1:] & ~inside[:-1]
    res = []
    for sel in (both, out):
        g = gaps[sel & (gaps > 0) & (gaps < HOUR)]
        res.append(float(g.std() / g.mean()) if g.size >= 5 else np.nan)
    for sel in (both, out):
        g = gaps[sel & (gaps > 0) & (gaps < HOUR)]
        res.append(float(np.median(g)) if g.size >= 5 else np.nan)
    return res


def group_stats(ev, entity, obj, tcol, fitted, kinds, planted):
    """One dict per group: its kind, purity, size and the statistics of the docstring."""
    groups, acts = fitted["groups"], fitted["acts"]
    if len(groups) == 0:
        return []
    objs = obj if isinstance(obj, list) else [obj]
    t = pd.to_numeric(ev[tcol]).to_numpy()
    t = t / 1000 if t.max() > 1e11 else t
    base = pd.DataFrame({"e": ev[entity].to_numpy(), "t": t, "h": (t // HOUR).astype(np.int64)})
    # an object per (column, value) so that two columns never collide
    cells = pd.concat(
        [base.assign(o=(c + ":" + _labels(ev[c])).to_numpy()) for c in objs], ignore_index=True
    )
    cells = cells[~ev[objs].isna().to_numpy().T.reshape(-1)]
    hour_users = cells.drop_duplicates(["o", "h", "e"])
    rows = []
    for gid, g in groups.iterrows():
        members = pd.Index(g["members"])
        a = acts[(acts["group"] == gid) & acts["entity"].isin(members)]
        a = a[a["in_block"]]  # the block's own acts: its meetings on its objects
        at = pd.to_datetime(a["time"]).astype("int64").to_numpy() / 1e9
        ah = (at // HOUR).astype(np.int64)
        meet = pd.DataFrame({"e": a["entity"].to_numpy(), "h": ah}).drop_duplicates()
        per_h = meet.groupby("h").size()
        windows = np.sort(per_h.index[per_h >= 2].to_numpy())
        gobj = set()
        for c in objs:
            gobj |= set(c + ":" + _labels(pd.Series(a["object"].unique())))
        # an object label of a two-column fit may already name its column
        mem_cells = cells[cells["e"].isin(members)]
        mem_acts = mem_cells.drop_duplicates(["e", "o", "h"])
        in_g = mem_acts["o"].isin(gobj).to_numpy() & np.isin(mem_acts["h"], windows)
        ded = pd.Series(in_g).groupby(mem_acts["e"].to_numpy()).mean()
        # the hours a member shares any object with another member (any object: the
        # group's whole shared work, not only the block's columns)
        n_on = mem_acts.groupby(["o", "h"])["e"].transform("size").to_numpy()
        shared_h = mem_acts.assign(s=n_on >= 2).groupby(["e", "h"])["s"].any()
        co = shared_h.groupby(level=0).mean()
        mh = mem_cells.drop_duplicates(["e", "h"])
        hs = pd.Series(np.isin(mh["h"], windows)).groupby(mh["e"].to_numpy()).mean()
        # others' crowds on the group's objects away from its meetings
        hu = hour_users[hour_users["o"].isin(gobj) & ~hour_users["e"].isin(members)]
        hu = hu[~np.isin(hu["h"], windows)]
        crowd = hu.groupby(["o", "h"]).size()
        per_obj = (crowd >= 3).groupby(level=0).sum().reindex(sorted(gobj)).fillna(0)
        # members' think times in and out of the meetings
        mev = base[base["e"].isin(members)].sort_values(["e", "t"])
        gs = []
        for _, me in mev.groupby("e"):
            gs.append(_gap_stats(me["t"].to_numpy(), np.isin(me["h"].to_numpy(), windows)))
        gs = np.array(gs, dtype=float) if gs else np.full((1, 4), np.nan)
        mk = kinds.reindex(members).fillna("?")
        top = mk.value_counts()
        row = {
            "group": int(gid),
            "kind": str(top.index[0]),
            "purity": round(float(top.iloc[0] / len(members)), 3),
            "members": len(members),
            "objects": int(g["n_objects"]),
            "significance": round(float(g["significance"]), 1),
            "windows": int(windows.size),
            "dedication": round(float(ded.median()), 3),
            "dedicated_share": round(float((ded >= 0.5).mean()), 3),
            "hour_share": round(float(hs.median()), 3),
            "co_hours": round(float(co.median()), 3),
            "other_crowds": float(per_obj.median()) if len(per_obj) else 0.0,
            "gap_cv_in": round(float(np.nanmedian(gs[:, 0])), 3),
            "gap_cv_out": round(float(np.nanmedian(gs[:, 1])), 3),
            "gap_in": round(float(np.nanmedian(gs[:, 2])), 1),
            "gap_out": round(float(np.nanmedian(gs[:, 3])), 1),
        }
        if planted is not None:
            pg = planted.reindex(members)
            row["planted_groups"] = int(pg[pg >= 0].nunique())
        rows.append(row)
    return rows


def _without_think_time():
    from oddseq.graph import _teams

    _teams._NO_THINK_NS = 0


def _without_whole_seconds():
    from oddseq.graph import _teams

    _teams.whole_seconds = lambda det: False


def _without_community():
    from oddseq.graph import _crowd

    _crowd._COMMUNITY_SITTINGS = 1


# The parts of the rules --without sets back, to measure what each changed.
RULES = {
    "think-time": _without_think_time,
    "whole-seconds": _without_whole_seconds,
    "community": _without_community,
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", nargs="+", default=["game"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[338])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--object-cat", action="store_true", help="make_ecommerce: item + category")
    ap.add_argument("--cache", default=None, help="folder for the fits (pickles)")
    ap.add_argument("--out", default=None, help="append the JSON lines here")
    ap.add_argument(
        "--without",
        nargs="+",
        default=[],
        choices=sorted(RULES),
        help="fit as before these parts of the team and crowd rules (cached apart): "
        "think-time (TR s63 H2), whole-seconds (the gaps of 0 on a clock of whole seconds, "
        "RV s63 M2), community (a crowd in two sittings, TR s63 H1)",
    )
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    for part in args.without:
        RULES[part]()
    all_rows, readings, arms = [], [], []
    for source in args.source:
        for seed in args.seeds:
            ev, entity, obj, tcol, kinds, planted = draw(source, seed, args.n)
            if args.object_cat:
                obj = [obj, "category_id"]
            tag = f"{source}{'-cat' if args.object_cat else ''}-{seed}-{args.n}"
            name = tag.rsplit("-", 2)[0]
            fits = {}
            for arm in ("off", "on"):
                # (fits without some rules apart from those with them)
                without = "".join(f"-without-{part}" for part in sorted(args.without))
                path = Path(args.cache) / f"{tag}{without}-{arm}.pkl" if args.cache else None
                if path is not None and path.exists():
                    fits[arm] = pickle.loads(path.read_bytes())
                else:
                    fits[arm] = fit(ev, entity, obj, tcol, teams=arm == "on")
                    if path is not None:
                        path.parent.mkdir(parents=True, exist_ok=True)
                        path.write_bytes(pickle.dumps(fits[arm]))
                members = fits[arm]["labels"].index[fits[arm]["labels"].to_numpy() >= 0]
                arms.append(
                    {
                        "source": name,
                        "seed": seed,
                        "rule": arm,
                        "groups": len(fits[arm]["groups"]),
                        "cpu": round(fits[arm]["cpu"], 1),
                        **kinds.reindex(members).value_counts().to_dict(),
                    }
                )
            rows = group_stats(ev, entity, obj, tcol, fits["off"], kinds, planted)
            for read in fits["off"]["teams"]:
                top = kinds.reindex(read["rows"]).fillna("?").value_counts()
                readings.append(
                    {
                        "source": name,
                        "seed": seed,
                        "kind": str(top.index[0]),
                        "purity": round(float(top.iloc[0] / top.sum()), 2),
                        "members": int(top.sum()),
                        **{k: v for k, v in read.items() if k != "rows"},
                    }
                )
            for r in rows:
                r.update(source=name, seed=seed)
            for r in rows + readings[-len(fits["off"]["teams"]) or len(readings) :] + arms[-2:]:
                line = json.dumps(r, default=float)
                print(line, flush=True)
                if args.out:
                    with open(args.out, "a") as f:
                        f.write(line + "\n")
            all_rows += rows
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        if all_rows:
            df = pd.DataFrame(all_rows)
            cols = [
                "windows",
                "dedication",
                "hour_share",
                "co_hours",
                "other_crowds",
                "gap_cv_in",
                "gap_cv_out",
            ]
            table = df.groupby(["source", "kind"])[cols].median()
            table.insert(0, "groups", df.groupby(["source", "kind"]).size())
            print("\nGroups with the rule off, medians (log statistics):")
            print(table.round(3).to_string())
        if readings:
            df = pd.DataFrame(readings)
            df["team"] = df["team"].astype(float)  # (its mean: the share read as teams)
            cols = ["other_meetings", "sittings", "pace_cv", "scripted", "think_s", "team"]
            # (readings cached before a column was added lack it)
            df = df.reindex(columns=[*df.columns, *(c for c in cols if c not in df.columns)])
            table = df.groupby(["source", "kind"])[cols].agg(["min", "median", "max"])
            table.insert(0, "blocks", df.groupby(["source", "kind"]).size())
            print("\nThe rule's reading of each block that passed the tests (rule off):")
            print(table.round(2).to_string())
        print("\nMembers in groups by kind, rule off and on:")
        print(pd.DataFrame(arms).fillna(0).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
