"""Does ``predict_confidence`` mean what it says? A reliability table on held-out data.

The confidence of a verdict is the probability that another draw of the training data
would put the entity on the same side of the cut (ExCeeD, Perini et al. 2020; PyOD's
``predict_confidence``). Here: fit the default pipeline on a training set, score a
held-out set (its verdicts and their confidence), refit ``--refits`` times and count,
per held-out entity, the share of refits whose verdict is the same (the observed
stability). Refits: on bootstrap resamples of the training set, or with ``--fresh`` on
other draws of the data (the generators at seeds ``seed x 1000 + r``; hdfs_xu: other
normal blocks of the pool not held out, a finite pool that overlaps the first draw).
Binned by the predicted confidence: the mean predicted beside the mean observed, and
``binned`` (|mean predicted - mean observed| per bin, weighted by its entities), for:

- ``old``: before session 30 (ranks counting ties below, the share the cut flags
  clamped to [1/n, 0.5]);
- ``ties`` (ebd9ec2) and ``clip``: session 30's variants, measured and not adopted;
- ``s30``: session 30's rule (9db7902: mid-ranks, the rule's rate wherever the cut
  flags fewer), ExCeeD's binomial of a quantile;
- ``single``: the cut's rule re-run on single bootstrap resamples of the reference (a
  variant measured and not adopted: the spread about this reference's cut);
- ``new``: session 31's rule (``bootstrap_cuts``: the rule re-run on twice-resampled
  references, another draw of a population drawn from the reference), where the rule
  can be re-run (``spread``); elsewhere ``s30``'s.

Sources: hdfs_xu normal-only (``/work/shared/data``; the invariants method and the
default), and the held-out generators of ``heldout_verdicts.py`` (shop, accounts, web,
game): unsupervised on a 3% mix and normal-only on a nothing-planted draw, scored on a
3% mix of the next seed. The scorer is refitted too, which the confidence holds fixed:
where refits move the scores (the unsupervised mixes), verdicts flip more than it says.
Run (about 4 minutes a seed at 20 refits on 2 lightly loaded cores)::

    CONFIDENCE_DUMP=/tmp/conf env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE nice -n 10 \\
        python benchmarks/confidence_reliability.py --seeds 567 569 571 573 --refits 20

``CONFIDENCE_DUMP=DIR`` saves each config's fit, held-out set and refits' verdicts;
``--from-dump DIR --seeds ...`` judges the rules on them again without refitting.
``--laws``: the rules against the truth where it is known (scores of four laws, the
cut's rule on 300 fresh draws of them; :func:`known_laws`).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oddseq._pipeline as P  # noqa: E402
import oddseq.detect._base as B  # noqa: E402
from oddseq import AnomalyPipeline  # noqa: E402
from oddseq.detect._base import bootstrap_cuts, verdict_confidence  # noqa: E402
from oddseq.sequences import Sequences  # noqa: E402

HDFS = "/work/shared/data/hdfs_xu"
DUMP = os.environ.get("CONFIDENCE_DUMP")  # a folder: save each config there
BINS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0 + 1e-9)


def _exceed(reference, scores, flagged, share, side):
    """ExCeeD with ranks counting ties by ``side`` ("right": all below, "mid": half)."""
    from scipy.stats import binom

    train = np.sort(np.asarray(reference, dtype=np.float64))
    n = train.size
    scores = np.asarray(scores, dtype=np.float64)
    below = np.searchsorted(train, scores, side="right" if side == "right" else "left")
    if side == "mid":
        below = below + 0.5 * (np.searchsorted(train, scores, side="right") - below)
    posterior = (1.0 + below) / (2.0 + n)
    share = min(max(share, 1.0 / n), 0.5)
    confidence = np.asarray(1.0 - binom.cdf(n - int(n * share), n, posterior), dtype=float)
    normal = ~np.broadcast_to(np.asarray(flagged, dtype=bool), confidence.shape)
    confidence[normal] = 1.0 - confidence[normal]
    return confidence


def _tie_room(train, share):
    """(flagged, ties): what the cut flags of the sorted reference and the ties at the
    level under it."""
    n = train.size
    k = int(round(share * n))
    if k >= n:
        return k, 0
    level = train[n - k - 1]
    return k, int(np.searchsorted(train, level, side="right") - np.searchsorted(train, level))


def old_rule(reference, scores, flagged, share, rate=None):
    """Before session 30 (76498f5): ranks count ties below, the share the cut flags."""
    return _exceed(reference, scores, flagged, share, "right")


def ties_rule(reference, scores, flagged, share, rate=None):
    """ebd9ec2: mid-ranks; the rate only where ties at the level under the cut hold it."""
    train = np.sort(np.asarray(reference, dtype=np.float64))
    if rate is not None and share < rate:
        k, ties = _tie_room(train, share)
        if k < train.size and k + ties >= rate * train.size * (1 - 1e-12):
            share = rate
    return _exceed(train, scores, flagged, share, "mid")


def clip_rule(reference, scores, flagged, share, rate=None):
    """A variant: mid-ranks; the share nearest the rate that a cut between the same two
    reference scores could flag."""
    train = np.sort(np.asarray(reference, dtype=np.float64))
    if rate is not None and share < rate:
        k, ties = _tie_room(train, share)
        if k < train.size:
            share = min(float(rate), (k + ties) / train.size)
    return _exceed(train, scores, flagged, share, "mid")


def s30_rule(reference, scores, flagged, share, rate=None, cuts=None):
    """Session 30 (9db7902): mid-ranks, the rule's rate wherever the cut flags fewer;
    ExCeeD's binomial, the cut's own spread not read."""
    return verdict_confidence(reference, scores, flagged, share, rate=rate)


def single_cuts(reference, rule, n_draws=None, seed=0):
    """A variant of ``bootstrap_cuts``: one resample per cut (the spread about the
    reference's cut of the refits on bootstrap resamples, not of another draw)."""
    reference = np.asarray(reference, dtype=np.float64)
    rng = np.random.default_rng(seed)
    n = reference.size
    return np.sort([rule(reference[rng.integers(0, n, n)]) for _ in range(n_draws or 100)])


RULES = {
    "old": old_rule,
    "ties": ties_rule,
    "clip": clip_rule,
    "s30": s30_rule,
    "single": verdict_confidence,  # the cut's spread by single resamples
    "new": verdict_confidence,
}


def confidence(pipe, seqs, rule: str, hook: bool) -> np.ndarray:
    """``pipe.predict_confidence(seqs)`` with one of ``RULES`` in place of
    ``verdict_confidence`` and (but for the old rule) the pipeline's rate passed to it
    where ``_pipeline.py`` does not already."""
    rate = (pipe.threshold_info_ or {}).get("false_alarm_rate")
    chosen = RULES[rule]

    def call(ref, s, f, share, **kw):
        if hook and rule != "old" and f is not True and "rate" not in kw:
            kw["rate"] = rate  # (not the support floor's call: f is True there)
        if rule in ("old", "ties", "clip"):
            kw.pop("cuts", None)
        return chosen(ref, s, f, share, **kw)

    P.verdict_confidence = call
    if rule == "single":
        B.bootstrap_cuts = single_cuts
    B._SPREADS.clear()  # (each rule its own spread: cut_spread keeps one per model)
    try:
        return pipe.predict_confidence(seqs).to_numpy()
    finally:
        P.verdict_confidence, B.bootstrap_cuts = verdict_confidence, bootstrap_cuts
        B._SPREADS.clear()


def hdfs_sets(seed: int, n_train: int):
    """(training set, held-out set, draw(r): another training set): 2,000 other normal
    blocks and 60 anomalous ones held out; another draw takes ``n_train`` of the normal
    blocks that are not held out (a finite pool: they overlap the first draw)."""

    def read(name):
        with open(os.path.join(HDFS, name)) as f:
            return [line.split(",", 1)[1].split() for line in f if line.strip()]

    normal, abnormal = read("hdfs_train"), read("hdfs_test_abnormal")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(normal))
    train = Sequences.from_lists([normal[i] for i in order[:n_train]])
    rest = [normal[i] for i in order[n_train : n_train + 2000]]
    odd = [abnormal[i] for i in rng.choice(len(abnormal), 60, replace=False)]
    pool = np.r_[order[:n_train], order[n_train + 2000 :]]

    def draw(r):
        pick = np.random.default_rng([seed, r]).choice(pool, n_train, replace=False)
        return Sequences.from_lists([normal[i] for i in pick])

    return train, Sequences.from_lists(rest + odd), draw


def generator_sets(name: str, seed: int, n: int, normal: bool):
    """(training set, held-out set, draw(r): another training set of the generator,
    drawn with seed ``seed * 1000 + r``)."""
    import heldout_verdicts as hv

    src = hv.SOURCES[name]()
    roles = hv.roles(src)

    def events_of(s):
        return src.draw_clean(n, s)[0] if normal else src.draw(n, 0.03, s)[0]

    test = src.draw(n, 0.03, seed + 1)[0]

    def draw(r):
        return Sequences.from_events(events_of(seed * 1000 + r), **roles)

    return (
        Sequences.from_events(events_of(seed), **roles),
        Sequences.from_events(test, **roles),
        draw,
    )


def resample(seqs: Sequences, index: np.ndarray) -> Sequences:
    """The sequences at ``index`` (repeats included) under fresh ids 0..n-1."""
    ids = pd.Index(np.arange(index.size))
    return seqs._subset(seqs.offsets[index], seqs.offsets[index + 1], ids, None)


def run(label, train, test, method, normal, refits, seed, hook, draw=None):
    """Fit, score ``test``, refit ``refits`` times: on bootstrap resamples of ``train``,
    or with ``draw`` (r -> another training set) on other draws of the data."""
    t0 = time.perf_counter()
    fit = dict(normal=True) if normal else {}
    pipe = AnomalyPipeline(method=method).fit(train, **fit)
    verdict = pipe.score(test)["is_anomaly"].reindex(test.ids).to_numpy()
    rng = np.random.default_rng(seed)
    same = np.zeros(len(test))
    kept = []  # per refit: its verdicts of the held-out entities
    for _ in range(refits):
        if draw is None:
            boot = resample(train, rng.integers(0, len(train), len(train)))
        else:
            boot = draw(len(kept))
        again = AnomalyPipeline(method=method).fit(boot, **fit)
        kept.append(again.score(test)["is_anomaly"].reindex(test.ids).to_numpy())
        same += kept[-1] == verdict
    if DUMP:  # the fit, the held-out set and the refits' verdicts: rules judged later
        os.makedirs(DUMP, exist_ok=True)
        with open(os.path.join(DUMP, label.replace(" ", "_") + ".pkl"), "wb") as f:
            pickle.dump({"pipe": pipe, "test": test, "verdict": verdict, "refits": kept}, f)
    print(
        f"{label}: {type(pipe.detector_).__name__}, {len(train):,} fitted, {len(test):,} "
        f"scored, {int(verdict.sum())} flagged, rule: {pipe.threshold_info_['rule'][:90]} "
        f"({time.perf_counter() - t0:.0f} s)",
        flush=True,
    )
    return judged(label, pipe, test, verdict, kept, hook)


def judged(label, pipe, test, verdict, kept, hook=True):
    """Each rule's confidence in the fit's verdicts beside the share of refits (their
    verdicts ``kept``) that keep them."""
    observed = np.mean([k == verdict for k in kept], axis=0)
    conf = {rule: confidence(pipe, test, rule, hook) for rule in RULES}
    spread = P.pipeline_confidence_cuts(pipe, pipe._reference()) is not None
    return pd.DataFrame(
        {
            "config": label,
            "source": " ".join(label.split()[:-1]),
            "spread": spread,  # whether the cut's rule was re-run (else ExCeeD)
            "flagged": verdict,
            **conf,
            "observed": observed,
        }
    )


def table(frame: pd.DataFrame, rule: str) -> pd.DataFrame:
    out = []
    for flagged, part in frame.groupby("flagged"):
        bins = pd.cut(part[rule], BINS, right=False)
        g = part.groupby(bins, observed=True)
        t = pd.DataFrame(
            {
                "n": g.size(),
                "predicted": g[rule].mean(),
                "observed": g["observed"].mean(),
            }
        )
        t.index = pd.MultiIndex.from_product([["flag" if flagged else "normal"], t.index])
        out.append(t)
    return pd.concat(out).round(3)


def binned_gap(frame: pd.DataFrame, rule: str) -> float:
    """|mean predicted - mean observed| per bin of the predicted confidence (``BINS``,
    flags and normal entities apart), weighted by the bin's entities: how far a
    confidence read off the bins is from what refits do."""
    total = 0.0
    for _, part in frame.groupby("flagged"):
        bins = pd.cut(part[rule], BINS, right=False)
        g = part.groupby(bins, observed=True)
        total += float(((g[rule].mean() - g["observed"].mean()).abs() * g.size()).sum())
    return total / len(frame)


def summary(frame: pd.DataFrame, rule: str) -> dict:
    gap = (frame[rule] - frame["observed"]).abs()
    flags = frame["flagged"]
    return {
        "mean_abs_gap": round(float(gap.mean()), 4),
        "binned_gap": round(binned_gap(frame, rule), 4),
        "binned_gap_flags": round(binned_gap(frame[flags], rule), 4) if flags.any() else None,
        "mean_abs_gap_flags": round(float(gap[flags].mean()), 4) if flags.any() else None,
        "mean_predicted_flags": round(float(frame.loc[flags, rule].mean()), 4)
        if flags.any()
        else None,
        "mean_observed_flags": round(float(frame.loc[flags, "observed"].mean()), 4)
        if flags.any()
        else None,
    }


def known_laws(references: int = 12, truths: int = 300, n: int = 1000) -> None:
    """The rules against the truth where it is known: scores drawn from four laws, the
    cut's rule (the unsupervised tail cut at 0.01, the normal-only quantile at 0.005) on
    ``truths`` fresh draws of ``n`` the share that keeps each verdict, for 25 rows across
    the cut's range and ``references`` references; binned (tenths) |predicted -
    observed| of ``s30`` (ExCeeD at the rate), ``single`` resamples and ``new``."""
    from oddseq.detect._threshold import _auto_cut, normal_cut

    laws = {
        "lognormal": lambda r: r.lognormal(0, 1, n),
        "gamma": lambda r: r.gamma(2, size=n),
        "|t3|": lambda r: np.abs(r.standard_t(3, n)),
        "exponential": lambda r: r.exponential(size=n),
    }
    cut_rules = {
        "tail 0.01": (lambda s: _auto_cut(s, 0.01, warn=False)[0], 0.01),
        "normal 0.005": (lambda s: normal_cut(s, 0.005), 0.005),
    }

    def binned(p, o):
        b = np.minimum((p * 10).astype(int), 9)
        return (
            sum(abs(p[b == k].mean() - o[b == k].mean()) * (b == k).sum() for k in set(b)) / p.size
        )

    for rname, (rule, rate) in cut_rules.items():
        for name, law in laws.items():
            truth = np.array([rule(law(np.random.default_rng(10_000 + b))) for b in range(truths)])
            got = {"s30": [], "single": [], "new": []}
            observed = []
            for r in range(references):
                ref = law(np.random.default_rng(r))
                cut = rule(ref)
                x = np.quantile(truth, np.linspace(0.02, 0.98, 25))
                flag = x > cut
                observed.append(
                    np.where(flag, (x[:, None] > truth).mean(1), (x[:, None] <= truth).mean(1))
                )
                share = float(np.mean(ref > cut))
                got["s30"].append(verdict_confidence(ref, x, flag, share, rate=rate))
                got["single"].append(
                    verdict_confidence(ref, x, flag, share, cuts=single_cuts(ref, rule))
                )
                got["new"].append(
                    verdict_confidence(ref, x, flag, share, cuts=bootstrap_cuts(ref, rule))
                )
            o = np.concatenate(observed)
            print(
                f"{rname:13s} {name:12s} "
                + " ".join(f"{k} {binned(np.concatenate(v), o):.3f}" for k, v in got.items())
            )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[517])
    ap.add_argument("--refits", type=int, default=30)
    ap.add_argument("--n", type=int, default=2000, help="entities per draw")
    ap.add_argument("--sources", nargs="+", default=["hdfs", "shop", "accounts", "web", "game"])
    ap.add_argument("--no-hook", action="store_true")
    ap.add_argument("--out", default="benchmarks/results/confidence_reliability.json")
    ap.add_argument(
        "--fresh",
        action="store_true",
        help="refit on other draws of the data (generators: seed x 1000 + r; hdfs_xu: "
        "other normal blocks) rather than on bootstrap resamples",
    )
    ap.add_argument(
        "--from-dump",
        metavar="DIR",
        help="judge the rules on the fits and refits a run saved there "
        "(CONFIDENCE_DUMP=DIR), for --seeds, without refitting",
    )
    ap.add_argument(
        "--laws",
        action="store_true",
        help="only the known-law check (the truth: the rule's cut on fresh draws)",
    )
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    if args.laws:
        known_laws()
        return
    frames = []
    for seed in args.seeds if args.from_dump else ():
        for name in sorted(os.listdir(args.from_dump)):
            if name.endswith(f"_{seed}.pkl"):
                with open(os.path.join(args.from_dump, name), "rb") as f:
                    got = pickle.load(f)
                label = name[: -len(".pkl")].replace("_", " ").replace("hdfs xu", "hdfs_xu")
                frames.append(
                    judged(label, got["pipe"], got["test"], got["verdict"], got["refits"])
                )
    for seed in () if args.from_dump else args.seeds:
        for name in args.sources:
            if name == "hdfs":
                train, test, draw = hdfs_sets(seed, args.n)
                for method in ("invariants", "auto"):
                    frames.append(
                        run(
                            f"hdfs_xu normal {method} {seed}",
                            train,
                            test,
                            method,
                            True,
                            args.refits,
                            seed,
                            not args.no_hook,
                            draw if args.fresh else None,
                        )
                    )
                continue
            for normal in (False, True):
                train, test, draw = generator_sets(name, seed, args.n, normal)
                kind = "normal" if normal else "mix"
                frames.append(
                    run(
                        f"{name} {kind} {seed}",
                        train,
                        test,
                        "auto",
                        normal,
                        args.refits,
                        seed,
                        not args.no_hook,
                        draw if args.fresh else None,
                    )
                )
    frame = pd.concat(frames, ignore_index=True)
    result = {"args": vars(args), "configs": {}}
    for rule in RULES:
        print(f"\n== {rule} rule: predicted confidence vs observed share of refits agreeing")
        print(table(frame, rule).to_string())
    print(
        "\nper config, rules " + " / ".join(RULES) + ": mean |predicted - observed|; flags: "
        "mean predicted (observed, count)"
    )
    for label, part in frame.groupby("config", sort=False):
        got = {rule: summary(part, rule) for rule in RULES}
        result["configs"][label] = {**got, "n": len(part), "flags": int(part["flagged"].sum())}
        print(
            f"  {label:30s} all "
            + " / ".join(f"{got[r]['mean_abs_gap']:.3f}" for r in RULES)
            + "; flags "
            + " / ".join(f"{got[r]['mean_predicted_flags']}" for r in RULES)
            + f" (observed {got['new']['mean_observed_flags']}, {int(part['flagged'].sum())})"
        )
    print(
        "\nper source (seeds together), rules "
        + " / ".join(RULES)
        + ": mean |predicted - observed| per entity; binned (flags' binned)"
    )
    result["sources"] = {}
    for source, part in frame.groupby("source", sort=False):
        got = {rule: summary(part, rule) for rule in RULES}
        result["sources"][source] = got
        print(
            f"  {source:26s} "
            + " / ".join(f"{got[r]['mean_abs_gap']:.4f}" for r in RULES)
            + "; binned "
            + " / ".join(
                f"{got[r]['binned_gap']:.4f} ({got[r]['binned_gap_flags']})" for r in RULES
            )
            + f"; spread re-run: {bool(part['spread'].all())}"
        )
    result["all"] = {rule: summary(frame, rule) for rule in RULES}
    print("all:", result["all"])
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
