"""Bad input across the public API (issue 14's house rule): a ValueError or TypeError
that names the argument and the fix, never a crash, a silent NaN or a changed input.
Each case here is one the twelfth session's sweep of the public callables found."""

import numpy as np
import pandas as pd
import pytest

from oddseq.cluster import KMeans, MiniBatchKMeans, NearestNeighbors
from oddseq.detect import (
    ECOD,
    DBSCANDetector,
    EnsembleDetector,
    IsolationForest,
    KMeansDetector,
    MarkovDetector,
    auto_cut,
    jackson_mudholkar_limit,
    normal_cut,
    out_of_fold_scores,
    tail_cut,
    tail_probability,
)
from oddseq.encode import RecentChangeEncoder
from oddseq.graph import GroupDetector, fraudar_weights, log10_poisson_sf
from oddseq.metrics import accuracy_score, precision_recall_fscore
from oddseq.preprocessing import PCA, Imputer, LogScaler, StandardScaler
from oddseq.sequences import Sequences

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 3))
FRAME = pd.DataFrame(X, columns=["a", "b", "c"])
SCORES = RNG.exponential(size=500)


# --- pandas nullable columns and non-numeric columns in a feature matrix -------------


def _with_na(dtype):
    frame = FRAME.astype(dtype) if dtype == "Float64" else (FRAME * 10).round().astype(dtype)
    frame.iloc[2, 1] = pd.NA
    return frame


@pytest.mark.parametrize("dtype", ["Float64", "Int64"])
def test_nullable_na_is_missing_for_the_imputer(dtype):
    frame = _with_na(dtype)
    before = frame.copy()
    out = Imputer().fit_transform(frame)
    assert np.isfinite(out).all()
    expected = Imputer().fit_transform(frame.astype("float64").to_numpy())
    np.testing.assert_array_equal(out, expected)
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize("dtype", ["Float64", "Int64"])
@pytest.mark.parametrize("make", [ECOD, StandardScaler, lambda: KMeans(3, random_state=0)])
def test_nullable_na_elsewhere_is_the_missing_values_error(dtype, make):
    with pytest.raises(ValueError, match=r"X contains NaN or infinity in 1 row\(s\); impute"):
        make().fit(_with_na(dtype))


def test_nullable_without_na_is_read_as_numbers():
    plain = ECOD().fit(FRAME).decision_scores_
    np.testing.assert_array_equal(ECOD().fit(FRAME.astype("Float64")).decision_scores_, plain)


def test_float32_frame_keeps_its_dtype():
    out = StandardScaler().fit_transform(FRAME.astype(np.float32))
    assert out.dtype == np.float32


@pytest.mark.parametrize(
    "column",
    [
        pd.Categorical(["x", "y"] * 30),
        pd.array(["x", "y"] * 30, dtype="string"),
        pd.date_range("2024", periods=60, tz="UTC"),
        np.array(["x", "y"] * 30, dtype=object),
    ],
    ids=["category", "string", "tz-datetime", "object"],
)
def test_non_numeric_column_is_named(column):
    frame = FRAME.assign(shop=column)
    with pytest.raises(TypeError, match=r"X has non-numeric column\(s\) \['shop'\].*drop"):
        ECOD().fit(frame)


# --- bool parameters take True or False, not anything truthy -------------------------


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda v: StandardScaler(with_mean=v), "with_mean"),
        (lambda v: StandardScaler(with_std=v), "with_std"),
        (lambda v: PCA(2, whiten=v), "whiten"),
        (lambda v: LogScaler(signed=v), "signed"),
    ],
)
@pytest.mark.parametrize("value", ["False", 1.5, None])
def test_bool_parameters_refuse_other_values(make, name, value):
    with pytest.raises(TypeError, match=f"{name} must be True or False, got {value!r}"):
        make(value).fit(np.abs(X))


@pytest.mark.parametrize("value", ["False", 0.5, None])
def test_markov_end_symbol_is_a_bool(value):
    seqs = Sequences.from_lists([["a", "b"], ["b", "a", "a"]] * 5)
    with pytest.raises(TypeError, match=f"end_symbol must be True or False, got {value!r}"):
        MarkovDetector(end_symbol=value).fit(seqs)


def test_numpy_bools_are_bools():
    StandardScaler(with_mean=np.bool_(False)).fit(X)


# --- the public threshold helpers -----------------------------------------------------


@pytest.mark.parametrize("cut", [auto_cut, tail_cut, normal_cut])
@pytest.mark.parametrize(
    "scores, message",
    [
        (np.array([]), "scores must not be empty"),
        (np.r_[SCORES, np.nan], r"scores must be finite \(no NaN or inf\)"),
        (np.r_[SCORES, np.inf], r"scores must be finite \(no NaN or inf\)"),
        (np.c_[SCORES, SCORES], "scores must be one-dimensional"),
    ],
    ids=["empty", "nan", "inf", "2-d"],
)
def test_cuts_refuse_bad_scores(cut, scores, message):
    with pytest.raises(ValueError, match=message):
        cut(scores)


@pytest.mark.parametrize("cut", [auto_cut, tail_cut, normal_cut])
@pytest.mark.parametrize(
    "rate, error", [(0, ValueError), (1, ValueError), (2, ValueError), ("0.01", TypeError)]
)
def test_cuts_refuse_bad_false_alarm_rate(cut, rate, error):
    with pytest.raises(error, match=r"false_alarm_rate must be .*\(0, 1\)"):
        cut(SCORES, rate)


def test_cuts_accept_a_series_and_keep_their_values():
    assert tail_cut(pd.Series(SCORES), 0.01) == tail_cut(SCORES, 0.01)


@pytest.mark.parametrize(
    "reference, scores, message",
    [
        (np.array([]), SCORES, "reference_scores must not be empty"),
        (np.r_[SCORES, np.nan], SCORES, "reference_scores must be finite"),
        (SCORES, np.r_[SCORES, np.nan], "scores must be finite"),
    ],
)
def test_tail_probability_refuses_bad_scores(reference, scores, message):
    with pytest.raises(ValueError, match=message):
        tail_probability(reference, scores)


@pytest.mark.parametrize("alpha", [0, 1, -0.1, np.nan])
def test_jackson_mudholkar_limit_refuses_alpha_outside_0_1(alpha):
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        jackson_mudholkar_limit([1.0, 2.0], alpha)


def test_jackson_mudholkar_limit_refuses_nan_variances():
    with pytest.raises(ValueError, match="residual_variances must be finite"):
        jackson_mudholkar_limit([1.0, np.nan], 0.05)


@pytest.mark.parametrize(
    "n_folds, error, message",
    [
        (1, ValueError, "n_folds must be >= 2"),
        (2.5, TypeError, "n_folds must be an int"),
        (True, TypeError, "n_folds must be an int"),
    ],
)
def test_out_of_fold_scores_checks_n_folds(n_folds, error, message):
    with pytest.raises(error, match=message):
        out_of_fold_scores(ECOD, X, n_folds=n_folds)


def test_out_of_fold_scores_wants_a_maker_not_a_detector():
    with pytest.raises(TypeError, match=r"make_detector must be a callable.*lambda: ECOD\(\)"):
        out_of_fold_scores(ECOD(), X)


def test_iforest_still_fits_after_the_checks():
    assert np.isfinite(
        IsolationForest(n_estimators=10, random_state=0).fit(X).decision_scores_
    ).all()


# --- the graph's time column: the reading options its messages advise exist ----------


@pytest.mark.parametrize("build", ["graph", "detector"])
def test_graph_takes_time_format_and_dayfirst_that_its_errors_advise(build):
    from oddseq.graph import EntityObjectGraph, GroupDetector

    frame = pd.DataFrame({"user": [1, 2], "item": [7, 7], "when": ["1/2/2017", "2/3/2017"]})
    kwargs = dict(entity="user", object="item", time="when")

    def fit(**extra):
        if build == "graph":
            return EntityObjectGraph.from_events(frame, **kwargs, **extra)
        return GroupDetector().fit(frame, **kwargs, **extra)

    with pytest.raises(ValueError, match="dayfirst"):
        fit()
    fit(dayfirst=True)
    fit(time_format="%d/%m/%Y")
    day_first = EntityObjectGraph.from_events(frame, **kwargs, dayfirst=True)
    month_first = EntityObjectGraph.from_events(frame, **kwargs, dayfirst=False)
    assert day_first.first_time is not None
    assert not np.array_equal(day_first.first_time, month_first.first_time)


# --- random_state: the message names it -------------------------------------------


@pytest.mark.parametrize("seed", ["5", 1.5, -1, [3.5]])
@pytest.mark.parametrize(
    "fit",
    [
        lambda seed: IsolationForest(n_estimators=5, random_state=seed).fit(X),
        lambda seed: KMeans(3, random_state=seed).fit(X),
    ],
    ids=["IsolationForest", "KMeans"],
)
def test_bad_random_state_is_named(fit, seed):
    with pytest.raises(ValueError, match=r"random_state must be None, an int in \[0, 2\*\*32"):
        fit(seed)


@pytest.mark.parametrize(
    "seed, error, message",
    [
        ("x", TypeError, "random_state must be None, an int or a numpy Generator, got str"),
        (1.5, TypeError, "random_state must be None, an int or a numpy Generator, got float"),
        (-1, ValueError, "random_state must be >= 0, got -1"),
    ],
)
def test_make_ecommerce_names_a_bad_random_state(seed, error, message):
    from oddseq.datasets import make_ecommerce

    with pytest.raises(error, match=message):
        make_ecommerce(n_users=20, random_state=seed)


# --- the neural detectors: a device torch cannot use, end_symbol --------------------


def _neural():
    pytest.importorskip("torch")
    from oddseq.neural import LSTMDetector

    seqs = Sequences.from_lists([["a", "b", "c"], ["a", "c"], ["b", "a", "c", "c"]] * 5)
    return LSTMDetector, seqs


def test_neural_device_without_cuda_is_a_value_error():
    LSTMDetector, seqs = _neural()
    import torch

    wanted = "cuda" if not torch.cuda.is_available() else f"cuda:{torch.cuda.device_count()}"
    with pytest.raises(ValueError, match=r"device=.*torch .*pass device='cpu' or 'auto'"):
        LSTMDetector(max_epochs=1, hidden_dim=4, device=wanted).fit(seqs)


@pytest.mark.parametrize("value", ["False", 2])
def test_neural_end_symbol_is_a_bool(value):
    LSTMDetector, seqs = _neural()
    with pytest.raises(TypeError, match=f"end_symbol must be True or False, got {value!r}"):
        LSTMDetector(max_epochs=1, hidden_dim=4, end_symbol=value).fit(seqs)


# --- numbers: non-finite fill values, ints past float64's exact range ---------------


@pytest.mark.parametrize("fill", [np.nan, np.inf, -np.inf])
def test_imputer_fill_value_must_be_finite(fill):
    with pytest.raises(ValueError, match="fill_value must be a finite number"):
        Imputer(strategy="constant", fill_value=fill).fit(X)


@pytest.mark.parametrize(
    "fit",
    [
        lambda: NearestNeighbors(radius=10**20).fit(X),
        lambda: DBSCANDetector(eps=10**20, min_samples=3).fit(X),
        lambda: RecentChangeEncoder(prior=10**20).fit(
            Sequences.from_arrays([0, 3, 5], ["a", "b", "a", "b", "b"], times=[1, 2, 3, 4, 9])
        ),
    ],
    ids=["radius", "eps", "prior"],
)
def test_a_huge_python_int_is_a_number_not_a_numpy_type_error(fit):
    fit()  # was TypeError: ufunc 'isfinite' not supported for the input types


# --- time_zone: a number is not a zone ------------------------------------------------


@pytest.mark.parametrize("zone", [2, -1, 5.5, True])
@pytest.mark.parametrize("name", ["TemporalEncoder", "AutomationEncoder", "RecentChangeEncoder"])
def test_time_zone_number_is_refused_not_read_as_seconds(name, zone):
    import oddseq.encode

    seqs = Sequences.from_arrays([0, 3, 5], ["a", "b", "a", "b", "b"], times=[1, 2, 3, 4, 9])
    with pytest.raises(TypeError, match=r"time_zone must be a zone name such as 'Europe/Berlin'"):
        getattr(oddseq.encode, name)(time_zone=zone).fit(seqs)


def test_time_zone_unknown_name_says_what_a_name_looks_like():
    from oddseq.encode import TemporalEncoder

    seqs = Sequences.from_arrays([0, 3, 5], ["a", "b", "a", "b", "b"], times=[1, 2, 3, 4, 9])
    with pytest.raises(
        ValueError, match=r"time_zone='UTC\+2' is not a known zone.*'Europe/Berlin'"
    ):
        TemporalEncoder(time_zone="UTC+2").fit(seqs)


# --- Sequences or ragged rows where a feature matrix goes -----------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda seqs: ECOD().fit(seqs),
        lambda seqs: KMeans(2).fit(seqs),
        lambda seqs: StandardScaler().fit(seqs),
        lambda seqs: ECOD().fit(X).explain(seqs),
    ],
    ids=["ECOD.fit", "KMeans.fit", "StandardScaler.fit", "explain"],
)
def test_sequences_where_features_go_say_to_encode_them(call):
    seqs = Sequences.from_lists([["a", "b"], ["b", "a", "a"]] * 5)
    with pytest.raises(TypeError, match=r"X is Sequences.*default_encoder\(\)\.fit_transform"):
        call(seqs)


def test_ragged_rows_are_named():
    with pytest.raises(ValueError, match=r"X must be a 2-D array of numbers: its rows differ"):
        ECOD().fit([[1.0, 2.0], [3.0]] * 5)


# --- plots ------------------------------------------------------------------------------


def test_plot_scores_refuses_a_matrix_and_text():
    import matplotlib

    matplotlib.use("Agg")
    from oddseq.plot import plot_scores

    with pytest.raises(ValueError, match=r"scores must be one-dimensional, got shape \(500, 2\)"):
        plot_scores(np.c_[SCORES, SCORES])
    with pytest.raises(TypeError, match="scores must be numbers"):
        plot_scores(np.array(["a", "b"]))
    plot_scores(SCORES[:, None])  # one column is a vector


def test_plot_group_without_groups_says_so():
    import matplotlib

    matplotlib.use("Agg")
    from oddseq.graph import GroupDetector
    from oddseq.plot import plot_group

    frame = pd.DataFrame({"user": [1, 2, 3], "item": [7, 8, 9]})
    detector = GroupDetector().fit(frame, entity="user", object="item")
    assert len(detector.groups_) == 0
    with pytest.raises(ValueError, match="the detector found no groups: nothing to plot"):
        plot_group(detector)


# --- item_categories: a mapping, not a list ---------------------------------------------


@pytest.mark.parametrize("categories", [[1, 2, 3], (1, 2), np.array([1, 2, 3])])
@pytest.mark.parametrize("name", ["CountEncoder", "DiversityEncoder"])
def test_item_categories_as_a_list_is_refused(name, categories):
    import oddseq.encode

    seqs = Sequences.from_arrays(
        [0, 3, 5], ["a", "b", "a", "b", "b"], times=[1, 2, 3, 4, 9], items=[1, 2, 2, 3, 4]
    )
    kwargs = {"unit": "category"} if name == "CountEncoder" else {}
    encoder = getattr(oddseq.encode, name)(item_categories=categories, **kwargs)
    with pytest.raises(TypeError, match=r"item_categories must map items to categories"):
        encoder.fit(seqs)


# --- ints past what the C++ kernels take ----------------------------------------------


@pytest.mark.parametrize(
    "fit, name",
    [
        (lambda v: IsolationForest(n_estimators=v).fit(X), "n_estimators"),
        (lambda v: KMeans(3, max_iter=v).fit(X), "max_iter"),
        (lambda v: NearestNeighbors(leaf_size=v).fit(X), "leaf_size"),
        (lambda v: MarkovDetector(order=v).fit(Sequences.from_lists([["a", "b"]] * 3)), "order"),
        (lambda v: MarkovDetector(top_g=v).fit(Sequences.from_lists([["a", "b"]] * 3)), "top_g"),
    ],
)
def test_an_int_too_large_for_the_kernels_is_named(fit, name):
    with pytest.raises(ValueError, match=rf"{name} must be at most 2147483647, got 10+"):
        fit(10**20)


# --- restart counts: a typo, not a wish (KMeans, MiniBatchKMeans, KMeansDetector) ------


@pytest.mark.parametrize(
    "make",
    [
        lambda v: KMeans(3, n_init=v),
        lambda v: MiniBatchKMeans(3, n_init=v),
        lambda v: KMeansDetector(3, n_init=v),
    ],
)
@pytest.mark.parametrize("n_init", [1001, 10**6, 10**20])
def test_n_init_past_the_bound_is_refused_at_once(make, n_init):
    with pytest.raises(ValueError, match=r"n_init must be at most 1000 .*got 10+1?"):
        make(n_init).fit(X)


def test_n_init_up_to_the_bound_is_taken():
    # An array of centres is used once (a warning): n_init=1000 passes the check cheaply.
    with pytest.warns(RuntimeWarning, match="n_init=1000 is ignored"):
        KMeans(3, init=X[:3], n_init=1000).fit(X)
    assert MiniBatchKMeans(3, init=X[:3], n_init=1000, batch_size=6).fit(X).n_steps_ >= 1
    assert KMeansDetector(3, n_init="auto").fit(X).kmeans_.n_init == "auto"


# --- GroupDetector's cuts, by what they mean ------------------------------------------

_GROUP_LOG = pd.DataFrame({"u": [0, 1, 2, 0, 1, 2], "item": [5, 5, 5, 6, 6, 6], "t": range(6)})


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"threshold": 0}, ValueError, r"threshold must be a finite number > 0"),
        ({"threshold": -2.0}, ValueError, r"threshold must be a finite number > 0"),
        ({"threshold": "2"}, TypeError, r"threshold must be a finite number > 0"),
        ({"min_lift": 0.5}, ValueError, r"min_lift must be 0 .* or >= 1"),
        ({"min_lift": -1}, ValueError, r"min_lift must be 0 .* or >= 1"),
        ({"min_lift": "5"}, TypeError, r"min_lift must be"),
        ({"min_burst": -1}, ValueError, r"min_burst must be a finite number >= 0"),
        ({"min_burst": np.inf}, ValueError, r"min_burst must be a finite number >= 0"),
        ({"min_burst": None}, TypeError, r"min_burst must be"),
    ],
)
def test_group_detector_cuts_are_checked_by_meaning(params, error, match):
    with pytest.raises(error, match=match):
        GroupDetector(**params).fit(_GROUP_LOG, entity="u", object="item", time="t")


def test_group_detector_filters_off_at_zero_still_fit():
    det = GroupDetector(min_lift=0, min_burst=0).fit(
        _GROUP_LOG, entity="u", object="item", time="t"
    )
    assert det.decision_function().shape == (3,)


# --- EnsembleDetector members ---------------------------------------------------------


@pytest.mark.parametrize(
    "members, names",
    [
        ([("a", ECOD()), ("a", IsolationForest(random_state=0))], "'a'"),
        ([("ECOD_1", ECOD()), ECOD()], "'ECOD_1'"),
    ],
)
def test_ensemble_refuses_duplicate_member_names(members, names):
    with pytest.raises(ValueError, match=rf"member names must differ.*{names}"):
        EnsembleDetector(members).fit(X)


# --- metrics: bools are bools ---------------------------------------------------------


@pytest.mark.parametrize("value", ["no", 0, 1, None, "False"])
def test_accuracy_normalize_is_a_bool(value):
    with pytest.raises(TypeError, match="normalize must be True or False"):
        accuracy_score([0, 1, 1], [0, 1, 0], normalize=value)


def test_accuracy_normalize_bools_unchanged():
    assert accuracy_score([0, 1, 1], [0, 1, 0], normalize=False) == 2.0
    assert accuracy_score([0, 1, 1], [0, 1, 0], normalize=np.bool_(True)) == 2 / 3


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"zero_division": "warn"}, TypeError, "zero_division must be a number"),
        ({"zero_division": True}, TypeError, "zero_division must be a number"),
        ({"beta": "1"}, TypeError, "beta must be a number"),
        ({"beta": np.inf}, ValueError, "beta must be a finite number >= 0"),
        ({"beta": -1.0}, ValueError, "beta must be a finite number >= 0"),
    ],
)
def test_fscore_parameters_are_checked(params, error, match):
    with pytest.raises(error, match=match):
        precision_recall_fscore([0, 0], [0, 0], **params)


def test_fscore_zero_division_nan_is_kept():
    assert np.isnan(precision_recall_fscore([0, 0], [0, 0], zero_division=np.nan)[2])


# --- graph helpers: no NaN or -inf out of NaN or negative input -----------------------


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fraudar_weights([1.0, np.nan]), "col_degree must be finite and >= 0"),
        (lambda: fraudar_weights([3, -1]), "col_degree must be finite and >= 0"),
        (lambda: fraudar_weights([3, 4], c=np.nan), r"c must be a finite number > 1"),
        (lambda: fraudar_weights([3, 4], c=0.5), r"c must be a finite number > 1"),
        (lambda: log10_poisson_sf(np.nan, 1.0), "k must be a finite number"),
        (lambda: log10_poisson_sf(np.inf, 1.0), "k must be a finite number"),
        (lambda: log10_poisson_sf(3, np.nan), "mu must be a number >= 0"),
        (lambda: log10_poisson_sf(3, -1.0), "mu must be a number >= 0"),
    ],
)
def test_graph_helpers_refuse_nan_and_negative_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_graph_helpers_defined_edges_unchanged():
    assert log10_poisson_sf(-3, 2.0) == 0.0  # P(X >= k) = 1 for k <= 0
    assert log10_poisson_sf(2, 0.0) == -np.inf  # Poisson(0) never reaches 2
    assert fraudar_weights([0, 1, 2]).tolist()[:2] == [0.0, 0.0]
    with pytest.raises(TypeError, match="mu must be a number"):
        log10_poisson_sf(3, "1.0")


# --- GroupDetector ids of the wrong type ----------------------------------------------


def test_group_detector_ids_of_another_type_are_refused():
    det = GroupDetector(method="static").fit(_GROUP_LOG, entity="u", object="item")
    for ids in (["0", "1"], "2", np.array(["0"])):
        with pytest.raises(TypeError, match=r"ids .*none of them is a fitted entity"):
            det.decision_function(ids=ids)
    with pytest.raises(TypeError, match="ids"):
        det.group_of(["0"])
    with pytest.raises(TypeError, match="ids"):
        det.explain(["0"])
    # Documented: unseen ids of the fitted type score 0; one known id keeps the rest 0.
    assert det.decision_function(ids=[28]).tolist() == [0.0]
    assert det.decision_function(ids=[0, "28"])[1] == 0.0
    assert det.decision_function(ids=[]).shape == (0,)


def test_accuracy_with_all_weights_zero_is_named():
    with pytest.raises(ValueError, match="sample_weight sums to 0"):
        accuracy_score([0, 1], [0, 0], sample_weight=[0.0, 0.0])
    assert accuracy_score([0, 1], [0, 0], sample_weight=[0.0, 0.0], normalize=False) == 0.0


@pytest.mark.parametrize("trials", [1001, 10**9])
def test_kmeans_plusplus_local_trials_past_the_bound_is_named(trials):
    from oddseq.cluster import kmeans_plusplus

    # 10**9 was a MemoryError (std::bad_alloc) from the kernel.
    with pytest.raises(ValueError, match=r"n_local_trials must be at most 1000 .*got 10+"):
        kmeans_plusplus(X, 3, n_local_trials=trials)
    assert kmeans_plusplus(X, 3, n_local_trials=1000, random_state=0)[0].shape == (3, 3)


@pytest.mark.parametrize(
    "k, mu, match",
    [
        ([np.nan], [1.0], "k must be finite"),  # was 0: no surprise
        ([np.inf], [1.0], "k must be finite"),
        ([3], [np.nan], "mu must be >= 0"),  # was NaN
        ([3], [-1.0], "mu must be >= 0"),  # was 900.8, as for mu = 0
    ],
)
def test_poisson_surprise_refuses_nan_and_negative_mu(k, mu, match):
    from oddseq.graph._null import poisson_surprise

    with pytest.raises(ValueError, match=match):
        poisson_surprise(k, mu)
    assert poisson_surprise([0, 2], [0.0, 1.0]).round(3).tolist()[0] == 0.0


def test_missing_values_refusal_is_a_public_value_error_with_the_counts():
    """A log with missing values is refused with a ValueError whose class a caller can
    name and catch (oddseq.exceptions.MissingValuesError, not a private module's class
    in the traceback) and whose counts say which columns miss how many rows."""
    import pickle
    import traceback

    from oddseq.exceptions import MissingValuesError

    df = pd.DataFrame(
        {"user": ["a", "a", None, "b"], "event": ["v", None, "v", "b"], "ts": [1, 2, 3, 4]}
    )
    with pytest.raises(MissingValuesError) as refused:
        Sequences.from_events(df, entity="user", event="event", time="ts")
    assert isinstance(refused.value, ValueError)
    assert refused.value.counts == {"user": 1, "event": 1}
    assert refused.value.n_rows == 4
    shown = "".join(traceback.format_exception_only(refused.value))
    assert shown.startswith("oddseq.exceptions.MissingValuesError: missing values:"), shown
    again = pickle.loads(pickle.dumps(refused.value))
    assert (type(again), str(again), again.counts) == (
        MissingValuesError,
        str(refused.value),
        refused.value.counts,
    )
