"""Where to cut a score: the share of normal entities that would be flagged, estimated
from the scores themselves (unsupervised) or from normal data the model never saw
(normal-only fitting).

Both rules answer one question, "above which score does a normal entity fall with
probability ``false_alarm_rate``?", from two kinds of evidence:

- ``tail_cut`` (unsupervised): the training scores hold an unknown share of anomalies,
  all of them somewhere in the upper tail. The tail of the normal scores is modelled by
  a generalized Pareto distribution (the peaks-over-threshold model of extreme-value
  theory, as in SPOT, Siffer et al. KDD 2017) whose two parameters come from the 80th,
  90th and 95th percentiles (Pickands 1975): the anomalies, a few percent at the top,
  can only push those out (a heavier tail, a more conservative cut), never pull the
  cut into the bulk, and the model's shape follows a heavy tail (real activity) as
  well as a light one. The cut is the model's (1 - false_alarm_rate) quantile.
  Maximum likelihood on the whole top 20% (normal_cut's fit) reads anomalies far out
  as the tail; censored above the 95th percentile it reads what Pickands reads, and
  measured no better across sources (``_TAIL_FIT``).
- ``normal_cut`` (normal-only): out-of-fold scores of normal entities are a clean
  sample of the normal distribution: the empirical quantile where at least
  ``_MIN_EXCEEDANCES`` scores lie beyond it, otherwise the same generalized Pareto tail
  fitted to the top of the sample and extrapolated.

``gap_cut`` (unsupervised, after ``tail_cut``): where the cut falls under a plateau of
tied scores below a clear gap (a system log's repeated normal blocks just under its
anomalous ones), it moves up into the gap, flagging at most a quarter fewer; only a gap
wider than one population's spacings give by chance (a 5% test) moves it, and only
where the flags under it are tied (distinct scores under a clear gap are a milder group
of their own, and stay flagged).

``_gap_below`` (unsupervised, after ``tail_cut``): where a few percent stand clearly
apart, they inflate the tail model and its cut lands inside them; a gap below the cut
(within the top 5%) that one population's spacings do not give, and that is wide
against the bulk's own spacing (at least ``GAP_SPACINGS / n`` robust standard
deviations of the n scores), moves it down to the group's lower edge, if the group has a
bounded top (its highest score at most ``GROUP_TOP_RATIO`` times as far above its edge as
its median is: the top few percent of a heavy tail is not a group apart).

``_trimmed_tail`` (``AnomalyPipeline``'s repair of a collapsed cut, ``_auto_cut(refit=
True)``; ``auto_cut`` itself does not refit): where the moved cut still flags under half
the rate's share, the data contradict the tail model (a right one lets about the rate's
share of the normal entities over, whatever the anomalies): a group it fell in bent it.
The tail is fitted again without the top 0.25%, 0.5%, ... 5% in turn until the refit is
not contradicted by the rest it was fitted on (where none is, the anomalies blend into
the tail: the least trim whose flags the whole log does not contradict);
``AnomalyPipeline`` (and ``oddseq.dask``) cuts there and warns. It rescued every
collapsed labelled log of three sets of saved scores and flags a minority of alike
normal users with nothing planted too (2.8-5.4% of some such logs): benchmarks/RESULTS.md,
"The cut that collapsed" (eighteenth session), "The collapsed cut repaired by default"
(nineteenth), "A blended tail" (twenty-ninth).

``_graded_edge`` (the same repair, after ``_trimmed_tail``): where the first tail cut
collapsed, the gap the move down reads below it (wide on the bulk's scale, a bounded top)
moves the cut part of the way to it even where its spacing test narrowly fails, by a share
of the ranks that grows with the gap's evidence (all of the way at the test's level): the
yes/no test at a blurred group edge had made the held-out game log's verdict a coin flip
between the group and about the rate's share (thirty-first session).

``auto_cut`` is the tail cut moved into the wider clear gap of the two: the one
unsupervised cut of every place that cuts training scores without labels (a detector's
``contamination="auto"`` where it has no natural cut of its own, the neural models
fitted unsupervised, ``AnomalyPipeline`` and ``oddseq.dask``; ``StreamScorer.calibrate``
moves its cut up only).

``separate_tail`` asks whether the top of the scores holds a large group (2% and more)
far beyond the rest (a jump in the local Pickands shape that no single tail makes, far
compared with the bulk's spread and, given the entities' evidence weights, with the
spread of the group's peers in evidence): normal-only fitting warns with it when the
data said to be normal visibly is not.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .. import _core
from ..exceptions import DataWarning
from ..utils._stacklevel import user_stacklevel
from ..utils._stats import robust_spread
from ..utils._unique import distinct
from ..utils._validation import check_positive_int

__all__ = [
    "THRESHOLD_RULES",
    "auto_cut",
    "check_false_alarm_rate",
    "gap_cut",
    "normal_cut",
    "out_of_fold_scores",
    "separate_tail",
    "tail_cut",
    "tail_probability",
]

THRESHOLD_RULES = ("tail", "mad")
# The default false-alarm rate of unsupervised fitting, chosen on the multi-source
# benchmark (benchmarks/verdicts.py, RESULTS.md "Verdicts"): at 0.001 the cut missed
# most anomalies that overlap the normal tail (flag F1 a third of the best cut's on the
# hard shop logs); at 0.01 the flag F1 was within 0.9 of the best cut's on most labelled
# sources. Set it lower where every alarm costs an analyst's hour.
DEFAULT_FALSE_ALARM_RATE = 0.01
# Normal-only fitting's default: its out-of-fold scores are a clean sample of normal
# behaviour, so the rate is the share of normal entities flagged and nothing more. With
# the normal-only feature scales, 0.005 held the flag F1 within 0.9 of the best cut's on
# all six normal-only sources at the choosing seed and on five of six held out (0.01:
# five and four; own-cut F1 on HDFS 0.92-0.97 against 0.85-0.97; RESULTS.md, "Verdicts").
DEFAULT_NORMAL_FALSE_ALARM_RATE = 0.005
# Normal-only fitting warns when the normal data's out-of-fold scores have a group far
# beyond the rest (separate_tail): a local tail shape of at least this. One population's
# tail stays below 1 (a shape of 1 is already a tail with an infinite mean); measured
# (benchmarks/RESULTS.md, "Verdicts"): at most 0.68 on the normal entities of six
# labelled sources at two seeds (0.82 with 3-10% of their own anomalies mixed in: those
# sit in the tail, not beyond it), 2.7-4.6 with 3-10% of entities far outside mixed in.
NOT_NORMAL_SHAPE = 2.0
# ... and only for a large share far out: a group beyond the jump holding at least this
# share of the scores (and at most a third: a larger one is a second mode of the normal
# data, as the LSTM's scores of the hard marketplace's normal users, whose upper 45%
# spreads 4-15 above a tight lower half at 3). A quarter far out still counts: "a large
# share far outside" is what the check is for, though it also reads the Transformer's
# scores of the medium marketplace's clean normal users (a quarter with a missed event,
# 1-12 above a bulk at 0.03) as one; a cap at a fifth silenced both, ...
NOT_NORMAL_SHARE = 0.02
_MAX_GROUP = 1 / 3
# ... whose jump (q(1-s) - q(1-2s)) is at least this many times the spread of the
# scores' lower half (median - lower quartile: a group far out moves those quantiles by
# its size only, not by its values). "Far" is thus relative to the bulk's own spread: a
# tight 5% group whose values start 8 standard deviations of a normal bulk out counts,
# one at 6 does not (it did before this bound). A warning that fires on clean data
# teaches users to ignore it; the sequence models' out-of-fold scores of clean normal
# data have shapes beyond 2 without either: a handful of rare normal workflows far out
# (the Transformer on hdfs_xu's normal blocks: 6.5, its top 1.1% with a missed event)
# and the edge of a dense mode with a smooth rise above it (the Transformer on
# hdfs_deeplog 2.5, the LSTM on hdfs_xu 2.3: top 5-6%, a jump of 2-3 such spreads).
# Entities far outside mixed in at 3% gave groups of 2.3-3.4% and jumps of 15-17 spreads
# (the autoencoder, whose far entities score 5-10x the normal top), 350 and more (the
# Transformer; infinite over a tied bulk). Measured: benchmarks/RESULTS.md, "Data that
# is not normal: clean normal data stays silent" (tenth session).
_NOT_NORMAL_JUMP = 8.0
# (Where the lower half is tied, as when most normal entities have a twin, that spread is
# 0 and "far" is measured in units of how far apart the normal data's variants lie
# instead: ``unit`` of separate_tail and _far_from_twins, the same 8 of them.)
# The fewest scores a top share must hold to measure its shape.
_MIN_GROUP = 25
# ... and, judged within evidence, a group member's peers are the entities whose
# evidence weight (the share of their own value the shrinkage keeps) lies within this
# factor of its own: their scores' scale is then about the same. Measured
# (benchmarks/RESULTS.md, "The not-normal check within evidence"): the real shop logs'
# longer sessions lie 0.05-0.29 x the bound above their peers, groups of error entities
# mixed in 2.8-12 x (1.5 gives the same verdicts).
_PEER_FACTOR = 1.25
# The tail model's reference share: percentiles 1 - 4m, 1 - 2m, 1 - m.
_TAIL_SHARE = 0.05
# Fewer normal scores than this beyond an empirical quantile: extrapolate instead.
_MIN_EXCEEDANCES = 10
# Shapes beyond these are not believed from three quantiles: -1 is a uniform tail (a
# hard upper end), 1 already a tail with an infinite mean.
_SHAPE_RANGE = (-1.0, 1.0)


def check_false_alarm_rate(value, name: str = "false_alarm_rate") -> float:
    """A number in (0, 0.5): the share of normal entities a cut may flag."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in (0, 0.5), got {value!r}")
    if not 0 < value < 0.5 or not np.isfinite(value):
        raise ValueError(
            f"{name} must be in (0, 0.5) (the share of normal entities that may be "
            f"flagged, e.g. 0.001), got {value}"
        )
    return float(value)


def _check_scores(scores, name: str = "scores") -> np.ndarray:
    """Scores as a finite, non-empty 1-D float64 array (the public cuts' input check)."""
    try:
        scores = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be numbers, got {type(scores).__name__}: {error}") from None
    if scores.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {scores.shape}")
    if scores.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.isfinite(scores).all():
        raise ValueError(f"{name} must be finite (no NaN or inf); drop or impute them first")
    return scores


def _check_rate(value, name: str = "false_alarm_rate") -> float:
    """A share in (0, 1): the public cuts take any (the pipeline's own is in (0, 0.5))."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in (0, 1), got {value!r}")
    if not 0 < value < 1:
        raise ValueError(
            f"{name} must be in (0, 1) (the share of normal entities that may be flagged, "
            f"e.g. 0.001), got {value}"
        )
    return float(value)


def check_threshold_rule(rule) -> str:
    if rule not in THRESHOLD_RULES:
        raise ValueError(f"threshold rule must be one of {THRESHOLD_RULES}, got {rule!r}")
    return rule


def _gpd_from_quantiles(a: float, b: float, c: float):
    """Shape and scale of a generalized Pareto excess over ``a`` whose conditional
    quantiles at 1/2 and 1/4 of the exceedance probability are ``b`` and ``c``
    (Pickands' estimator). None when the quantiles are tied (no spread to model)."""
    if not (b > a and c > b):
        return None
    # Logs of the two spreads, not their ratio: spreads of 1e-305 and 1e3 overflow it.
    shape = float(np.clip(np.log2(c - b) - np.log2(b - a), *_SHAPE_RANGE))
    if abs(shape) < 1e-9:
        return 0.0, (b - a) / np.log(2.0)
    return shape, shape * (b - a) / (2.0**shape - 1.0)


def _tail_model(scores: np.ndarray, share: float):
    """(reference point, shape, scale, share) of a generalized Pareto tail over the top
    ``share`` of the scores, Pickands' quantiles at share, share/2 and share/4. Where
    those quantiles are tied (most entities alike: repeated blocks of a system log,
    neighbour distances of 0 between copies), wider shares are tried (up to the top
    half), then narrower ones (down to the top 5%) if the ties fill the bulk. None if
    no share has a spread to model."""
    shares = [share]
    while shares[-1] < 0.5:
        shares.append(min(2 * shares[-1], 0.5))
    narrower = share / 2
    while narrower >= 0.05:
        shares.append(narrower)
        narrower /= 2
    for candidate in shares:
        a, b, c = np.quantile(scores, [1 - candidate, 1 - candidate / 2, 1 - candidate / 4])
        # A reference point on a plateau of ties is no start of a continuous tail.
        plateau = np.count_nonzero(scores == a) > candidate / 4 * scores.size
        model = None if plateau else _gpd_from_quantiles(a, b, c)
        if model is not None:
            return float(a), model[0], model[1], candidate
    return None


def _gpd_excess(shape: float, scale: float, probability: np.ndarray | float):
    """The excess over the reference point exceeded with conditional probability p."""
    p = np.asarray(probability, dtype=np.float64)
    if abs(shape) < 1e-9:
        return scale * -np.log(p)
    return scale / shape * (p ** (-shape) - 1.0)


def mad_cut(scores: np.ndarray, z: float = 3.0) -> float:
    """median + z x 1.4826 x MAD of the scores (the classic robust z rule). When over
    half the scores are equal (MAD = 0, common with duplicated rows), the mean absolute
    deviation x 1.2533 stands in for the spread; when every score is equal, the largest
    score (nothing flagged)."""
    median, spread = (float(v) for v in robust_spread(scores, fallback="mean_abs"))
    if spread > 0:
        return median + z * spread
    return float(np.max(scores))


def tail_cut(scores, false_alarm_rate: float = DEFAULT_FALSE_ALARM_RATE) -> float:
    """The score a normal entity exceeds with probability ``false_alarm_rate``, from
    training scores that may hold up to 5% anomalies (see the module's docstring).

    Where the 80th-95th percentiles are tied (most entities alike, as in system logs
    where blocks repeat), the model moves down to wider shares of the scores (up to
    the top half, then down to the top 5%); if every share is tied the MAD rule
    decides (:func:`mad_cut`), never flagging more than the top 5% (the most the
    model lets anomalies be). All scores equal: the largest score, nothing flagged,
    and a warning.

    The estimate is robust to anomalies in the top few percent only in that they
    cannot pull the cut into the normal bulk: they push the upper percentiles out,
    the tail reads heavier and the cut moves out (conservative).

    Examples
    --------
    >>> import numpy as np
    >>> scores = np.random.default_rng(0).exponential(size=100_000)
    >>> round(tail_cut(scores, 0.001), 1)  # exact: log(1000) = 6.9
    7.0
    """
    scores = _check_scores(scores)
    false_alarm_rate = _check_rate(false_alarm_rate)
    low, high = float(scores.min()), float(scores.max())
    if low == high:
        warnings.warn(
            "every score is the same: nothing can be told apart, nothing is flagged",
            DataWarning,
            stacklevel=user_stacklevel(),
        )
        return high
    if false_alarm_rate >= 4 * _TAIL_SHARE:
        return float(np.quantile(scores, 1 - false_alarm_rate))
    model = _tail_model(scores, 4 * _TAIL_SHARE)
    if model is None:
        # Ties at every share: no tail to model. The MAD rule, but never below the top
        # _TAIL_SHARE, the most the model lets anomalies be: on loghub's 2k-line HDFS
        # sample (17-19 distinct K-means, ECOD or Markov scores for 2,200 blocks) the
        # MAD rule alone cut inside the bulk and flagged 23-34%; a plateau of a tenth
        # of the entities is a mode, not an anomaly (benchmarks/RESULTS.md, "Verdicts").
        return max(mad_cut(scores), float(np.quantile(scores, 1 - _TAIL_SHARE)))
    return _model_cut(scores, model, false_alarm_rate)


# tail_cut's (and _trimmed_tail's refits') estimate of the tail model's two parameters, a
# private switch for benchmarks: "pickands" (the 80th, 90th and 95th percentiles: the
# rule), "likelihood" (maximum likelihood on every score of the top 20%, normal_cut's fit)
# or "censored" (maximum likelihood on the scores between the 80th and 95th percentiles,
# those above counted, not read: what Pickands reads, all of it). Measured on the
# unsupervised default's training scores (H1 s28, seeds 304-319: 304 labelled cells of the
# shop generators at 600-5,000 users and the HDFS sets, 96 nothing-planted logs, the four
# held-out logs and the real shop heads), neither was adopted. "likelihood" reads
# anomalies far out as the tail (DeepLog's HDFS own-cut F1 0.94 -> 0.80, ecommerce-medium
# 0.05-0.08 lower at every size), though its nothing-planted shares spread far less (SD
# 1.07 -> 0.34 points); "censored" gained on the shop generators (96 cells better, 60
# worse, mean F1 +0.017), lost on the held-out accounts (0.35 -> 0.30) and flagged more
# of the nothing-planted logs (detectors' cut 0.80% -> 0.86%; held-out shop with items
# 0.55% -> 1.00%), at 0.08-0.44 s a cut of 20,000-500,000 scores against 0.001-0.04 s
# (benchmarks/RESULTS.md, "The unsupervised tail by maximum likelihood").
_TAIL_FIT = "pickands"


def _model_cut(scores: np.ndarray, model, false_alarm_rate: float) -> float:
    """The (1 - false_alarm_rate) quantile of the tail model ``model`` (``_tail_model``'s)
    of ``scores``, its parameters as ``_TAIL_FIT`` says."""
    a, shape, scale, share = model
    if _TAIL_FIT != "pickands":
        fitted = _likelihood_tail(scores, model, censored=_TAIL_FIT == "censored")
        if fitted is not None:
            shape, scale, share = fitted
    return _on_a_score(scores, a + _gpd_excess(shape, scale, false_alarm_rate / share), a, scale)


# _on_a_score: a model's quantile this close to a score is that score: within this share
# of the model's scale (the spread of the tail) plus _ON_A_SCORE_ULPS float64 epsilons of
# the scores' magnitude (their origin: scores of 1000.016-1000.035 round at 1e-13, far
# from their spread). Rounding of the model's arithmetic is ~1e-16 of both, times the
# tail's reach (measured: at most 8e-15 over 545 snaps of rounded scores in 6 units); a
# score farther away is no tie (a tolerance of 1e-9 of the magnitude alone took one at
# 1.25e-10 of it, 1e-5 of the scale, for a tie: 3 flags where unit 1 gives 5).
_ON_A_SCORE = 1e-9
_ON_A_SCORE_ULPS = 1024.0


def _on_a_score(scores: np.ndarray, cut, a: float, scale: float) -> float:
    """``cut``, or the largest score within rounding of it (``_ON_A_SCORE``). Where the
    model's quantile is one of the percentiles it was fitted on (false_alarm_rate 0.05
    with the top 20% modelled: its 95th percentile; 0.1: its 90th) or an exponential
    tail's step on discrete scores, the exact quantile is a score, often a tied plateau's,
    and the arithmetic lands it a few ulps on either side: the scores' unit or origin
    (x -> 7x + 3) flagged the plateau or not (review s32 LOW-A: 11 of 120 draws of
    rounded exponential scores at 0.05). On the score, ties are not flagged, as at
    an empirical quantile's cut (flags are ``> cut``) and whatever the unit."""
    cut = float(cut)
    magnitude = max(abs(a), abs(cut))
    tolerance = _ON_A_SCORE * abs(scale) + _ON_A_SCORE_ULPS * np.finfo(np.float64).eps * magnitude
    near = scores[np.abs(scores - cut) <= tolerance]
    return float(near.max()) if near.size else cut


def _likelihood_tail(scores: np.ndarray, model, censored: bool = False):
    """(shape, scale, share) of the generalized Pareto tail over ``model``'s reference
    point fitted by maximum likelihood (:func:`_gpd_likelihood`) to every excess of the
    scores above it (``censored``: the excesses above the model's upper quantile, the
    top quarter of its share, counted but not read), share their share of the scores;
    None where the fit is refused (Pickands' quantiles stand then)."""
    a, share = model[0], model[3]
    beyond = scores[scores > a] - a
    upper = None
    if censored:
        upper = float(np.quantile(scores, 1 - share / 4)) - a
    fitted = _gpd_likelihood(beyond, upper)
    if fitted is None:
        return None
    return fitted[0], fitted[1], beyond.size / scores.size


# gap_cut: the cut may move up to flag at most this share fewer, at this test level.
GAP_LOWEST_SHARE = 0.75
GAP_LEVEL = 0.05
# _gap_below: the least width of a group's lower edge, GAP_SPACINGS / n robust standard
# deviations (1.4826 MAD) of all the n scores: about 300 times the spacing of the
# scores at the bulk's centre (sqrt(2 pi) x SD / n for a normal bulk). The spacing test
# says a gap is unlikely among the spacings around it; this says it is wide against
# the bulk's own spacing. Both a dip in one population's density (a mode of a few
# percent with a thinner band under it) and the lower edge of planted anomalies that
# blend into the tail shrink as 1 / n: measured (benchmarks/RESULTS.md, "Verdicts"),
# the gaps that passed the spacing test on logs with nothing planted were 0.107 robust
# SD at 5,000 users and 0.028-0.035 at 20,000 (535 and 560-700 in units of SD / n),
# those at the lower edge of planted anomalies 0.21-0.46 at 5,000 users (0.16 for
# K-means' own scores) and 0.075-0.107 at 20,000 (800-2,300 SD / n). A fixed width of
# 0.15 SD (the rule before) refused every planted edge at 20,000 users; 750 / n is
# 0.15 at 5,000 scores, where it was chosen, and keeps every decision made there.
GAP_SPACINGS = 750.0
# _gap_below: a group apart has a bounded top. The move down stands only where the
# highest score of the group it flags lies at most this many times as far above the
# group's lowest score as the group's median does. A group of alike entities is compact;
# the top few percent of a heavy tail is not (its largest score grows as n^shape), and
# the spacing test and the width gate pass some heavy tails' spacings. Chosen on seeds
# 20-53 (benchmarks/RESULTS.md, "A group apart has a bounded top"): the uniform shop log
# with nothing planted moved down at 4 of 32 (100,000 and 25,000 users) with ratios of
# 588-2,334, flagging 2.5-4.1%; the planted marketplace groups it moved down to had 5-24,
# and so had the nothing-planted marketplace's minority of alike drop queuers (6-18), a
# real group. 100 is a round number between them. On fresh seeds 60-87 it refused all 6
# moves down on the uniform log of 100,000 users (ratios 1,218-3,863; 2.6-4.5% flagged
# where the tail cut flagged 0.7-1.1%) and kept all 16 to planted marketplace groups.
GROUP_TOP_RATIO = 100.0


def _check_share(value, name: str, upper_closed: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    inside = 0 < value <= 1 if upper_closed else 0 < value < 1
    if not inside or not np.isfinite(value):
        interval = "(0, 1]" if upper_closed else "(0, 1)"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return float(value)


def gap_cut(scores, cut, lowest_share: float = GAP_LOWEST_SHARE, level: float = GAP_LEVEL):
    """``cut`` moved up into the widest gap among the scores it flags, when that gap is
    wider than one population's spacings would give by chance and the flags it drops
    are a plateau of tied scores; else ``cut`` unchanged.

    Of the r scores above ``cut`` (highest first, x_1 >= x_2 >= ...), the rule looks at
    the cuts that keep the top i for i from ``ceil(lowest_share x r)`` to r, and takes
    the i whose normalised spacing ``i (x_i - x_(i+1))`` is largest. For scores with an
    exponential tail these spacings are independent and equally distributed (Rényi's
    representation), so the largest of m of them exceeds ``log(m) - log(-log(1 -
    level))`` times their mean (taken over the top 2r, beyond the window) with
    probability about ``level``. Only a wider gap moves the cut, to its midpoint, and
    only where the flags it drops are a plateau of ties: at most half as many distinct
    scores as dropped flags (each score shared by two entities or more on average).
    Flags are only ever dropped, at most ``1 - lowest_share`` of them, and the
    false-alarm rate that set ``cut`` still bounds the flags. Heavier tails inflate the
    mean by the spacings of their top scores, so the test errs towards leaving the cut
    where it was. The rule depends only on the order and the ratios of spacings and on
    which scores are equal: the same flags whatever the scores' unit and origin.

    Why: where many normal entities share a score (repeated blocks of a system log), a
    cut from a smooth tail model can land inside or just under such a plateau, below a
    clear gap to the anomalous scores; flagging the plateau costs precision and buys no
    recall (on DeepLog's HDFS sessions the tail cut flagged 4.1% with 3% anomalous;
    the gap 3.4%, dropping 37 normal blocks of 6 distinct scores; benchmarks/RESULTS.md,
    "Verdicts"). Distinct scores under a clear gap are two groups, and the gap does not
    say the lower one is normal: on a shop written blind to oddseq (benchmarks/
    heldout_shop.py) it lay between obvious anomalies and a milder group of them (slow
    card testers, price scrapers; 61-86 distinct flags dropped, three quarters of them
    anomalous), and every recorded move on continuous scores cost F1 or changed nothing
    (benchmarks/RESULTS.md, "The gap move on a shop it was not tuned to").

    Parameters
    ----------
    scores : 1-D array of finite floats
    cut : float
        The cut to start from (e.g. :func:`tail_cut`); flags are ``scores > cut``.
    lowest_share : float in (0, 1], default=0.75
        The least share of the flags the moved cut keeps.
    level : float in (0, 1), default=0.05
        The chance that one population's widest spacing passes the test.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> bulk, tied = rng.exponential(size=5_000), np.full(40, 12.0)
    >>> scores = np.r_[bulk, tied, 20 + rng.exponential(size=150)]
    >>> int((scores > 11.0).sum()), int((scores > gap_cut(scores, 11.0)).sum())
    (190, 150)
    >>> gap_cut(bulk, tail_cut(bulk)) == tail_cut(bulk)  # one population: no gap
    True
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(f"scores must be one-dimensional, got shape {scores.shape}")
    if scores.size == 0:
        raise ValueError("scores must not be empty")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite (no NaN or inf); drop or impute them first")
    if isinstance(cut, bool) or not isinstance(cut, numbers.Real):
        raise TypeError(f"cut must be a number, got {cut!r}")
    if not np.isfinite(cut):
        raise ValueError(f"cut must be finite, got {cut}")
    lowest_share = _check_share(lowest_share, "lowest_share", upper_closed=True)
    level = _check_share(level, "level", upper_closed=False)
    return _gap_above(scores, float(cut), lowest_share, level)[0]


def _widest_spacing_bound(m: int, level: float) -> float:
    """How many times their mean the widest of ``m`` normalised spacings ``i (x_i -
    x_(i+1))`` of one population with an exponential tail exceeds with chance about
    ``level`` (Rényi's representation: independent, equally distributed spacings, whose
    maximum is a Gumbel's): ``log(m) - log(-log(1 - level))``. The one spacing test of
    :func:`gap_cut`, the move down and normal-only fitting's gap under a top group."""
    return float(np.log(m) - np.log(-np.log1p(-level)))


def _gap_above(
    scores: np.ndarray,
    cut: float,
    lowest_share: float = GAP_LOWEST_SHARE,
    level: float = GAP_LEVEL,
):
    """(:func:`gap_cut`, why): ``why`` is None where no gap above ``cut`` passes the
    spacing test, else ``{"moved": ..., "dropped": flags under the gap, "distinct":
    distinct scores among them}``; the cut moved where they are a plateau of ties
    (``2 x distinct <= dropped``). Inputs checked by the caller."""
    cut = float(cut)
    top = _ascending(scores)[::-1]
    flagged = int(np.count_nonzero(scores > cut))
    if flagged < 4 or flagged >= top.size:
        return cut, None
    # Cuts keeping the top i, i = first..flagged: the spacing x_i - x_(i+1) (0-based
    # top[i-1] - top[i]), times i.
    first = max(1, int(np.ceil(lowest_share * flagged)))
    ranks = np.arange(first, flagged + 1)
    spacing = (top[ranks - 1] - top[ranks]) * ranks
    reach = np.arange(1, min(top.size - 1, 2 * flagged) + 1)
    mean = float(np.mean((top[reach - 1] - top[reach]) * reach))
    best = int(np.argmax(spacing))
    bound = _widest_spacing_bound(ranks.size, level)
    if mean <= 0 or spacing[best] <= bound * mean or ranks[best] == flagged:
        return cut, None
    i = int(ranks[best])
    dropped = top[i:flagged]
    distinct = int(np.count_nonzero(np.diff(dropped))) + 1
    moved = 2 * distinct <= dropped.size
    why = {"moved": moved, "dropped": int(dropped.size), "distinct": distinct}
    if not why["moved"]:  # distinct scores under the gap: a group of their own
        return cut, why
    return float(top[i - 1] + (top[i] - top[i - 1]) / 2), why


# _trimmed_tail: the shares of the top set aside in turn, as anomalies, before the tail is
# refitted on the rest: 0.25%, 0.5%, ... up to _TAIL_SHARE, the most the model lets them be.
TRIM_STEP = 0.0025


# _trimmed_tail: a count of flags contradicts a tail model only where it is under half the
# count the model expects and a Poisson count that large falls so low with at most this
# chance (Chernoff's bound): on 600 entities at the rate 0.01, no flag at all is 0.3%
# likely from a right model, and is not taken as evidence; on 20,000, 2 of 190 is.
REFUTE_LEVEL = 0.001


def _refutes(flagged: int, expected: float, level: float = REFUTE_LEVEL) -> bool:
    """Whether ``flagged`` exceedances contradict a model that expects ``expected``:
    under half as many, and ``P(Poisson(expected) <= flagged) <= level`` by
    Chernoff's bound ``exp(-expected) (e expected / flagged) ** flagged`` (an upper
    bound of the chance, so the test errs towards no contradiction)."""
    if not flagged < expected / 2:
        return False
    log_chance = -expected + (flagged + flagged * np.log(expected / flagged) if flagged else 0.0)
    return bool(log_chance <= np.log(level))


def _trimmed_tail(scores: np.ndarray, false_alarm_rate: float, cut: float) -> tuple[float, int]:
    """``(cut, 0)``, or, where the data contradict the tail model behind ``cut``, ``(the
    tail refitted without the top A scores that bent it, A)``.

    A right tail model lets about ``false_alarm_rate x (n - A)`` of the n - A normal
    entities over its cut, whatever the number A of anomalies; a cut that flags fewer
    than half of ``false_alarm_rate x n`` entities in all was pushed out by a group it
    sits in (where a Poisson count falls that low with at most ``REFUTE_LEVEL`` chance:
    not on a few hundred entities, where a right model's flags vary as much). A few
    percent of entities above the 95th percentile bend the 80th-95th
    percentiles the model is fitted on, its shape reads heavier, and the cut flags a
    hundredth of the rate (the game log of ``benchmarks/heldout_game.py``, with items:
    0.01% flagged of 4% anomalous, where the normal players' own 99th percentile lay at
    a third of the cut). There, the top A = 0.25%, 0.5%, ... 5% of the scores are set
    aside in turn and the tail refitted on the rest (Pickands' quantiles at the rest's
    80th, 90th and 95th percentiles); the first refit that the rest does not contradict
    (the test ``cut`` failed, on the rest and the rate's share of it),
    that lies below ``cut`` and flags at most the top 5% with the rate's share beside
    them, is returned. None (the anomalies blend into the normal tail, so each trim cuts
    normal tail off too and its refit extrapolates past what the rest holds): the least
    trim's refit whose flags among all the scores the first test does not refute, about
    the rate's share (the held-out game at seed 252: 2 of 20,000 flagged, every refit's
    rest 0-85 of ~190 expected; the least such trim, 1.75%, flags 1.0%, the move down
    from it 4.5%, F1 0.58 where the best cut gives 0.59). Still none: ``(cut, 0)``.

    Only a continuous tail can be bent this way: where ties made the model reach
    beyond the 80th-95th percentiles (a system log's plateaus of repeated blocks), the
    few flags are the plateaus' doing and ``cut`` stays (loghub's 2k HDFS sample: 20
    distinct scores, 0.4% flagged; a refit there flagged 14%). A normal minority of
    alike entities far from the rest bends the tail the same way (the drop queuers of
    ``make_marketplace`` with nothing planted): the scores alone cannot tell it from
    anomalies."""
    n = scores.size
    # At most 5% anomalies: at least the rate's share of the other 95% over a right cut.
    if not _refutes(int(np.count_nonzero(scores > cut)), false_alarm_rate * n * (1 - _TAIL_SHARE)):
        return cut, 0
    model = _tail_model(scores, 4 * _TAIL_SHARE)
    if model is None or model[3] != 4 * _TAIL_SHARE:
        return cut, 0
    ascending = _ascending(scores)
    most = (_TAIL_SHARE + false_alarm_rate) * n
    held_by_log = None  # the least trim whose flags the whole log does not refute
    for step in range(1, int(round(_TAIL_SHARE / TRIM_STEP)) + 1):
        aside = int(np.floor(step * TRIM_STEP * n))
        if aside < 1 or n - aside < 4:
            continue
        model = _tail_model(ascending[: n - aside], 4 * _TAIL_SHARE)
        if model is None or model[3] != 4 * _TAIL_SHARE:
            continue
        refitted = _model_cut(ascending[: n - aside], model, false_alarm_rate)
        # Not contradicted by the rest it was fitted on (the test the first fit
        # failed), and no more than the top 5% the model lets anomalies be, with the
        # rate's share beside them.
        rest_over = int(np.count_nonzero(ascending[: n - aside] > refitted))
        over = int(np.count_nonzero(scores > refitted))
        if refitted >= cut or over > most:
            continue
        if not _refutes(rest_over, false_alarm_rate * (n - aside)):
            return refitted, aside
        if held_by_log is None and not _refutes(over, false_alarm_rate * n * (1 - _TAIL_SHARE)):
            held_by_log = refitted, aside
    # No refit the rest holds: the anomalies blend into the normal tail and every trim
    # cut normal tail off too. The least trim whose flags the log as a whole does not
    # refute (the first cut's own test), rather than the cut that test refuted.
    return held_by_log if held_by_log is not None else (cut, 0)


def _gap_below(
    scores,
    cut,
    level: float = GAP_LEVEL,
    width: float | None = None,
    top_ratio: float = GROUP_TOP_RATIO,
) -> float:
    """``cut`` moved down to the widest gap below it within the top ``_TAIL_SHARE`` of
    the scores, when that gap is wider than one population's spacings would give by
    chance and at least ``width`` robust standard deviations of the scores wide
    (default ``GAP_SPACINGS / n`` for n scores), and the group above it has a bounded top
    (its highest score at most ``top_ratio`` times as far above its lowest as its median
    is; ``np.inf``: the rule before ``GROUP_TOP_RATIO``); else ``cut`` unchanged. The test is
    :func:`gap_cut`'s, looking down: of the cuts that keep the top i for i from r + 1
    (r scores above ``cut``) to the top 5%, the one with the largest normalised spacing
    ``i (x_i - x_(i+1))``, against ``log(m) - log(-log(1 - level))`` times the mean
    normalised spacing of the top 10%.
    Tied neighbours (spacing 0) are left out of that mean: a step between plateaus of
    tied scores (a system log's repeated blocks) is a step between modes, and ties say
    nothing about the spacings of a continuous tail.

    The width asks for a separation that is wide against the bulk's own spacing
    (``GAP_SPACINGS / n`` times the robust spread: 1.4826 MAD of all the scores, where
    over half are tied 1.2533 times their mean absolute deviation), not only one
    unlikely among its neighbours: the spacing test is local, and a dip in one
    population's density passes it (the drop queuers of ``make_marketplace`` with
    nothing planted, a normal mode of 6%: 4.2-4.7% flagged). Such a dip's width shrinks
    as 1 / n, and so does the lower edge of anomalies that blend into the tail (planted
    marketplace anomalies: 0.21-0.46 robust SD at 5,000 users, 0.075-0.107 at 20,000),
    so the bar is on the scale of the bulk's spacing, not of its spread: a fixed
    fraction of the spread refused every planted edge of the larger logs.

    Why: where a few percent of the entities stand clearly apart, they push the upper
    percentiles the tail model is fitted on out, the model reads a heavier tail, and
    its cut lands inside the group, flagging only its top (on ``make_marketplace``
    with stronger evidence shrinkage, 0.5-1.1% flagged of 3% anomalous, flag F1 0.29-0.53
    where the best cut gives 0.85-0.88; benchmarks/RESULTS.md, "Verdicts"). A gap below
    the cut that one population does not give is the lower edge of the group."""
    found = _edge_below(scores, cut, width, top_ratio)
    if found is None:
        return float(cut)
    if not found["widest"] > _widest_spacing_bound(found["m"], level) * found["mean"]:
        return float(cut)
    return found["edge"]


def _edge_below(scores, cut, width: float | None = None, top_ratio: float = GROUP_TOP_RATIO):
    """:func:`_gap_below`'s candidate, before its spacing test: the widest normalised
    spacing below ``cut`` within the top ``_TAIL_SHARE``, where it is at least ``width``
    robust standard deviations wide and the group above it has a bounded top: a dict of
    ``edge`` (the gap's midpoint), ``rank`` (the scores above it), ``widest`` (its
    normalised spacing), ``mean`` (the mean normalised spacing it is tested against) and
    ``m`` (the spacings it was the widest of); None where no candidate passes the width
    and top gates."""
    top = _ascending(scores)[::-1]
    n = top.size
    if width is None:
        width = GAP_SPACINGS / n
    flagged = int(np.count_nonzero(top > cut))
    highest = int(np.floor(_TAIL_SHARE * n))
    if flagged + 1 > highest or highest >= n:
        return None
    ranks = np.arange(flagged + 1, highest + 1)
    # Ranks counted from the cut: the scores below it are the population under test,
    # and a group already above the cut must not inflate its spacings (i / (i - r)).
    spacing = (top[ranks - 1] - top[ranks]) * (ranks - flagged)
    reach = np.arange(flagged + 1, min(n - 1, 2 * highest) + 1)
    normalised = (top[reach - 1] - top[reach]) * (reach - flagged)
    normalised = normalised[normalised > 0]
    if normalised.size == 0:
        return None
    best = int(np.argmax(spacing))
    i = int(ranks[best])
    spread = float(robust_spread(top, fallback="mean_abs")[1])
    if top[i - 1] - top[i] < width * spread:
        return None
    # A group apart is compact; a heavy tail's top is not (GROUP_TOP_RATIO).
    group = top[:i]
    if group[0] - group[-1] > top_ratio * (float(np.median(group)) - group[-1]):
        return None
    return {
        "edge": float(top[i - 1] + (top[i] - top[i - 1]) / 2),
        "rank": i,
        "widest": float(spacing[best]),
        "mean": float(np.mean(normalised)),
        "m": int(ranks.size),
    }


def auto_cut(scores, false_alarm_rate: float = DEFAULT_FALSE_ALARM_RATE) -> float:
    """The unsupervised cut: :func:`tail_cut` at ``false_alarm_rate``, moved into a
    clear gap: up into one above it (:func:`gap_cut`), or down to one below it within
    the top 5% (the lower edge of a group that stands apart, whose own scores inflated
    the tail model); where both are clear, the wider (normalised spacing). Flags are
    ``scores > cut``.

    The one rule wherever training scores that may hold anomalies are cut without
    labels: ``contamination="auto"`` of a detector without a natural cut (K-means,
    LOF, KNN, ECOD, ensembles, Markov above its one-miss rule), the neural models
    fitted unsupervised, ``AnomalyPipeline`` and ``oddseq.dask``, and
    ``StreamScorer.calibrate`` (which uses the move up only). The move up only ever
    drops flags (at most a quarter of them), and only a plateau of tied scores (distinct
    scores under the gap stay flagged: a milder group, not the bulk); the move down
    flags at most the top 5%, the most the tail model lets anomalies be, and only past
    a gap that one population's spacings give with probability about 0.05 and that is at least
    ``GAP_SPACINGS / n`` (750 / n) robust standard deviations of the n scores wide
    (0.15 at 5,000 scores, 0.0375 at 20,000), and only to a group with a bounded top (its
    highest score at most ``GROUP_TOP_RATIO`` (100) times as far above its lowest as its
    median: the top few percent of a heavy tail is not a group apart; it had moved down
    on 6 of 28 nothing-planted logs of 100,000 users, flagging 2.6-4.5%). A minority of
    alike normal entities is a group apart and can still move it (the nothing-planted
    marketplace's drop queuers: 5 of 72 logs at seeds 20-87, 0.3-4.3% flagged); among the
    labelled sources it moved only on ``make_marketplace``'s (benchmarks/RESULTS.md,
    "Where the move down fires", "A group apart has a bounded top").

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> bulk = rng.exponential(size=5_000)
    >>> auto_cut(bulk) == tail_cut(bulk)  # one population: the tail cut
    True
    >>> scores = np.r_[bulk, np.full(40, 12.0), 20 + rng.exponential(size=150)]
    >>> int((scores > tail_cut(scores)).sum()), int((scores > auto_cut(scores)).sum())
    (190, 150)
    """
    return _auto_cut(_check_scores(scores), _check_rate(false_alarm_rate))[0]


def _auto_cut(
    scores,
    false_alarm_rate: float,
    width: float | None = None,
    level: float = GAP_LEVEL,
    warn: bool = True,
    refit: bool = False,
    why: dict | None = None,
) -> tuple[float, float]:
    """(:func:`auto_cut`, the tail cut it moved from); ``width`` and ``level``: the move
    down's (:func:`_gap_below`; None: ``GAP_SPACINGS / n``; for benchmarks, 0 gives the
    rule before the width gate and 0.15 the fixed width before ``GAP_SPACINGS``);
    ``warn=False``: scores all equal give the largest without :func:`tail_cut`'s warning
    (a caller that said it already). ``refit=True`` (AnomalyPipeline's unsupervised cut, and
    benchmarks; not :func:`auto_cut`): where the moved cut flags under half the rate's
    share, the tail refitted without the top that bent it (:func:`_trimmed_tail`), and
    the moves again from there; the tail returned is then the refitted one, and ``why``
    (a dict, if given) gets ``"first_cut"`` (the cut before the refit) and
    ``"set_aside"`` (how many top scores the refit left out); then, where the first tail
    cut collapsed, the graded move toward the gap below it (:func:`_graded_edge`; ``why``
    as for a refit, ``"set_aside"`` 0 where only the move acted)."""
    scores = np.asarray(scores, dtype=np.float64)
    if not warn and scores.size and scores.min() == scores.max():
        tail = float(scores.max())  # tail_cut's answer, unsaid
    else:
        tail = tail_cut(scores, false_alarm_rate)
    cut = _moved(scores, tail, level, width)
    if refit and scores.size and scores.min() < scores.max():
        first, first_tail = cut, tail
        refitted, aside = _trimmed_tail(scores, false_alarm_rate, cut)
        if aside:
            tail, cut = refitted, _moved(scores, refitted, level, width)
        if _GRADED_EDGE:
            cut = min(cut, _graded_edge(scores, false_alarm_rate, first_tail, cut, level, width))
        if (aside or cut < first) and why is not None:
            why.update(first_cut=first, set_aside=aside)
    return cut, tail


# _auto_cut(refit=True)'s graded move toward the gap below a collapsed first cut
# (_graded_edge), a private switch for benchmarks (False: the rule before the thirty-first
# session). Measured on saved training scores of the default (own-cut F1 over the best
# cut's, the pipeline's cut before -> after): the held-out game log at 20,000 players,
# seeds 280-287 at random_state 0-5 (H4 s30, 48 fits; 390 with K-means variants and the
# other sources' cells): own-cut F1 0.523 -> 0.575, fits under 200 flagged 9 -> 0 (those
# 0.25-0.42 of the best cut's F1 -> 0.63-0.97), 49 cells higher, 2 lower (by at most
# 0.002); 532 distinct labelled cells of seeds 304-319 and 405-428 (H1 s28, H4 s29): 14
# higher (the game with items, marketplace-hard at 5,000: 0.38-0.42 -> 0.56-0.84), 2
# lower (at most 0.004); of 363 nothing-planted logs two flag more: the held-out shop with
# items at 310 (5,000 users; a gap at p = 0.06) 0.52% -> 1.20%, the marketplace's at 311
# (2,000) 0.75% -> 0.95%. Fresh seeds (game 296-303 at 20,000 players; web 180-181, shop
# 543-544, accounts 545-546, make_ecommerce and make_marketplace 547-548 at 5,000; hdfs_xu's
# unsupervised draws, loghub's 2k HDFS sample): 41 labelled cells, 5 higher (the game with
# items at 298: 0.48 -> 0.79), none lower; 36 nothing-planted logs unchanged
# (/work/notes/H1-s31-results.md).
_GRADED_EDGE = True


def _graded_edge(
    scores: np.ndarray,
    false_alarm_rate: float,
    tail: float,
    cut: float,
    level: float = GAP_LEVEL,
    width: float | None = None,
) -> float:
    """Where the first tail cut ``tail`` collapsed (the data contradict it: ``_refutes``,
    as :func:`_trimmed_tail` reads it), ``cut`` moved down part of the way to the edge of
    the group that bent the tail: the widest gap below ``tail`` that the move down reads
    (:func:`_edge_below`: within the top 5%, wide on the bulk's scale, a bounded top),
    by a share of the ranks between them that grows with the gap's evidence, ``log(p) /
    log(level)`` (all of the way where the move down's spacing test passes, ``p <=
    level``; none where one population gives as wide a gap every time, ``p = 1``), p the
    chance that one population's widest of the m spacings is as wide (Rényi's
    representation, the test's own law: ``1 - exp(-m exp(-widest / mean))``). Else
    ``cut``. Only a continuous tail can be bent this way (as for the refit: not where
    ties made the tail model reach past the 80th-95th percentiles).

    Why: once the first cut collapsed, its tail model is known to be bent by what lies
    above the band it reads, and what the pipeline flags was decided by two yes/no tests
    at the group's edge: the move down's spacing test (at 0.05), then whether the rest of
    a trimmed tail holds its refit (half the rate's share). Where a compact group reaches
    down into the band (the held-out game log's bots, 4% of 20,000), its edge is blurred
    by the normal tail, the spacing test reads 0.71-1.78 times its bound over refits of one
    log, and the cut flagged either the group (437-993) or about the rate's share
    (97-165: 9 of 48 fits; /work/notes/H4-s30-results.md). A graded move makes a near miss
    of the test a near move, not none."""
    n = scores.size
    if not _refutes(int(np.count_nonzero(scores > tail)), false_alarm_rate * n * (1 - _TAIL_SHARE)):
        return cut
    model = _tail_model(scores, 4 * _TAIL_SHARE)
    if model is None or model[3] != 4 * _TAIL_SHARE:
        return cut
    found = _edge_below(scores, tail, width)
    flagged = int(np.count_nonzero(scores > cut))
    if found is None or found["rank"] <= flagged or found["mean"] <= 0:
        return cut
    chance = -np.expm1(-found["m"] * np.exp(-found["widest"] / found["mean"]))
    share = 1.0 if chance <= level else float(np.log(chance) / np.log(level))
    keep = flagged + int(round(share * (found["rank"] - flagged)))
    if keep <= flagged:
        return cut
    if keep >= found["rank"]:
        return found["edge"]
    top = _ascending(scores)[::-1]
    return float(top[keep - 1] + (top[keep] - top[keep - 1]) / 2)


def _moved(scores, tail: float, level: float, width: float | None) -> float:
    """``tail`` moved up into a clear gap above it or down to one below it, the wider."""
    above = gap_cut(scores, tail)
    below = _gap_below(scores, tail, level, width)
    return _wider_move(scores, tail, above, below)


def _wider_move(scores: np.ndarray, tail: float, above: float, below: float) -> float:
    """The cut from ``tail`` and its two candidate moves: ``above`` (a move up, or
    ``tail``) and ``below`` (a move down, or ``tail``); where both moved, the one into the
    wider gap (normalised spacing ``i (x_i - x_(i+1))`` at the cut). Benchmarks that try
    other moves down combine them with this too."""
    if above > tail and below < tail:
        top = _ascending(scores)[::-1]

        def spacing(cut):
            i = int(np.count_nonzero(scores > cut))
            return i * (top[i - 1] - top[i])

        return above if spacing(above) >= spacing(below) else below
    return above if above > tail else below


def _ascending(scores) -> np.ndarray:
    """``scores`` (float64) in ascending order: themselves where they already are (the
    unsupervised rule sorts its scores at each of its steps, 8 sorts and half its time
    on a million scores, and bagged_cut's draws come sorted); else sorted. Read only."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size < 2 or bool(np.all(scores[1:] >= scores[:-1])):
        return scores
    return np.sort(scores)


# AnomalyPipeline's unsupervised cut bagged (bagged_cut), a private switch for
# benchmarks (False: the rule before the thirty-sixth session).
_BAGGED_CUT = True

# bagged_cut's bootstrap draws: 30, down to 10 on scores over 300,000 (the rule's cost
# grows with n; each draw of a million scores costs about 0.24 s here), and the knife
# edge it smooths narrows as n grows (the tail model's spread shrinks as 1 / sqrt(n)).
_BAG_DRAWS, _BAG_DRAW_BUDGET, _BAG_DRAWS_MIN = 30, 3_000_000, 10


def bagged_cut(scores, rule, cut: float, n_draws: int | None = None, seed: int = 0):
    """The cut of ``rule`` (scores -> cut, which gave ``cut`` on ``scores``) bagged: the
    cut that flags, of ``scores``, the share the rule flags on ``n_draws`` bootstrap
    draws of them, on average, at the boundary between distinct scores nearest that
    count (fewer on a tie); ``cut`` itself where that count is the one it flags. A dict
    (``threshold``, ``n_flagged``, ``mean_flagged`` (the average count, of n),
    ``plain_threshold`` and ``plain_n_flagged`` (``cut``'s), ``draws``,
    ``spread_flagged`` (the draws' 10th and 90th percentile counts, of n)); None where
    the scores cannot be drawn apart (fewer than two, or all equal). Deterministic for a
    ``seed``, and independent of the model's ``random_state``.

    Why: the unsupervised rule ends in yes/no steps (is the first cut contradicted, does
    a trimmed tail hold, is a gap clear), and on scores near such a step a small change
    (another K-means seeding, Spearman 0.96 between seedings; 1% of the rows) flips
    the count between modes: 14 or 131 flagged on one game log, 22 or 156 on one
    marketplace log, by random_state alone (benchmarks/RESULTS.md, "The default's
    verdicts against random_state"). The average over draws of the data the scores are
    one draw of is a smooth function of them (bagging, Breiman 1996; Buhlmann and Yu,
    Ann. Statist. 2002, on bagging hard decisions): a step that fires on 40% of draws
    moves the count 40% of the way. Measured: benchmarks/RESULTS.md, "The cut
    bagged"."""
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.size
    if n < 2 or not scores.min() < scores.max():
        return None
    if n_draws is None:
        n_draws = int(min(_BAG_DRAWS, max(_BAG_DRAWS_MIN, _BAG_DRAW_BUDGET // n)))
    n_draws = check_positive_int(n_draws, "n_draws")
    rng = np.random.default_rng(seed)
    ordered = np.sort(scores)  # (drawn by rank: the same cut whatever the rows' order)
    counts = np.empty(n_draws)
    for b in range(n_draws):
        # Drawn in ascending order (the same multiset): the rule's sorts find it sorted.
        draw = ordered[np.sort(rng.integers(0, n, n))]
        counts[b] = np.count_nonzero(draw > rule(draw))
    mean = float(counts.mean())
    plain = int(np.count_nonzero(scores > cut))
    record = {
        "threshold": float(cut),
        "n_flagged": plain,
        "mean_flagged": mean,
        "plain_threshold": float(cut),
        "plain_n_flagged": plain,
        "draws": n_draws,
        "spread_flagged": (float(np.percentile(counts, 10)), float(np.percentile(counts, 90))),
    }
    if int(np.floor(mean + 0.5)) == plain:
        return record
    top = ordered[::-1]
    # The counts a cut can flag: 0, and every k where the k-th and (k+1)-th highest differ.
    steps = np.flatnonzero(top[:-1] > top[1:]) + 1
    counts_possible = np.r_[0, steps]
    k = int(counts_possible[np.argmin(np.abs(counts_possible - mean))])  # (first: fewer)
    if k == plain:
        return record
    if k == 0:
        threshold = float(top[0])
    else:
        threshold = float(top[k] + (top[k - 1] - top[k]) / 2)
        if not threshold < top[k - 1]:  # (neighbouring floats)
            threshold = float(top[k])
    record.update(threshold=threshold, n_flagged=k)
    return record


def normal_cut(normal_scores, false_alarm_rate: float = DEFAULT_FALSE_ALARM_RATE) -> float:
    """The (1 - false_alarm_rate) quantile of scores of normal entities the model did
    not see in fit: empirical while at least 10 scores lie beyond it, else a generalized
    Pareto tail fitted to the top of the sample (Pickands' quantiles within its top
    share, at least 4 x 10 scores' worth, more where they are tied) and extrapolated.

    Examples
    --------
    >>> import numpy as np
    >>> held_out = np.random.default_rng(0).exponential(size=2_000)
    >>> round(normal_cut(held_out, 0.001), 1)  # exact: log(1000) = 6.9
    7.3
    """
    return _normal_cut(
        _check_scores(normal_scores, "normal_scores"),
        _check_rate(false_alarm_rate),
        above_ties=False,
    )


def _normal_cut(normal_scores, false_alarm_rate: float, above_ties: bool) -> float:
    """:func:`normal_cut`; where ties fill the top of a sample too small for the
    quantile (no tail to model), the plain quantile, or with ``above_ties`` the largest
    score (flags are ``> cut``: strictly above every score of the sample). Normal-only
    fitting's support rule uses the latter for the scores of normal entities inside the
    normal data's range: where nearly all of them have a twin (repeated workflows of a
    system log), a quantile below a handful of untied scores is a guess, and one above
    all of them is what the sample can vouch for."""
    scores = np.sort(np.asarray(normal_scores, dtype=np.float64))
    n = scores.size
    if scores[0] == scores[-1]:
        return float(scores[-1])
    if n * false_alarm_rate >= _MIN_EXCEEDANCES:
        return float(np.quantile(scores, 1 - false_alarm_rate))
    model = _tail_model(scores, min(0.2, max(4 * _MIN_EXCEEDANCES / n, 4 * false_alarm_rate)))
    if model is None:  # ties fill the top: no tail to model
        return float(scores[-1] if above_ties else np.quantile(scores, 1 - false_alarm_rate))
    a, shape, scale, share = model
    fitted = _likelihood_tail(scores, model)
    if fitted is not None:  # all the top share's scores, not three of its quantiles
        shape, scale, share = fitted
    return _on_a_score(scores, a + _gpd_excess(shape, scale, false_alarm_rate / share), a, scale)


def _gpd_likelihood(excess: np.ndarray, upper: float | None = None):
    """Shape and scale of a generalized Pareto fitted by maximum likelihood to the
    excesses over a reference point (``upper``: those above it right-censored there, their
    count read, not their values); None with fewer than ``_MIN_EXCEEDANCES`` distinct
    values read, or a fit that fails or lands outside ``_SHAPE_RANGE`` (Pickands'
    quantiles stand then).

    Why: Pickands' estimate reads three quantiles of the top share (the 40th, 20th and
    10th highest of 800 scores), and its shape, the log of a ratio of two spacings, swings
    with them. Where fewer than 10 normal scores lie beyond the quantile asked for (800
    normal entities at 0.005), normal-only fitting extrapolates this tail: on Taobao's 2
    Dec users the cut moved 3.82-6.95 over ten fold draws (1-8 of 799 out-of-fold scores
    above it, the next day flagged 2-14 of 801); fitted to the whole top 5% it moves
    5.01-6.40 (2-3 flagged). On 200-300 samples each of five distributions (n = 600 and
    800, rate 0.005) the share above the cut, 5-95%: 0.02-1.8% (Pickands), 0.23-1.1%
    (likelihood), 0.18-1.4% (the empirical quantile); at 0.001, 0.00-1.6% (mean 0.28-0.43%)
    against 0.01-0.57% (mean 0.16-0.20%)."""
    excess = np.asarray(excess, dtype=np.float64)
    data = excess
    if upper is not None:  # right-censored at upper: the count beyond it, not the values
        data = excess[excess <= upper]
    if distinct(data).size < _MIN_EXCEEDANCES:
        return None
    from scipy import stats

    if upper is not None:
        data = stats.CensoredData(uncensored=data, right=np.full(excess.size - data.size, upper))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            shape, _, scale = stats.genpareto.fit(data, floc=0.0)
        except (ValueError, RuntimeError, FloatingPointError):
            return None
    low, high = _SHAPE_RANGE
    if not (np.isfinite(shape) and np.isfinite(scale) and scale > 0 and low < shape < high):
        return None
    return float(shape), float(scale)


def _support_floor(inside_scores) -> float | None:
    """The score an entity outside the normal data's range must also exceed to be
    flagged by normal-only fitting's support rule: the median of the out-of-fold scores
    of the normal entities inside the range that lie above the smallest (for a neighbour
    method, the normal entities with no twin: how far a normal variant typically lies
    from the rest of the normal data). An entity one step past the range that a sample
    of normal entities happened to bound, yet no farther from them than that, is a normal
    variant, not something the normal data never did. None (no floor: every entity
    outside is flagged) where fewer than ``_MIN_EXCEEDANCES`` scores lie above the
    smallest, too few for a median to mean a typical distance.

    Why: on HDFS (1,000 normal blocks fitted), most held-out normal blocks the rule
    flagged were such variants, one served block or one deletion more than any fitted
    block (the nearest normal block 0.4-0.6 away, the untwinned median 0.5-1.1), while
    the anomalous blocks outside the range lie 0.8 and more away (benchmarks/RESULTS.md,
    "Normal-only HDFS: the support rule's floor")."""
    scores = np.asarray(inside_scores, dtype=np.float64)
    if scores.size == 0:
        return None
    above = scores[scores > scores.min()]
    if above.size < _MIN_EXCEEDANCES:
        return None
    return float(np.median(above))


def _gap_under_top(inside_scores, false_alarm_rate: float, level: float = GAP_LEVEL):
    """Where normal-only fitting's support rule cuts at the top out-of-fold score of
    the normal entities inside the range (ties fill the top: no tail to model), the cut
    moved down into a clear gap under a top group apart: ``(cut, k)`` with k the scores
    above it, or None where the cut stays above every score.

    The scores above the smallest (the untwinned ones, as :func:`_support_floor` reads
    them), highest first x_1 >= ... >= x_m: the widest normalised spacing
    ``i (x_i - x_(i+1))`` must exceed ``log(m - 1) - log(-log(1 - level))`` times the
    mean of all m - 1 (one population with an exponential tail gives that with chance
    about ``level``: Rényi's representation, as :func:`gap_cut` tests), and the group
    above it must hold at most ``floor(false_alarm_rate x n)`` scores, n all of them
    (the exceedances the rate allows). The cut goes to the gap's midpoint. The widest
    spacing is at most the sum of all, so fewer than 6 untwinned scores never move it.

    Why: a normal entity whose shape no other fold holds stands, out of fold, for the
    shapes the model lacks (a Good-Turing reading: those shapes' share is about that of
    the shapes seen once). The cut above every such score budgets about 1 / n of false
    alarms, and one or two of a rare far family (HDFS's replication blocks with
    deletions, each the other's only like, 5.6-5.8 out of fold where the next untwinned
    block scored 0.6-1.7) then set it, above thousands of anomalous blocks at 3.6-5.5.
    The rate lets that many normal entities lie above the cut; a group that far apart
    from the normal variants is the rare family it may flag, not their tail (and the
    fitted model now holds it: held-out copies score 0). The plain quantile at the rate
    is not this: it cuts inside the variants' spread (benchmarks/RESULTS.md, "Normal-only
    HDFS: a top group apart")."""
    scores = np.sort(np.asarray(inside_scores, dtype=np.float64))
    untwinned = scores[scores > scores[0]][::-1] if scores.size else scores
    m = untwinned.size
    allowed = int(np.floor(false_alarm_rate * scores.size + 1e-9))
    if m < 3 or allowed < 1:
        return None
    ranks = np.arange(1, m)
    spacing = (untwinned[:-1] - untwinned[1:]) * ranks
    mean = float(spacing.mean())
    best = int(np.argmax(spacing))
    bound = _widest_spacing_bound(m - 1, level)
    if mean <= 0 or spacing[best] <= bound * mean or ranks[best] > allowed:
        return None
    high, low = untwinned[best], untwinned[best + 1]
    return float(low + (high - low) / 2), int(ranks[best])


def separate_tail(
    scores,
    false_alarm_rate: float = DEFAULT_FALSE_ALARM_RATE,
    min_share: float = NOT_NORMAL_SHARE,
    evidence=None,
    unit: float | None = None,
):
    """Is there a large group far beyond the rest? The largest local tail shape over
    the top shares of the scores where a group of at least ``min_share`` of them lies
    far beyond the jump, and that group's share: ``(shape, share)``.

    At each top share ``s`` (from ``2 x false_alarm_rate``, and at least 25 scores, up
    to a quarter of them), Pickands' shape ``log2((q(1-s) - q(1-2s)) / (q(1-2s) - q(1-4s)))``
    compares how far the top ``s`` reaches beyond the next ``s`` with how far those
    reach beyond the ``2s`` below them. One population's tail gives about its own shape
    at every share (0 for an exponential tail, 1/3 for a Pareto one with index 3; beyond
    1 is a tail with an infinite mean). A group of entities far out that the bulk does
    not explain makes the quantiles jump where the group starts: a shape of 2 and more
    (the top spreads at least 4x the next). A shape counts only for a large group far
    out: the scores above the widest gap between ``q(1-2s)`` and ``q(1-s)`` hold at
    least ``min_share`` of them (a handful of rare normal workflows far out, as system
    logs have, do not) and at most a third (more is a second mode of the normal data,
    not a group outside it), and the jump ``q(1-s) - q(1-2s)`` is at least 8 times
    ``median - q(0.25)`` (the edge of a dense mode with a smooth rise above it is not
    far; a tight group 8 standard deviations of a normal bulk out is). Tied scores in
    the group count as a group all the same: a script that ran one session over and
    over in data said to be normal is what the check is for. Where the lower half is
    tied (``median == q(0.25)``, as in system logs whose blocks repeat) every jump is
    far, and the shape and the group's share decide; where the quantiles around a share
    are tied, that share has no shape. Too few scores: ``(0.0, 0.0)``.

    ``evidence`` (each entity's evidence weight in [0, 1], aligned with ``scores``: the
    share of its own value an evidence shrinkage keeps, ``n / (n + prior)`` for ``n``
    events): "far" is then also judged among peers in evidence. Features that rest on
    few events are shrunk toward the population's, which scales an entity's deviations
    by its weight, so short entities score in a compact spike near the bottom and the
    longer ones spread above it: against the spike's spread the longer entities read as
    a group far out, though each scores like its peers. With ``evidence``, the jump must
    also be at least 8 times the group's peer spread: for each member of the group,
    ``median - q(0.25)`` of the scores of the entities whose weight lies within a factor
    ``1.25`` of its own (at least 25 of them, else the 25 nearest in weight), the
    median of those over the members. A group far out that is a minority among its
    peers leaves their median and lower quartile where they were and still counts; a
    group that is only "the entities with more events" does not. It can only silence a
    group, never add one.

    ``unit`` (where the lower half is tied: how far apart the normal data's variants
    lie, ``AnomalyPipeline``'s ``_twin_unit``; ``inf`` where none can be
    measured): the jump must also be at least 8 of them. A tied lower half has no
    spread, so every jump was far: clean web logs where most clients make one identical
    request warned on the rise from the tie to the rest alone. It can only silence a
    group, never add one.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> shape, share = separate_tail(rng.exponential(size=3_000), 0.01)
    >>> bool(shape < 1)
    True
    >>> group = 30 + rng.exponential(size=150)
    >>> shape, share = separate_tail(np.r_[rng.exponential(size=2_850), group], 0.01)
    >>> bool(shape > 2), round(share, 3)
    (True, 0.05)
    >>> few = 30 + rng.exponential(size=30)  # 1%: not a large share
    >>> separate_tail(np.r_[rng.exponential(size=2_970), few], 0.005)[0] < 2
    True
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(f"scores must be one-dimensional, got shape {scores.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite (no NaN or inf); drop or impute them first")
    false_alarm_rate = check_false_alarm_rate(false_alarm_rate)
    min_share = _check_share(min_share, "min_share", upper_closed=True)
    if unit is not None and not (isinstance(unit, numbers.Real) and unit > 0):  # (NaN too)
        raise ValueError(
            f"unit must be a positive number (inf: nothing can be shown far) or None, got {unit!r}"
        )
    if evidence is not None:
        evidence = np.asarray(evidence)
        if (
            evidence.shape != scores.shape
            or not np.issubdtype(evidence.dtype, np.number)
            or not ((evidence >= 0) & (evidence <= 1)).all()
        ):
            raise ValueError(
                f"evidence must hold one weight in [0, 1] per score ({scores.size}), got "
                f"shape {evidence.shape} of {evidence.dtype}; pass n / (n + prior) for "
                "entities of n events"
            )
        evidence = evidence.astype(np.float64)[np.argsort(scores, kind="stable")]
    scores = np.sort(scores)
    n = scores.size
    best = (0.0, 0.0)
    if n == 0:
        return best
    low, middle = np.quantile(scores, [0.25, 0.5])
    spread = middle - low if unit is None else max(middle - low, unit)
    share = max(2 * false_alarm_rate, _MIN_GROUP / n)
    while 4 * share <= 1.0:
        a, b, c = np.quantile(scores, [1 - 4 * share, 1 - 2 * share, 1 - share])
        if b > a and c > b and c - b >= _NOT_NORMAL_JUMP * spread:
            shape = float(np.log2(c - b) - np.log2(b - a))
            if shape > best[0]:
                group = _beyond_widest_gap(scores, b, c)
                if min_share <= group <= _MAX_GROUP and (
                    evidence is None
                    or c - b >= _NOT_NORMAL_JUMP * _peer_spread(scores, evidence, group)
                ):
                    best = (shape, group)
        share *= 1.25
    return best


def _far_from_twins(scores, unit: float | None, min_share: float = NOT_NORMAL_SHARE) -> float:
    """Where most normal entities have a twin, the share of them far from every other:
    the not-normal check of out-of-fold distances to the nearest normal entity whose lower
    half is tied at their least (``_tied_at_least``: a system log's repeated workflows,
    most blocks with a copy in the other folds). ``separate_tail`` cannot read those: its
    quantiles collapse onto the tie until the untied scores hold four times its smallest
    share, so 5% of entities far from everything went unseen among blocks that all had
    twins. Here "far" is measured in ``unit``, how far apart the normal data's variants
    lie (``AnomalyPipeline``'s ``_twin_unit``): the share of the scores at least
    ``_NOT_NORMAL_JUMP`` (8) units above the tie (that far from their nearest normal
    entity in the other folds), where it lies between ``min_share`` and a third; else 0.0
    (also where the lower half is not tied at the least, or ``unit`` is None). Measured
    (benchmarks/RESULTS.md, "Fifty-seventh session"): clean normal blocks of hdfs_xu,
    hdfs_deeplog and repeated workflows hold at most 0.3% so far; 3-10% of far-out
    entities mixed in, 2.4-5.1%.

    Examples
    --------
    >>> import numpy as np
    >>> twins = np.zeros(960)  # every normal block has a copy
    >>> variants = np.full(20, 1.0)  # rare normal variants, a unit from the rest
    >>> round(_far_from_twins(np.r_[twins, variants, np.full(30, 20.0)], unit=1.0), 3)
    0.03
    >>> _far_from_twins(np.r_[twins, variants, np.full(10, 20.0)], unit=1.0)  # 1%
    0.0
    """
    scores = np.asarray(scores, dtype=np.float64)
    if unit is None or not unit > 0 or scores.size < _MIN_GROUP or not _tied_at_least(scores):
        return 0.0
    share = float((scores - scores.min() >= _NOT_NORMAL_JUMP * unit).mean())
    return share if min_share <= share <= _MAX_GROUP else 0.0


def _tied_at_least(scores) -> bool:
    """Whether the lower half of ``scores`` is tied at their least (``q(0.25) ==
    median == min``): out-of-fold distances to the nearest normal entity where most
    normal entities have a twin in the other folds. False without scores."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return False
    low, middle = np.quantile(scores, [0.25, 0.5])
    return bool(low == middle == scores.min())


def _peer_spread(ordered: np.ndarray, evidence: np.ndarray, group: float) -> float:
    """The spread of the group's peers in evidence (``separate_tail``): the group is the
    top ``group`` share of the (sorted) scores, ``evidence`` their weights; for each
    member, ``median - q(0.25)`` of the scores of the entities whose weight lies within
    a factor ``_PEER_FACTOR`` of its own (at least ``_MIN_GROUP`` of them, else the
    ``_MIN_GROUP`` nearest in weight); the median over the members."""
    n = ordered.size
    if n < _MIN_GROUP:
        return 0.0
    start = n - int(round(group * n))
    by_weight = np.argsort(evidence, kind="stable")
    weights, peers = evidence[by_weight], ordered[by_weight]
    members, counts = np.unique(evidence[start:], return_counts=True)
    spreads = np.empty(members.size)
    for k, weight in enumerate(members):
        lo = int(np.searchsorted(weights, weight / _PEER_FACTOR, side="left"))
        hi = int(np.searchsorted(weights, weight * _PEER_FACTOR, side="right"))
        if hi - lo < _MIN_GROUP:  # the _MIN_GROUP nearest in weight
            lo = max(0, min((lo + hi - _MIN_GROUP) // 2, n - _MIN_GROUP))
            near = np.abs(weights - weight)
            while lo > 0 and near[lo - 1] < near[lo + _MIN_GROUP - 1]:
                lo -= 1
            while lo + _MIN_GROUP < n and near[lo + _MIN_GROUP] < near[lo]:
                lo += 1
            hi = lo + _MIN_GROUP
        q25, q50 = np.quantile(peers[lo:hi], [0.25, 0.5])
        spreads[k] = q50 - q25
    # the median over the members (each weight counted once per member)
    order = np.argsort(spreads, kind="stable")
    cumulative = np.cumsum(counts[order])
    return float(spreads[order][int(np.searchsorted(cumulative, cumulative[-1] / 2))])


def _beyond_widest_gap(ordered: np.ndarray, low: float, high: float) -> float:
    """The share of the (sorted) scores above the widest gap between consecutive
    scores in ``[low, high]``."""
    start = int(np.searchsorted(ordered, low, side="left"))
    stop = int(np.searchsorted(ordered, high, side="right"))
    part = ordered[start:stop]
    if part.size < 2:
        return float((ordered > low).mean())
    edge = part[int(np.argmax(np.diff(part)))]
    return float((ordered > edge).mean())


def tail_probability(reference_scores, scores) -> np.ndarray:
    """How often a reference (normal) entity scores at least this high: the empirical
    share of ``reference_scores`` >= each score, with the generalized Pareto tail of
    the reference's top 20% beyond its largest value (so two entities both beyond every
    reference score still differ). Small = surprising; 1 = ordinary.

    Examples
    --------
    >>> import numpy as np
    >>> reference = np.random.default_rng(0).exponential(size=10_000)
    >>> p = tail_probability(reference, np.array([0.0, 2.3, 20.0]))
    >>> float(p[0]), round(float(p[1]), 2), bool(p[2] < 1e-4)
    (1.0, 0.1, True)
    """
    reference = np.sort(_check_scores(reference_scores, "reference_scores"))
    scores = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite (no NaN or inf); drop or impute them first")
    n = reference.size
    beyond = (n - np.searchsorted(reference, scores, side="left")) / n
    model = _tail_model(reference, 0.2)
    past = scores > reference[-1]
    if model is not None and past.any():
        a, shape, scale, share = model
        excess = (scores[past] - a) / scale
        if abs(shape) < 1e-9:
            tail = np.exp(-excess)
        else:
            base = 1.0 + shape * excess
            tail = np.where(base > 0, np.abs(base) ** (-1.0 / shape), 0.0)
        beyond[past] = np.minimum(share * tail, 1.0 / n)
    elif past.any():
        beyond[past] = 0.0
    return beyond


def out_of_fold_scores(
    make_detector, X, n_folds: int = 5, random_state=0, on_fold=None, fold=None
) -> np.ndarray:
    """Each row's score from a detector fitted without it: the rows are split into
    ``n_folds`` random folds, a fresh detector (``make_detector()``) is fitted on all
    folds but one and scores the one left out. In-sample scores are optimistic for
    neighbour methods (a training row is its own neighbour's neighbour); these are the
    scores normal data the model never saw would get. The folds are drawn over the
    rows in an order of their content (:func:`content_order`), not their position:
    reordering the rows (renamed entities) gives each row the same score (copies of a
    row share theirs among themselves). ``on_fold`` (a callable without arguments) is
    called after each fold, for progress bars. ``fold``: each row's fold (0 to
    ``n_folds - 1``) where the caller drew them to read them again (normal-only
    fitting's support rule reads the range of the other folds from the folds that
    scored each row; with ``random_state`` None, a Generator or a RandomState each draw
    differs), else drawn here (:func:`folds_in_order`).

    Examples
    --------
    >>> import numpy as np
    >>> from oddseq.detect import KNNDetector
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> oof = out_of_fold_scores(lambda: KNNDetector(n_neighbors=3), X, n_folds=5)
    >>> oof.shape, bool((oof > 0).all())
    ((100,), True)
    """
    if not callable(make_detector) or (
        not isinstance(make_detector, type) and hasattr(make_detector, "fit")
    ):
        raise TypeError(
            "make_detector must be a callable that returns a new detector, such as ECOD or "
            f"lambda: ECOD(), got {make_detector!r}"
        )
    n_folds = check_positive_int(n_folds, "n_folds", minimum=2)
    n = X.shape[0] if isinstance(X, np.ndarray) else len(X)
    if fold is None:
        fold = folds_in_order(content_order(X), n_folds, random_state)
    else:
        fold = np.asarray(fold)
        if (
            fold.shape != (n,)
            or not np.issubdtype(fold.dtype, np.integer)
            or (n and (fold.min() < 0 or fold.max() >= n_folds))
        ):
            raise ValueError(
                f"fold must hold each of the {n:,} rows' fold, an int from 0 to n_folds - 1 = "
                f"{n_folds - 1} (folds_in_order's), got shape {fold.shape} of {fold.dtype}"
            )
    scores = np.empty(n, dtype=np.float64)
    for k in range(n_folds):
        held = fold == k
        fitted = make_detector().fit(_rows(X, ~held))
        scores[held] = fitted.decision_function(_rows(X, held))
        if on_fold is not None:
            on_fold()
    return scores


def fold_of_rows(n: int, n_folds: int, random_state=0) -> np.ndarray:
    """The fold (0 to n_folds - 1) of each of n rows in :func:`out_of_fold_scores`: a
    random permutation modulo n_folds, so the folds differ in size by at most one
    (oddseq.dask splits its partitions' rows by the same)."""
    if n < 2 * n_folds:
        raise ValueError(
            f"normal-only fitting needs at least {2 * n_folds} sequences to hold some "
            f"out ({n_folds} folds), got {n}"
        )
    return np.random.default_rng(random_state).permutation(n) % n_folds


def folds_in_order(order: np.ndarray, n_folds: int, random_state=0) -> np.ndarray:
    """The fold of each row where the folds of :func:`fold_of_rows` are dealt to the
    rows listed in ``order`` (a permutation: an order of their content,
    :func:`content_order`): row ``order[i]`` gets fold ``fold_of_rows(n)[i]``. The
    folds of every normal-only fit (``out_of_fold_scores``, ``AnomalyPipeline``'s
    support rule, the neural models' refits, oddseq.dask's partitions), so that
    reordering the rows (renamed entities) draws the same folds."""
    order = np.asarray(order, dtype=np.int64)
    fold = np.empty(order.size, dtype=np.int64)
    fold[order] = fold_of_rows(order.size, n_folds, random_state)
    return fold


def content_order(X) -> np.ndarray:
    """The rows of a matrix, or the sequences of a ``Sequences``, in an order of their
    content: by a 64-bit hash of each row's values (the C++ core's row hashes,
    oddseq/core/content_hash.hpp, each column keyed by its content: the K-means and
    isolation forest draws' key) or of each sequence's events and times
    (:func:`sequence_content_order`). The rows' hashes read their values rounded as the
    draws' keys do (so that a sum's last bit does not reorder every row), rows equal
    to that rounding then by their exact values' hashes. Rows of the same content
    (copies) keep their order among themselves: swapping them changes nothing a
    detector reads."""
    if not isinstance(X, np.ndarray):
        return sequence_content_order(X.events, X.offsets, X.times)
    return np.lexsort((row_hashes(X, rounded=False), row_hashes(X)))


def row_hashes(X, n_threads: int = 1, *, rounded: bool = True) -> np.ndarray:
    """Each row's hash by its values (as double; -0.0 as 0.0), with the columns keyed by
    theirs (C++ ``column_keys`` and ``row_hashes``): the same for any order of the rows
    or the columns, and any ``n_threads``. ``rounded``: the values as the draws key them
    (17 significant bits; 0 below 2^-40 of the column's largest magnitude), else their
    exact bits."""
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    X = np.ascontiguousarray(X.reshape(X.shape[0], -1))
    if not rounded:
        keys = _core.kmeans_column_keys(X, n_threads, rounded=False)
        return _core.kmeans_row_hashes(X, keys, n_threads, rounded=False)
    floors = _core.kmeans_key_floors(X, n_threads)
    keys = _core.kmeans_column_keys(X, n_threads, floors=floors)
    return _core.kmeans_row_hashes(X, keys, n_threads, floors=floors)


def sequence_content_order(
    codes: np.ndarray, offsets: np.ndarray, times=None, n_threads: int = 1
) -> np.ndarray:
    """The sequences (``offsets`` over the events' ``codes`` and ``times``) ordered by a
    64-bit key of their content (C++ ``sequence_keys``, oddseq/core/content_hash.hpp):
    each event's type key and time mixed with its step, summed over the sequence and
    mixed with its length. A type's key is where its events stand (C++
    ``sequence_type_keys``: their steps, sequences and times; ``sequence_keys_by_type``
    in one call), never its code: the codes follow the sorted names of the types, and
    an analyst's own labels for the same log ("view" for "pv") must draw the same
    (test_renamed_types: normal-only method="markov" on hdfs_xu had moved its cut with
    every renaming, up to 6,398 of 21,421 blocks' flags). Sequences of the same events
    at the same times (copies), and those that differ only by types whose events stand
    alike, keep their order among themselves. What the neural models' draws (held-out
    part, batches, folds) and the folds of a detector of sequences are drawn over, so
    that reordering the sequences (renamed entities) or renaming the event types draws
    the same; the same for any ``n_threads``."""
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    if times is not None:
        times = np.ascontiguousarray(times, dtype=np.int64)
    n_types = int(codes.max()) + 1 if codes.size else 0
    keys = _core.content_sequence_keys_by_type(codes, offsets, times, n_types, int(n_threads))
    return np.argsort(keys, kind="stable")


def _rows(X, mask):
    """The rows of a matrix, or the sequences of a Sequences, where mask is True."""
    rows = np.flatnonzero(mask)
    return X[rows] if isinstance(X, np.ndarray) else X.take(rows)


# How many fold assignments normal-only fitting's support rule reads its cut from (the
# fit's own and SUPPORT_CUT_DRAWS - 1 more, seeded from random_state): odd, so the
# median is one of them.
SUPPORT_CUT_DRAWS = 7


def outside_other_folds(X: np.ndarray, fold: np.ndarray, n_folds: int) -> np.ndarray:
    """Rows of ``X`` outside the range (per column, min to max) of the rows in the other
    folds: outside the very rows whose detector scored them out of fold (the support
    rule's novelty)."""
    outside = np.zeros(X.shape[0], dtype=bool)
    for k in range(n_folds):
        held, rest = X[fold == k], X[fold != k]
        outside[fold == k] = ((held < rest.min(axis=0)) | (held > rest.max(axis=0))).any(axis=1)
    return outside


def _support_cut(inside, left: float):
    """Normal-only fitting's support rule's cut on one draw of out-of-fold scores:
    ``(cut, apart)``. ``inside``: the out-of-fold scores of the normal entities inside
    the other folds' range, ``left``: what that range leaves of the false-alarm rate.
    Where ties fill their top, strictly above all of them (``_normal_cut(above_ties=
    True)``), then down into a clear gap under a top group of at most the rate's
    allowance (:func:`_gap_under_top`; ``apart``: that group's size, else None)."""
    inside = np.asarray(inside, dtype=np.float64)
    cut, apart = _normal_cut(inside, left, above_ties=True), None
    if cut == inside.max() and inside.min() < inside.max():
        moved = _gap_under_top(inside, left)
        if moved is not None:
            cut, apart = moved
    return float(cut), apart


def _support_cut_over_draws(
    make_detector, X, n_folds: int, random_state, rate: float, first, draws: int
):
    """The support rule's cut read from ``draws`` fold assignments: the median of
    :func:`_support_cut` on each (the fit's own, ``first`` = its ``(out-of-fold
    scores, outside)``, and ``draws - 1`` more seeded from ``random_state``), with the
    ``apart`` of the draw it comes from. ``outside``: the rows outside the range of
    the other folds (:func:`folds_in_order`'s folds); each draw's cut reads what its
    own novelty leaves of ``rate``.

    Why: with a system log's twinned normal entities (nearly every out-of-fold score
    tied at the bottom, a dozen untwinned ones above), one fold assignment decides
    whether the rate leaves 10 exceedances or fewer, i.e. whether the cut is the
    empirical quantile inside the untwinned dozen or above all of them: on hdfs_xu
    (2,500 normal blocks fitted) random_state 0-2 cut at 6.4 (326 of 500 anomalous
    blocks flagged), 3-5 at 0.2-0.5 (500 of 500), the same data; over random_state
    0-29, 8 of 30 at 6.4 with one draw, 2 with the median of 5, 1 with 7, none with 9
    (each draw: 5 more detector fits; the fit 0.06 s -> 0.25 s at 7)."""
    reference, outside = first
    cuts = [_support_cut(reference[~outside], (rate - outside.mean()) / (1 - outside.mean()))]
    if draws > 1:
        order = content_order(X)
        seeds = np.random.default_rng(random_state).integers(2**63 - 1, size=draws - 1)
        for seed in seeds:
            seed = int(seed)
            scores = out_of_fold_scores(make_detector, X, n_folds, seed)
            out = outside_other_folds(X, folds_in_order(order, n_folds, seed), n_folds)
            novelty = float(out.mean())
            if novelty >= rate or out.all():  # (the rule would not hold on this draw)
                continue
            cuts.append(_support_cut(scores[~out], (rate - novelty) / (1 - novelty)))
    values = np.array([c for c, _ in cuts])
    middle = int(np.argsort(values, kind="stable")[(values.size - 1) // 2])
    return cuts[middle]
