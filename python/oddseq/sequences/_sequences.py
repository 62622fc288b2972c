"""Event logs as sets of sequences (compressed sparse rows)."""

from __future__ import annotations

import contextlib
import contextvars
import numbers
import warnings

import numpy as np
import pandas as pd

from .. import _core
from ..exceptions import DataWarning, MissingValuesError
from ..utils._memory import reusing_memory
from ..utils._stacklevel import user_stacklevel
from ..utils._time import MISSING_TEXT, UNIT_TO_NS, duration_ns, times_to_ns
from ..utils._validation import check_positive_int, missing_column, resolve_threads

__all__ = ["Sequences"]

#: Factors from a numeric ``time_unit`` to the internal unit, int64 nanoseconds (UTC).
_UNIT_TO_NS = UNIT_TO_NS


def _check_values(values: np.ndarray, name: str) -> np.ndarray:
    """Values may be missing (NaN: counted as missing by the encoders) but not infinite,
    which no sum, mean or spread survives."""
    infinite = np.isinf(values)
    if infinite.any():
        raise ValueError(
            f"{name!r} has {int(infinite.sum())} infinite value(s) (first at row "
            f"{int(np.argmax(infinite))}); replace them, or set them to NaN to mark them "
            "missing"
        )
    return values


def _factorize(
    values,
    name: str,
    *,
    sort: bool = True,
    n_threads: int = 0,
    small_codes: bool = False,
    observed: bool = False,
):
    """Vocabulary of a column: (int64 codes with -1 for missing, labels as a pandas
    Index, code_map or None).

    The label of code ``c`` is ``labels[code_map[c]]`` when a code_map is returned (the
    relabelling that sorts the vocabulary, left for the caller to fold into its next
    pass over the rows), else ``labels[c]``. Integer columns are hashed in parallel in
    C++; others go through pandas. With ``sort``, labels come out sorted where they can
    be ordered. ``small_codes`` asks for int32 codes (half the memory) where they fit.
    ``observed`` leaves out a categorical column's categories that no row holds.
    """
    code_type = np.int32 if small_codes and len(values) < np.iinfo(np.int32).max else np.int64
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        if observed:
            values = values.cat.remove_unused_categories()
        codes = values.cat.codes.to_numpy().astype(code_type)
        categories = values.cat.categories
        if sort:
            # The same vocabulary order as the same labels read as text (a CSV): the
            # neural models' token ids, and so their trained weights, follow it.
            try:
                order = np.argsort(categories.to_numpy(), kind="stable")
            except TypeError:  # labels that cannot be ordered keep the categories' order
                order = None
            if order is not None and (order != np.arange(len(order))).any():
                rank = np.empty(len(order) + 1, dtype=code_type)
                rank[order] = np.arange(len(order), dtype=code_type)
                rank[-1] = -1  # missing (code -1) stays missing
                codes = rank[codes]
                categories = categories[order]
        return codes, pd.Index(categories, name=name), None
    raw = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if isinstance(raw, np.ndarray) and raw.dtype.kind in "iu" and raw.dtype != np.uint64:
        factorize = (
            _core.factorize_int64_to_int32 if code_type == np.int32 else _core.factorize_int64
        )
        # Sorted in C++, where each key's rank replaces its code while the key's hash
        # partition is in cache: no relabelling pass over the rows is left to the caller.
        found = factorize(np.ascontiguousarray(raw, dtype=np.int64), n_threads, sort=sort)
        uniques = found.uniques.astype(raw.dtype, copy=False)
        return found.codes, pd.Index(uniques, name=name), None
    try:
        codes, uniques = pd.factorize(values, sort=sort, use_na_sentinel=True)
    except TypeError:  # mixed types that cannot be ordered: keep first-seen order
        try:
            codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=True)
        except TypeError as error:  # lists or dicts (JSON arrays, objects): no label
            said = _unhashable(values, name)
            if said is None:  # another TypeError of pandas': its own words
                raise
            raise TypeError(said) from error
    return codes.astype(code_type, copy=False), pd.Index(uniques, name=name), None


#: The Python fixes of three input refusals, each the sentence (or its start) that the
#: shell replaces with its own (oddseq.cli.shell_error_text): a list or object as an id,
#: label or value (then pandas code to pick a field); text that is no number among the
#: values (then pd.to_numeric code); the entity's column named again as another role
#: (``SAME_COLUMN.format(entity=..., role=..., column=...)``, in keyword spelling).
PICK_THE_FIELD = "Pick the field you mean, "
MAKE_THEM_MISSING = ", or make them missing ("
# (after the read_amounts advice: the shell says --read-amounts instead, cli.py)
READ_AMOUNTS_NOTE = "('12,50 €' is 12.5; --read-amounts from the shell)"
SAME_COLUMN = "entity={entity!r} and {role}={column!r} name the same column"


def check_arrow_type(dtype, role: str, name, frame: str = "df") -> None:
    """A TypeError naming the column where its Arrow ``dtype`` is one pandas cannot
    compute on (``string_view``: pandas' own dtype checks raise a bare
    NotImplementedError; trial s43b L1). ``role``: how the column was given (``entity``,
    or a phrase such as "a column of entity_features"); ``frame``: the table's name in
    the fix."""
    if not isinstance(dtype, pd.ArrowDtype):
        return
    try:
        dtype.type  # noqa: B018 (what pandas' dtype checks read)
    except NotImplementedError:
        given = f"{role}={name!r}" if role.isidentifier() else f"{name!r}, {role},"
        fix = f"{frame}[{name!r}] = {frame}[{name!r}].to_numpy(dtype=object)"
        if frame == "ddf":  # (Dask cannot convert it either: the pandas parts' column)
            fix = (
                f"in each pandas part before it becomes ddf, part[{name!r}] = "
                f"part[{name!r}].to_numpy(dtype=object)"
            )
        raise TypeError(
            f"{given} has the Arrow type {dtype.pyarrow_dtype}, which pandas cannot "
            f"compute on yet; convert it first: {fix}"
        ) from None


def _unhashable(values, name, *, value: bool = False, rows=None) -> str | None:
    """The refusal of a column holding lists or dicts (JSON lines' arrays and objects),
    which cannot be ids or labels (``value``: numbers of the value column); None where
    every value is hashable. ``rows``: the row numbers of ``values`` in the column,
    where they are some of its values."""
    raw = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values, object)
    at = next((i for i, v in enumerate(raw) if not _hashable(v)), None)
    if at is None:
        return None
    kind, row = type(raw[at]).__name__, at if rows is None else int(rows[at])
    what, one = (
        ("values", "one number") if value else ("ids or labels", "one value (a str or a number)")
    )
    said = (
        f"column {name!r} holds {kind} values, such as {raw[at]!r} (row {row}), which "
        f"cannot be {what}: each row needs {one}. {PICK_THE_FIELD}df[{name!r}] = "
        f"df[{name!r}].str.get({_field_of(raw[at])})"
    )
    return said if value else f"{said}, or make it text: df[{name!r}].astype(str)"


def _field_of(example) -> str:
    """The ``.str.get`` argument that picks one field of a list or object like
    ``example``: an object's own first key ({'amount': 15.06}: 'amount'), a list's first
    item (0)."""
    if isinstance(example, dict):
        return repr(next(iter(example), "id"))
    return "0"


def _apply_code_map(codes, code_map):
    return codes if code_map is None else code_map[codes]


def _text_dtype(dtype) -> bool:
    """Whether a column of this dtype can hold text: object, pandas' str, Arrow strings
    (``pd.ArrowDtype(pa.string())``, kind "U": RV s49 M1)."""
    return dtype.kind in "OU" or isinstance(dtype, pd.StringDtype)


def _blank_labels(labels: pd.Index) -> np.ndarray:
    """Per label, whether it is text of nothing but spaces ("" or "  ")."""
    if not _text_dtype(labels.dtype):
        return np.zeros(len(labels), dtype=bool)
    if labels.inferred_type == "string":
        return np.asarray((labels.str.len() == 0) | labels.str.isspace(), dtype=bool)
    return np.fromiter(  # (mixed: the text among them)
        (isinstance(v, str) and not v.strip() for v in labels), dtype=bool, count=len(labels)
    )


def without_blank_ids(df: pd.DataFrame, columns) -> pd.DataFrame:
    """``df`` without the rows whose value in any of ``columns`` (the entity and event
    columns; None left out) is blank text, as the sequences read them (missing): for the
    readers of the log itself beside them (the group stage, ``context=``), after dropna's
    rows. ``df`` itself where no such row is (the check reads each column's distinct
    values, and only text columns)."""
    keep = None
    for column in (c for c in columns if c is not None):
        values = df[column]
        if not _text_dtype(values.dtype):
            continue
        uniques = pd.Index(pd.unique(values.dropna()))
        blank = uniques[_blank_labels(uniques)]
        if len(blank):
            rows = ~values.isin(blank).to_numpy()
            keep = rows if keep is None else keep & rows
    return df if keep is None else df[keep]


def _blank_as_missing(codes, labels: pd.Index, code_map=None):
    """(codes, labels, code_map) with the labels that are text of nothing but spaces (""
    or "  ": an export's empty cell read as text, not an id or an event type) out of the
    vocabulary and their rows' codes -1 (missing), as NaN's are (TR s48 M9: "" was one
    entity of 6,140 rows from thousands of accounts, ranked first, where the same cells
    read as NaN were refused with the fix). As they are where no label is blank (the
    check reads the labels, not the rows); where one is, the code map folded in."""
    blank = _blank_labels(labels)
    if not blank.any():
        return codes, labels, code_map
    codes = np.asarray(_apply_code_map(codes, code_map))
    remap = np.where(blank, -1, np.cumsum(~blank) - 1).astype(codes.dtype)
    held = codes >= 0
    codes = np.where(held, remap[np.where(held, codes, 0)], codes).astype(codes.dtype)
    return codes, labels[~blank], None


def _append_level(parent_ids: pd.Index, level: np.ndarray, level_name: str) -> pd.MultiIndex:
    if isinstance(parent_ids, pd.MultiIndex):
        arrays = [parent_ids.get_level_values(i) for i in range(parent_ids.nlevels)]
        names = list(parent_ids.names)
    else:
        arrays = [parent_ids]
        names = [parent_ids.name]
    # An entity column named like the level ("session"): the level takes "_id", as the
    # shell writes it, so that reset_index() can make columns of both.
    while level_name in names:
        level_name = f"{level_name}_id"
    return pd.MultiIndex.from_arrays([*arrays, level], names=[*names, level_name])


def check_role_names(roles: dict, frame: str = "df") -> None:
    """Refuse a role given as several columns (a list, array or set) where one column's
    name is expected, naming the role and the fix (``frame``: the data's name in the
    advice), and the entity's column given again as another role. A tuple may name a
    column (MultiIndex columns) and passes."""
    for role, column in roles.items():
        if column is None or (
            not isinstance(column, (list, set, frozenset, dict, np.ndarray, pd.Index, pd.Series))
            and _hashable(column)
        ):
            continue
        names = list(column)
        shown = f"{role}={names!r}" if isinstance(column, list) else f"{role}={column!r}"
        kind = type(column).__name__
        article = "an" if kind[:1].lower() in "aeiou" else "a"  # "an Index", "a list"
        head = f"{shown} must name one column of {frame} (a str), got {article} {kind}"
        if len(names) == 1:
            raise TypeError(f"{head}: pass {role}={names[0]!r}")
        if role == "time" and len(names) == 2:
            a, b = names
            raise TypeError(
                f"{head}. For a date and a time in two columns, join them into one first: "
                f"{frame}['ts'] = {frame}[{a!r}].astype(str) + ' ' + {frame}[{b!r}].astype(str), "
                "then pass time='ts'"
            )
        if role in ("entity", "event") and len(names) > 1:
            joined = " + '/' + ".join(f"{frame}[{n!r}].astype(str)" for n in names)
            raise TypeError(
                f"{head}. For one {role} made of several columns, join them into one "
                f"first: {frame}['key'] = {joined}, then pass {role}='key'"
            )
        raise TypeError(f"{head}: pass the name of one column")
    # The entity's column given again as another role (event="user_id"): each entity
    # would have one event type, its own id, scored without a word.
    entity = roles.get("entity")
    for role, column in roles.items():
        if role != "entity" and entity is not None and column is not None and column == entity:
            raise ValueError(
                SAME_COLUMN.format(entity=entity, role=role, column=column)
                + f": the entity is whose sequence a row is (a user, session or block), the "
                f"{role} another column of each row; pass the {role}'s own column"
                + (" (or leave event out for a log without event types)" if role == "event" else "")
            )


def _warn_if_alike_as_text(labels: pd.Index, name) -> None:
    """A DataWarning where a column of mixed types holds labels that differ as values
    but read alike as text (7 and "7": a pd.concat of a CSV's numbers and an API's
    text), which stay apart: two entities, event types or items, one of them maybe
    the other's half."""
    if labels.dtype != object or len(labels) < 2:
        return
    if pd.api.types.infer_dtype(labels, skipna=True) not in ("mixed", "mixed-integer"):
        return
    text = pd.Index(labels.map(str))
    repeated = text.duplicated(keep=False)
    if not repeated.any():
        return
    # The example by content, the number first: the same whatever the rows' order (one
    # machine's labels come first-seen, oddseq.dask's by partition).
    first = text[repeated].min()
    alike = sorted(labels[text == first], key=lambda v: (isinstance(v, str), type(v).__name__))
    pair = " and ".join(repr(v) for v in alike[:2])
    n = text[repeated].nunique()
    warnings.warn(
        f"column {name!r} holds {n:,} {'ids' if n > 1 else 'id'} in more than one type "
        f"(such as {pair}: a number and text?), kept apart as different ids. If each is "
        f"one, give the column one type: df[{name!r}] = df[{name!r}].astype(str)",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


#: The fix of :func:`spelling_warning_text` (a pandas line; the shell says its
#: --fold-spellings, which does the same: :func:`fold_spellings`), and where the log is
#: scored by a model fitted on other spellings, the map to its own (RV s34 M1: the fold
#: made every scored event unseen by a model fitted on "Pv, Cart, Fav, Buy").
FOLD_SPELLINGS = (
    "If each is one type, fold the spellings first (to score with a model fitted on other "
    "spellings, map them to its own instead: its warning of types it never saw names the "
    "map): "
)
#: The start of the map's sentence, and the refit's words (the shell says its option).
MAP_TO_THE_MODELS = "map them to its own before scoring"
FOLD_AND_REFIT = "fold them in both logs and refit"

#: The event types of the model a log is read against (:func:`spelt_as`), or None.
_SPELT_AS: contextvars.ContextVar = contextvars.ContextVar("spelt_as", default=None)
#: At most this many spellings in the map to a model's (a log of URL paths in another
#: case could bring thousands; the line says how many more).
_MAPPED_SHOWN = 50


@contextlib.contextmanager
def spelt_as(fitted_types):
    """Read event logs (:meth:`Sequences.from_events`) against a fitted model's event
    types ``fitted_types`` (None: no model): the spelling warning then maps the log's
    spellings to the model's own instead of folding them (RV s34 M1: a model fitted on
    "Pv, Cart, Fav, Buy" read none of a log folded to lower case). For the readers of a
    log that is scored: ``oddseq score``, ``normal=``."""
    types = None if fitted_types is None else [str(t) for t in fitted_types]
    token = _SPELT_AS.set(types)
    try:
        yield
    finally:
        _SPELT_AS.reset(token)


def respelt_as(labels, fitted_types) -> dict:
    """{label: the fitted type it spells otherwise} for each text label of ``labels``
    the model never saw (not in ``fitted_types``) whose spelling key
    (:func:`_spelling_keys`) is a fitted type's: "View" for the model's "view", "add to
    cart" for its "add_to_cart". Where several fitted types share a key, the least by
    text (the same whatever the order they were recorded in). The keys of each list at
    once (one label at a time cost 7.5 ms each: RV s34 H1)."""
    fitted = [str(t) for t in fitted_types]
    known = set(fitted)
    text = [v for v in labels if isinstance(v, str) and v not in known]
    if not text or not fitted:
        return {}
    by_key: dict = {}
    for key, label in zip(_spelling_keys(pd.Index(fitted, dtype=object)), fitted, strict=True):
        if key not in by_key or label < by_key[key]:
            by_key[key] = label
    keys = _spelling_keys(pd.Index(text, dtype=object))
    return {v: by_key[k] for v, k in zip(text, keys, strict=True) if k in by_key}


def _spelling_keys(text: pd.Index) -> list:
    """What spellings of one event type share, for each of the text labels ``text``: the
    text without case and spaces around it; for a funnel step's name (add_to_cart, "add
    to cart", AddToCart; buys), also without its word separators and a plural "s", as the
    funnel compares names (``oddseq.encode._behaviour._funnel_key``), whose step it would
    take once; for any other name of letters alone once its separators are gone, without
    them (pay_ok, PayOk, "pay ok"; ids with digits, "E1_2" and "E12", stay apart). By
    str methods in one pass over the list: pandas' string methods over an
    object column took 1 s of CPU for 200,000 labels (an item column given as the event,
    RV s34 L10), this a fifth of it; call it once per list, never per label."""
    from ..encode._behaviour import _STEP_NAMES

    keys = []
    for label in text:
        key = label.strip().lower()
        # _funnel_key's re.sub(r"[\s_\-]+", ""): str.split() splits at what \s matches
        squashed = "".join(key.split()).replace("_", "").replace("-", "")
        plural = squashed[:-1] if len(squashed) > 2 and squashed[-1] == "s" else squashed
        if squashed[-2:-1] == "s":
            plural = squashed
        # (a control character first: no event name's own text)
        if plural in _STEP_NAMES:
            keys.append("\x1f" + plural)
        elif squashed.isalpha():
            # a name of words in other separators (an iOS app's PayOk beside a server's
            # pay_ok: TR s46 M9); not an id of digits ("E1_2" and "E12" stay two)
            keys.append("\x1e" + squashed)
        else:
            keys.append(key)
    return keys


def spelling_groups(labels) -> list:
    """Groups (lists, at least two each) of the text labels of ``labels`` that differ
    only in case or in spaces around them ("view", "View", " view"), or, for a funnel
    step's name, in its word separators or a plural s ("add_to_cart", "add to cart"): one
    event type of two systems concatenated. Where no label is text, none."""
    labels = pd.Index(labels)
    if labels.dtype.kind in "biufcmM":  # numbers, times: no text (Arrow's text is "O")
        return []
    text = [v for v in labels if isinstance(v, str)]
    if len(text) < 2:
        return []
    keys = _spelling_keys(pd.Index(text, dtype=object))
    if len(set(keys)) == len(keys):  # (the usual answer, at a set's cost)
        return []
    twice = pd.Index(keys).duplicated(keep=False)
    if not twice.any():
        return []
    groups: dict = {}
    for at in np.flatnonzero(twice):
        groups.setdefault(keys[at], []).append(text[at])
    return list(groups.values())


def spelling_warning_text(labels, counts, name, fitted_types=None) -> str | None:
    """The DataWarning's text where the event column ``name`` spells one type several
    ways (:func:`spelling_groups` of ``labels``, whose events ``counts`` gives, or None:
    not counted): each spelling is its own type, so their events count apart and a
    funnel read from the names takes one spelling per step. Read as written, as ids are
    ("0123" and "123" stay two): what a difference in case means is the analyst's to
    say; the fix folds them (the most frequent spelling kept where more than case and
    spaces differ). Read against a model (``fitted_types``, its event types: scored),
    the fix maps them to the model's own spellings instead (:func:`_to_the_models`): a
    fold can make them all unknown to it. None where every type has one spelling."""
    groups = spelling_groups(labels)
    if not groups:
        return None
    labels = pd.Index(labels)
    count = {}
    if counts is not None:
        count = dict(zip(labels, np.asarray(counts).tolist(), strict=True))
    groups = _most_frequent_first(groups, count)

    def shown(label):
        return f"{label!r} ({count[label]:,} events)" if label in count else repr(label)

    examples = "; ".join(", ".join(shown(v) for v in g) for g in groups[:2])
    more = f"; and {len(groups) - 2:,} more" if len(groups) > 2 else ""
    n_types = sum(len(g) for g in groups)
    kinds = f"{len(groups):,} event type{'s' if len(groups) > 1 else ''}"
    said = (
        f"column {name!r} spells {kinds} in more than one way, differing only "
        f"{_how_they_differ(groups)} ({examples}{more}): read as written, they are "
        f"{n_types:,} types, so each spelling's events count apart"
    )
    if fitted_types is not None:
        # (the model's funnel is its own: which spelling a funnel read here takes is moot)
        return said + _to_the_models(labels, count, groups, fitted_types, name)
    from ..encode._behaviour import guess_funnel

    variants = {v for g in groups for v in g}
    respelt = guess_funnel(list(labels), [count.get(v, 0) for v in labels] if count else None)
    steps = [f"{v!r} as {role}" for role, v in respelt.items() if v in variants]
    funnel = ""
    if steps:
        funnel = (
            f", and a funnel read from the names takes one spelling of each step "
            f"({', '.join(steps)}): the other spellings' events are no step of it"
        )
    fold = f"df[{name!r}] = df[{name!r}].str.strip().str.lower()"
    beyond = _beyond_case(groups)
    if beyond:
        fold += f".replace({beyond!r})"
    return f"{said}{funnel}. {FOLD_SPELLINGS}{fold}"


def _most_frequent_first(groups, count: dict) -> list:
    """The spelling groups, the most frequent first and each group's spellings so too
    (then by text: the same whatever the rows' order, one machine's or oddseq.dask's)."""
    groups = [sorted(g, key=lambda v: (-count.get(v, 0), v)) for g in groups]
    groups.sort(key=lambda g: (-sum(count.get(v, 0) for v in g), g[0].strip().lower()))
    return groups


def fold_spellings(column: pd.Series, fitted_types=None) -> pd.Series:
    """The event column as :func:`spelling_warning_text`'s fix rewrites it (the shell's
    ``--fold-spellings``): every text label stripped of spaces around it and in lower
    case, and a funnel step's other names (plural, word separators) as its most frequent
    one's; read against a model (``fitted_types``, its event types), each spelling it
    never saw mapped to its own instead (:func:`respelt_as`). Other values, and a column
    with no label spelt two ways, stay as they are. By the column's distinct labels."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    labels = list(uniques)
    if fitted_types is not None:
        mapping = respelt_as(labels, fitted_types)
    else:
        groups = spelling_groups(labels)
        if not groups:
            return column
        count = dict(zip(labels, np.bincount(codes[codes >= 0], minlength=len(labels)).tolist()))
        beyond = _beyond_case(_most_frequent_first(groups, count))
        mapping = {}
        for label in labels:
            if isinstance(label, str):
                folded = label.strip().lower()
                mapping[label] = beyond.get(folded, folded)
    if not mapping:
        return column
    folded = pd.Index(
        [mapping.get(v, v) if isinstance(v, str) else v for v in labels], dtype=object
    )
    values = folded.take(codes, allow_fill=True, fill_value=None)
    return pd.Series(values, index=column.index, name=column.name, dtype=object).where(
        codes >= 0, column
    )


def _beyond_case(groups) -> dict:
    """Spellings that differ beyond case and spaces (a funnel step's name in other
    words): each, once folded, mapped to the most frequent one's folded text (each
    group's first)."""
    return {
        v.strip().lower(): g[0].strip().lower()
        for g in groups
        for v in g
        if v.strip().lower() != g[0].strip().lower()
    }


def _how_they_differ(groups) -> str:
    if _beyond_case(groups):
        return "in case, spaces, word separators or (a funnel step's name) a plural"
    return "in case or spaces around them"


def _to_the_models(labels, count: dict, groups, fitted_types, name) -> str:
    """:func:`spelling_warning_text`'s fix where the log is read against a model of
    ``fitted_types``: the map of every spelling it never saw to its own (the log's
    other types it knows in another spelling too: :func:`respelt_as`), the most frequent
    first; what it knows of each spelling already, or of none."""
    labels = list(pd.Index(labels))
    mapping = respelt_as(labels, fitted_types)
    mapping = dict(sorted(mapping.items(), key=lambda kv: (-count.get(kv[0], 0), kv[0])))
    known = {str(t) for t in fitted_types}
    apart = [g for g in groups if all(v in known for v in g)]
    unknown = [g for g in groups if not any(v in known or v in mapping for v in g)]
    said = ""
    if mapping:
        shown = dict(list(mapping.items())[:_MAPPED_SHOWN])
        more = len(mapping) - len(shown)
        first = f" (the first {len(shown):,} of {len(mapping):,})" if more else ""
        said += (
            ". The model they are scored with was fitted on other spellings: "
            f"{MAP_TO_THE_MODELS} (a fold to lower case can make them all unknown to "
            f"it){first}: df[{name!r}] = df[{name!r}].replace({shown!r})"
        )
    if apart:
        spellings = " and ".join(repr(v) for v in apart[0])
        also = f" (and {len(apart) - 1:,} more such)" if len(apart) > 1 else ""
        said += (
            f". The model was fitted on {spellings} apart too{also}, and scores them as "
            f"written; to read them as one, {FOLD_AND_REFIT}"
        )
    if unknown:
        spellings = ", ".join(repr(v) for v in unknown[0])
        also = f" (and {len(unknown) - 1:,} more such)" if len(unknown) > 1 else ""
        said += (
            f". The model knows no spelling of {spellings}{also}: it reads them as types "
            "it never saw however they are spelt"
        )
    return said


def _warn_if_spelt_apart(labels, codes, name) -> None:
    """:func:`spelling_warning_text` as a DataWarning, its events counted from the
    column's ``codes`` (-1 missing) only where there is something to say; against the
    model of :func:`spelt_as` where the log is read for one."""
    if not spelling_groups(labels):
        return
    codes = np.asarray(codes)
    counts = np.bincount(codes[codes >= 0], minlength=len(labels))
    said = spelling_warning_text(labels, counts, name, fitted_types=_SPELT_AS.get())
    warnings.warn(said, DataWarning, stacklevel=user_stacklevel())


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _check_event_log(df, roles: dict, session_gap) -> np.ndarray | None:
    """The checks :meth:`Sequences.from_events` makes before any work: a DataFrame with
    rows, an entity column, every named column present, a valid session gap and a
    numeric value column; a value column of text is read as numbers here, and those
    (float64) returned for the caller to keep (None for a column of numbers)."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(not_a_frame(df))
    check_role_names(roles)
    for role, column in roles.items():
        if column is None:
            if role == "entity":
                raise ValueError(
                    "entity must name a column of df (whose sequence each row is: a "
                    "user, session or block id)"
                )
            continue
        if column not in df.columns:
            raise ValueError(missing_column(role, column, df))
        if not isinstance(df.columns, pd.MultiIndex) and (df.columns == column).sum() > 1:
            raise ValueError(
                f"df has {int((df.columns == column).sum())} columns named {column!r} "
                f"({role}={column!r}); keep one: df = df.loc[:, ~df.columns.duplicated()] "
                "drops the repeats (a concat or merge that brought the column twice)"
            )
        check_arrow_type(df[column].dtype, role, column)
    if session_gap is not None:
        duration_ns(session_gap, "session_gap")  # a bad gap fails before the work
    value = roles["value"]
    if value is not None and df[value].dtype.kind not in "fiub":
        return _value_numbers(df[value], value)  # text that is no number fails before the work
    return None


def not_a_frame(df, name: str = "df") -> str:
    """The refusal of an event log that is not a pandas DataFrame, with the library it
    comes from and its conversion (``df.to_pandas()`` for polars and pyarrow, oddseq.dask
    for a dask DataFrame)."""
    kind, library = type(df).__name__, type(df).__module__.split(".")[0]
    shown = f"a {library} {kind}" if library not in ("builtins", "pandas") else f"a {kind}"
    head = f"{name} must be a pandas DataFrame, got {shown}"
    if library == "dask":
        return (
            f"{head}; score it on its partitions with oddseq.dask.detect_anomalies, or "
            f"bring it to this machine: {name}.compute()"
        )
    if callable(getattr(df, "to_pandas", None)):
        return f"{head}; convert it: {name}.to_pandas()"
    if isinstance(df, dict):
        return f"{head}; convert it: pd.DataFrame({name})"
    if isinstance(df, pd.Series):
        return f"{head}: one column; pass the DataFrame of the event log it came from"
    if isinstance(df, np.ndarray) and df.ndim == 2:
        return (
            f"{head} of shape {df.shape}; name its columns: "
            f"pd.DataFrame({name}, columns=[...]) (the entity, event and time columns among "
            "them)"
        )
    return head


def unreadable_numbers(column: pd.Series, numbers: pd.Series | None = None) -> pd.Series:
    """Which values of a text column are text that is no number ('$12.50', '12,50'): not
    missing, not blank or NA-like text (``MISSING_TEXT``, which pandas' read_csv reads
    as NaN). ``numbers``: the column's
    pd.to_numeric(errors="coerce"), where the caller has it."""
    if numbers is None:
        numbers = pd.to_numeric(column, errors="coerce")
    unread = numbers.isna() & column.notna()
    if unread.any():
        text = column[unread].astype(str).str.strip().str.lower()
        unread[unread] = ~text.isin(MISSING_TEXT).to_numpy()
    return unread


def _value_numbers(column: pd.Series, name: str) -> np.ndarray:
    """A value column as float64 (missing: NaN): numbers, or numbers written as text
    ({"price": "965.34"} in JSON lines, as the time column's epoch numbers as text are
    read); text that is no number is refused with the first such value and the fix."""
    dtype = column.dtype
    if dtype.kind in "fiub" or _arrow_decimal(dtype):
        # (Arrow decimals, a Parquet DECIMAL read with dtype_backend="pyarrow": pandas'
        # to_numeric drops their nulls, so they convert here.)
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    if not (dtype.kind in "OSU" or isinstance(dtype, pd.StringDtype)):
        raise TypeError(
            f"value column {name!r} must hold numbers (prices, amounts), got dtype {dtype}; "
            "pass the column of numbers per event as value (--value from the shell)"
        )
    numbers = pd.to_numeric(column, errors="coerce")
    unread = unreadable_numbers(column, numbers)
    if unread.any():
        rows = np.flatnonzero(unread.to_numpy())
        nested = _unhashable(column.iloc[rows], name, value=True, rows=rows)
        if nested is not None:  # JSON lines' "price": [12.5]: lists, not text
            raise TypeError(nested)
        raise TypeError(
            not_numbers_text(name, int(unread.sum()), len(column), column[unread].iloc[0])
        )
    said_missing = column.notna() & numbers.isna()
    if said_missing.any():
        # Text that pandas' read_csv reads as missing ("n/a", "null", blank) in a column
        # built in Python: read so too, but counted, as a dropped time is (trial s41 F9).
        first = column[said_missing].iloc[0]
        warnings.warn(
            missing_text_message(name, int(said_missing.sum()), len(column), first),
            DataWarning,
            stacklevel=user_stacklevel(),
        )
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def missing_text_message(name, n_text: int, n_values: int, first) -> str:
    """The DataWarning's words for ``n_text`` of ``n_values`` values of value column
    ``name`` that are text read as missing, ``first`` the first (``_value_numbers``;
    oddseq.dask from its partitions' counts)."""
    return (
        f"{n_text:,} of {n_values:,} values of column {name!r} are text read as missing "
        f"(the first {str(first)[:40]!r}), as pandas' read_csv reads such text: their "
        "events count as having no value. Where that is meant, nothing is wrong (in "
        f"pandas, df[{name!r}] = pd.to_numeric(df[{name!r}], errors='coerce') says so and "
        "silences this)"
    )


def _arrow_decimal(dtype) -> bool:
    """Whether ``dtype`` is an Arrow decimal (``decimal128(10, 2)[pyarrow]``)."""
    return isinstance(dtype, pd.ArrowDtype) and str(dtype.pyarrow_dtype).startswith("decimal")


def not_numbers_text(name, n_unread: int, n_values: int, example) -> str:
    """The refusal of a value column with text that is no number: how many of how many
    values, the first such (oddseq.dask: counted over its input partitions); read_amounts
    advised where it reads the example (an amount with a currency sign or a decimal
    comma), not for words it would make missing too."""
    from ..preprocessing import read_amounts

    if not np.isfinite(read_amounts(pd.Series([example], dtype=object)).iloc[0]):
        return (
            f"value column {name!r} must hold numbers (prices, amounts): "
            f"{n_unread:,} of {n_values:,} values are text that is no number, "
            f"such as {example!r}; write them as plain numbers (374.95){MAKE_THEM_MISSING}"
            f"df[{name!r}] = pd.to_numeric(df[{name!r}], errors='coerce'), which makes these "
            f"{n_unread:,} values missing)"
        )
    return (
        f"value column {name!r} must hold numbers (prices, amounts): "
        f"{n_unread:,} of {n_values:,} values are text that is no number, "
        f"such as {example!r}; read amounts written with a currency sign, thousands "
        f"separators or a decimal comma with df[{name!r}] = "
        f"oddseq.preprocessing.read_amounts(df[{name!r}]) {READ_AMOUNTS_NOTE}, or write "
        f"them as plain numbers (374.95){MAKE_THEM_MISSING}"
        f"df[{name!r}] = pd.to_numeric(df[{name!r}], errors='coerce'), which makes these "
        f"{n_unread:,} values missing)"
    )


def _whole_ids(labels: pd.Index) -> pd.Index:
    """Ids as integers where a column of whole numbers was read as float only because
    some were missing (pandas has no NaN among int64): 450, not 450.0, whether the rows
    without one were dropped by ``dropna=True`` or in pandas (``df.dropna(subset=...)``,
    the other fix MissingValuesError advises); other labels unchanged."""
    if labels.dtype.kind != "f" or not len(labels):
        return labels
    values = labels.to_numpy()
    if not _all_whole(values):
        return labels
    return pd.Index(values.astype(np.int64), name=labels.name)


def _plain_text_ids(labels: pd.Index, codes: np.ndarray):
    """(labels, codes) with each text label a whole number written as a float ("450.0")
    as its number's text ("450"), as the shell and the stream read ids
    (:func:`oddseq.utils._ids.whole_float_ids`); labels that become one (a column of
    "450.0" and "450") one label, their codes (-1 missing) merged. Unchanged where no
    label is so written, or the labels are not all text."""
    from ..utils._ids import whole_float_ids

    plain = whole_float_ids(pd.Series(labels, dtype=labels.dtype)) if len(labels) else None
    if plain is None:
        return labels, codes
    remap, uniques = pd.factorize(plain.to_numpy(dtype=object))
    labels = pd.Index(uniques, dtype=labels.dtype, name=labels.name)
    codes = np.asarray(codes)
    merged = np.where(codes >= 0, remap.astype(codes.dtype)[np.maximum(codes, 0)], codes)
    return labels, merged.astype(codes.dtype, copy=False)


#: float64 holds whole numbers exactly up to 2**53; an id at or above it in a float
#: column was rounded when read (to a multiple of 2**(e - 52)).
EXACT_FLOAT_IDS = 2.0**53


def rounded_ids_text(name, example) -> str:
    """The refusal of an id column (entity, item) read as float with ids at or above
    2**53: pandas rounded them when it read them (a column of whole numbers with a blank
    is float64: 53 bits), so they are no longer the file's ids, and nothing oddseq does
    brings them back (oddseq.dask: the same words)."""
    return (
        f"column {name!r} holds ids at or above 2**53 as float (such as {example:.0f}), "
        "which float64 cannot hold exactly: they were rounded when read (pandas reads a "
        "column of whole numbers with a blank as float), so they are no longer the ids "
        "in the data and several ids may have become one; read the column as text: "
        f"pd.read_csv(..., dtype={{{name!r}: str}}) (or as integers with gaps: "
        f"dtype={{{name!r}: 'Int64'}})"
    )


def _refuse_rounded_ids(labels: pd.Index, name) -> None:
    """Refuse float ids at or above 2**53 (:func:`rounded_ids_text`), ``dropna`` or not:
    cleaning the blanks would not bring the ids back."""
    if labels.dtype.kind != "f" or not len(labels):
        return
    values = np.abs(labels.to_numpy())
    big = values[np.isfinite(values) & (values >= EXACT_FLOAT_IDS)]
    if big.size:
        raise ValueError(rounded_ids_text(name, float(big[0])))


def refuse_rounded_column(column: pd.Series, name) -> None:
    """:func:`_refuse_rounded_ids` for a column of ids that is no role of the log (the
    category of each item: detect_anomalies(category=...))."""
    if column.dtype.kind == "f" and len(column):
        _refuse_rounded_ids(pd.Index(column.dropna().unique()), name)


def _all_whole(values: np.ndarray) -> bool:
    """Whether every float in ``values`` is a whole number that fits int64 (an id
    column read as float only because some ids were missing); True when empty."""
    if not values.size:
        return True
    return bool(
        np.isfinite(values).all()
        and (values == np.round(values)).all()
        and np.abs(values).max() < 2.0**63
    )


def _described(counts: dict) -> str:
    """Missing values per column, in words: "3 in 'user_id', 1 in 'time'"."""
    return ", ".join(f"{n:,} in {c!r}" for c, n in counts.items() if n)


def nothing_left(counts: dict, n_rows: int = 0, time=None) -> str:
    """The refusal of a log whose every row misses a value, ``dropna`` or not (``counts``:
    column -> rows missing it, of ``n_rows``): one machine's and oddseq.dask's words, with
    :func:`time_question`."""
    text = f"every row has a missing value ({_described(counts)}); nothing left"
    return text + time_question(counts, n_rows, time)


#: A time column with no time on this share of the rows or more is asked about in the
#: refusal of missing values: a log's clock is seldom that empty, and a betting export's
#: stake column (money on a third of the rows) given as time= was refused with dropna as
#: the fix, which then scored the stakes as seconds of 1970 (TR s62 L1).
TIME_MOSTLY_MISSING = 0.1


def missing_values(counts: dict, n_rows: int = 0, time=None) -> str:
    """The refusal of a log with missing values without ``dropna`` (``counts``: column ->
    rows missing it, of ``n_rows``): one machine's and oddseq.dask's words. Where the
    ``time`` column misses a time on ``TIME_MOSTLY_MISSING`` of the rows or more, it
    also asks whether that is the time column."""
    text = (
        f"missing values: {_described(counts)} (empty, NaN or text of only spaces). Clean "
        "them, or pass dropna=True (--dropna from the shell) to drop those rows."
    )
    return text + time_question(counts, n_rows, time)


def time_question(counts: dict, n_rows: int, time=None) -> str:
    """ " 'stake' has no time on 54% of the rows: is it the column of when each event
    happened (time=, --time)?", where the ``time`` column misses a time on
    ``TIME_MOSTLY_MISSING`` of the ``n_rows`` or more (``counts``: column -> rows missing
    it); "" elsewhere. The refusal of missing values, its dropna warning and the refusal
    of a log with nothing left say it."""
    missing = counts.get(time, 0) if time is not None else 0
    if not n_rows or missing < TIME_MOSTLY_MISSING * n_rows:
        return ""
    return (
        f" {time!r} has no time on {missing / n_rows:.0%} of the rows: is it the column "
        "of when each event happened (time=, --time)?"
    )


def _rows_to_keep(bad: dict, dropna: bool, n_rows: int, warn: bool | dict = True, time=None):
    """None when no row has a missing entity, event or time (``bad``: column -> mask);
    else the rows to keep with ``dropna`` (warning with the counts unless not ``warn``;
    a dict ``warn`` gets them as ``"dropped"``), or a ValueError naming the counts per
    column."""
    counts = {column: int(mask.sum()) for column, mask in bad.items()}
    n_bad_columns = {c: n for c, n in counts.items() if n}
    if not n_bad_columns:
        return None
    if not dropna:
        text = missing_values(n_bad_columns, n_rows, time)
        raise MissingValuesError(text, counts, n_rows, dropna)
    keep = ~np.logical_or.reduce(list(bad.values()))
    if not keep.any():
        text = nothing_left(n_bad_columns, n_rows, time)
        raise MissingValuesError(text, counts, n_rows, dropna)
    if isinstance(warn, dict):  # a caller reading the log in parts warns once (dask)
        warn["dropped"] = (int((~keep).sum()), n_rows, counts)
    elif warn:
        warnings.warn(
            dropped_rows_message(int((~keep).sum()), n_rows, counts, time),
            DataWarning,
            stacklevel=user_stacklevel(),  # the caller of from_events
        )
    return keep


def dropped_rows_message(n_dropped: int, n_rows: int, counts: dict, time=None) -> str:
    """The words of the warning about rows dropped with ``dropna`` (``counts``: column
    -> rows missing there; a row may count in several), with the refusal's question
    where the ``time`` column misses a time on ``TIME_MOSTLY_MISSING`` of the rows or
    more (:func:`time_question`)."""
    described = ", ".join(f"{n:,} in {c!r}" for c, n in counts.items() if n)
    text = f"dropped {n_dropped:,} of {n_rows:,} rows with missing values ({described})"
    return text + time_question(counts, n_rows, time)


def _check_tz(tz) -> None:
    """A zone name or None; a number (pandas reads tz=2 as an offset of two seconds: the
    hours shift silently) is a TypeError, an unknown name a ValueError."""
    if tz is None:
        return
    if not isinstance(tz, str):
        raise TypeError(
            f"tz must be a zone name such as 'Europe/Berlin' or 'UTC', got {tz!r}; for a "
            "fixed offset pass its Etc name ('Etc/GMT-2' is UTC+2: the sign is reversed)"
        )
    try:
        pd.Timestamp(0, tz="UTC").tz_convert(tz)
    except Exception as error:  # pytz/zoneinfo raise different types
        raise ValueError(
            f"tz={tz!r} is not a known zone ({error}); pass a zone name such as "
            "'Europe/Berlin' or 'UTC'"
        ) from None


class Sequences:
    """A set of event sequences stored as compressed sparse rows.

    Sequence ``s`` holds events ``offsets[s]`` to ``offsets[s + 1]``, ordered by time.
    Build one with :meth:`from_events` (a DataFrame event log), :meth:`from_arrays`
    (CSR arrays) or :meth:`from_lists` (one list of events per sequence).

    Attributes
    ----------
    ids : pandas.Index
        Original entity ids (any hashable); a MultiIndex ``(entity, session)`` after
        sessionizing, with a ``window_start`` level after windowing.
    offsets : ndarray of int64, shape (n_sequences + 1,)
    events : ndarray of int32
        Event codes; ``event_labels[code]`` is the original label.
    times : ndarray of int64 or None
        Nanoseconds since the Unix epoch, UTC (the one internal time unit).
    items : ndarray of int32/int64 or None
        Item codes (-1 = missing); ``item_labels[code]`` is the original item id.
    values : ndarray of float64 or None
        A number per event, such as a price (NaN = missing).
    event_labels, item_labels : pandas.Index
    tz : str or None
        Time zone of the input timestamps, kept for local-time features.
    naive_clock : bool
        Whether the times were naive (no zone named): see the attribute below.

    Examples
    --------
    >>> import pandas as pd
    >>> from oddseq.sequences import Sequences
    >>> log = pd.DataFrame({"user": [2, 1, 2, 1], "event": ["pv", "pv", "buy", "cart"],
    ...                     "ts": [10, 5, 20, 7]})
    >>> seqs = Sequences.from_events(log, entity="user", event="event", time="ts")
    >>> len(seqs), seqs.lengths.tolist()
    (2, [2, 2])
    >>> seqs[0]["event"].tolist()
    ['pv', 'cart']
    """

    #: The gap (ns) these sequences were split into sessions at (:meth:`session`,
    #: ``from_events(..., session_gap=...)``), kept through :meth:`take`; None where they
    #: were not split here. A model fitted on sessions records it, and scoring says so
    #: where later sessions were split at another gap.
    session_gap_ns = None

    #: Whether the times were naive datetimes or text without an offset (set by
    #: :meth:`from_events` and :meth:`from_arrays`, kept through :meth:`take` and
    #: :meth:`session`): clock times of no zone named, which words say as the log writes
    #: them, not as UTC's (TR s53 L: a grocery log's local times said "(UTC)"). False for
    #: numbers since the epoch (UTC's instants), zoned times (``tz``) and sequences built
    #: otherwise.
    naive_clock = False

    #: The name of the column the values were read from (:meth:`from_events`' ``value``,
    #: a named Series given to :meth:`from_arrays`), kept through :meth:`take` and
    #: :meth:`session`: reasons name the value features by it ("mean ms_played", not
    #: "mean value", TR s58 L8). None where the values have no name or there are none.
    value_name = None

    def __init__(
        self,
        ids,
        offsets,
        events,
        event_labels,
        *,
        times=None,
        items=None,
        item_labels=None,
        values=None,
        tz=None,
    ):
        self.ids = ids if isinstance(ids, pd.Index) else pd.Index(ids)
        self.offsets = offsets
        self.events = events
        self.event_labels = (
            event_labels if isinstance(event_labels, pd.Index) else pd.Index(event_labels)
        )
        self.times = times
        self.items = items
        self.item_labels = item_labels
        self.values = values
        self.tz = tz
        if len(self.ids) != len(offsets) - 1:
            raise ValueError(
                f"ids has {len(self.ids)} entries but offsets describe {len(offsets) - 1} sequences"
            )

    # ------------------------------------------------------------------ building
    @classmethod
    @reusing_memory
    def from_events(
        cls,
        df: pd.DataFrame,
        entity: str,
        event: str | None = None,
        time: str | None = None,
        item: str | None = None,
        value: str | None = None,
        session_gap=None,
        time_unit: str = "s",
        dropna: bool = False,
        n_threads: int | None = None,
        time_format: str | None = None,
        dayfirst: bool | None = None,
    ) -> Sequences:
        """Group an event log into one time-ordered sequence per entity.

        Rows are grouped by ``entity`` and ordered by ``time`` within each entity
        (stable: equal times keep their row order), in parallel in C++.

        Parameters
        ----------
        df : pandas.DataFrame
            The event log, one row per event, in any row order. Never modified.
        entity : str
            Column naming whose sequence a row belongs to (any hashable values).
        event : str or None
            Column with the discrete event type (strings, ints or a categorical). None
            (a click log: who, what item, when) makes every event one type, "event".
        time : str or None
            Column with timestamps: datetime64 (naive = UTC, or time-zone aware; Arrow
            timestamps and dates too), Periods (at their start), numbers of
            ``time_unit`` since the epoch, or dates as text (read by the
            same parser as ``oddseq detect``: ISO 8601, ``2019-10-01 00:00:05 UTC``,
            ``01/12/2017 00:00:14`` with ``dayfirst``). None keeps the row order and
            leaves the sequences without times.
        item, value : str, optional
            Columns with the item acted on (any hashable) and a number per event. Item
            ids written as floats read as their number, as the shell and the stream read
            them: 450.0 in a float column as 450, the text "450.0" (a file read with
            ``dtype=str``) as "450"; other text as written ("0123.0", "4.50").
        session_gap : float, str or Timedelta, optional
            Split each entity's sequence where consecutive events are more than this
            apart: seconds, or a string like ``"30min"``. Ids become ``(entity, session)``
            (the second level ``session_id`` where the entity column is named ``session``).
        time_unit : {"s", "ms", "us", "ns"}
            Unit of numeric times.
        dropna : bool
            Drop rows with a missing entity, event or time (with a warning that gives
            the count) instead of raising.
        n_threads : int, optional
            Threads for the C++ work; None uses every core.
        time_format : str, optional
            strftime format of text dates (``"%d/%m/%Y %H:%M:%S"``), or ``"ISO8601"``
            or ``"mixed"``; None infers it.
        dayfirst : bool, optional
            Text dates like ``01/12/2017``: True reads day first, False month first.
            None decides from the values and refuses, naming both readings, when no
            value decides (every first and second field at most 12).

        Returns
        -------
        Sequences

        Raises
        ------
        ValueError
            Missing columns, or missing ids/events/times (unless ``dropna``), each
            naming the column and the count of bad rows. A frame of no rows (a day
            without events) gives sequences of none, which a fitted model scores as an
            empty table.
        TypeError
            ``df`` is not a DataFrame, or times are not timestamps or numbers.
        """
        return cls._from_events(
            df,
            entity,
            event,
            time,
            item,
            value,
            session_gap,
            time_unit,
            dropna,
            n_threads,
            time_format,
            dayfirst,
        )

    @classmethod
    def _from_events(
        cls,
        df,
        entity,
        event,
        time,
        item,
        value,
        session_gap,
        time_unit,
        dropna,
        n_threads,
        time_format,
        dayfirst,
        *,
        log_warnings: bool | dict = True,
    ) -> Sequences:
        """:meth:`from_events`; ``log_warnings=False`` leaves out its warnings about the
        log (rows dropped, numbers that look like another time unit) at their source:
        for a caller that builds a log's parts in threads and warns once for the whole
        log, without swapping the process-wide warning filters. A dict leaves them out
        too and holds their facts: ``"dropped"`` (rows dropped, rows, rows missing per
        column) and ``"time_range"`` (the numeric times' extremes in ``time_unit``)."""
        roles = {"entity": entity, "event": event, "time": time, "item": item, "value": value}
        value_numbers = _check_event_log(df, roles, session_gap)  # (text read as numbers)
        threads = resolve_threads(n_threads)

        # An entity is what has rows: a frame cut from a larger categorical one keeps the
        # whole's categories, which would otherwise become entities of no events.
        entity_codes, entity_labels, entity_map = _factorize(
            df[entity], entity, n_threads=threads, observed=True
        )
        entity_codes, entity_labels, entity_map = _blank_as_missing(
            entity_codes, entity_labels, entity_map
        )
        _refuse_rounded_ids(entity_labels, entity)
        if event is None:  # one event type for a log without one
            event_codes = np.zeros(len(df), dtype=np.int32)
            event_labels = pd.Index(["event"])
            bad = {entity: entity_codes < 0}
        else:
            event_codes, event_labels, event_map = _factorize(
                df[event], event, n_threads=threads, small_codes=True
            )
            event_codes = _apply_code_map(event_codes, event_map)
            event_codes, event_labels, _ = _blank_as_missing(event_codes, event_labels)
            bad = {entity: entity_codes < 0, event: event_codes < 0}
        times = tz = None
        clock: dict = {}
        if time is not None:
            times, bad_time, tz = times_to_ns(
                df[time],
                time_unit,
                time,
                time_format=time_format,
                dayfirst=dayfirst,
                unit_warning=log_warnings,
                clock=clock,
            )
            if bad_time is not None:
                bad[time] = bad_time
        if log_warnings is True:
            _warn_if_alike_as_text(entity_labels, entity)
            if event is not None:
                _warn_if_alike_as_text(event_labels, event)
                _warn_if_spelt_apart(event_labels, event_codes, event)
        keep = _rows_to_keep(bad, dropna, len(df), warn=log_warnings, time=time)
        del bad

        def kept(array):
            return array if keep is None or array is None else array[keep]

        entity_codes = kept(entity_codes)
        event_codes = kept(event_codes)
        times = kept(times)
        if keep is not None:
            # Entities whose every row was dropped leave the vocabulary.
            entity_codes = _apply_code_map(entity_codes, entity_map)
            entity_map = None
            present = np.bincount(entity_codes, minlength=len(entity_labels)) > 0
            if not present.all():
                remap = np.cumsum(present) - 1
                entity_codes = remap[entity_codes]
                entity_labels = entity_labels[present]
        # Whole-valued float ids are the integers they stand for, 450 not 450.0, however
        # the rows without one went (dropna=True or df.dropna() in pandas: HC s33 #7).
        entity_labels = _whole_ids(entity_labels)
        items_sorted = item_labels = item_codes = None
        if item is not None:
            # Item vocabularies are large and need no order: codes stay unsorted.
            item_codes, item_labels, _ = _factorize(
                df[item], item, sort=False, n_threads=threads, small_codes=True
            )
            _refuse_rounded_ids(item_labels, item)
            # 450, not 450.0, as the entities (a float column: blanks beside its items)
            item_labels = _whole_ids(item_labels)
            # and text "450.0" (such a file read with dtype=str) as "450", as the shell and
            # the stream read it: a model's items meet either way (RV s34 L8)
            item_labels, item_codes = _plain_text_ids(item_labels, item_codes)
            if log_warnings is True:
                _warn_if_alike_as_text(item_labels, item)
            item_codes = _narrow_codes(kept(item_codes), len(item_labels))
        raw_values = None
        if value is not None:
            try:
                raw_values = value_numbers
                if raw_values is None:
                    raw_values = _value_numbers(df[value], value)
            except ValueError as error:
                raise TypeError(
                    f"value column {value!r} must be numeric (prices, amounts): {error}"
                ) from None
            raw_values = np.ascontiguousarray(_check_values(kept(raw_values), value))
        # The event codes, items and values move with the rows while each entity's rows
        # are in cache, not gathered afterwards by the grouped order (a read from a random
        # place per row: 3 s of a 100 M-row log's 19).
        carried = [np.ascontiguousarray(event_codes, dtype=np.int32)]
        del event_codes
        carried += [column for column in (item_codes, raw_values) if column is not None]
        del item_codes, raw_values
        offsets, sorted_times, moved = group_by_entity(
            entity_codes, entity_map, len(entity_labels), times, threads, carried
        )
        del entity_codes, times, carried
        events_sorted, *rest = moved
        if item is not None:
            items_sorted, *rest = rest
        values_sorted = rest[0] if value is not None else None
        seqs = cls(
            entity_labels,
            offsets,
            events_sorted,
            event_labels,
            times=sorted_times,
            items=items_sorted,
            item_labels=item_labels,
            values=values_sorted,
            tz=tz,
        )
        seqs._with_clock(bool(clock.get("naive", False)))._with_value_name(value)
        if session_gap is not None:
            seqs = seqs.session(session_gap, n_threads=n_threads)
        return seqs

    @classmethod
    def from_arrays(
        cls,
        offsets,
        events,
        *,
        times=None,
        items=None,
        values=None,
        ids=None,
        event_labels=None,
        item_labels=None,
        time_unit: str = "s",
        tz: str | None = None,
    ) -> Sequences:
        """Wrap arrays that are already grouped (CSR) as Sequences.

        Parameters
        ----------
        offsets : array of int, shape (n_sequences + 1,)
            Starting at 0, non-decreasing, ending at ``len(events)``.
        events : array
            Event labels (any hashable) or, with ``event_labels``, int codes into it.
        times : array, optional
            Timestamps or numbers of ``time_unit``, non-decreasing within each sequence.
        items, values : array, optional
            Item ids and a number per event.
        ids : sequence, optional
            One id per sequence; defaults to 0..n_sequences-1.
        tz : str, optional
            The time zone of the events (a name such as ``"Europe/Berlin"``; a fixed
            offset as its Etc name, ``"Etc/GMT-2"`` for UTC+2), kept for local-time
            features; None takes aware ``times``' own zone.

        Examples
        --------
        >>> seqs = Sequences.from_arrays([0, 2, 3], ["a", "b", "a"], times=[1, 2, 5])
        >>> seqs.lengths.tolist(), list(seqs.event_labels)
        ([2, 1], ['a', 'b'])
        """
        _check_tz(tz)
        offsets = np.asarray(offsets)
        if offsets.ndim != 1 or offsets.size < 1 or offsets.dtype.kind not in "iu":
            raise ValueError("offsets must be a 1-D integer array of n_sequences + 1 entries")
        offsets = offsets.astype(np.int64)
        events = np.asarray(events)
        if events.ndim != 1:
            raise ValueError(f"events must be 1-D, got shape {events.shape}")
        if offsets[0] != 0 or offsets[-1] != events.size or (np.diff(offsets) < 0).any():
            raise ValueError(
                "offsets must start at 0, never decrease and end at len(events) "
                f"({events.size}); got {offsets[:3].tolist()}...{offsets[-1:].tolist()}"
            )
        if event_labels is None:
            codes, labels, code_map = _factorize(pd.Series(events), "event")
            codes = _apply_code_map(codes, code_map)
            if (codes < 0).any():
                raise ValueError(f"events has {int((codes < 0).sum())} missing value(s)")
        else:
            labels = pd.Index(event_labels)
            if events.dtype.kind not in "iu":
                raise TypeError("with event_labels, events must be integer codes")
            codes = events.astype(np.int64)
            if codes.size and (codes.min() < 0 or codes.max() >= len(labels)):
                raise ValueError(f"event codes must lie in [0, {len(labels)})")
        n_seq = offsets.size - 1
        ns = None
        clock: dict = {}
        if times is not None:
            ns, bad, tz_found = times_to_ns(
                np.asarray(times), time_unit, "times", early_dates=False, clock=clock
            )
            tz = tz or tz_found
            if ns.size != events.size:
                raise ValueError("times must have one entry per event")
            if bad is not None:
                raise ValueError(f"times has {int(bad.sum())} missing value(s)")
            backwards = np.diff(ns) < 0
            if backwards.size:
                inner = offsets[1:-1]
                inner = inner[(inner > 0) & (inner < events.size)]
                backwards[inner - 1] = False  # pairs across sequence boundaries
                if backwards.any():
                    first = int(np.flatnonzero(backwards)[0]) + 1
                    raise ValueError(
                        f"times decrease within a sequence (event {first}); sort each "
                        "sequence by time, or use Sequences.from_events which sorts"
                    )
        item_codes = None
        if items is not None:
            items = np.asarray(items)
            if items.shape != events.shape:
                raise ValueError("items must have one entry per event")
            item_codes, item_labels, _ = _factorize(pd.Series(items), "item", sort=False)
            item_codes = _narrow_codes(item_codes, len(item_labels))
        value_name = values.name if isinstance(values, pd.Series) else None
        if values is not None:
            values = np.asarray(values)
            if values.dtype.kind not in "fiub" or values.shape != events.shape:
                raise ValueError("values must be numeric with one entry per event")
            values = _check_values(values.astype(np.float64), "values")
        ids = pd.RangeIndex(n_seq) if ids is None else pd.Index(ids)
        if len(ids) != n_seq:
            raise ValueError(f"ids has {len(ids)} entries for {n_seq} sequences")
        return (
            cls(
                ids,
                offsets,
                codes.astype(np.int32),
                labels,
                times=ns,
                items=item_codes,
                item_labels=item_labels,
                values=values,
                tz=tz,
            )
            ._with_clock(tz is None and clock.get("naive", False))
            ._with_value_name(value_name)
        )

    @classmethod
    def from_lists(cls, sequences, ids=None) -> Sequences:
        """One list of events per sequence (no times), as in the DeepLog format.

        Examples
        --------
        >>> Sequences.from_lists([[5, 5, 22], [5, 11]]).lengths.tolist()
        [3, 2]
        """
        lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64)
        offsets = np.zeros(lengths.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = [e for s in sequences for e in s]
        return cls.from_arrays(offsets, np.asarray(flat), ids=ids)

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __repr__(self) -> str:
        timed = "timed" if self.times is not None else "untimed"

        def counted(count, word):
            return f"{count} {word}" + ("" if count == 1 else "s")

        return (
            f"Sequences({counted(len(self), 'sequence')}, {counted(self.n_events, 'event')}, "
            f"{counted(len(self.event_labels), 'event type')}, {timed})"
        )

    @property
    def n_events(self) -> int:
        return int(self.offsets[-1])

    @property
    def lengths(self) -> np.ndarray:
        """Number of events in each sequence."""
        return np.diff(self.offsets)

    def event_counts(self) -> np.ndarray:
        """Events of each type, in the order of ``event_labels`` (int64).

        What encoders learn their vocabulary from; a summary of sequences held
        elsewhere (the partitions of :mod:`oddseq.dask`) answers it with the counts
        added up over every partition.
        """
        return np.bincount(self.events, minlength=len(self.event_labels)).astype(np.int64)

    def __getitem__(self, key):
        """``seqs[i]``: one sequence as a DataFrame; a slice, int array or boolean mask
        gives a Sequences subset."""
        if isinstance(key, numbers.Integral) and not isinstance(key, bool):
            n = len(self)
            i = int(key) + n if key < 0 else int(key)
            if not 0 <= i < n:
                raise IndexError(f"sequence index {key} out of range for {n} sequences")
            return self._frame(self.offsets[i], self.offsets[i + 1])
        if isinstance(key, slice):
            return self.take(np.arange(len(self))[key])
        key = np.asarray(key)
        if key.dtype == bool:
            if key.shape != (len(self),):
                raise IndexError(f"boolean mask must have shape ({len(self)},), got {key.shape}")
            return self.take(np.flatnonzero(key))
        if key.dtype.kind in "iu":
            return self.take(key)
        raise TypeError(
            f"Sequences indices must be ints, slices, int arrays or masks, not {key.dtype}"
        )

    def take(self, indices, n_threads: int | None = None) -> Sequences:
        """The sequences at ``indices`` (in that order) as a new Sequences."""
        indices = np.asarray(indices)
        n = len(self)
        where = f"take's indices must lie in [{-n}, {n}) for {n} sequences"
        if indices.dtype.kind == "b":
            raise TypeError(f"{where}, got a boolean mask; pass np.flatnonzero(mask) or seqs[mask]")
        if indices.dtype.kind not in "iu":
            try:
                indices = indices.astype(np.int64)  # whole floats, as before
            except OverflowError:
                raise IndexError(f"{where}, got {indices.tolist()[:3]!r}") from None
        if indices.size and (indices.min() < -n or indices.max() >= n):
            wrong = indices[(indices < -n) | (indices >= n)][0]
            raise IndexError(f"{where}, got {int(wrong)}")
        indices = indices.astype(np.int64)
        indices = np.where(indices < 0, indices + n, indices)
        return self._subset(
            self.offsets[indices], self.offsets[indices + 1], self.ids[indices], n_threads
        )

    def _subset(self, starts, stops, ids, n_threads) -> Sequences:
        threads = resolve_threads(n_threads)
        laid_out = _core.ranges_to_index(
            np.ascontiguousarray(starts, dtype=np.int64),
            np.ascontiguousarray(stops, dtype=np.int64),
            threads,
        )
        offsets, index = laid_out.offsets, laid_out.index

        def pick(array):
            return None if array is None else _core.gather(array, index, threads)

        return (
            Sequences(
                ids,
                offsets,
                pick(self.events),
                self.event_labels,
                times=pick(self.times),
                items=pick(self.items),
                item_labels=self.item_labels,
                values=pick(self.values),
                tz=self.tz,
            )
            ._with_gap(self.session_gap_ns)
            ._with_clock(self.naive_clock)
            ._with_value_name(self.value_name)
        )

    def _with_clock(self, naive: bool):
        """These sequences, noting whether their times are naive (:attr:`naive_clock`)."""
        self.naive_clock = naive
        return self

    def _with_value_name(self, name):
        """These sequences, noting the values' column name (:attr:`value_name`; None
        where the values have none, or there are no values)."""
        self.value_name = None if self.values is None else name
        return self

    def _with_gap(self, gap_ns):
        """These sequences, noting the session gap they were split at (None: not split
        into sessions here)."""
        self.session_gap_ns = gap_ns
        return self

    def _time_column(self, ns: np.ndarray) -> pd.Series | np.ndarray:
        stamps = pd.to_datetime(ns, unit="ns", utc=self.tz is not None)
        return stamps.tz_convert(self.tz) if self.tz is not None else stamps

    def _frame(self, begin: int, end: int) -> pd.DataFrame:
        columns = {"event": self.event_labels.take(self.events[begin:end])}
        if self.times is not None:
            columns["time"] = self._time_column(self.times[begin:end])
        if self.items is not None:
            codes = self.items[begin:end]
            if len(self.item_labels) == 0:  # every item missing: nothing to take from
                columns["item"] = np.full(len(codes), np.nan)
            else:
                labels = self.item_labels.take(np.maximum(codes, 0))
                columns["item"] = pd.Series(labels).where(codes >= 0).to_numpy()
        if self.values is not None:
            columns["value"] = self.values[begin:end]
        return pd.DataFrame({k: np.asarray(v) for k, v in columns.items()})

    def to_pandas(self) -> pd.DataFrame:
        """The events as a long DataFrame, one row per event, the id levels first."""
        frame = self._frame(0, self.n_events)
        owner = np.repeat(np.arange(len(self)), self.lengths)
        ids = self.ids.take(owner)
        if isinstance(ids, pd.MultiIndex):
            id_columns = {
                name or f"level_{i}": ids.get_level_values(i) for i, name in enumerate(ids.names)
            }
        else:
            id_columns = {ids.name or "entity": ids}
        front = pd.DataFrame({k: np.asarray(v) for k, v in id_columns.items()})
        return pd.concat([front, frame], axis=1)

    def describe(self) -> pd.Series:
        """Counts, the length and duration distributions, and events per type.

        Examples
        --------
        >>> seqs = Sequences.from_lists([[1, 2], [1]])
        >>> int(seqs.describe()["n_sequences"])
        2
        """
        lengths = self.lengths
        stats = {
            "n_sequences": len(self),
            "n_events": self.n_events,
            "n_event_types": len(self.event_labels),
        }
        quantiles = (0.0, 0.25, 0.5, 0.75, 0.99, 1.0)
        names = ("min", "p25", "median", "p75", "p99", "max")
        if len(self):
            stats["length_mean"] = float(lengths.mean())
            for name, q in zip(names, quantiles):
                stats[f"length_{name}"] = float(np.quantile(lengths, q))
        if self.times is not None and len(self):
            nonempty = lengths > 0
            first = self.times[self.offsets[:-1][nonempty]]
            last = self.times[self.offsets[1:][nonempty] - 1]
            duration = (last - first) / 1e9
            stats["duration_s_mean"] = float(duration.mean())
            for name, q in zip(names, quantiles):
                stats[f"duration_s_{name}"] = float(np.quantile(duration, q))
            stats["time_first"] = self._time_column(self.times.min(keepdims=True))[0]
            stats["time_last"] = self._time_column(self.times.max(keepdims=True))[0]
        if self.items is not None:
            stats["n_items"] = len(self.item_labels)
        counts = np.bincount(self.events, minlength=len(self.event_labels))
        for label, count in zip(self.event_labels, counts):
            stats[f"events[{label}]"] = int(count)
        return pd.Series(stats, dtype=object, name="value")

    # ------------------------------------------------------------------ re-slicing
    def session(self, gap, n_threads: int | None = None) -> Sequences:
        """Split sequences where consecutive events are more than ``gap`` apart.

        ``gap`` is seconds, a string like ``"30min"`` or a Timedelta. Ids gain a
        ``session`` level numbering the sessions of each original sequence from 0.

        Examples
        --------
        >>> seqs = Sequences.from_arrays([0, 3], ["a", "b", "a"], times=[0, 10, 5000])
        >>> s = seqs.session(600)
        >>> s.lengths.tolist(), s.ids.tolist()
        ([2, 1], [(0, 0), (0, 1)])
        """
        self._need_times("session")
        max_gap = duration_ns(gap, "gap")
        split = _core.split_by_gap(self.offsets, self.times, max_gap, resolve_threads(n_threads))
        ids = _append_level(self.ids.take(split.parent), split.session_number, "session")
        return (
            Sequences(
                ids,
                split.offsets,
                self.events,
                self.event_labels,
                times=self.times,
                items=self.items,
                item_labels=self.item_labels,
                values=self.values,
                tz=self.tz,
            )
            ._with_gap(int(max_gap))
            ._with_clock(self.naive_clock)
            ._with_value_name(self.value_name)
        )

    def windows(
        self, length: int, stride: int | None = None, n_threads: int | None = None
    ) -> Sequences:
        """Sliding windows of ``length`` events every ``stride`` events (default:
        ``length``, no overlap).

        Only full windows are kept, except that a sequence shorter than ``length`` keeps
        one window with all its events. Ids gain a ``window_start`` level: the event
        position where the window starts in its sequence.

        Examples
        --------
        >>> seqs = Sequences.from_lists([list("abcde")])
        >>> w = seqs.windows(3, stride=1)
        >>> w.lengths.tolist(), w.ids.get_level_values("window_start").tolist()
        ([3, 3, 3], [0, 1, 2])
        """
        length = check_positive_int(length, "length")
        stride = length if stride is None else check_positive_int(stride, "stride")
        windows = _core.count_windows(self.offsets, length, stride)
        ids = _append_level(self.ids.take(windows.parent), windows.origin, "window_start")
        return self._subset(windows.starts, windows.stops, ids, n_threads)

    def time_windows(self, width, step=None, n_threads: int | None = None) -> Sequences:
        """Windows of duration ``width`` every ``step`` (default: ``width``), counted from
        each sequence's first event; empty windows are skipped.

        ``width`` and ``step`` are seconds, strings like ``"1h"`` or Timedeltas. Ids gain
        a ``window_start`` level holding the window's start time.

        Examples
        --------
        >>> seqs = Sequences.from_arrays([0, 4], list("abcd"), times=[0, 30, 65, 200])
        >>> seqs.time_windows(60).lengths.tolist()
        [2, 1, 1]
        """
        self._need_times("time_windows")
        width_ns = duration_ns(width, "width")
        step_ns = width_ns if step is None else duration_ns(step, "step")
        windows = _core.time_windows(
            self.offsets, self.times, width_ns, step_ns, resolve_threads(n_threads)
        )
        starts = self._time_column(windows.origin)
        ids = _append_level(self.ids.take(windows.parent), starts, "window_start")
        return self._subset(windows.starts, windows.stops, ids, n_threads)

    def _need_times(self, what: str) -> None:
        if self.times is None:
            raise ValueError(
                f"{what} needs event times, but these sequences have none; build them with "
                "a time column (Sequences.from_events(..., time=...))"
            )


def group_by_entity(entity_codes, entity_map, n_entities: int, times, threads: int, carried):
    """The rows grouped by entity, by time within one (both stable): (offsets, the times
    in that order or None, each of the ``carried`` columns in that order). The columns
    move with the rows in C++ (``_core.group_rows``) instead of being gathered by the
    grouped order afterwards, a read from a random place per row."""
    grouped = _core.group_rows(
        np.ascontiguousarray(entity_codes, dtype=np.int64),
        entity_map,
        n_entities,
        None if times is None else np.ascontiguousarray(times, dtype=np.int64),
        threads,
        # (contiguous and aligned, as the C++ reads them)
        carried=[np.require(column, requirements=["C", "A"]) for column in carried],
        with_order=False,
    )
    return grouped.offsets, grouped.sorted_times, list(grouped.carried)


def _narrow_codes(codes: np.ndarray, n_labels: int) -> np.ndarray:
    """int32 codes when the vocabulary fits, halving the memory of large item columns."""
    dtype = np.int32 if n_labels < np.iinfo(np.int32).max else np.int64
    return np.ascontiguousarray(codes, dtype=dtype)
