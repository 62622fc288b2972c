"""Event types spelt several ways, by case or spaces around them (session 34, IA item 1):
a log concatenated from two systems ("view" from one, "View" or " view" from the other)
read as twice the types, the funnel taking one spelling per step (the other's events no
step), without a word. They are read as written, as ids are, and a DataWarning names the
spellings with their counts, what the funnel takes, and the pandas line that folds them;
oddseq.dask says the same of the whole log, and scoring a later log (a model, a stream)
whose types are the fitted ones in another case names them and the map to the model's."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import AnomalyPipeline
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def shop():
    log = oddseq.datasets.make_ecommerce(n_users=120, n_days=3, random_state=761).events
    return log.assign(behavior=log["behavior"].astype(str))


def _two_systems(shop):
    """Half the users' events from a system that capitalises its names, and some
    with a space in front."""
    log = shop.copy()
    other = (log["user_id"] % 2 == 0).to_numpy()
    log.loc[other, "behavior"] = log.loc[other, "behavior"].str.capitalize()
    log.loc[log.index[::9], "behavior"] = " " + log.loc[log.index[::9], "behavior"]
    return log


def _spelling_warnings(caught):
    return [str(w.message) for w in caught if "in more than one way" in str(w.message)]


def test_spellings_are_named_with_their_counts_and_the_fold(shop):
    log = _two_systems(shop)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seqs = Sequences.from_events(log, **ROLES)
    said = _spelling_warnings(caught)
    assert len(said) == 1, said
    assert [w.category for w in caught if "in more than one way" in str(w.message)] == [DataWarning]
    text = said[0]
    counts = log["behavior"].value_counts()
    top = counts.index[0]  # the most frequent spelling is said first, with its count
    assert f"{top!r} ({counts[top]:,} events)" in text, text
    assert f"they are {log['behavior'].nunique()} types" in text
    assert "a funnel read from the names takes one spelling of each step" in text
    # Read as written: each spelling is a type of its own.
    assert len(seqs.event_labels) == log["behavior"].nunique()
    fix = re.search(r"df\['behavior'\] = (df\['behavior'\].*)$", text).group(1)
    df = log
    folded = log.assign(behavior=eval(fix))  # the line the warning gives
    assert set(folded["behavior"]) == set(shop["behavior"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = Sequences.from_events(folded, **ROLES)
    assert _spelling_warnings(caught) == []
    assert df is log and len(again.event_labels) == shop["behavior"].nunique()


def test_each_spelling_counts_apart_until_folded(shop):
    """What the warning says: count[buy] holds one spelling's purchases (about a third
    of them), and the funnel's buy is one spelling; folded, every system's."""
    log = _two_systems(shop)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        split = AnomalyPipeline().fit(Sequences.from_events(log, **ROLES))
        folded = log.assign(behavior=log["behavior"].str.strip().str.lower())
        whole = AnomalyPipeline().fit(Sequences.from_events(folded, **ROLES))
        column = list(split.feature_names_).index("count[buy]")
        fitted_split = split.encoder_.transform(Sequences.from_events(log, **ROLES))[:, column]
        fitted_whole = whole.encoder_.transform(Sequences.from_events(folded, **ROLES))
        fitted_whole = fitted_whole[:, list(whole.feature_names_).index("count[buy]")]
    assert fitted_split.sum() < 0.75 * fitted_whole.sum()  # about a third of the buys lost
    assert split.funnel_["buy"] != "buy" and whole.funnel_["buy"] == "buy"


@pytest.mark.parametrize(
    "labels",
    [
        None,  # make_ecommerce's pv/cart/fav/buy: one spelling each
        [3, 5, 7],  # template ids as numbers
        ["E1_2", "E12", "view"],  # ids of digits in other separators (not one type)
    ],
)
def test_one_spelling_each_says_nothing(shop, labels):
    log = shop
    if labels is not None:
        rng = np.random.default_rng(762)
        log = shop.assign(behavior=rng.choice(np.array(labels, dtype=object), len(shop)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Sequences.from_events(log, **ROLES)
    assert _spelling_warnings(caught) == []


@pytest.mark.parametrize("dtype", ["category", "string[pyarrow]", "arrow"])
def test_a_categorical_or_arrow_column_is_judged_too(shop, dtype):
    if dtype == "arrow":
        pa = pytest.importorskip("pyarrow")
        dtype = pd.ArrowDtype(pa.string())
    log = _two_systems(shop).astype({"behavior": dtype})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Sequences.from_events(log, **ROLES)
    assert len(_spelling_warnings(caught)) == 1


def test_oddseq_dask_says_it_of_the_whole_log(shop):
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    log = _two_systems(shop).sort_values("user_id", kind="stable")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Sequences.from_events(log, **ROLES)
    one = _spelling_warnings(caught)
    ddf = dd.from_pandas(log, npartitions=3)
    with warnings.catch_warnings(record=True) as caught, dask.config.set(scheduler="sync"):
        warnings.simplefilter("always")
        detect_anomalies(ddf, **ROLES).compute()
    assert _spelling_warnings(caught) == one


@pytest.fixture(scope="module")
def model(shop):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AnomalyPipeline().fit(Sequences.from_events(shop, **ROLES))


def _capitalised(shop):
    # (over the stream's first 10,000 events, on which it judges the types)
    later = oddseq.datasets.make_ecommerce(n_users=200, n_days=4, random_state=763).events
    return later.assign(behavior=later["behavior"].astype(str).str.capitalize())


def test_scoring_names_the_fitted_types_in_another_case_and_the_map(shop, model):
    later = _capitalised(shop)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.score(Sequences.from_events(later, **ROLES))
    said = [str(w.message) for w in caught if "in another spelling" in str(w.message)]
    assert len(said) == 1, [str(w.message) for w in caught]
    assert "'Buy' is 'buy'" in said[0]
    assert "'Cart' is 'cart'" in said[0]
    mapping = eval(re.search(r"\.replace\((\{.*?\})\)", said[0]).group(1))
    fixed = later.assign(behavior=later["behavior"].replace(mapping))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.score(Sequences.from_events(fixed, **ROLES))
    assert not [w for w in caught if "never saw" in str(w.message)]


def test_the_stream_says_it_too(shop, model):
    from oddseq.stream import StreamScorer

    later = _capitalised(shop).sort_values("timestamp", kind="stable")
    live = StreamScorer(model, **ROLES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        live.update(later)
    said = [str(w.message) for w in caught if "in another spelling" in str(w.message)]
    assert len(said) == 1 and "'Pv' is 'pv'" in said[0], [str(w.message) for w in caught]


def test_the_shell_says_it_on_stderr(shop, tmp_path, capsys):
    from oddseq.cli import main

    path = tmp_path / "two.csv"
    _two_systems(shop).to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user_id", "--event", "behavior"]
    args += ["--time", "timestamp", "--no-groups", "-o", str(tmp_path / "o.csv")]
    assert main(args) == 0
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if "in more than one way" in x]
    assert len(lines) == 1 and lines[0].startswith("oddseq detect: warning: column 'behavior'")


def test_a_funnel_steps_name_in_other_words_is_named_and_mapped(shop):
    """add_to_cart beside "add to cart" and AddToCart (GA exports): the funnel compares
    names without separators and takes one; the warning names them and maps them."""
    log = shop.assign(behavior=shop["behavior"].replace({"cart": "add_to_cart"}))
    other = (log["user_id"] % 3 == 0).to_numpy()
    log.loc[other, "behavior"] = log.loc[other, "behavior"].replace({"add_to_cart": "add to cart"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Sequences.from_events(log, **ROLES)
    said = _spelling_warnings(caught)
    assert len(said) == 1 and "'add to cart'" in said[0] and "word separators" in said[0]
    fix = re.search(r"df\['behavior'\] = (df\['behavior'\].*)$", said[0]).group(1)
    df = log
    folded = log.assign(behavior=eval(fix))
    assert df is log and set(folded["behavior"]) == {"pv", "add_to_cart", "fav", "buy"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Sequences.from_events(folded, **ROLES)
    assert _spelling_warnings(caught) == []


def test_scoring_maps_a_funnel_steps_name_in_other_words(shop):
    """A model fitted with add_to_cart; a later log from the system that writes 'Add To
    Cart': the unseen-types warning names the pair."""
    fitted_log = shop.assign(behavior=shop["behavior"].replace({"cart": "add_to_cart"}))
    later = _capitalised(shop).replace({"behavior": {"Cart": "Add To Cart"}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline().fit(Sequences.from_events(fitted_log, **ROLES))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.score(Sequences.from_events(later, **ROLES))
    said = [str(w.message) for w in caught if "in another spelling" in str(w.message)]
    assert len(said) == 1 and "'Add To Cart' is 'add_to_cart'" in said[0], said


def test_scoring_against_a_model_of_other_spellings_is_told_to_map_to_the_models():
    # RV s34 M1: fitted on "Pv, Cart, Fav, Buy", a later log half in lower case was told
    # to fold to lower case, which made every scored event unseen; the spelling warning
    # now sends a model's user to the unseen-types warning's map, which reads them all.
    import re
    import warnings

    from oddseq import AnomalyPipeline
    from oddseq.datasets import make_ecommerce
    from oddseq.sequences import Sequences

    roles = dict(entity="user_id", event="behavior", time="timestamp")
    fit = make_ecommerce(n_users=200, random_state=767).events
    fit["behavior"] = fit["behavior"].astype(str).str.capitalize()
    later = make_ecommerce(n_users=200, random_state=768).events
    later["behavior"] = later["behavior"].astype(str)
    even = later["user_id"].astype(int) % 2 == 0
    later.loc[even, "behavior"] = later.loc[even, "behavior"].str.capitalize()
    pipe = AnomalyPipeline().fit(Sequences.from_events(fit, **roles))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.score(Sequences.from_events(later, **roles))
    said = [str(w.message) for w in caught]
    (spelling,) = [s for s in said if "in more than one way" in s]
    assert "map them to its own instead" in spelling, spelling
    (unseen,) = [s for s in said if "never saw" in s and "scored events" in s]
    mapping = re.search(r"\.replace\((\{.*?\})\)", unseen).group(1)
    later["behavior"] = later["behavior"].replace(eval(mapping))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.score(Sequences.from_events(later, **roles))
    assert not [w for w in caught if "never saw" in str(w.message)]


def test_the_unseen_types_map_reads_each_list_of_labels_once(monkeypatch):
    # RV s34 H1: keyed one label at a time (7.5 ms each), scoring a log of 2,000 unseen
    # types took 12.5 s against 0.6 s; the keys of each list are computed at once.
    from oddseq import _fitted_data
    from oddseq.sequences import _sequences

    calls = []
    keys = _sequences._spelling_keys

    def counted(text):
        calls.append(len(text))
        return keys(text)

    monkeypatch.setattr(_sequences, "_spelling_keys", counted)
    fitted = ["pv", "cart", "add_to_cart"] + [f"/page/{i}" for i in range(2_000)]
    unseen = ["PV", "add to cart", 7] + [f"/new/{i}" for i in range(5_000)]
    said = _fitted_data._respelt(_sequences.respelt_as(unseen, fitted), "behavior")
    assert "'PV' is 'pv'" in said and "'add to cart' is 'add_to_cart'" in said, said
    assert calls == [len(fitted), len(unseen) - 1]
