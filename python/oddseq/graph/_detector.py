"""GroupDetector: entities that act together (rings, click farms, shared devices)."""

from __future__ import annotations

import math
import numbers
import warnings
from functools import partial

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.special import betainc
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .. import _core
from ..exceptions import DataWarning
from ..utils._params import Real
from ..utils._stacklevel import user_stacklevel
from ..utils._time import duration_ns
from ..utils._unique import distinct
from ..utils._validation import resolve_threads
from . import _crowd, _synchrony, _teams
from ._graph import events_for_graph, object_acts
from ._null import block_significance, poisson_surprise
from ._pairs import pair_objects
from ._schedule import schedule_check
from ._visits import object_act_share

__all__ = ["GroupDetector", "fraudar_weights"]

# max_groups=None: _MIN_GROUPS groups per method, or one per _ENTITIES_PER_GROUP entities
# of the log where that is more, at most _MAX_GROUPS (a log of 100,000 users holds more
# rings than one of 10,000: a fixed 20 bound on shops of 20,000-100,000 users with 25-40
# rings; the search may meet 5 blocks per group, so the limit bounds its cost).
_MIN_GROUPS, _ENTITIES_PER_GROUP, _MAX_GROUPS = 20, 1000, 100


def _default_max_groups(n_entities: int) -> int:
    # max_groups=None's cap for a log of n_entities entities
    return int(min(_MAX_GROUPS, max(_MIN_GROUPS, n_entities // _ENTITIES_PER_GROUP)))


_METHODS = ("auto", "static", "temporal", "both")
# A lockstep group on one object comes back to it together in at least this many
# windows (it returns at least twice): with two, a handful of an item's visitors who
# met there twice is what one campaign featuring the item twice also makes. (It must
# also be at least half of the object's audience that comes back; see _return_stats.)
_RETURN_WINDOWS = 3

# Two acts of a lockstep block are of one part of it when at least two members, and at
# least this share of the members of the smaller act, act in both (see _member_parts).
_PART_SHARE = 0.5

# The objects' co-visits read without the visits in the block's windows, by entities
# outside it, that hold all its objects (see _covisit_acts); False reads every visit.
_COVISIT_AWAY = True

# A block the null of visits explains is still a group when its members start their
# sessions together beyond their own routines (graph/_synchrony.py).
_SYNCHRONY = True

# A block of people who meet for content that other crowds meet on too, a couple of
# times, at a human pace, is a team: no group (graph/_teams.py).
_TEAMS = True

# A lockstep block on one object must outnumber the object's audience that comes back to
# it (see _return_stats); False: everyone who ever acts on it, as before session 68.
_RETURNING_AUDIENCE = True

# The activity test counts the block's choice of windows among those where two of its
# members or more act on its objects (see _visit_stats); False counts only the objects.
_WINDOW_CHOICE = True

# The parts of a lockstep block that its members' activity explains are judged on their
# own as a group's are (see the search loop); False: only a group's parts.
_PARTS_OF_EXPLAINED = True

# The activity test reads each object's share of a window among its closed market's acts
# there too, where its objects serve one (see _market); False: the whole log's only.
_MARKET_NULL = True
# The pseudo-acts at the object's share of the log that a window's market share starts
# from: a window with one or two of the market's acts stays near the log's share (with
# one, a single act on the object read as half the window; a ring's loyal buyers who
# came on its afternoons then took a ring of 7 out of the groups, review RV s61 M1).
_MARKET_PRIOR_ACTS = 5.0

# A block of its objects' crowd (a drop's, a launch's: their audience keeps arriving
# around it, its members meet there once, at no script's pace) is no group, and no miss
# of the search (graph/_crowd.py).
_CROWD = True

# A lockstep block that is no group is judged again grown by its members' other shared
# acts in its windows (see _grown_block), and is the grown block where that is a group;
# False: as peeled.
_GROW = True

# A block of one object that is its crowd (graph/_crowd.py) is no miss either: a flash
# sale's crowds, one hotel's block after another, ended the search on a travel log of
# 12,000 accounts before any of its review rings (TR s64 H2); False: a miss.
_ONE_OBJECT_CROWD = True
# ... up to this many times patience such blocks since the last group (or the search's
# start): past it they are misses again. The runs of them before a ring's group were 0-8
# (a 4-item sale's 600 shoppers beside a ring: 5-8 over 8 draws; the travel trial's
# flash sale: 0-4), and with nothing to find they ran on to the search's limit
# (YOOCHOOSE's sessions: 37 in a row, 58 blocks, 0.4 -> 4.2 s for the group stage).
_ONE_OBJECT_CROWD_RUN = 4

# A block of SEGMENT_MIN members or more, and of max_share (by default SEGMENT_SHARE) of
# the entities the stage read, is a segment of the population (see GroupDetector's
# max_share; the one call's large-group warning reads the same share, from 50 members: a
# ring of 60 in a log of 560 stays a group, said): the planted rings and
# farms of every labelled source are under 1% of their logs (the seed gate's cells
# 0.34-0.87%, the trials' 0.5-1%), where a mobile carrier's customers behind its pool of
# shared addresses, read with group_by=["device_id", "ip"], were groups of 294-486 of a
# social platform's 3,000 accounts (TR s66) and a popular seller's buyers on an
# auction app's device setting one of 779 of 7,037 (TR s47).
SEGMENT_SHARE, SEGMENT_MIN = 0.05, 100


def segment_floor(max_share, n_entities: int) -> float:
    """The least members of a block that is a segment of the population, of
    ``n_entities`` read at GroupDetector's ``max_share`` (inf for None: no bar)."""
    if max_share is None:
        return np.inf
    return max(SEGMENT_MIN, math.ceil(float(max_share) * n_entities))


_THRESHOLD_NOTE = "log10 units: a group's chance is below 10 ** -threshold; 2 is 1 in 100"


def fraudar_weights(col_degree, c: float = 5.0, min_entities: int = 2) -> np.ndarray:
    """FRAUDAR's camouflage-resistant column weights, ``1 / log(degree + c)``, and 0
    for columns with fewer than ``min_entities`` entities (no group can share them).

    Examples
    --------
    >>> fraudar_weights([1, 2, 100], c=5.0).round(4).tolist()
    [0.0, 0.5139, 0.2149]
    """
    degree = np.asarray(col_degree, dtype=np.float64)
    if not np.all(np.isfinite(degree) & (degree >= 0)):
        raise ValueError("col_degree must be finite and >= 0 (entities per column)")
    if isinstance(c, bool) or not isinstance(c, numbers.Real):
        raise TypeError(f"c must be a finite number > 1 (log(degree + c) > 0), got {c!r}")
    if not (math.isfinite(c) and c > 1):
        raise ValueError(f"c must be a finite number > 1 (log(degree + c) > 0), got {c!r}")
    if isinstance(min_entities, bool) or not isinstance(min_entities, numbers.Integral):
        raise TypeError(f"min_entities must be an int, got {min_entities!r}")
    weight = 1.0 / np.log(degree + c)
    weight[degree < min_entities] = 0.0
    return np.ascontiguousarray(weight)


def _ranges(offsets: np.ndarray, rows: np.ndarray, n_keys: int = 1) -> np.ndarray:
    """Positions of every key of the given rows' events (CSR offsets of events)."""
    starts = offsets[rows] * n_keys
    lengths = (offsets[rows + 1] - offsets[rows]) * n_keys
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(total, dtype=np.int64) + shift


class _PeelGraph:
    """The graph the peeling searches, as CSR both ways: ``offsets``/``cols`` by row
    and ``col_offsets``/``row_of`` by column (int32 ids)."""

    def __init__(self, offsets, cols, col_offsets, row_of):
        self.offsets, self.cols = offsets, cols
        self.col_offsets, self.row_of = col_offsets, row_of

    @property
    def n_rows(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_edges(self) -> int:
        return int(self.offsets[-1])

    @property
    def row_degree(self) -> np.ndarray:
        return np.diff(self.offsets)


def _rows_with(flags: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per row of a CSR, whether any of its edges' flags is set."""
    out = np.diff(offsets) > 0
    rows = np.flatnonzero(out)
    if rows.size:
        out[rows] = np.logical_or.reduceat(flags, offsets[rows])
    return out


def _acts(rows, units, places):
    """Run starts of sorted (row, unit, place) triples: a new act where the row or the
    unit changes or the place does not follow the last one (places: a lockstep column's
    position in time, 2 * bin for the first grid's bins and 2 * bin - 1 for the second
    grid's, which overlap their neighbours')."""
    order = np.lexsort((places, units, rows))
    rows, units, places = rows[order], units[order], places[order]
    start = np.ones(rows.size, dtype=bool)
    start[1:] = (rows[1:] != rows[:-1]) | (units[1:] != units[:-1]) | (places[1:] > places[:-1] + 1)
    return rows[start]


def _unit_hits(graph, cols, units, places):
    """Per row of the graph, its acts on the columns ``cols``: edges when each column is
    one (``units`` None), else its runs of overlapping columns of one object (an act
    near a bin's edge falls in a column of each grid; the same object in windows apart
    is an act in each). Also the number of acts the columns hold."""
    positions = _ranges(graph.col_offsets, cols)
    rows = graph.row_of[positions]
    if units is None:
        return np.bincount(rows, minlength=graph.n_rows), cols.size
    per_col = np.diff(graph.col_offsets)[cols]
    starts = _acts(rows, np.repeat(units[cols], per_col), np.repeat(places[cols], per_col))
    n_acts = _acts(np.zeros(cols.size, np.int64), units[cols], places[cols]).size
    return np.bincount(starts, minlength=graph.n_rows), n_acts


def _member_acts(graph, rows, cols, units, places):
    """_unit_hits for the given rows only, from their edges: (acts per row, acts the
    columns hold)."""
    positions = _ranges(graph.offsets, rows)
    edge_row = np.repeat(np.arange(rows.size), np.diff(graph.offsets)[rows])
    edge_col = graph.cols[positions]
    chosen = np.zeros(len(graph.col_offsets) - 1, dtype=bool)
    chosen[cols] = True
    inside = chosen[edge_col]
    edge_row, edge_col = edge_row[inside], edge_col[inside]
    if units is None:
        return np.bincount(edge_row, minlength=rows.size), cols.size
    starts = _acts(edge_row, units[edge_col], places[edge_col])
    n_acts = _acts(np.zeros(cols.size, np.int64), units[cols], places[cols]).size
    return np.bincount(starts, minlength=rows.size), n_acts


def _unit_degrees(col_degree, cols, units, places):
    """Each object's degree in the block: the larger of its columns' degree sums over
    the two grids (an act falls in a bin of each grid)."""
    if units is None:
        return col_degree[cols]
    unit, grid = units[cols], places[cols] & 1
    order = np.lexsort((grid, unit))
    unit, grid, degree = unit[order], grid[order], col_degree[cols][order]
    starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])
    per_grid = [
        np.add.reduceat(np.where(grid == g, degree, 0), starts).astype(np.float64) for g in (0, 1)
    ]
    return np.maximum(per_grid[0], per_grid[1])


def _components(graph, block, weight):
    """The connected parts of a block: (rows, cols, row_edges, n_edges, density) each,
    largest first; a block of one part comes back as it is."""
    rows, cols = block.rows, block.cols
    positions = _ranges(graph.offsets, rows)
    edge_rows = np.repeat(np.arange(rows.size), np.diff(graph.offsets)[rows])
    edge_cols = np.searchsorted(cols, graph.cols[positions])
    inside = edge_cols < cols.size
    inside[inside] = cols[edge_cols[inside]] == graph.cols[positions][inside]
    edge_rows, edge_cols = edge_rows[inside], edge_cols[inside]
    m, k = rows.size, cols.size
    adjacency = coo_matrix(
        (np.ones(edge_rows.size), (edge_rows, m + edge_cols)), shape=(m + k, m + k)
    )
    n_parts, label = connected_components(adjacency, directed=False)
    if n_parts == 1:
        return [(rows, cols, block.row_edges, int(block.n_edges), block.density)]
    parts = []
    edge_label = label[edge_rows]
    edge_weight = weight[cols[edge_cols]]
    for part in range(n_parts):
        r = np.flatnonzero(label[:m] == part)
        c = np.flatnonzero(label[m:] == part)
        if r.size == 0 or c.size == 0:
            continue
        mine = edge_label == part
        row_edges = np.bincount(edge_rows[mine], minlength=m)[r]
        density = float(edge_weight[mine].sum()) / (r.size + c.size)
        parts.append((rows[r], cols[c], row_edges, int(mine.sum()), density))
    parts.sort(key=lambda p: -p[0].size)
    return parts


def _member_parts(graph, rows, cols, weight, units=None, places=None):
    """The parts of a lockstep block's members' acts on the columns ``cols``: (columns,
    density) each, largest first; [] when they make one part or none.

    Two of the block's acts (an object in a window: a run of overlapping columns of one
    object) are of one part when at least two members, and at least half of the members
    of the smaller act, act in both (``_PART_SHARE``): a ring's members act together on
    the same objects again and again, so its acts hold the same members. One entity, or
    a few, that act with two separate crowds (a raider who also kills a monster in the
    hour an alt army levels on it) do not join them: joined by any one shared entity, a
    guild's raid nights and an alt army's quest chain were one group (held-out game 361
    of 20,000 players: 151 raiders in the cores of ring and army groups)."""
    positions = _ranges(graph.offsets, rows)
    edge_rows = np.repeat(np.arange(rows.size), np.diff(graph.offsets)[rows])
    sorter = np.argsort(cols, kind="stable")
    at = np.minimum(np.searchsorted(cols, graph.cols[positions], sorter=sorter), cols.size - 1)
    inside = cols[sorter[at]] == graph.cols[positions]
    edge_rows, edge_cols = edge_rows[inside], sorter[at[inside]]
    m, k = rows.size, cols.size
    if units is None:
        slot, n_slots = np.arange(k), k
    else:
        order = np.lexsort((places[cols], units[cols]))
        unit, place = units[cols][order], places[cols][order]
        start = np.ones(k, dtype=bool)
        start[1:] = (unit[1:] != unit[:-1]) | (place[1:] > place[:-1] + 1)
        slot = np.empty(k, dtype=np.int64)
        slot[order] = np.cumsum(start) - 1
        n_slots = int(start.sum())
    # members x acts, each pair once; the members two acts share
    pair = distinct(edge_rows * np.int64(n_slots) + slot[edge_cols])
    held = coo_matrix(
        (np.ones(pair.size), (pair // n_slots, pair % n_slots)), shape=(m, n_slots)
    ).tocsr()
    shared = (held.T @ held).tocoo()
    size = np.asarray(held.sum(axis=0)).ravel()
    smaller = np.minimum(size[shared.row], size[shared.col])
    link = (shared.data >= 2) & (shared.data >= _PART_SHARE * smaller)
    acts = coo_matrix(
        (np.ones(int(link.sum())), (shared.row[link], shared.col[link])), shape=(n_slots, n_slots)
    )
    _, act_label = connected_components(acts, directed=False)
    touched = np.zeros(n_slots, dtype=bool)
    touched[slot[edge_cols]] = True
    parts_of = distinct(act_label[touched])
    if parts_of.size <= 1:
        return []
    col_label = act_label[slot]
    edge_label = col_label[edge_cols]
    edge_weight = weight[cols[edge_cols]]
    parts = []
    for part in parts_of:
        c = np.flatnonzero((col_label == part) & touched[slot])
        mine = edge_label == part
        r = distinct(edge_rows[mine])
        density = float(edge_weight[mine].sum()) / (r.size + c.size)
        parts.append((cols[c], density))
    parts.sort(key=lambda p: -p[0].size)
    return parts if len(parts) > 1 else []


def _windows_apart(places: np.ndarray) -> int:
    """In how many sittings apart a block's columns lie: runs of places with no whole
    window between them (a column's place is 2 * bin in the first grid and 2 * bin - 1 in
    the second; two first-grid windows back to back, places 2b and 2b + 2, are one
    sitting: a round across the hour)."""
    places = distinct(places)
    return int(places.size > 0) + int(np.count_nonzero(np.diff(places) > 2))


def _second_look(stats: dict) -> dict:
    """A grown block's statistics with its second look counted: the block as peeled
    and grown were both judged, log10 2 more tests."""
    more = float(np.log10(2.0))
    return {
        **stats,
        "log10_tests": stats["log10_tests"] + more,
        "significance": stats["significance"] - more,
    }


def _grown_block(graph, members, cols, weight, units, places, companions):
    """The columns of a lockstep block grown by its members' other shared acts in its
    windows: ``cols`` with the searched columns (``weight`` > 0) over the block's windows
    (a column whose place is within one of a block column's: the two grids overlap by
    half a window) on which two or more of ``members`` act and that are at least half
    members (of the column's entities), but for those on an object that
    ``companions(block objects, objects)`` says the others take with the block's objects
    in one visit; None where that adds no column.

    A ring that spreads each round over its few items (a travel site's review rings: all
    on the first hotel, some on a second and a third) was peeled as its densest
    columns, the first item's rounds: a block of one object, no group. Only the
    members' acts are added, in the block's windows: a raid guild's nights joined were
    no longer a team's couple of sittings (the held-out game's clean draw: groups of
    14-77 raiders); only columns the members hold half of, as a ring holds its items'
    hours; and no companion of the block's objects (one the others take in the same
    visits: an item's cart beside its page, an app's notifications beside its feed,
    which every user of the app polls with it: no second thing a ring shares). No
    entity is added here; the group's own expansion adds those the peeling left out,
    each judged."""
    positions = _ranges(graph.offsets, members)
    edge_cols = graph.cols[positions]
    block_places = distinct(places[cols])
    near = distinct(np.concatenate([block_places - 1, block_places, block_places + 1]))
    edge_cols = edge_cols[(weight[edge_cols] > 0) & np.isin(places[edge_cols], near)]
    col, n_members = np.unique(edge_cols, return_counts=True)
    col_size = np.diff(graph.col_offsets)[col]
    col = col[(n_members >= 2) & (2 * n_members >= col_size)]
    block_objects = distinct(units[cols])
    others = np.setdiff1d(units[col], block_objects)
    if others.size:
        col = col[~np.isin(units[col], others[companions(block_objects, others)])]
    grown = np.union1d(col, cols)
    return None if grown.size == distinct(cols).size else grown


def _block_density(graph, rows, cols, weight) -> float:
    """The weighted density of the block of ``rows`` on the sorted columns ``cols``, as
    the peeling reads it: the weight of its edges over its rows and columns."""
    positions = _ranges(graph.offsets, rows)
    inside = np.isin(graph.cols[positions], cols)
    return float(weight[graph.cols[positions][inside]].sum()) / (rows.size + cols.size)


def _n_distinct_pairs(a: np.ndarray, b: np.ndarray) -> int:
    """How many distinct (a, b) pairs two int64 arrays hold (sorted, no combined key that
    could overflow)."""
    if a.size == 0:
        return 0
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    return 1 + int(np.count_nonzero((a[1:] != a[:-1]) | (b[1:] != b[:-1])))


def _market(ev, acts, members, block_windows, events_in, n_bins: int, t0: int, window_ns: int):
    """The closed market of a block's objects, where they serve one.

    The market: the other entities that act on the objects (``acts``, the (row,
    first-grid window, object) acts on the block's objects over the log) with a life of
    their own on them (an act on one of them in a window where no member of the block
    acts on it). It is closed where they are at least half as many as the block's
    ``members`` (and 5) and, in the block's first-grid windows ``block_windows``
    (sorted), act mostly on the block's objects: at least half of their acts there,
    pooled (``events_in(windows)`` gives those windows' events and their rows; asked
    only once the first test passes).

    A small town's riders beyond its commuters ride only the town's drivers on shift at
    the hour, the block's, and ride them at hours of their own too. A ring's accounts
    that the block left out (a periphery that joins a few of its rounds) act on its
    objects only when it does; its items' passers-by act mostly elsewhere in its hours;
    a ring's one or two members left out are too few to be a market.

    Returns the sorted keys entity * ``n_win_key`` + window of the market's acts (empty
    where the objects serve no closed market), its entities (sorted), how many windows
    each acts in, and ``n_win_key``."""
    row, window, obj = acts
    n_win_key = np.int64(n_bins + 3)
    none = np.zeros(0, dtype=np.int64)
    is_member = np.isin(row, members)
    # Entities with a life of their own on the objects: an act on one of them in a
    # window where no member acts on it.
    n_obj = np.int64(int(obj.max()) + 1 if obj.size else 1)
    cell = window * n_obj + obj
    own = ~is_member & ~np.isin(cell, distinct(cell[is_member]))
    keep = ~is_member & np.isin(row, distinct(row[own]))
    keys = distinct(row[keep] * n_win_key + window[keep])
    market_rows, n_windows = np.unique(keys // n_win_key, return_counts=True)
    if market_rows.size < max(5, (distinct(members).size + 1) // 2):
        return none, none, none, n_win_key
    # In the block's windows: the market's acts on the block's objects against all its
    # acts there (distinct (entity, window, object) each; with several object columns
    # every column's objects count, and a market on one column's objects alone reads
    # at half at most: closed at the edge).
    there = keep & np.isin(window, block_windows)
    on_objects = _n_distinct_pairs(row[there] * n_win_key + window[there], obj[there])
    event, event_row = events_in(block_windows)
    mine = np.isin(event_row, market_rows)
    event, event_row = event[mine], event_row[mine]
    slot = ev.keys[(event[:, None] * ev.n_keys + np.arange(ev.n_keys)).ravel()].astype(np.int64)
    slot_key = np.repeat(event_row * n_win_key + (ev.times[event] - t0) // window_ns, ev.n_keys)
    known = slot >= 0
    everywhere = _n_distinct_pairs(slot_key[known], slot[known])
    if everywhere == 0 or 2 * on_objects < everywhere:
        return none, none, none, n_win_key
    return keys, market_rows, n_windows, n_win_key


def _in_market(rows, bins, grid: int, keys, market_rows, n_windows, n_win_key):
    """Whether each act (entity ``rows``, window ``bins`` of grid ``grid``) is by an
    entity of the block's objects' market for that window: one that acts on them in a
    first-grid window the act's window does not span (``keys``: the sorted
    entity * ``n_win_key`` + window of their acts; ``market_rows`` those entities,
    sorted, ``n_windows`` how many windows each). A second-grid window b spans first-grid
    windows b - 1 and b."""
    if keys.size == 0:
        return np.zeros(rows.size, dtype=bool)
    spanned = np.zeros(rows.size, dtype=np.int64)
    for window in (bins - 1, bins) if grid else (bins,):
        key = rows * n_win_key + window
        at = np.minimum(np.searchsorted(keys, key), keys.size - 1)
        spanned += keys[at] == key
    at = np.minimum(np.searchsorted(market_rows, rows), market_rows.size - 1)
    return (market_rows[at] == rows) & (n_windows[at] > spanned)


def _covisit_acts(acts, block_windows, members, n_objects: int):
    """The acts (row, first-grid window, object) a block's objects' co-visits are read
    from: all but the visits, in the block's windows, of entities outside its
    ``members`` (sorted) that hold every one of its ``n_objects`` objects.

    Such a visit does there what the members do: it is of the event judged (a ring's
    members that the peeling left out of this block, who pay both its payees in the
    same hour), not an ordinary visit that says what a visit holds. A visit there that
    holds part of the objects is an ordinary one, and is read: a new collection's
    browsers at its drop each take a few of its items, and where the items exist only
    in the block's windows (dropped near the log's end, or sold out), those visits are
    all the log says of how many a visit holds (left out, the law fell back to
    independent chances and made the drop's crowd a group; review s31 H8 HIGH-1)."""
    if not _COVISIT_AWAY:
        return acts
    there = np.isin(acts[1], block_windows) & ~np.isin(acts[0], members)
    if there.any():
        # The (entity, window) pairs outside the block that hold every object there
        # (the acts are distinct (row, window, object) triples).
        visit = acts[0][there] * (np.int64(acts[1].max()) + 1) + acts[1][there]
        pair, n_held = np.unique(visit, return_counts=True)
        there[there] = np.isin(visit, pair[n_held >= n_objects])
    return tuple(a[~there] for a in acts)


def _why_not(finder, is_group, own, n_members, n_objects, returns, stats) -> str | None:
    """Why a candidate block is no group, in a word or two (``candidates_["why_not"]``;
    None for a group): a block can pass the null's test and still be no group (a team,
    a crowd), which its ``significance`` alone does not say (trial s43: "significance
    inf" beside ``is_group`` False)."""
    if is_group:
        return None
    own = own or {}
    if own.get("segment"):
        return "a segment"
    if own.get("team"):
        return "a team"
    if own.get("crowd"):
        return "a crowd"
    if n_members < finder.min_members:
        return "too few members"
    if n_objects < 2 and not returns:
        return "one object"
    if stats["significance"] < finder.threshold:
        return "not significant"
    # Beyond the threshold, refused only for lying at or under the weakest of the
    # max_groups strongest found so far (assess's ``least``): the cap.
    return "past max_groups"


class GroupDetector(BaseEstimator):
    """Groups of entities that act together: order-brushing rings, click farms,
    accounts sharing devices, cards or addresses.

    Each member of such a group may look normal on its own; the group shows in the
    entity-object graph as a block far denser than independent entities would make.

    - ``static``: FRAUDAR (Hooi et al., KDD 2016): greedy peeling of the densest block
      of the entity-object graph with camouflage-resistant column weights
      ``1 / log(degree + c)`` (a 2-approximation of the densest block), repeated on the
      entities left to find several disjoint groups.
    - ``temporal``: lockstep groups, entities acting on the same objects within the
      same ``window`` (CopyCatch's question, Beutel et al., WWW 2013), found as dense
      blocks of the entity x (object, time bin) graph, the entity x object x time tensor
      with its time mode cut into bins (as M-Zoom / D-Cube, Shin et al., cut theirs).
      Two grids of bins, the second shifted by half a window, so a burst shorter than
      half a window always falls in one bin of one grid. The same peeling and
      guarantee, no seeds, no iterations, the same result for any thread count.

    A block is a group when ``significance`` (see :func:`block_significance`) reaches
    ``threshold`` under a null model of independent entities with the same degrees that
    is conditioned on the objects' popularity (for the temporal method, their
    popularity in each time bin): one act of each entity on the block's objects is what
    that popularity explains (a crowd queueing for one item at a drop, however large,
    is no group), and the evidence is the members' further acts on them, which would
    reach their number by chance with probability below 10 ** -threshold over all
    entities, after allowing for every set of objects of that size. An act is an
    object in a window (an object acted on again days later is a second act). A group
    shares at least two objects, each member acts at least twice on them (CopyCatch's
    rule), and has at least ``min_members`` members; objects with one entity carry no
    weight. With several object columns the objects are counted by event (one event is
    one act: an item and its own category, or the price it is always paid at, are one
    object, and the category seen through its other items is the one the item holds, no
    second object; ``oddseq.graph._pairs``). A lockstep group may also be one object
    that its members come back to together in three windows or more and of whose
    audience they are at least half (a ring whose shop has one item to push; not the
    crowd that comes back to a popular item at each restock, which one object cannot
    tell from a group): it must then also be unlikely under a null model of coming back
    to that object, in which each of its entities' acts on it (their number given:
    returning to an item one likes is no evidence) falls in the group's windows as often
    as those windows' share of all activity, or of the object's other entities' acts,
    whichever is larger (see :func:`~oddseq.graph._null.log10_return_sf`). Each member's
    acts on the group's objects must be improbable by its own volume, P(h >= its acts)
    for h ~ Binomial(acts the objects hold, its expected acts there / that) at or below
    10 ** -threshold shared among the entities judged: an entity that acts on everything
    (a crawler) has a couple on any group's objects and joins none (when no member of a
    block is, the block is judged as it is). Each block leaves the search by its objects
    (and a group by its members too), so an entity of a crowd that is no group is still
    searched with the others it acts with elsewhere.

    A lockstep group on several objects must also be unlikely given each entity's own
    activity: its acts in each of the group's windows (when it was active, on how many
    objects), each on an object as often as that object's share of the other entities'
    acts there (its popularity in that window, at least its share of the whole log).
    Independent users of a log of few objects (a shop of 20 items, a column of a few
    values taken event by event) hit every popular object in each hour they are active;
    that is no group, where the lockstep columns' degrees, spread over all windows,
    would read the most active ones as one. An entity's acts on several of the
    block's objects in one window are one visit, not independent chances: it enters
    the objects' window by their popularity there (or its own share of acts on them
    outside the group's windows and meetings, its taste, where larger), and once there
    acts on as many of them as the log's visits to those objects do (the other
    entities' co-visits, but for their visits in the block's windows that hold all its
    objects, as a ring's members that the block left out do when they pay its payees
    in the same hour; or its own visits elsewhere): fans
    of one category who browse its items in a session, and meet in the same hours by
    chance, are no group; a ring's
    items that no one else co-visits keep their chances, and members who come together
    window after window keep their evidence. The price: a block that joins a ring's
    rare objects to popular ones that its members share too (a second object column
    of few values, a category beside the item) is judged with the popular ones' chance
    acts, and may fall short; and a crowd that each takes every item of a new bundle
    of two or more in its launch hour, nobody after, can be a group of part of it (19-23
    of 60 in 4 of 4 draws): the block drains the items' audience in that hour, so the
    popularity its entry is judged by, read from the rest, makes entering them look
    improbable (one item's queue, however large, is still no group).
    A member the expansion adds to such a group (an entity the peeling left out that
    shares two of its acts) is judged the same way: its acts must be improbable by its
    own visits in the group's windows, not only by its volume over the whole log (a user
    busy in one of the ring's hours is no member).

    Both tests read a window against the other entities active in it, so a population
    on its own schedule (another time zone, a night shift, a weekend crowd) fills the
    same hours and favours the same objects there as if together. A lockstep block is
    a group only if its members' visits to its objects also fall in its windows more
    than their own habits place them there: each entity of the objects' audience
    visits them as often as it does over the log, each visit in a half window drawn
    from its own active windows by hour of day and day of week (counted away from its
    visits in the block's windows, plus one as the log's), the members' visits there
    judged over the audience at 10 ** -threshold (``oddseq.graph._schedule``). A ring
    meets on the days of its rounds, which no habit explains; a ring that meets every
    day at the hours its members keep anyway has only its objects to show.

    A lockstep block of people who meet for content that other crowds meet on too, a
    couple of times, at a human pace, is a team, no group (``oddseq.graph._teams``;
    its members leave the search as a group's do): its median member is no part of at
    least three of the bursts on its median object; its median member meets others of
    it in at most two sittings of the log; and in its windows its members' gaps are as
    irregular as a memoryless pace's, no more than a fifth of them at a script's pace.
    A game's raid guilds meet so (every null of independent entities is right that
    they meet beyond chance); a ring on items of its own, a multiboxer's accounts at a
    script's pace on the same content, a ring that works its rounds on a popular zone
    night after night stay groups.

    A lockstep block of its objects' crowd (strangers who each take a drop's, a
    launch's or a push's objects in its hours) is no group (``oddseq.graph._crowd``):
    the median object is taken beyond the block's lockstep reach (before the members'
    last act on it less a window, or after their first plus a window) by at least half
    as many others as the block has members; its median member meets others of it in
    one sitting of the log; and no more than a fifth of its members pace like
    a script, and where most of them say how they pace, their gaps are as irregular as
    a memoryless pace's (an alt army levelling on a day or two on quests every player
    takes is no crowd). The peeling cuts such a crowd into blocks by the time grid, each
    its objects' whole audience in its own windows, which the null of independent
    entities takes for a group; a ring's mates the grid cut act within a window of the
    block, so its objects, if nobody else takes them, read 0 however it is cut.

    A lockstep block is judged on the acts its members share: an act (an object in a
    window) on which fewer than two of its members act is no evidence that they act
    together (a popular object's crowd the peeling took in for its burst, through the
    members' other columns or through entities that are no members), and leaves the
    block before the tests, the members judged again without it.

    The peeling keeps a lockstep column for its burst and its edges inside the block,
    blind to its audience outside it: a popular object's crowd that two members join in
    one hour would bring the crowd's chance acts into the block's test, weakening the
    group's evidence (or hiding the group) though it says nothing about it. So a
    lockstep block is judged without such acts (an object in a window), tried in order
    of the members' share of their audience, least first, each left out while the block
    without it is more significant (the count of tests allows any choice of columns);
    a popular object's acts joined to a ring's rare items leave it the same way.

    A lockstep group whose members' acts, once those acts have left, fall apart into
    parts is judged part by part: two of its acts (an object in a window) are of one
    part when at least two members, and at least half of the smaller act's members, act
    in both (a ring's members act together on the same objects again and again; one
    entity, or a few, that act with two separate crowds do not join them). The parts
    that are groups on their own are the groups: two rings joined through a popular
    object's window that members of each share are judged apart (one test would pool
    their objects), and a guild's raid nights that a raider's kill in an alt army's hour
    tied to the army's quest chain leave the army's group (held-out game 361 of 20,000
    players: 165 raiders in ring and army groups, 11 now). A part that is no group
    leaves the group, its members back in the search; where no part is a group, the
    group stays whole. A block that is no group as a whole is not searched for groups
    among its parts; the parts count as the one group they came from against
    ``max_groups``.

    Parameters
    ----------
    method : {"auto", "temporal", "static", "both"}, default="auto"
        ``auto``: temporal when the events have times, else static. On shop logs the
        static graph also holds blocks of shared taste (fans of one niche category
        browse the same few items on different days), which a degree-based null model
        cannot tell from collusion; acting in the same window is the stronger evidence.
        ``both`` runs both and keeps each entity's highest-scoring group.
    window : float, str or Timedelta, default="1h"
        Width of the lockstep time bins (temporal method): seconds or "30min", "1h".
    c : float, default=5.0
        FRAUDAR's constant in the column weight 1 / log(degree + c); > 1.
    min_members : int, default=3
    threshold : float > 0, default=2.0
        Least significance (log10 units) of a group.
    max_groups : int or None, default=None
        Most groups per method (None: 20, or one per 1,000 entities of the log where
        that is more, at most 100: ``max_groups_``; an int is the user's cap): the
        max_groups most significant of the groups the
        search finds (the others stay in ``candidates_`` with ``is_group`` False;
        once a group is out of the max_groups strongest, its entities return to the
        search, so a later block may still hold them), not the first ones it meets:
        the peeling meets
        blocks in order of weighted density, not of significance, so which groups a
        cap on the first ones kept depended on where it fell. The search goes on
        past the cap until ``patience`` stops it, the graph is spent, or it has met
        ``5 * max_groups + 4 * patience`` blocks; once it has found max_groups groups,
        a block no more significant than the weakest of the max_groups strongest
        cannot be kept, and is no group (it counts against patience, and is spared
        the tests that could only lower its significance). A group found apart into
        parts (each a group of its own) counts once, as strong as its strongest part,
        so a method may return a few more than this. The default grows with the log
        because its groups do: with 20, shops of 60,000 and 100,000 users with 30 and
        40 rings got 20 groups that held 190 of 323 and 209 of 463 ring members; with
        60 and 100, 310 and 432 (no other member in any group; no group on such a
        shop with nothing planted). It grows the raid groups of a large game log too
        (the null model reads players who raid together as a group).
    patience : int, default=3
        Stop a method after this many blocks in a row that are not groups (a block
        denser than its objects' popularity explains but explained by its entities' own
        activity, a crowd of users active then, a block of its objects' crowd, or a
        segment of the population (``max_share``), is no miss: the search goes on
        past it, and past a launch evening's blocks to the rings behind them; a
        crowd's blocks of one object each, up to 4 * patience of them since the last
        group). A crowd's blocks on several objects that the
        first null passes and its own members' activity does not explain are misses:
        the search can stop on them before a ring; ``search_ends_`` says where it
        stopped. A larger patience reaches further down the blocks, and
        lists what the null takes for groups there too (a betting log's first three
        blocks no group, trial s48: 0 groups at 3, 6 at 10, every one of them tipster
        followers or an in-play crowd). From the one call: ``detect_anomalies(...,
        groups=GroupDetector(patience=10))``, ``oddseq detect --group-patience 10``.
    min_burst : float, default=2.0
        Temporal method: an (object, window) column counts only if that many distinct
        entities on the object within the window is this unlikely (-log10 of a Poisson
        tail, the object's entities spread over time like all activity); its weight is
        that surprise. Popular objects at busy hours so weigh nothing. >= 0; 0 keeps every
        column.
    min_lift : float, default=5.0
        Temporal method: a column also needs at least this many times the entities
        expected in its window. Popular objects vary more than a Poisson count between
        windows (a few thousand viewers make a busy hour surprising but not lockstep);
        a group acting together is many times the expectation. 0 (the filter off) or
        >= 1.
    max_share : float in (0, 1) or None, default=0.05
        A group of at least this share of the entities read (and of at least 100) is a
        segment of the population, not a ring: no group (``why_not`` "a segment"), its
        members scored alone and searched again with the others they act with
        elsewhere (its objects leave the search, as any block's do).
        Ordinary users who share a service's pool of values are such blocks: a mobile
        carrier's customers behind its shared addresses (CGNAT, 100.64.0.0/10), read
        with ``group_by=["device_id", "ip"]``, were five groups of 294-486 of a social
        platform's 3,000 accounts and 68.6% of them flagged (TR s66); the planted rings
        and farms of every labelled source are under 1% of their logs. A phone farm whose
        accounts are also the carrier's customers is taken into the segment with its
        phones: ``group_by=["device_id"]`` finds it. None keeps every block however
        large (the one call then warns of groups of 5% or more).
    n_threads : int, optional

    Attributes
    ----------
    groups_ : DataFrame
        One row per group (index ``group``, 0, 1, ...): ``method``, ``n_members``,
        ``n_objects``, ``n_edges`` (the members' acts on the group's objects),
        ``density`` (FRAUDAR's weighted density), ``expected_edges`` (under the null
        model: one act per member and the excess expected), ``log10_p``, ``log10_tests``,
        ``significance``, ``start``, ``end`` (first and last event of the members on
        the group's objects), ``members`` and ``objects`` (lists of ids and labels),
        ``held_by``: ``"acts"`` where the members' acts on the group's objects beat the
        nulls, ``"meetings"`` where the null of their own activity explains those acts
        but they also start sessions together, away from the group's windows, beyond
        their own hours and days (``explain`` says which; the figures of the row are
        then the weaker of the tests it passed).
    candidates_ : DataFrame
        Every block the peeling found, groups or not, with the same columns,
        ``is_group`` (whether it is one of ``groups_``: a block that passed the tests
        but falls outside the ``max_groups`` most significant is not) and ``why_not``
        (missing for a group, else "a team", "a crowd", "a segment" (``max_share``),
        "too few members", "one object", "not significant" or "past max_groups": a
        team, a crowd or a segment can be far beyond the null, even ``significance``
        inf).
    group_edges_ : DataFrame
        Per group, member and object: ``count`` of events, ``first`` and ``last`` time.
    group_acts_ : DataFrame
        The members' acts in each group, one row an event: ``group``, ``entity``,
        ``object``, ``time`` and ``in_block`` (``group_edges_`` sums those): their
        events on the group's objects (for a lockstep group, in its windows), and for a
        lockstep group their events within ``window`` of another member's on the same
        object (a round the block left out), not a member's visit on its own.
        :func:`oddseq.detect_anomalies` with sessions makes members of the sessions
        that hold them.
    entity_ids_ : pandas.Index
    max_groups_ : int
        The most groups per method this fit kept: ``max_groups``, or the default's
        count for the log.
    search_ends_ : dict
        Per method searched (``"static"``, ``"temporal"``): where its search ended,
        ``{"end": ..., "blocks": n}`` after n blocks: ``"patience"`` (``patience``
        blocks in a row that were no group: blocks the peeling had not reached yet may
        hold groups; a larger ``patience`` searches on), ``"spent"`` (no block left) or
        ``"most blocks"`` (``5 * max_groups_ + 4 * patience``).
    decision_scores_ : ndarray
        Per entity: the largest ``significance * share`` over its groups (share: the
        part of the group's acts it took), and over the groups it is tied to by fewer
        acts than a member needs (an associate: one of a ring's rounds only), 0 for
        entities with no tie to any group.
    labels_ : ndarray of 0/1
        1 for members of a group.
    group_labels_ : ndarray of int
        The group of each entity (its highest-scoring one), -1 for none.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from oddseq.graph import GroupDetector
    >>> rng = np.random.default_rng(0)
    >>> users = np.repeat(np.arange(2000), 10)  # 2000 users, 10 random items each
    >>> items = rng.integers(0, 20000, users.size)
    >>> ring = np.repeat(np.arange(8), 4), np.tile([90001, 90002, 90003, 90004], 8)
    >>> log = pd.DataFrame({"user": np.concatenate([users, ring[0]]),
    ...                     "item": np.concatenate([items, ring[1]]),
    ...                     "ts": np.arange(users.size + ring[0].size)})
    >>> det = GroupDetector(method="static").fit(log, entity="user", object="item",
    ...                                          time="ts")
    >>> det.groups_["members"].tolist()
    [[0, 1, 2, 3, 4, 5, 6, 7]]
    >>> det.group_of([0, 9]).tolist()
    [0, -1]
    """

    def __init__(
        self,
        method: str = "auto",
        window="1h",
        c: float = 5.0,
        min_members: int = 3,
        threshold: float = 2.0,
        max_groups: int | None = None,
        patience: int = 3,
        min_burst: float = 2.0,
        min_lift: float = 5.0,
        max_share: float | None = SEGMENT_SHARE,
        n_threads=None,
    ):
        self.method = method
        self.window = window
        self.c = c
        self.min_members = min_members
        self.threshold = threshold
        self.max_groups = max_groups
        self.patience = patience
        self.min_burst = min_burst
        self.min_lift = min_lift
        self.max_share = max_share
        self.n_threads = n_threads

    # ---------------------------------------------------------------- validation
    def _check_params(self):
        if self.method not in _METHODS:
            raise ValueError(f"method must be one of {list(_METHODS)}, got {self.method!r}")
        window_ns = duration_ns(self.window, "window")
        c = self.c
        if isinstance(c, bool) or not isinstance(c, numbers.Real) or not np.isfinite(c) or c <= 1:
            raise ValueError(f"c must be a finite number > 1 (log(degree + c) > 0), got {c!r}")
        for name, least in (("min_members", 2), ("max_groups", 1), ("patience", 1)):
            value = getattr(self, name)
            if name == "max_groups" and value is None:
                continue  # the default: it follows the log's entities (see fit)
            what = ""
            if name == "max_groups":  # None too, the default
                what = ", or None (the default: 20, or one per 1,000 entities, at most 100)"
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name} must be an int >= {least}{what}, got {value!r}")
            if value < least:
                raise ValueError(f"{name} must be an int >= {least}{what}, got {value}")
        # -log10 of a chance: 0 is a chance of 1, so a group needs threshold > 0 (at 0 or
        # below every block the peeling finds would be one); min_burst 0 keeps every
        # column (the filter off).
        Real(0, None, closed="neither", finite=True, note=_THRESHOLD_NOTE).check(
            self.threshold, "threshold"
        )
        Real(0, None, finite=True, note="log10 units; 0 turns the filter off").check(
            self.min_burst, "min_burst"
        )
        lift = self.min_lift
        # A lift is a multiple of the entities a window expects: below 1 it would keep
        # columns quieter than expected, which no burst is; 0 turns the filter off.
        if isinstance(lift, bool) or not isinstance(lift, numbers.Real):
            raise TypeError(f"min_lift must be 0 (the filter off) or a number >= 1, got {lift!r}")
        if not (lift == 0 or (lift >= 1 and np.isfinite(lift))):
            raise ValueError(
                "min_lift must be 0 (the filter off) or >= 1 (times the entities expected "
                f"in the window), got {lift!r}"
            )
        if self.max_share is not None:
            Real(
                0, 1, closed="neither", note="a share of the entities, or None to keep every block"
            ).check(self.max_share, "max_share")
        return window_ns, resolve_threads(self.n_threads)

    # ---------------------------------------------------------------- fitting
    def fit(
        self,
        X,
        y=None,
        *,
        entity=None,
        object=None,
        time=None,
        time_unit: str = "s",
        time_format=None,
        dayfirst=None,
    ):
        """Find the groups.

        Parameters
        ----------
        X : pandas.DataFrame or Sequences
            An event log, or Sequences built with ``item=`` (their items are the
            objects; sequences are the entities).
        y : ignored
        entity : str
            DataFrame column of the entity (user, session).
        object : str or list of str
            DataFrame column(s) of what entities share: items, devices, IPs, cards,
            addresses. Missing values are skipped; a column that is all missing is an
            error.
        time : str, optional
            DataFrame column of the times; without times the temporal method finds
            nothing (with a warning).
        time_unit : {"s", "ms", "us", "ns"}
            Unit of numeric times.
        time_format : str, optional
            strftime format of text dates (``"%d/%m/%Y %H:%M:%S"``), or pandas'
            ``"ISO8601"`` / ``"mixed"``; None infers it.
        dayfirst : bool, optional
            For text dates like ``01/12/2017``: True reads day/month, False month/day;
            None decides from the data and refuses when nothing decides.

        Returns
        -------
        self
        """
        window_ns, threads = self._check_params()
        ev = events_for_graph(
            X,
            entity=entity,
            object=object,
            time=time,
            time_unit=time_unit,
            time_format=time_format,
            dayfirst=dayfirst,
            n_threads=self.n_threads,
        )
        self._events = ev
        # (naive times: a group's window said on the log's clock, not as UTC's; kept past
        # the fit, which drops the events)
        self._naive_clock = bool(getattr(ev, "naive", False))
        self._window_ns = window_ns
        self._object_share = None  # each object's share of all acts, read when needed
        self._time_order = None  # the events' order in time, built when needed
        self._session_starts = None  # each entity's session starts (graph/_synchrony.py)
        method = self.method
        has_times = ev.times is not None and len(ev.times) > 0
        if method == "auto":
            method = "temporal" if has_times else "static"
        temporal = method in ("temporal", "both")
        if temporal and not has_times:
            warnings.warn(
                "the events have no times, so the temporal method finds no lockstep "
                "groups; pass time=... (or Sequences with times)",
                DataWarning,
                stacklevel=user_stacklevel(),
            )
            temporal = False
        n_rows, n_objects = len(ev.ids), len(ev.object_labels)
        # (a block of at least this many members is a segment: see max_share)
        self._segment_floor = segment_floor(self.max_share, n_rows)
        self.max_groups_ = (
            _default_max_groups(n_rows) if self.max_groups is None else int(self.max_groups)
        )
        binning = self._binning(ev.times, window_ns) if temporal else (0, 1, 1, 1)
        # The events arranged by object (rows ascending, with their time bins): both
        # graphs come from it in C++ without materialising entity x object x bin keys.
        bins = None
        if temporal:
            t0, n_bins, window, half = binning
            bins = _core.TimeBins(times=ev.times, t0=t0, window=window, half=half, n_bins=n_bins)
        by_object = _core.events_by_object(ev.offsets, ev.keys, ev.n_keys, n_objects, bins, threads)
        static_graph = None
        if method in ("static", "both"):
            by_col = _core.distinct_rows(by_object.offsets, by_object.rows, threads)
            by_row = _core.graph_transpose(by_col.offsets, by_col.rows, n_rows, threads)
            static_graph = _PeelGraph(
                by_row.col_offsets, by_row.row_of, by_col.offsets, by_col.rows
            )
        lockstep = None
        if temporal:
            self._bins = binning
            lockstep = self._lockstep_graph(by_object, n_rows, binning, threads)
        del by_object
        candidates = []
        self.search_ends_ = {}
        if static_graph is not None:
            object_degree = np.diff(static_graph.col_offsets)
            weight = fraudar_weights(object_degree, float(self.c))
            candidates += self._peel(
                static_graph,
                static_graph.row_degree,
                object_degree,
                static_graph.n_edges,
                "static",
                None,
                weight,
                threads,
            )
            del static_graph
        if lockstep is not None:
            graph, row_degree, col_degree, n_edges, decode, weight, units, places = lockstep
            candidates += self._peel(
                graph,
                row_degree,
                col_degree,
                n_edges,
                "temporal",
                decode,
                weight,
                threads,
                units=units,
                places=places,
            )
        self._finish(ev, candidates)
        self._session_starts = None
        return self

    @staticmethod
    def _binning(times, window_ns: int):
        """(t0, n_bins, window, half): the first grid's bins of ``window`` from the first
        time, the second grid's shifted by half a window."""
        t0 = int(times.min())
        half = max(window_ns // 2, 1)
        n_bins = (int(times.max()) - t0) // window_ns + 2
        if n_bins > 2**31:
            raise ValueError(
                f"window={window_ns} ns cuts the {int(times.max()) - t0} ns the events span "
                f"into {n_bins:,} bins, more than 2**31; use a wider window"
            )
        return t0, n_bins, window_ns, half

    def _lockstep_graph(self, by_object, n_rows: int, binning, threads: int):
        """The searched part of the entity x (object, time bin) graph over two grids of
        bins: the columns that pass the burst tests, their burst weights, and the
        degrees of the whole graph that the null model needs."""
        t0, n_bins, window_ns, half = binning
        # Each bin's share of all activity (events), per grid.
        share = by_object.bin_counts / max(int(by_object.bin_counts[0].sum()), 1)
        self._bin_share = share  # the null model of returns reads it too
        found = _core.lockstep_columns(
            by_object.offsets,
            by_object.rows,
            by_object.codes,
            n_rows,
            np.ascontiguousarray(share, dtype=np.float64),
            float(self.min_lift),
            threads,
        )
        # Burst weight: how unlikely so many of the object's entities are in this bin;
        # the C++ pass kept the columns with two entities and the lift.
        surprise = poisson_surprise(found.col_degree, found.col_expected)
        keep = np.flatnonzero((surprise >= float(self.min_burst)) & (surprise > 0))
        weight = np.ascontiguousarray(surprise[keep])
        col_degree = found.col_degree[keep]
        col_offsets = np.concatenate([[0], np.cumsum(col_degree)]).astype(np.int64)
        row_of = np.ascontiguousarray(found.members[_ranges(found.member_offsets, keep)])
        by_row = _core.graph_transpose(col_offsets, row_of, n_rows, threads)
        graph = _PeelGraph(by_row.col_offsets, by_row.row_of, col_offsets, row_of)
        col_object, col_slot = found.col_object[keep], found.col_slot[keep]

        def decode(c):
            obj, slot = col_object[c], col_slot[c]
            grid, b = slot & 1, slot >> 1
            start = t0 + b * window_ns - grid * half
            return obj, start, start + window_ns, (obj * n_bins + b) * 2 + grid

        places = 2 * (col_slot >> 1) - (col_slot & 1)
        return (
            graph,
            found.row_degree,
            col_degree,
            int(found.n_edges),
            decode,
            weight,
            col_object,
            places,
        )

    def _peel(
        self,
        graph,
        row_degree,
        col_degree,
        n_edges: int,
        method: str,
        decode,
        weight,
        threads: int,
        units=None,
        places=None,
    ) -> list:
        # The null model sees every edge of the whole graph (entities with the same total
        # degrees: row_degree, col_degree, n_edges); the search, and so the count of blocks
        # it could have tried, only the weighted columns (the graph given). It counts acts
        # on objects: a lockstep column is an (object, bin) of one of two grids (units:
        # each column's object, places: its place in time), so each act is an edge of
        # each grid and the degrees in acts are half the graph's.
        if units is None:
            unit_row_degree, unit_edges = row_degree, n_edges
        else:
            unit_row_degree, unit_edges = row_degree / 2.0, n_edges / 2.0
        population = np.unique(unit_row_degree, return_counts=True)

        def judge(rows, row_hits, degrees, n_units, members_too=True):
            # An entity can act on a lockstep block as often as the block holds acts
            # (an object in each of its windows), not once per object.
            return block_significance(
                unit_row_degree[rows],
                degrees,
                unit_edges,
                n_rows,
                n_cols,
                int(row_hits.sum()),
                member_edges=row_hits,
                population=population,
                capacity=None if units is None else n_units,
                members_too=members_too,
            )

        def own_law(rows, row_hits, degrees, n_units):
            """Whether each entity's acts on a block's objects are improbable by its own
            volume: P(h >= its acts) for h ~ Binomial(n_units, lam / n_units), lam its
            expected acts on the objects under the null model (its degree times their
            share of all edges), below 10 ** -threshold shared among the entities
            judged (Bonferroni)."""
            if rows.size == 0:
                return np.zeros(0, dtype=bool)
            lam = np.minimum(unit_row_degree[rows] * (float(degrees.sum()) / unit_edges), n_units)
            # P(h >= k) for h ~ Binomial(n, q) is the regularized incomplete beta
            # I_q(k, n - k + 1) (1 <= k <= n; a ufunc, no per-call overhead).
            k = np.clip(row_hits, 1, n_units).astype(np.float64)
            with np.errstate(divide="ignore"):
                log10_sf = np.log10(betainc(k, n_units - k + 1.0, lam / n_units))
            return log10_sf <= -float(self.threshold) - np.log10(rows.size)

        def judged_block(rows, cols):
            """The block's members (at least two acts each on its objects, CopyCatch's
            rule, and acts improbable by their own volume), their acts, the test of the
            conditioned null model and what it read."""
            row_hits, n_units = _member_acts(graph, rows, cols, units, places)
            need = min(2, n_units)
            if (row_hits >= need).any():
                rows, row_hits = rows[row_hits >= need], row_hits[row_hits >= need]
            col_unit_degree = _unit_degrees(col_degree, cols, units, places)
            # A member's acts on the block's objects must be improbable by its own
            # volume (an entity that acts on everything, a crawler, has two on any
            # block's objects): those its volume explains leave the block.
            keep = own_law(rows, row_hits, col_unit_degree, n_units)
            if keep.any():
                rows, row_hits = rows[keep], row_hits[keep]
            stats = judge(rows, row_hits, col_unit_degree, n_units, members_too=False)
            return rows, row_hits, n_units, need, col_unit_degree, stats

        def assess(rows, cols, least=None, synchrony=True, n_parts=1):
            """A block (or a part of one) judged as the loop has always judged it:
            its acts left out, its members, the tests, and whether it is a group
            (no side effects: the expansion happens after). Past the cap a group must
            also beat ``least`` (default ``bar``: the weakest of the max_groups
            strongest found). ``n_parts``: the connected parts of the block this one
            is of (the synchrony test counts a test for each)."""
            least = bar[0] if least is None else least
            own = None
            # Members act on at least two of the group's objects (CopyCatch's rule;
            # on a block of one object, everyone): one shared act is what the
            # object's popularity explains.
            # (Counted from the block's rows' edges; the columns' whole audience is
            # read only for a group's expansion.)
            block_rows = rows
            judged_now = judged_block(rows, cols)
            # An act (an object in a window) that fewer than two of the members
            # share is no evidence that they act together: a popular object's
            # crowd the peeling took in for its burst, on which no member (or one)
            # acts, would make the null model explain its chance acts in every
            # entity active in its window. Such acts leave the block first.
            cols, judged_now = self._shared(
                graph, block_rows, cols, units, places, judged_block, judged_now
            )
            # The peeling keeps a column for its weight inside the block, blind to
            # the column's audience outside it: two members who join a popular
            # object's crowd in one hour bring its burst (and its crowd's chance
            # acts, which the null model must then explain in every entity) into
            # the block. Such a column is no evidence of the group; the block is
            # judged without each of its acts (an object in a window) whose removal
            # makes it more significant (the test's count of blocks allows any
            # choice of columns), the members' least share of an act's audience
            # tried first.
            cols, judged_now = self._prune(
                graph, block_rows, cols, units, places, col_degree, judged_block, judged_now
            )
            rows, row_hits, n_units, need, col_unit_degree, stats = judged_now
            # Whether the whole population's test alone passes it: a block that only the
            # members' own test passes and their activity explains ends the search as
            # any block that is no group does (a miss), or a log of heavy entities is
            # searched to the limit of blocks, each judged on their activity (trial s45:
            # 3 M plays of 6,000 accounts, 2.5 s -> 8.5 min).
            population_passed = stats["significance"] >= max(self.threshold, least)
            # The verdict also reads the members' own excess (the search's choices above
            # compare blocks on the whole population's).
            stats = judge(rows, row_hits, col_unit_degree, n_units)
            # A group shares at least two objects (CopyCatch's rule), or in lockstep
            # comes back together in at least three windows to one object whose
            # returning audience it mostly is; then it must also beat the null model of
            # returning to that object (its audience's own returns and busy
            # windows): entities that come back to one item they like are not acting
            # together, nor is the crowd that returns to a popular item at each of
            # its restocks (its popularity there, which one object cannot tell
            # from a group; a second object can).
            # One event is one act: with several object columns, the objects are
            # counted by the events that act on them (pair_objects): one item and its
            # own category are one object, judged as one on the item's own acts.
            finest, n_windows = cols, n_units
            if units is None:
                n_objects = cols.size
            else:
                n_objects, finest = pair_objects(
                    self._events, self._bins, rows, cols, units, places, col_degree
                )
                if finest.size < cols.size:  # the one object's acts (its windows)
                    n_windows = _acts(
                        np.zeros(finest.size, np.int64), units[finest], places[finest]
                    ).size
            one_object = units is not None and n_objects == 1 and n_windows >= 2
            owned = False
            if one_object and rows.size >= self.min_members:
                if stats["significance"] >= max(self.threshold, least):
                    again, owned = self._return_stats(rows, finest, units, places, n_windows)
                    stats = self._weaker(stats, again)
            returns = one_object and owned and n_windows >= _RETURN_WINDOWS
            # A lockstep group on several objects must also beat the null model of
            # its entities' own activity: each entity's acts in each window given
            # (when it is active, on how many objects), each on an object as often
            # as the object's share of the others' acts there. Independent users of
            # a shop of a few items hit every item in each hour they are active;
            # that explains their acts there, where the lockstep columns' degrees,
            # spread over all windows, do not.
            active = units is not None and n_objects >= 2 and n_units >= 2
            judged = (np.sort(rows), row_hits[np.argsort(rows)])
            if active and rows.size >= self.min_members:
                if stats["significance"] >= max(self.threshold, least):
                    own = self._activity_stats(rows, row_hits, cols, units, places, n_units)
                    if _SYNCHRONY and synchrony and own["significance"] < self.threshold:
                        # Explained by the members' own activity: still a group if its
                        # members log in together beyond their routines; the group is
                        # then those who take part in the meetings that hold it.
                        own, core = _synchrony.rescue(self, rows, cols, places, own, n_parts)
                        if core is not None:
                            rows, row_hits = rows[core], row_hits[core]
                            judged = (np.sort(rows), row_hits[np.argsort(rows)])
                            # The core is judged as the block was: the members left
                            # out may have carried the acts that made it improbable.
                            stats = judge(rows, row_hits, col_unit_degree, n_units)
                    # A crowd on its own schedule (a time zone, a night shift) is no group.
                    own = schedule_check(
                        self._events, self._bins, rows, cols, units, places, own, self.threshold
                    )
                    stats = self._weaker(stats, own)
            is_group = (
                rows.size >= self.min_members
                and (n_objects >= 2 or returns)
                and stats["significance"] >= self.threshold
                and stats["significance"] > least
            )
            if is_group and active and _TEAMS:
                # People who meet for content that other crowds meet on too, a couple
                # of times, at a human pace, are a team, not a ring: no group, though
                # no null of independent entities explains them (graph/_teams.py).
                # ... or who meet again and again, each time at another place that is
                # others' too (colleagues' lunches; graph/_crowd.py's roams), where the
                # verdict rests on their acts on the objects: a group held by its
                # meetings (sessions begun together beyond their routines, on a popular
                # zone's objects, test_graph_synchrony) is not read by its objects
                held_by_meetings = own is not None and own.get("meetings") is not None
                if _teams.team(self, graph, rows, cols, units, places)["team"] or (
                    not held_by_meetings and _crowd.roams(self, rows, cols, units, places)["roams"]
                ):
                    is_group = False
                    own = {**own, "team": True}
            if is_group and active and _CROWD:
                # Strangers who each take a drop's or a launch's new objects in its hours
                # are the objects' audience there, not a ring (graph/_crowd.py).
                if _crowd.crowd(self, rows, cols, units, places)["crowd"]:
                    is_group = False
                    own = {**(own or {}), "crowd": True}
            if is_group and rows.size >= self._segment_floor:
                # A group of max_share of the entities or more is a segment of the
                # population, not a ring (a carrier's customers on its pool of
                # addresses; see max_share): no group, its members still searched.
                is_group = False
                own = {**(own or {}), "segment": True}
            if own is not None:
                own = {**own, "_population_passed": population_passed}
            return (
                block_rows,
                cols,
                rows,
                row_hits,
                n_units,
                need,
                col_unit_degree,
                stats,
                n_objects,
                returns,
                active,
                judged,
                own,
                is_group,
            )

        # The columns the search began with, for the activity test's count of the
        # windows a block could take (_visit_stats): every window where its members
        # meet on its objects over a searched column, taken by an earlier block or not.
        # (Only the windows left, the loop's copy below, made a small town's commuters a
        # group: a population peeled block after block leaves a later block the windows
        # the earlier ones did not take, each of its riders meeting the others there
        # too, and its choice of them then cost 10.7 tests where it cost 29.5 (review
        # RV s65 M3; tests/python/graph/test_groups_closed_market_s61.py, draws 1 and
        # 2). A ring meets in the windows it took and pays nothing for them either way.)
        self._first_columns = (weight, units, places) if units is not None else None
        searched = _rows_with((weight > 0)[graph.cols], graph.offsets)
        n_rows = int(searched.sum())
        n_cols = int((weight > 0).sum())
        self._n_searched_cols = n_cols
        # Where this method's search ended, and after how many blocks (search_ends_).
        self.search_ends_[method] = {"end": "spent", "blocks": 0}
        if n_rows == 0:
            return []
        col_offsets, row_of = graph.col_offsets, graph.row_of
        alive = np.ascontiguousarray(searched, dtype=np.uint8)
        taken = np.zeros(graph.n_rows, dtype=bool)
        # Each block found leaves the search by its columns: a group's members and every
        # block's columns are taken out, so an entity in a crowd that is no group (the
        # queue at a drop) is still searched with the others it acts with elsewhere.
        weight = weight.copy()
        # The search goes on past max_groups (the peeling meets blocks in order of
        # weighted density, not of significance) and the max_groups most significant
        # of the groups it found are kept after it: which groups come out then does not
        # depend on where a cap on the first ones would fall.
        misses, crowd_run, out = 0, 0, []
        # Once max_groups groups are found, a block no more significant than the weakest
        # of the max_groups strongest (``bar``; ties go to the group found first) cannot
        # be kept: it is no group (a miss against patience), and it is not put to the
        # tests of its entities' activity and returns (its significance only falls
        # there), which cost most of the search past the cap.
        strength, bar = {}, [-np.inf]
        # A group pushed out of the max_groups strongest is no group (the bar only
        # rises, so it never comes back): its members return to the search, as an
        # entity in any block that is no group does, so a stronger block may still
        # hold them (``group_rows``: each group's members, by the block and part found).
        group_rows = {}
        most_blocks = 5 * self.max_groups_ + 4 * self.patience
        for block_no in range(most_blocks):
            self.search_ends_[method] = {
                "end": "most blocks" if block_no == most_blocks - 1 else "spent",
                "blocks": block_no + 1,
            }
            block = _core.peel_densest(
                graph.offsets, graph.cols, col_offsets, row_of, weight, alive, threads
            )
            if block.rows.size == 0 or block.cols.size == 0 or block.density <= 0:
                self.search_ends_[method] = {"end": "spent", "blocks": block_no}
                break
            any_group = False
            explained = False
            n_before = len(out)
            # A block may join separate dense parts (the peeling keeps both when their
            # densities are close): each connected part is judged on its own.
            components = _components(graph, block, weight)
            lone_crowd = False  # a part no miss as one object's crowd
            grown_cols = []  # the columns of grown blocks that were groups
            grown_part = None  # the grown block judged in place of a part, if any
            for part_no, (rows, cols, _, _, density) in enumerate(components):
                judged_parts = [(assess(rows, cols, n_parts=len(components)), density)]
                # A group whose members' acts (once the acts that are no evidence of it
                # have left) fall apart into parts (acts linked by the members they
                # share: _member_parts) is the parts that are groups: two rings joined
                # through a popular object's window that members of each share (one test
                # would pool their objects and count blocks of all of them), an alt army
                # beside the raid guild one raider's kill in its hour tied to it. A
                # block that is no group as a whole is searched for groups among its
                # parts only where its members' activity explains it (below), and where
                # no part is a group the block stays whole. The parts
                # count as one group against max_groups, as the group they came from
                # (``found``: the block and its connected part).
                whole = judged_parts[0][0]
                whole_rows, whole_cols, whole_members = whole[:3]
                # A block its members' own activity explains may still hold a group
                # among its parts: bots that meet on the hottest pages around the clock
                # and a sock ring on pages of its own, peeled together (trial s44b H1),
                # are judged whole against the bots' activity; the ring, apart, is a group.
                own_whole = whole[12]  # assess's ``own``: the activity test's reading
                explained_whole = (
                    _PARTS_OF_EXPLAINED
                    and not whole[-1]
                    and own_whole is not None
                    and not own_whole.get("team")
                    and not own_whole.get("crowd")
                    and not own_whole.get("segment")  # (a segment's parts are no group)
                )
                if (whole[-1] or explained_whole) and units is not None:  # lockstep
                    parts = _member_parts(graph, whole_members, whole_cols, weight, units, places)
                    held = np.zeros(graph.n_rows, dtype=bool)
                    split = []
                    for part_cols, part_density in parts:
                        # the block's rows with an edge on the part's columns
                        held[:] = False
                        held[graph.row_of[_ranges(graph.col_offsets, part_cols)]] = True
                        # (Whether a group is found apart does not depend on the cap:
                        # its parts are judged without the bar, and it counts as its
                        # strongest part.)
                        # (nor the synchrony test: a part it would hold would split
                        # a group its acts hold whole)
                        part = assess(whole_rows[held[whole_rows]], part_cols, -np.inf, False)
                        split.append((part, part_density))
                    if any(part[-1] for part, _ in split):
                        # The parts that are groups are the group; a part that is no
                        # group leaves it (a guild's raid nights, a team, beside an alt
                        # army's quest chain), its members back in the search.
                        judged_parts = split
                # A block that is no group, and that its tests did not read as a team
                # or a crowd (those on one object are not read so here), may be a ring's
                # densest columns: its members' other shared acts in its windows (a
                # ring's second and third item in its rounds) are judged with it, and
                # the grown block is the group where it is one. (Judged twice, the
                # block and the grown block: the choice counted as log10 2 more tests.)
                # Only a block its tests read within the threshold of a group (at least
                # -threshold): a ring's part falls short on its objects or members, not
                # on its evidence; a block they explain by far is a population's (a
                # mobile app's users on its feed, -18, grown by a product they browse
                # in the app, were a group of 144 on the held-out web log). And only
                # one that comes back, in two windows apart or more: a ring works
                # rounds; a launch hour's crowd on a new item, grown by the other
                # items of its category that half of them browsed minutes later, was
                # a group of 39-62 (tests/python/test_graph_itemcat_s33.py).
                if (
                    _GROW
                    and units is not None
                    and not any(part[-1] for part, _ in judged_parts)
                    and whole_members.size >= 2
                    and whole[7]["significance"] >= -float(self.threshold)
                    and _windows_apart(places[whole_cols]) >= 2
                    and not (own_whole or {}).get("team")
                    and not (own_whole or {}).get("crowd")
                    and not (own_whole or {}).get("segment")
                ):
                    more_cols = _grown_block(
                        graph,
                        whole_members,
                        whole_cols,
                        weight,
                        units,
                        places,
                        partial(self._companions, whole_members, places=places[whole_cols]),
                    )
                    if more_cols is not None:
                        # (held by its acts: not by the members' meetings away from its
                        # windows, which the block as peeled, on one object, was not
                        # put to: a mobile app's users who poll its feed and its
                        # notifications and open it at the same pushes were a group
                        # of 91 that way, the held-out web log)
                        bigger = assess(whole_members, more_cols, None, False, len(components))
                        bigger = (*bigger[:7], _second_look(bigger[7]), *bigger[8:])
                        sig = bigger[7]["significance"]
                        if bigger[-1] and sig >= self.threshold and sig > bar[0]:
                            # (its density the grown block's own: RV s65 L5)
                            grown_density = _block_density(graph, whole_members, more_cols, weight)
                            judged_parts = [(bigger, grown_density)]
                            grown_part, grown_more = bigger, more_cols
                for judged_now, density in judged_parts:
                    (
                        block_rows,
                        cols,
                        rows,
                        row_hits,
                        n_units,
                        need,
                        col_unit_degree,
                        stats,
                        n_objects,
                        returns,
                        active,
                        judged,
                        own,
                        is_group,
                    ) = judged_now
                    if is_group:
                        # Members the peeling left out for a weaker tie (they joined fewer of
                        # the group's acts): every entity not yet in a group that shares at
                        # least two of its objects (all of them when it has one).
                        hits, _ = _unit_hits(graph, cols, units, places)
                        member = (hits >= need) & ~taken
                        member[rows] = False
                        # Each of these must itself be improbable too: by its own volume,
                        # and, where the group was judged on its entities' activity (a
                        # lockstep group on several objects), by its own acts in the
                        # group's windows: an independent user busy in one of a small
                        # shop's hours hits a ring's items there, which its volume over
                        # the whole log does not explain and its acts there do. (The
                        # objects' popularity in those windows is read outside the
                        # members and these candidates: a ring's members the peeling
                        # left out are no crowd of its items.)
                        grown = np.flatnonzero(member)
                        improbable = own_law(grown, hits[grown], col_unit_degree, n_units)
                        if active and grown.size:
                            improbable &= self._active_law(
                                grown, hits[grown], rows, cols, units, places, n_units
                            )
                        refused = grown[~improbable]
                        member[refused] = False
                        member[rows] = True
                        if own is not None and own.get("synchrony"):
                            # (only those who take part in its meetings)
                            member = _synchrony.grow(self, rows, member, cols, places)
                        # Entities tied to the group by fewer acts than members need (one
                        # shared act is what any two visitors of an object may share): not
                        # members, but they score their share of the group's acts.
                        tied = (hits > 0) & ~member
                        tied[refused] = False
                        associates = np.flatnonzero(tied)
                        associate_hits = hits[associates]
                        rows = np.flatnonzero(member)
                        row_hits = hits[rows]
                        if rows.size >= self._segment_floor:
                            # Grown to a segment by the members the peeling left out (see
                            # max_share): no group, its members still in the search.
                            is_group = False
                            own = {**(own or {}), "segment": True}
                        else:
                            taken[rows] = True
                            alive[rows] = 0
                            same = rows.size == judged[0].size and np.array_equal(rows, judged[0])
                            same = same and np.array_equal(row_hits, judged[1])
                            stats = judge(rows, row_hits, col_unit_degree, n_units)
                            if active:
                                if not same and not own.get("synchrony"):
                                    own = self._activity_stats(
                                        rows, row_hits, cols, units, places, n_units
                                    )
                                stats = self._weaker(stats, own)
                            if returns:
                                finest = pair_objects(
                                    self._events,
                                    self._bins,
                                    judged[0],
                                    cols,
                                    units,
                                    places,
                                    col_degree,
                                )[1]
                                n_windows = _acts(
                                    np.zeros(finest.size, np.int64), units[finest], places[finest]
                                ).size
                                again, _ = self._return_stats(
                                    rows, finest, units, places, n_windows
                                )
                                stats = self._weaker(stats, again)
                            if judged_now is grown_part:
                                stats = _second_look(stats)
                            if stats["significance"] < self.threshold:
                                # Its members as found are no group (the block's tests passed
                                # on others): no group, its members back in the search, as
                                # groups_ and group_of must agree.
                                is_group = False
                                taken[rows] = False
                                alive[rows] = 1
                    if not is_group:
                        associates = associate_hits = np.zeros(0, dtype=np.int64)
                    if judged_now is grown_part and (is_group or (own or {}).get("segment")):
                        # (the columns it grew by leave the search with it)
                        grown_cols.append(grown_more)
                    row_edges = row_hits
                    n_block_edges = int(row_edges.sum())
                    any_group |= is_group
                    # Dense beyond the objects' popularity but explained by its entities'
                    # own activity and taste (a crowd of active users): no miss.
                    explained |= (
                        own is not None and not is_group and own.get("_population_passed", True)
                    )
                    # (the first null: the whole population's test; a block that only
                    # the members' own test passes is read as one it rejects)
                    first_rejects = own is None or not own.get("_population_passed", True)
                    lone = _ONE_OBJECT_CROWD and units is not None and n_objects == 1
                    if (
                        _CROWD
                        and not is_group
                        and first_rejects
                        and (active or lone)
                        and _crowd.crowd(self, rows, cols, units, places)["crowd"]
                    ):
                        # A block of a crowd that the first null already rejects (on one
                        # object, a block the activity test did not read) is no miss
                        # either: a launch evening's blocks ended the search before any
                        # ring behind them (tests/python/test_graph_crowd_patience_s33.py);
                        # on one object, up to a bound (_ONE_OBJECT_CROWD_RUN).
                        if active:
                            explained = True
                        else:
                            lone_crowd = True
                    if own is not None and own.get("team"):
                        # A team leaves the search as a group's members do, and is no
                        # miss (the search goes on as past a group), but is no group.
                        alive[rows] = 0
                        any_group = True
                    if decode is None:
                        objects, col_keys = cols, None
                    else:
                        objects, _, _, col_keys = decode(cols)
                    # What holds it: its acts beyond the nulls', or (the null of visits
                    # explaining its acts) its members' meetings beyond their routines.
                    meetings = own.get("meetings") if own is not None else None
                    out.append(
                        {
                            "method": method,
                            "found": (block_no, part_no),
                            "rows": rows,
                            "row_edges": row_edges,
                            "cols": cols,
                            "objects": objects,
                            "col_keys": col_keys,
                            "n_edges": int(n_block_edges),
                            "n_units": n_units,
                            "density": float(density),
                            "is_group": bool(is_group),
                            "associates": associates,
                            "associate_edges": associate_hits,
                            **stats,
                            "held_by": "meetings" if meetings is not None else "acts",
                            "meetings": meetings,
                            "why_not": _why_not(
                                self, is_group, own, rows.size, n_objects, returns, stats
                            ),
                        }
                    )
            weight[block.cols] = 0.0
            for more in grown_cols:
                weight[more] = 0.0
            for cand in out[n_before:]:
                if cand["is_group"]:
                    key = cand["found"]
                    strength[key] = max(strength.get(key, -np.inf), cand["significance"])
                    group_rows.setdefault(key, []).append(cand["rows"])
            if len(strength) >= self.max_groups_:
                ranked = sorted(strength, key=lambda key: -strength[key])  # stable
                bar[0] = strength[ranked[self.max_groups_ - 1]]
                for key in ranked[self.max_groups_ :]:
                    for rows in group_rows.pop(key, ()):
                        taken[rows] = False
                        alive[rows] = searched[rows]
            if any_group:
                misses = crowd_run = 0
            else:
                if lone_crowd and not explained:
                    # (one object's crowds, block after block: no miss up to a bound, as
                    # a crowd on several objects; past it the search has reached the
                    # log's crowds, not a ring behind them, and each block costs time)
                    crowd_run += 1
                    explained = crowd_run <= _ONE_OBJECT_CROWD_RUN * self.patience
                misses += not explained
                if misses >= self.patience:
                    self.search_ends_[method]["end"] = "patience"
                    break
            if not alive.any() or not weight.any():
                self.search_ends_[method]["end"] = "spent"
                break
        return self._strongest(out)

    def _companions(self, members, block_objects, objects, places) -> np.ndarray:
        """Whether each of ``objects`` is a companion of a block's objects: the others
        (not ``members``), in windows away from the block's (``places``: its columns'
        places), take it in at least half of their visits to the block's
        objects (an entity's acts in one first-grid window are one visit): an app's
        notifications beside its feed, a product's cart beside its page. A ring's second
        item is one its items' other visitors seldom take with them."""

        t0, _, window_ns, _ = self._bins
        every = np.union1d(block_objects, objects)
        row, window, index = object_acts(self._events, every, t0, window_ns)
        grid = places & 1
        bins = (places + grid) // 2
        block_windows = distinct(np.concatenate([bins, (bins - 1)[grid == 1]]))
        away = ~np.isin(row, members) & ~np.isin(window, block_windows)
        row, window, index = row[away], window[away], index[away]
        visit = np.unique(
            row * np.int64(window.max() + 2 if window.size else 1) + window, return_inverse=True
        )[1].ravel()
        on_block = np.isin(every[index], block_objects)
        with_block = np.zeros(int(visit.max()) + 1 if visit.size else 0, dtype=bool)
        with_block[visit[on_block]] = True
        n_visits = int(with_block.sum())
        if n_visits == 0:
            return np.zeros(objects.size, dtype=bool)
        taken = with_block[visit] & ~on_block
        # (numpy's sort path, return_counts: see _teams.sittings)
        pair = np.unique(visit[taken] * np.int64(every.size) + index[taken], return_counts=True)[0]
        share = np.bincount(pair % every.size, minlength=every.size) / n_visits
        return 2 * share[np.searchsorted(every, objects)] >= 1.0

    def _strongest(self, out: list) -> list:
        """The candidates with only the max_groups most significant groups kept as
        groups (the others: ``is_group`` False): a group found apart into parts counts
        once, as strong as its strongest part; ties go to the group found first."""
        strength = {}
        for cand in out:
            if cand["is_group"]:
                key = cand["found"]
                strength[key] = max(strength.get(key, -np.inf), cand["significance"])
        ranked = sorted(strength, key=lambda key: -strength[key])  # stable: found order
        kept = set(ranked[: self.max_groups_])
        for cand in out:
            if cand["is_group"] and cand["found"] not in kept:
                cand["is_group"] = False
                cand["why_not"] = "past max_groups"
        return out

    @staticmethod
    def _shared(graph, block_rows, cols, units, places, judged_block, current):
        """The block without its acts (an object in a window: a run of overlapping
        lockstep columns of one object) that fewer than two of its judged members act
        in, the members judged again until none is left (and ``judged_block``'s result
        of the block kept). A block keeps its acts when none has two members.

        The peeling keeps a column for its burst weight and its edges inside the block,
        so a popular object's crowd in one window can enter a ring's block through the
        ring's members' other columns, or through members who are not judged members
        at all (an entity with one act in the block); a member's act there is then
        no shared act, and the conditioned null models must explain the crowd's chance
        acts in every entity (the columns' popularity; each entity's activity in those
        windows), which weakens or hides the group for nothing it did together."""
        if units is None:
            return cols, current
        for _ in range(cols.size):
            rows = current[0]
            positions = _ranges(graph.offsets, rows)
            edge_row = np.repeat(np.arange(rows.size), np.diff(graph.offsets)[rows])
            sorter = np.argsort(cols, kind="stable")
            at = np.minimum(
                np.searchsorted(cols, graph.cols[positions], sorter=sorter), cols.size - 1
            )
            inside = cols[sorter[at]] == graph.cols[positions]
            edge_col = sorter[at[inside]]
            # Acts: runs of overlapping columns of one object (as _acts counts them).
            order = np.lexsort((places[cols], units[cols]))
            unit, place = units[cols][order], places[cols][order]
            start = np.ones(cols.size, dtype=bool)
            start[1:] = (unit[1:] != unit[:-1]) | (place[1:] > place[:-1] + 1)
            slot = np.empty(cols.size, dtype=np.int64)
            slot[order] = np.cumsum(start) - 1
            n_slots = int(start.sum())
            pairs = distinct(edge_row[inside] * n_slots + slot[edge_col])
            members = np.bincount(pairs % n_slots, minlength=n_slots)
            shared = members >= 2
            if shared.all() or not shared.any():
                break
            cols = cols[shared[slot]]
            current = judged_block(block_rows, cols)
        return cols, current

    def _prune(self, graph, block_rows, cols, units, places, col_degree, judged_block, current):
        """The block without those of its acts that are no evidence of a group: the
        columns and ``judged_block``'s result of the block kept.

        An act of the block is an object in a window (a run of overlapping lockstep
        columns of one object). The peeling's density counts a column's weight and its
        edges inside the block only, so a popular object's crowd that a few members
        join in one window enters with its whole burst, and the conditioned null model
        must then explain the crowd's acts in every entity (the columns' popularity):
        the group's evidence is diluted by a crowd that says nothing about it. The acts
        are tried in order of the members' share of their audience, least first, and
        each is left out while the block without it is more significant (fewer
        columns, fewer blocks of that shape to allow for: the count of tests covers any
        choice of columns); the first that is not stops the pass (the acts the members
        make more of are the group's evidence). A block keeps two objects, and its
        members while it has ``min_members``.

        Lockstep blocks only: the static peeling's weights already discount a popular
        column (FRAUDAR's 1 / log(degree + c)), where a lockstep column's burst weight
        grows with its crowd, and the static null model (degrees over the whole log)
        does not fit a catalogue's head well enough to let a search choose among its
        columns (a thousand shoppers of the Zipf head's items would be a group)."""
        if units is None:
            return cols, current
        order = np.lexsort((places[cols], units[cols]))
        unit, place = units[cols][order], places[cols][order]
        start = np.ones(cols.size, dtype=bool)
        start[1:] = (unit[1:] != unit[:-1]) | (place[1:] > place[:-1] + 1)
        slot = np.empty(cols.size, dtype=np.int64)
        slot[order] = np.cumsum(start) - 1
        slot_unit = unit[start]
        n_slots = slot_unit.size
        if n_slots < 3:
            return cols, current
        # Each act's members (of the block as judged) and its audience (its columns'
        # largest degree).
        rows = current[0]
        positions = _ranges(graph.offsets, rows)
        edge_row = np.repeat(np.arange(rows.size), np.diff(graph.offsets)[rows])
        sorter = np.argsort(cols, kind="stable")
        at = np.searchsorted(cols, graph.cols[positions], sorter=sorter)
        at = np.minimum(at, cols.size - 1)
        inside = cols[sorter[at]] == graph.cols[positions]
        edge_slot = slot[sorter[at[inside]]]
        pairs = distinct(edge_row[inside] * n_slots + edge_slot)
        members = np.bincount(pairs % n_slots, minlength=n_slots)
        audience = np.zeros(n_slots)
        np.maximum.at(audience, slot, col_degree[cols].astype(np.float64))
        share = members / np.maximum(audience, 1.0)
        removed = np.zeros(n_slots, dtype=bool)
        best = current
        for s in np.lexsort((np.arange(n_slots), share)):
            trial = removed.copy()
            trial[s] = True
            if distinct(slot_unit[~trial]).size < 2:
                continue
            result = judged_block(block_rows, cols[~trial[slot]])
            if result[5]["significance"] <= best[5]["significance"]:
                break  # an act the members make more of: the group's own evidence
            if result[0].size < self.min_members <= best[0].size:
                continue
            removed, best = trial, result
        return cols[~removed[slot]], best

    @staticmethod
    def _weaker(a: dict, b: dict) -> dict:
        """The test with the smaller significance (a group must pass both)."""
        return b if b["significance"] < a["significance"] else a

    def _activity_stats(self, rows, row_hits, cols, units, places, n_units: int) -> dict:
        """The null model of the entities' own activity for a lockstep block on several
        objects: is it unlikely that the members' acts on the block's objects in its
        windows exceed one each this much, given when each entity was active and how
        much it did there?

        Entity u with a acts in a window of the block (the distinct objects of its
        events there) acts on the block's object o there with probability
        1 - (1 - s) ** a, s the object's share of the acts of the entities outside the
        block in that window (its popularity there; a ring is its items' popularity in
        its own windows), at least its share of all the log's acts (the same unit: an
        entity's distinct objects in a window; the members were chosen for acting on
        the objects, so the others' share alone is low where the members are a large
        part of the window's users), and at least the entity's own share of acts on it
        elsewhere (its taste). Its acts on several of the
        block's objects in one window are one visit, not independent chances: the
        chance that it acts on any of them there, then as many of them as the log's
        visits to them hold (see :func:`~oddseq.graph._null.activity_laws`); its
        windows add up, and the members' excess over one act each is judged over every
        entity active in the block's windows, one grid at a time (a grid's acts against
        that grid's law: an act near a window's edge falls in a column of each grid, so
        the two grids' acts together are not one grid's law; of a block with columns in
        both, the grid whose members show the larger excess, the choice counted as
        log10 2 more tests)
        (:func:`~oddseq.graph._null.log10_excess_sf_laws`, each law rounded up to 2%
        steps: never more significant), against the count of blocks of the conditioned
        test (columns choose the objects), as the block is and without its object whose
        audience its members are the least share of (see :meth:`_visit_stats`).
        Entities outside the block's windows cannot act there and add nothing."""

        got = self._activity_parts(rows, cols, units, places)
        if got is None:
            return {"expected_edges": 0.0, "log10_p": 0.0, "log10_tests": 0.0, "significance": 0.0}
        objects, parts = got
        return self._visit_stats(rows, objects, parts)

    def _active_law(self, grown, grown_hits, rows, cols, units, places, n_units: int):
        """Whether each entity the expansion would add to a lockstep group on several
        objects (``grown``, its acts on the group's objects ``grown_hits``) acts there
        improbably by its own visits in the group's windows: P(h >= its acts) under its
        law of :func:`~oddseq.graph._null.activity_laws` (the group's test, the objects'
        popularity read outside the members ``rows`` and these candidates), below
        10 ** -threshold shared among the entities judged (Bonferroni), as ``own_law``
        judges them by their volume. Each grid's acts against that grid's law (see
        :meth:`_activity_stats`), the grid that reads the entity best kept (log10 2
        more tests where the group has columns of both)."""
        if grown.size == 0:
            return np.zeros(0, dtype=bool)
        everyone = np.union1d(rows, grown)
        got = self._activity_parts(everyone, cols, units, places)
        if got is None:
            return np.ones(grown.size, dtype=bool)
        objects, parts = got
        inputs = self._visit_inputs(objects, parts)
        hits_by_grid, cols_by_grid = parts[5], parts[6]
        grids = [g for g in (0, 1) if cols_by_grid[g].sum() > 0]
        at_grown = np.searchsorted(everyone, grown)
        best = np.zeros(grown.size)
        for g in grids:
            entities, sf = self._visit_laws(
                everyone, inputs, objects.size, g, int(cols_by_grid[g].sum())
            )
            hits = hits_by_grid[g].sum(axis=1)[at_grown]
            # An entity not active in the grid's windows acts there never (and has no acts).
            log10_sf = np.where(hits > 0, -np.inf, 0.0)
            if entities.size:
                at = np.minimum(np.searchsorted(entities, grown), entities.size - 1)
                ok = entities[at] == grown
                k = np.clip(hits, 0, sf.shape[1] - 1)
                with np.errstate(divide="ignore"):
                    log10_sf[ok] = np.log10(sf[at[ok], k[ok]])
            best = np.minimum(best, log10_sf)
        best = best + np.log10(max(len(grids), 1))
        return best <= -float(self.threshold) - np.log10(grown.size)

    def _activity_parts(self, rows, cols, units, places):
        """:meth:`_activity_stats`' chances: the block's objects and, per (entity,
        object, grid, window) of its columns' windows, the chance that the entity acts
        on the object there (read from the entities outside ``rows``, and from the
        objects' closed market where they serve one: :func:`_market`), its row, its key
        (object index * 2 + grid), its window and its acts there; None where no entity
        is active in the block's windows; then, per grid, the acts of each of ``rows`` on
        each object in the grid's columns (rows x objects, in the order of ``rows``)
        and each object's columns of the grid; last, the acts (row, first-grid window,
        object index) on the block's objects over the log."""
        ev = self._events
        t0, n_bins, window_ns, half = self._bins
        n_rows = len(ev.ids)
        col_obj = np.asarray(units[cols], dtype=np.int64)
        col_grid = np.asarray(places[cols] & 1, dtype=np.int64)
        col_bin = (np.asarray(places[cols], dtype=np.int64) + col_grid) // 2
        objects, col_index = np.unique(col_obj, return_inverse=True)
        n_keys = ev.n_keys
        if getattr(self, "_object_share", None) is None:
            self._object_share = object_act_share(ev, t0, window_ns)
        floor = self._object_share[col_obj]
        lam_parts, row_parts, key_parts, bin_parts, n_parts = [], [], [], [], []
        hits_by_grid = [np.zeros((rows.size, objects.size), dtype=np.int64) for _ in (0, 1)]

        acts = object_acts(ev, objects, t0, window_ns)
        # The first-grid windows of the block's columns (a second-grid window b spans
        # first-grid windows b - 1 and b).
        block_windows = distinct(np.concatenate([col_bin, (col_bin - 1)[col_grid == 1]]))
        market_keys, market_rows, market_windows, n_win_key = (
            _market(
                ev,
                acts,
                rows,
                block_windows,
                self._events_in,
                n_bins,
                t0,
                window_ns,
            )
            if _MARKET_NULL
            else (np.zeros(0, dtype=np.int64),) * 3 + (np.int64(n_bins + 3),)
        )
        rank = np.argsort(rows)
        cols_by_grid = [
            np.bincount(col_index[col_grid == g], minlength=objects.size) for g in (0, 1)
        ]
        for g in (0, 1):
            mine = np.flatnonzero(col_grid == g)
            if mine.size == 0:
                continue
            wanted = np.zeros(n_bins + 1, dtype=bool)
            wanted[col_bin[mine]] = True
            # The events of those windows: a second-grid window b lies in first-grid
            # windows b - 1 and b.
            first = distinct(col_bin[mine] - np.arange(g + 1)[:, None])
            event, row = self._events_in(first[first >= 0])
            event_bin = (ev.times[event] - t0 + g * half) // window_ns
            inside = wanted[event_bin]
            event, event_bin, row = event[inside], event_bin[inside], row[inside]
            pair, pair_of = np.unique(event_bin * n_rows + row, return_inverse=True)
            pair_bin, pair_row = pair // n_rows, pair % n_rows
            # Each entity's acts in the window: the distinct objects of its events there
            # (an item viewed, carted and bought is one act).
            slot_obj = ev.keys[(event[:, None] * n_keys + np.arange(n_keys)).ravel()]
            slot_pair = np.repeat(pair_of, n_keys)
            known = slot_obj >= 0
            n_all = np.int64(len(ev.object_labels))
            # numpy's sort path (return_counts): a plain np.unique hashes, ~100x slower on
            # millions of int64 keys (numpy#31969); the same sorted values.
            act = np.unique(
                slot_pair[known] * n_all + slot_obj[known].astype(np.int64), return_counts=True
            )[0]
            act_pair, act_obj = act // n_all, act % n_all
            n_acts = np.bincount(act_pair, minlength=pair.size)
            # The others' acts: each object's share of a window is read from the entities
            # outside the block (a ring is its items' popularity in its own windows),
            # and is at least the object's share of the whole log.
            other = ~np.isin(pair_row[act_pair], rows)
            c_bin, c_obj = col_bin[mine], col_obj[mine]
            c_key = c_obj * (n_bins + 1) + c_bin
            order = np.argsort(c_key)
            c_sorted = c_key[order]
            act_bin = pair_bin[act_pair[other]]
            slot_key = act_obj[other] * (n_bins + 1) + act_bin
            at = np.minimum(np.searchsorted(c_sorted, slot_key), c_sorted.size - 1)
            hit = c_sorted[at] == slot_key
            on_obj = np.bincount(order[at[hit]], minlength=c_key.size)
            bins_here = distinct(c_bin)
            in_bins = np.isin(act_bin, bins_here)
            per_bin = np.bincount(
                np.searchsorted(bins_here, act_bin[in_bins]), minlength=bins_here.size
            )
            others_there = per_bin[np.searchsorted(bins_here, c_bin)]
            # The members' own acts on the grid's columns (each column at most once).
            mem = np.flatnonzero(~other)
            mem_key = act_obj[mem] * (n_bins + 1) + pair_bin[act_pair[mem]]
            at_m = np.minimum(np.searchsorted(c_sorted, mem_key), c_sorted.size - 1)
            on_col = c_sorted[at_m] == mem_key
            np.add.at(
                hits_by_grid[g],
                (
                    rank[np.searchsorted(rows, pair_row[act_pair[mem[on_col]]], sorter=rank)],
                    col_index[mine][order[at_m[on_col]]],
                ),
                1,
            )
            share = np.where(others_there > 0, on_obj / np.maximum(others_there, 1), 0.0)
            # Each object's share of the window among its market's acts there: the
            # others who act on the block's objects in a window of their own too (chosen
            # by other windows, so not biased toward the objects in this one). Where the
            # objects serve a closed market (a small town's few drivers, on shift at the
            # hour), that market's riders meet on them by the market's size, not by
            # chance of the whole log (TR s60 H1; a ride log's town of 84 riders on 8
            # drivers: 40 of its commuters were a group at significance 27).
            # Pseudo-acts at the object's share of the log (_MARKET_PRIOR_ACTS) keep a
            # window with few of the market's acts near the log's share.
            market = _in_market(
                pair_row[act_pair[other]],
                act_bin,
                g,
                market_keys,
                market_rows,
                market_windows,
                n_win_key,
            )
            on_market = np.bincount(order[at[hit & market]], minlength=c_key.size)
            in_market = market & in_bins
            market_per_bin = np.bincount(
                np.searchsorted(bins_here, act_bin[in_market]), minlength=bins_here.size
            )
            market_there = market_per_bin[np.searchsorted(bins_here, c_bin)]
            market_share = (on_market + _MARKET_PRIOR_ACTS * floor[mine]) / (
                market_there + _MARKET_PRIOR_ACTS
            )
            share = np.minimum(np.maximum(np.maximum(share, market_share), floor[mine]), 1.0)
            # Every entity active in each column's window, with its acts there.
            lo = np.searchsorted(pair_bin, c_bin, side="left")
            length = np.searchsorted(pair_bin, c_bin, side="right") - lo
            which = np.repeat(np.arange(c_key.size), length)
            at = np.arange(int(length.sum())) + np.repeat(lo - np.cumsum(length) + length, length)
            with np.errstate(divide="ignore"):
                log_miss = np.log1p(-share)
            lam_parts.append(-np.expm1(n_acts[at] * log_miss[which]))
            row_parts.append(pair_row[at])
            key_parts.append(col_index[mine][which] * 2 + g)
            bin_parts.append(c_bin[which])
            n_parts.append(n_acts[at])
        if not lam_parts:
            return None
        parts = (lam_parts, row_parts, key_parts, bin_parts, n_parts, hits_by_grid, cols_by_grid)
        return objects, parts + (acts,)

    def _visit_inputs(self, objects, parts):
        """The per-(entity, object, grid, window) chances of :meth:`_activity_parts`
        as arrays, with the objects' acts over the log, the block's first-grid windows
        and its entities' acts outside them (what
        :func:`~oddseq.graph._null.activity_laws` reads)."""
        from ._graph import acts_outside

        lam_parts, row_parts, key_parts, bin_parts, n_parts = parts[:5]
        t0, _, window_ns, _ = self._bins
        key = np.concatenate(key_parts)
        grid = key % 2
        window = np.concatenate(bin_parts).astype(np.int64)
        row = np.concatenate(row_parts).astype(np.int64)
        # First-grid windows the block covers (a second-grid window b spans b - 1 and b).
        block_windows = distinct(np.concatenate([window, (window - grid)[grid == 1]]))
        acts = parts[7]
        audience = np.intersect1d(row, acts[0])
        own_total = (audience, acts_outside(self._events, audience, t0, window_ns, block_windows))
        chance, n_acts, obj = np.concatenate(lam_parts), np.concatenate(n_parts), key // 2
        return chance, row, grid, window, obj, n_acts, acts, block_windows, own_total

    def _visit_laws(self, rows, inputs, n_objects: int, g: int, n_units: int):
        """Per entity active in a block's windows of grid ``g``, the law of its acts on
        the block's objects there (:func:`~oddseq.graph._null.activity_laws`, the
        block's members ``rows``; the objects' co-visits read as :meth:`_visit_stats`
        reads them; ``inputs`` from :meth:`_visit_inputs`): ``(entities, sf)``,
        ``sf[u, j]`` = P(h_u >= j)."""
        from ._null import activity_laws

        chance, row, grid, window, obj, n_acts, acts, block_windows, own_total = inputs
        members = np.sort(rows)
        keep = grid == g
        return activity_laws(
            chance[keep],
            row[keep],
            grid[keep],
            window[keep],
            obj[keep],
            n_objects,
            members,
            _covisit_acts(acts, block_windows, members, n_objects),
            block_windows,
            int(n_units),
            n_acts=n_acts[keep],
            own_total=own_total,
        )

    def _visit_stats(self, rows, objects, parts):
        """_activity_stats' test with each entity's acts in a window as one visit to the
        block's objects (:func:`~oddseq.graph._null.activity_laws`): the chances of
        each (entity, object, window) given, the objects' co-visits read from the log;
        each grid's acts (``parts``' last two: the members' acts per grid and object, the
        objects' columns per grid) against that grid's law: of a block with columns in
        both grids, the grid whose members show the larger excess (log10 2 more tests:
        any rule that picks one of two tests keeps the error rate with them; judging
        both and keeping the better cost the test 24% more time on a 40,000-user shop
        for the same groups)."""
        from ._null import _log10_binom, _unique_rows, activity_laws, log10_excess_sf_laws

        chance, row, grid, window, obj, n_acts, acts, block_windows, own_total = self._visit_inputs(
            objects, parts
        )
        hits_by_grid, cols_by_grid = parts[5], parts[6]
        members = np.sort(rows)
        n_cols = max(int(self._n_searched_cols), 1)
        # The objects' co-visits (how many of them a visit holds, once there) are read
        # from the log but for the visits in the block's windows by entities outside it
        # that hold all its objects (see _covisit_acts).
        law_acts = _covisit_acts(acts, block_windows, members, objects.size)

        by_member = np.isin(acts[0], members)  # (the members' acts over the log)

        def windows_met(judged_objects) -> int:
            """The windows the search could have taken for these members and objects:
            the first-grid windows where two members or more act on one of the objects
            (the acts are distinct (row, window, object) triples) over a column of
            either grid that the search began with (see ``_first_columns``: windows an
            earlier block took count too)."""
            pick = by_member & np.isin(acts[2], judged_objects)
            cell, n_there = np.unique(
                acts[1][pick] * np.int64(objects.size) + acts[2][pick], return_counts=True
            )
            met = cell[n_there >= 2]
            first = getattr(self, "_first_columns", None)
            if first is not None and met.size:
                weight, units, places = first
                index = getattr(self, "_first_index", None)
                if index is None or index[0] is not units:  # once per fit's columns
                    key_of = np.asarray(units, dtype=np.int64) * 2**32 + np.asarray(places)
                    order = np.argsort(key_of, kind="stable")
                    self._first_index = index = (units, order, key_of[order])
                _, order, sorted_keys = index
                code = objects[met % objects.size].astype(np.int64) * 2**32
                window_at = met // objects.size
                held = np.zeros(met.size, dtype=bool)
                # a first-grid window w: the first grid's column 2w, the second grid's
                # 2w - 1 and 2w + 1 (each spans half of it)
                for place in (2 * window_at, 2 * window_at - 1, 2 * window_at + 1):
                    key = code + place
                    at = np.minimum(np.searchsorted(sorted_keys, key), sorted_keys.size - 1)
                    found = sorted_keys[at] == key
                    held |= found & (weight[order[at]] > 0)
                met = met[held]
            return int(distinct(met // objects.size).size)

        def judge(keep, hits, units, extra_tests):
            entities, rounded, tail = activity_laws(
                chance[keep],
                row[keep],
                grid[keep],
                window[keep],
                obj[keep],
                objects.size,
                members,
                law_acts,
                block_windows,
                int(units),
                n_acts=n_acts[keep],
                own_total=own_total,
                round_step=np.log(1.02),
                tail_rows=rows,
            )
            excess = int(np.maximum(hits - 1, 0).sum())
            # Rounded up to 2% steps (the law's tail only grows), alike laws counted once.
            values, counts = _unique_rows(rounded)
            del rounded
            log10_p = -log10_excess_sf_laws(excess, values, counts)
            expected = float(tail.sum()) if tail.shape[1] > 0 else 0.0
            k = distinct(obj[keep]).size
            tests = _log10_binom(n_cols, k) + k * np.log10(2.0) + extra_tests
            if _WINDOW_CHOICE:
                # The block's windows, chosen among those where its members meet on its
                # objects: independent bots that edit the hottest pages around the
                # clock meet there in nearly every hour, and the densest few dozen of
                # those hours beat the null (trial s44b H2: 22 bots, "chance 5e-21");
                # a ring meets in the windows it took. The block's windows are the
                # first-grid windows its columns of both grids cover (the peeling takes
                # an act in one grid or the other: a farm at work around the clock,
                # judged one grid at a time, held half of each grid's hours and paid
                # for a choice it did not make), counted among the first-grid windows
                # of its members' meetings (a meeting across the hour covers two).
                # (A cost: a farm at work around the clock whose block the peeling cut
                # to 39 of its 72 hours pays C(72, 39) and is no group: a rule that
                # charged only a block of under a third of the hours let the bots of
                # tests/python/test_graph_heavy_entities_s45.py back in.)
                taken = block_windows.size
                n_met = windows_met(distinct(obj[keep]))
                tests += _log10_binom(max(n_met, taken), taken)
            return {
                "expected_edges": float(rows.size) + expected,
                "log10_p": float(log10_p),
                "log10_tests": float(tests),
                "significance": float(log10_p - tests),
            }

        # Each object's share of the members' acts on it (its audience's share that the
        # members are), over the log.
        share = np.bincount(acts[2][by_member], minlength=objects.size) / np.maximum(
            np.bincount(acts[2], minlength=objects.size), 1
        )
        grids = [g for g in (0, 1) if cols_by_grid[g].sum() > 0]
        # One grid, the choice counted: the members' larger excess (the first on ties).
        choice = np.log10(max(len(grids), 1))
        if len(grids) == 2:
            excess = [int(np.maximum(hits_by_grid[g].sum(axis=1) - 1, 0).sum()) for g in grids]
            grids = [0 if excess[0] >= excess[1] else 1]
        best = None
        for g in grids:
            sel = grid == g
            hits = hits_by_grid[g].sum(axis=1)
            units = int(cols_by_grid[g].sum())
            held = np.flatnonzero(cols_by_grid[g] > 0)
            if held.size < 3:
                stats = judge(sel, hits, units, choice)
            else:
                # Also the block without the object whose audience its members are the
                # least share of (a popular object, a category beside the item: its acts
                # are what the members' taste explains, and the block's tests would still
                # count it), the better of the two judged, with the choice counted
                # (log10 2 more tests).
                drop = int(held[np.argmin(share[held])])
                extra = choice + np.log10(2.0)
                whole = judge(sel, hits, units, extra)
                part = judge(
                    sel & (obj != drop),
                    hits - hits_by_grid[g][:, drop],
                    max(units - int(cols_by_grid[g][drop]), 1),
                    extra,
                )
                stats = part if part["significance"] > whole["significance"] else whole
            if best is None or stats["significance"] > best["significance"]:
                best = stats
        return best

    def _events_in(self, bins: np.ndarray):
        """The events in the given first-grid windows and their entities' rows, through
        the events in time order (built at the first call of a fit, 12 bytes an
        event)."""
        ev = self._events
        if getattr(self, "_time_order", None) is None:
            t0, _, window_ns, _ = self._bins
            kind = np.int32 if len(ev.times) < 2**31 else np.int64
            order = np.argsort(ev.times, kind="stable").astype(kind)
            row = np.repeat(np.arange(len(ev.ids), dtype=np.int32), np.diff(ev.offsets))
            self._time_order = (
                order,
                ((ev.times[order] - t0) // window_ns).astype(np.int32),
                row[order],
            )
        order, sorted_bin, sorted_row = self._time_order
        lo = np.searchsorted(sorted_bin, bins, side="left")
        length = np.searchsorted(sorted_bin, bins, side="right") - lo
        at = np.repeat(lo - np.cumsum(length) + length, length) + np.arange(int(length.sum()))
        return order[at].astype(np.int64), sorted_row[at].astype(np.int64)

    def _return_stats(self, rows, cols, units, places, n_units: int):
        """The null model of coming back to one object (a lockstep block whose columns
        are one object's windows): given how many acts each entity of the object's
        audience has on it, is it unlikely that the members' acts fall together in the
        block's windows this often?

        An act of an entity on the object lands in the block's windows with probability
        p: the larger of the windows' share of all activity and their share of the acts
        of the object's other entities (the object's own busy windows: a drop, its
        restock, a campaign). The members' acts there beyond one each are judged over
        the whole audience (:func:`log10_return_sf`), against the count of such blocks:
        the first window among the searched columns, the others among every window,
        each number of windows r weighted 2 ** -r. Returns the statistics and whether
        the members are at least half of the object's audience that comes back to it
        (members, and others of two acts or more on it): a ring that drives a small
        restaurant's orders on 4-7 afternoons was under half of everyone who ever looked
        at it once (11 of 25, 12 of 36) and no group on every log of a delivery trial
        (TR s68 H1); the visitors who came once do not make the object theirs (read so
        where the object is most of what the members do: regulars with lives elsewhere
        are read against everyone, review RV s68 H1), and the
        crowd that returns to a popular item at each restock, or its other fans, still
        outnumber a block of its returners."""
        from math import lgamma, log10

        from ._null import log10_return_sf

        ev = self._events
        t0, n_bins, window_ns, half = self._bins
        obj = int(units[cols[0]])
        block_places = distinct(places[cols])
        grid = block_places & 1
        bins = (block_places + grid) // 2
        g_share = min(1.0, float(self._bin_share[grid, bins].sum()))
        # The object's whole audience: its events, their entities and acts (runs of
        # events whose windows overlap, as in the lockstep graph).
        position = np.flatnonzero(ev.keys == obj)
        event = position // ev.n_keys
        row = np.searchsorted(ev.offsets, event, side="right") - 1
        rel = ev.times[event] - t0
        place_a = 2 * (rel // window_ns)
        place_b = 2 * ((rel + half) // window_ns) - 1
        low = np.minimum(place_a, place_b)
        order = np.lexsort((low, row))
        row, low = row[order], low[order]
        inside = (np.isin(place_a, block_places) | np.isin(place_b, block_places))[order]
        start = np.ones(row.size, dtype=bool)
        start[1:] = (row[1:] != row[:-1]) | (low[1:] > low[:-1] + 2)
        starts = np.flatnonzero(start)
        act_row = row[starts]
        act_inside = np.logical_or.reduceat(inside, starts)
        audience, act_of = np.unique(act_row, return_inverse=True)
        n_acts = np.bincount(act_of)
        hits = np.bincount(act_of, weights=act_inside).astype(np.int64)
        member = np.isin(audience, rows)
        other_acts = int(n_acts[~member].sum())
        p = g_share
        if other_acts:
            p = max(p, float(hits[~member].sum()) / other_acts)
        p = min(p, 1.0)
        m_hits, m_acts = hits[member], n_acts[member]
        excess = int(np.maximum(m_hits - 1, 0).sum())
        degrees, counts = np.unique(n_acts[n_acts >= 2], return_counts=True)
        log10_p = -log10_return_sf(excess, degrees, p, counts)
        r = max(int(n_units), 1)  # the block's windows (its acts)
        n_cols = max(int(self._n_searched_cols), 1)
        choose = (lgamma(n_bins + 1) - lgamma(r) - lgamma(n_bins - r + 2)) / np.log(10.0)
        tests = log10(n_cols) + max(choose, 0.0) + r * log10(2.0)
        expected = float((m_acts * p - 1.0 + (1.0 - p) ** m_acts).sum())
        stats = {
            "expected_edges": float(member.sum()) + expected,
            "log10_p": float(log10_p),
            "log10_tests": float(tests),
            "significance": float(log10_p - tests),
        }
        # ... read by its returning audience where the object is most of what the
        # members do (the median member's events on it at least half of its events: a
        # brushing ring's accounts, made for its shop); regulars with lives elsewhere (a
        # bar's quiz team on Fridays, review RV s68 H1) are read against everyone
        returning = np.ones_like(member)
        if _RETURNING_AUDIENCE and member.any():
            members = np.sort(audience[member])
            on_object = np.bincount(
                np.searchsorted(members, row[np.isin(row, members)]), minlength=members.size
            )
            lengths = ev.offsets[members + 1] - ev.offsets[members]
            if np.median(on_object / np.maximum(lengths, 1)) >= 0.5:
                returning = member | (n_acts >= 2)
        return stats, 2 * int(member.sum()) >= int(returning.sum())

    def _finish(self, ev, candidates: list) -> None:
        n = len(ev.ids)
        scores = np.zeros(n)
        group_of = np.full(n, -1, dtype=np.int64)
        records, groups, edges, acts = [], [], [], []
        # per group held by its meetings: the synchrony test's figures (its sentence)
        self._meetings = {}
        for cand in candidates:
            rows = cand["rows"]
            n_objects = int(distinct(cand["objects"]).size)
            member_events = self._member_events(ev, cand)
            start = end = pd.NaT
            if member_events is not None and ev.times is not None and len(member_events):
                start = self._timestamp(int(member_events["time"].min()))
                end = self._timestamp(int(member_events["time"].max()))
            record = {
                "method": cand["method"],
                "n_members": int(rows.size),
                "n_objects": n_objects,
                "n_edges": cand["n_edges"],
                "density": cand["density"],
                "expected_edges": cand["expected_edges"],
                "log10_p": cand["log10_p"],
                "log10_tests": cand["log10_tests"],
                "significance": cand["significance"],
                "start": start,
                "end": end,
                "members": ev.ids[rows].tolist(),
                "objects": self._objects_by_acts(ev, cand, member_events),
                "held_by": cand.get("held_by", "acts"),
            }
            records.append(record)
            if not cand["is_group"]:
                continue
            gid = len(groups)
            groups.append(record)
            if cand.get("meetings") is not None:
                self._meetings[gid] = cand["meetings"]
            share = cand["row_edges"] / max(cand["n_units"], 1)
            score = max(cand["significance"], 0.0) * share
            better = score > scores[rows]
            scores[rows[better]] = score[better]
            group_of[rows[better]] = gid
            acts.append(self._acts(ev, cand, gid))
            if member_events is not None and len(member_events):
                agg = member_events.groupby(["row", "object"], sort=True).agg(
                    count=("time", "size"), first=("time", "min"), last=("time", "max")
                )
                agg = agg.reset_index()
                frame = pd.DataFrame(
                    {
                        "group": gid,
                        "entity": ev.ids[agg["row"].to_numpy()],
                        "object": ev.object_labels[agg["object"].to_numpy()],
                        "count": agg["count"].to_numpy(),
                        "first": self._timestamps(agg["first"].to_numpy()),
                        "last": self._timestamps(agg["last"].to_numpy()),
                    }
                )
                edges.append(frame)
        # Associates (one act with a group, not members) score their share of its acts
        # below the members' scores, without a group of their own.
        for cand in candidates:
            if not cand["is_group"] or cand["associates"].size == 0:
                continue
            rows = cand["associates"]
            share = cand["associate_edges"] / max(cand["n_units"], 1)
            scores[rows] = np.maximum(scores[rows], max(cand["significance"], 0.0) * share)
        columns = [
            "method",
            "n_members",
            "n_objects",
            "n_edges",
            "density",
            "expected_edges",
            "log10_p",
            "log10_tests",
            "significance",
            "start",
            "end",
            "members",
            "objects",
            "held_by",
        ]
        self.candidates_ = pd.DataFrame(records, columns=columns)
        self.candidates_["is_group"] = [c["is_group"] for c in candidates]
        self.candidates_["why_not"] = [c.get("why_not") for c in candidates]
        self.candidates_.index.name = "candidate"
        self.groups_ = pd.DataFrame(groups, columns=columns)
        self.groups_.index.name = "group"
        self.group_edges_ = (
            pd.concat(edges, ignore_index=True)
            if edges
            else pd.DataFrame(columns=["group", "entity", "object", "count", "first", "last"])
        )
        self.group_acts_ = (
            pd.concat(acts, ignore_index=True)
            if acts
            else pd.DataFrame(columns=["group", "entity", "object", "time", "in_block"])
        )
        self.entity_ids_ = ev.ids
        self.decision_scores_ = scores
        self.group_labels_ = group_of
        self.labels_ = (group_of >= 0).astype(np.int64)
        del self._events
        self.__dict__.pop("_bin_share", None)
        self.__dict__.pop("_object_share", None)
        self.__dict__.pop("_time_order", None)
        self.__dict__.pop("_team_index", None)  # graph/_teams.py's, of this fit's columns
        self.__dict__.pop("_population_pace", None)  # graph/_teams.py's, of this fit's log
        self.__dict__.pop("_population_gap", None)  # (the same)
        self.__dict__.pop("_first_columns", None)  # the search's columns (_visit_stats)
        self.__dict__.pop("_first_index", None)
        self.__dict__.pop("_segment_floor", None)

    def _drop(self, gids, why: str) -> None:
        """The fitted groups ``gids`` (rows of ``groups_``) made no groups, the others
        renumbered in their order: their candidates' ``why_not`` is ``why``, their
        members' group -1 and score 0 (a member of a kept group too stays its member),
        their edges, acts and meetings gone. The one call drops so the groups that its
        ``normal=`` log holds too."""
        gids = sorted({int(g) for g in gids})
        if not gids:
            return
        keep = np.ones(len(self.groups_), dtype=bool)
        keep[gids] = False
        renumbered = np.full(keep.size, -1, dtype=np.int64)
        renumbered[keep] = np.arange(int(keep.sum()))
        # (the k-th candidate that is a group is group k: _finish)
        rows = self.candidates_.index[np.flatnonzero(self.candidates_["is_group"].to_numpy())]
        self.candidates_.loc[rows[gids], "is_group"] = False
        self.candidates_.loc[rows[gids], "why_not"] = why
        self.groups_ = self.groups_[keep].reset_index(drop=True)
        self.groups_.index.name = "group"
        labels = self.group_labels_
        dropped = (labels >= 0) & ~keep[np.maximum(labels, 0)]
        scores = np.where(dropped, 0.0, self.decision_scores_)
        labels = np.where(labels >= 0, renumbered[np.maximum(labels, 0)], -1)
        # A member of a dropped group that a kept one lists too (each entity is labelled
        # with its strongest group) stays a member: of its strongest kept group, scored
        # as that group's significance times its acts there over the busiest member's.
        edges = getattr(self, "group_edges_", None)
        if dropped.any() and edges is not None and len(edges):
            at = pd.Series(np.arange(len(self.entity_ids_)), index=self.entity_ids_)
            acts = edges.groupby(["group", "entity"], sort=False)["count"].sum()
            for gid in np.argsort(-self.groups_["significance"].to_numpy(), kind="stable"):
                old = int(np.flatnonzero(keep)[gid])
                listed = at.reindex(self.groups_["members"].iloc[gid]).dropna().astype(np.int64)
                lost = listed[(labels[listed] < 0) & dropped[listed]]
                if not len(lost):
                    continue
                counts = acts.get(old, pd.Series(dtype=np.float64))
                share = counts.reindex(lost.index).fillna(0).to_numpy() / max(counts.max(), 1)
                labels[lost.to_numpy()] = gid
                significance = max(float(self.groups_["significance"].iloc[gid]), 0.0)
                scores[lost.to_numpy()] = significance * share
        self.decision_scores_ = scores
        self.group_labels_ = labels
        self.labels_ = (self.group_labels_ >= 0).astype(np.int64)
        for name in ("group_edges_", "group_acts_"):
            frame = getattr(self, name, None)
            if frame is None or not len(frame):
                continue
            group = frame["group"].to_numpy(dtype=np.int64)
            frame = frame[keep[group]].reset_index(drop=True)
            frame["group"] = renumbered[group[keep[group]]]
            setattr(self, name, frame)
        meetings = getattr(self, "_meetings", {})
        self._meetings = {int(renumbered[g]): m for g, m in meetings.items() if keep[g]}

    def _timestamp(self, ns: int):
        ts = pd.Timestamp(ns, unit="ns", tz="UTC")
        return ts.tz_convert(self._events.tz) if self._events.tz else ts.tz_localize(None)

    def _timestamps(self, ns: np.ndarray):
        if self._events.times is None:
            return np.full(len(ns), pd.NaT)
        values = pd.to_datetime(ns, unit="ns", utc=True)
        return values.tz_convert(self._events.tz) if self._events.tz else values.tz_localize(None)

    def _bin_keys(self, keys, times):
        t0, n_bins, window_ns, half = self._bins
        rel = times - t0
        key_a = (keys * n_bins + rel // window_ns) * 2
        key_b = (keys * n_bins + (rel + half) // window_ns) * 2 + 1
        return key_a, key_b

    def _acts(self, ev, cand, gid: int) -> pd.DataFrame:
        """``group_acts_``'s rows of group ``gid`` (candidate ``cand``): the members'
        events in its block, and, for a lockstep group, those within a window of another
        member's event on the same object (a round of the ring that the block left out,
        on one of its objects or another, is the ring's too; a member's own visit is
        not)."""
        events = self._member_events(ev, cand, everything=True)
        keep = events["block"].to_numpy().copy()
        if cand["col_keys"] is not None and ev.times is not None and len(events):
            # In time order per object: the nearest other member's events before and
            # after each are those next to its run of one member's events.
            row, obj, t = (events[c].to_numpy() for c in ("row", "object", "time"))
            order = np.lexsort((t, obj))
            row, obj, t = row[order], obj[order], t[order]
            new_run = np.ones(t.size, dtype=bool)
            new_run[1:] = (obj[1:] != obj[:-1]) | (row[1:] != row[:-1])
            run = np.cumsum(new_run) - 1
            starts = np.flatnonzero(new_run)
            ends = np.append(starts[1:], t.size) - 1
            before, after = starts[run] - 1, ends[run] + 1
            window = self._window_ns
            near = np.zeros(t.size, dtype=bool)
            ok = before >= 0
            near[ok] = (obj[before[ok]] == obj[ok]) & (t[ok] - t[before[ok]] <= window)
            ok = after < t.size
            near[ok] |= (obj[after[ok]] == obj[ok]) & (t[after[ok]] - t[ok] <= window)
            keep[order[near]] = True
        events = events[keep]
        return pd.DataFrame(
            {
                "group": gid,
                "entity": ev.ids[events["row"].to_numpy()],
                "object": ev.object_labels[events["object"].to_numpy()],
                "time": self._timestamps(events["time"].to_numpy()),
                "in_block": events["block"].to_numpy(),
            }
        )

    @staticmethod
    def _objects_by_acts(ev, cand, member_events) -> list:
        """The group's objects' labels, the most acted on by its members first (their
        events on each, ``member_events``), ties by the label's text: the order a
        sentence names its first three in, the same whether the labels are numbers or
        the same ids read as text (the shell's). By code they were sorted as the labels
        sort, and the one call and the shell named other tracks of one group (TR s58
        L7)."""
        codes = distinct(cand["objects"])
        labels = ev.object_labels[codes].tolist()
        acts = np.zeros(codes.size, dtype=np.int64)
        if member_events is not None and len(member_events):
            at = np.searchsorted(codes, member_events["object"].to_numpy())
            inside = at < codes.size
            inside[inside] &= codes[at[inside]] == member_events["object"].to_numpy()[inside]
            acts = np.bincount(at[inside], minlength=codes.size)
        order = sorted(range(codes.size), key=lambda k: (-int(acts[k]), str(labels[k])))
        return [labels[k] for k in order]

    def _member_events(self, ev, cand, everything: bool = False):
        """The members' events on the group's objects (and, for lockstep groups, in the
        group's time bins): row, object code, time; ``everything``: all their events,
        with ``block`` saying which are those."""
        positions = _ranges(ev.offsets, cand["rows"], ev.n_keys)
        keys = ev.keys[positions]
        rows = np.repeat(cand["rows"], np.diff(ev.offsets)[cand["rows"]] * ev.n_keys)
        # The block's objects as a lookup table (one pass, no sort of the members' events).
        chosen = np.zeros(len(ev.object_labels) + 1, dtype=bool)
        chosen[cand["objects"]] = True
        block = chosen[np.where(keys >= 0, keys, len(ev.object_labels))]
        keep = np.flatnonzero(keys >= 0 if everything else block)
        positions, keys, rows = positions[keep], keys[keep].astype(np.int64), rows[keep]
        block = block[keep]
        times = None
        if ev.times is not None:
            times = ev.times[positions // ev.n_keys]
        if cand["col_keys"] is not None and times is not None:
            # An event belongs when its (object, bin) column in either grid is the block's.
            key_a, key_b = self._bin_keys(keys, times)
            block &= np.isin(key_a, cand["col_keys"]) | np.isin(key_b, cand["col_keys"])
            if not everything:
                keys, rows, times, block = keys[block], rows[block], times[block], block[block]
        frame = pd.DataFrame(
            {
                "row": rows,
                "object": keys,
                "time": times if times is not None else np.zeros(keys.size, np.int64),
            }
        )
        if everything:
            frame["block"] = block
        return frame

    # ---------------------------------------------------------------- results
    def _positions(self, ids):
        check_is_fitted(self, "groups_")
        if ids is None:
            return np.arange(len(self.entity_ids_)), self.entity_ids_
        if isinstance(ids, pd.Index):
            index = ids
        elif isinstance(ids, (pd.Series, np.ndarray)):
            index = pd.Index(ids)
        elif isinstance(ids, (list, tuple)):
            index = pd.Index(list(ids), dtype="O" if len(ids) else None)
        else:
            index = pd.Index([ids])
        pos = self.entity_ids_.get_indexer(index)
        if len(pos) and (pos < 0).all():
            self._check_id_kind(index)
        return pos, index

    def _check_id_kind(self, index):
        """None of ``index`` was seen in fit: unseen ids score 0 (documented), but ids of
        another kind than the fitted ones ("28" for 28) are a mistake, not unseen ids."""

        def kind(ids):
            return pd.api.types.infer_dtype(np.asarray(ids[:1000], dtype=object), skipna=True)

        given, fitted = kind(index), kind(self.entity_ids_)
        if given != fitted and "empty" not in (given, fitted) and not fitted.startswith("mixed"):
            raise TypeError(
                f"ids are {given} but the fitted entity ids are {fitted} (entity_ids_, e.g. "
                f"{self.entity_ids_[0]!r}), and none of them is a fitted entity; pass ids of "
                "the fitted type"
            )

    def decision_function(self, ids=None) -> np.ndarray:
        """Group suspicion per entity (higher = more suspicious): the significance of
        its group times its share of the group's acts; an entity tied to a group by
        fewer acts than members need (one shared act) scores its share of it too,
        below the members, without being one (``predict`` 0); 0 with no tie to any
        group and for ids not seen in fit.

        Parameters
        ----------
        ids : array-like, optional
            Entity ids, in the caller's order; None gives every fitted entity in the
            order of ``entity_ids_``. Ids none of which was seen in fit and that are of
            another kind than ``entity_ids_`` ("28" for 28) are a TypeError (here, in
            ``predict``, ``group_of`` and ``explain``).

        Returns
        -------
        ndarray of float64
        """
        pos, _ = self._positions(ids)
        return np.where(pos >= 0, self.decision_scores_[pos], 0.0)

    def predict(self, ids=None) -> np.ndarray:
        """1 for members of a group, 0 otherwise (and for unseen ids)."""
        return (self.group_of(ids) >= 0).astype(np.int64)

    def group_of(self, ids=None) -> np.ndarray:
        """The group id of each entity (a row of ``groups_``), -1 for none or unseen."""
        pos, _ = self._positions(ids)
        return np.where(pos >= 0, self.group_labels_[pos], -1)

    def explain(self, ids=None) -> pd.Series:
        """One sentence per entity saying which group it is in and why that is unusual
        ("" outside any group). Its window is in clock times of the log's zone, named
        ("between 15:08 and 15:13 on 30 Nov 2017 (Asia/Shanghai)"): the times' own zone
        where they carry one, UTC for numbers since the epoch, and for naive datetimes the
        log's own clock ("(the log's clock, no zone given)").

        Returns
        -------
        pandas.Series of str, indexed by the ids
        """
        pos, index = self._positions(ids)
        gids = np.where(pos >= 0, self.group_labels_[pos], -1)
        texts = {}
        for gid in distinct(gids[gids >= 0]):
            texts[int(gid)] = self._sentence(int(gid))
        out = [texts.get(int(g), "") for g in gids]
        return pd.Series(out, index=index, name="group_reason", dtype=object)

    def _listed_elsewhere(self, gid: int, members) -> str:
        """ "; 24 of them listed under groups 2, 3 and 4, their strongest" where members
        of group ``gid`` are labelled with another group (each entity carries its
        strongest group: TR s47 M8, a sentence of 50 members beside 26 rows of its
        number), else ""."""
        labels = self.group_of(list(members))
        other = labels[(labels >= 0) & (labels != gid)]
        if other.size == 0:
            return ""
        groups = distinct(other).tolist()
        return (
            f"; {other.size} of them listed under group{'s' if len(groups) > 1 else ''} "
            f"{_and_list(groups)}, {'their' if other.size > 1 else 'its'} strongest"
        )

    def _sentence(self, gid: int) -> str:
        """:meth:`explain`'s sentence of group ``gid``; its times as clock times in the
        log's zone (tz-aware times; UTC for numbers since the epoch), the zone named, or
        for naive datetimes said to be none: a reason pasted into a ticket stays true."""
        g = self.groups_.loc[gid]
        objects = g["objects"]
        # "(group 0)": with the members its table lists under another group counted
        listed = f"group {gid}{self._listed_elsewhere(gid, g['members'])}"
        shown = ", ".join(_object_words(o) for o in objects[:3])
        more = f" and {len(objects) - 3} more" if len(objects) > 3 else ""
        kind = "objects" if len(objects) != 1 else "object"
        when = _window_words(g["start"], g["end"], getattr(self, "_naive_clock", False))
        lockstep = " in lockstep" if g["method"] == "temporal" else ""
        per_member = g["n_edges"] / g["n_members"]
        expected = g["expected_edges"] / g["n_members"]
        if g["method"] == "temporal" and len(objects) == 1:
            return (
                f"one of {g['n_members']} entities ({listed}) that came back together "
                f"to object {shown}{when}; each acted on it in {per_member:.1f} of the "
                f"group's windows where its other visitors' returns would give "
                f"{expected:.1f} on average (chance {_chance(g['log10_p'])}, "
                f"{_chance(g['significance'])} after allowing for every group of this size)"
            )
        if g["method"] == "temporal":
            # Its acts are (object, window) pairs, not objects: "4.0 of the group's
            # objects" was said of a group of two, each member on both in four hours.
            from .._reasons import _format_one

            width = _format_one("window_s", duration_ns(self.window, "window") / 1e9)
            meetings = getattr(self, "_meetings", {}).get(gid)
            if meetings is not None:
                # Held by its meetings: the null of visits explained its acts, so the
                # sentence credits what the synchrony test found, with that test's chance.
                level, n = meetings["level"], meetings["windows"]
                return (
                    f"one of {g['n_members']} entities ({listed}) that acted{lockstep} "
                    f"on {kind} {shown}{more}{when}, as their own activity explains; but "
                    f"away from those windows {level + 1} or more of them "
                    f"started a session in the same {width} window {n} "
                    f"time{'s' if n != 1 else ''} ({meetings['observed']} starts beyond "
                    f"{level} a window, where their own hours and days would give "
                    f"{meetings['expected']:.2g} on average; chance "
                    f"{_chance(meetings['log10_p'])}, {_chance(meetings['significance'])} "
                    f"after allowing for every group judged)"
                )
            acts = f"each acted in {per_member:.1f} of the group's (object, {width} window) pairs"
            given = "sharing one pair"
        else:
            acts = f"each acted on {per_member:.1f} of the group's {kind}"
            given = "sharing one"
        # The null is conditioned on each member's one act (graph._null.block_significance:
        # its expected count is one each plus the expected excess): said as that excess,
        # where "would share 1 on average" read as a third of a member's 3 (trial s42), and
        # as what independent entities would do: "where entities like these, given one
        # each, would have 0.089 more on average" took a trial's reader several reads
        # (TR s58 L6; "meeting in one, would meet in 0.19 more" was no plainer, TR s59 L2).
        likewise = f" would share {expected:.2g} on average"
        if expected >= 1.0:
            extra = expected - 1.0  # ("6.5e-06 more" read as a formula: review s42 L2)
            said = f"{extra:.2g}" if extra >= 0.01 else "under 0.01"
            likewise = f", {given}, would share {said} more on average"
        days = self._days_words(gid) if g["method"] == "temporal" else ""
        return (
            f"one of {g['n_members']} entities ({listed}) that acted{lockstep} on "
            f"{kind} {shown}{more}{when}{days}; {acts}, where independent entities like "
            f"these{likewise} (chance {_chance(g['log10_p'])}, "
            f"{_chance(g['significance'])} after allowing for every group of this size)"
        )

    def _days_words(self, gid: int) -> str:
        """ ", on 5 days, each time between 11:35 and 12:40": the days and the hours of
        the day of a lockstep group's acts in its block (``group_acts_``' ``in_block``),
        in the clock its window is said in, where they fall on two days or more. A
        window "between 11:46 on 03 Mar and 12:07 on 13 Mar" read as ten days of
        lockstep where a delivery app's office colleagues ordered lunch together on 5
        weekdays (TR s59 H1): the hours say a lunch, a shift or a night's work. The
        hours are the shortest span of the clock that holds them all (across midnight
        where that is shorter: "between 23:10 and 01:20")."""
        acts = getattr(self, "group_acts_", None)
        if acts is None or not len(acts):
            return ""
        mine = (acts["group"].to_numpy() == gid) & acts["in_block"].to_numpy(bool)
        if not mine.any() or not pd.api.types.is_datetime64_any_dtype(acts["time"]):
            return ""
        times = pd.DatetimeIndex(acts["time"][mine])  # (a zone's times keep it)
        if times.hasnans:
            return ""
        days = times.normalize().nunique()
        if days < 2:
            return ""
        minutes = distinct(times.hour.to_numpy() * 60 + times.minute.to_numpy())
        # the widest gap between consecutive minutes of the day (around the clock) is
        # where the span is not
        gaps = np.diff(np.append(minutes, minutes[0] + 24 * 60))
        widest = int(np.argmax(gaps))
        first, last = minutes[(widest + 1) % minutes.size], minutes[widest]
        clock = (f"{first // 60:02d}:{first % 60:02d}", f"{last // 60:02d}:{last % 60:02d}")
        # Bursts at other hours (on other days): the hours span most of the clock, and
        # "each time between 21:39 and 14:44" read as 17-hour bursts where a follower
        # farm's were 30 minutes each (TR s66 L1). Then the bursts' own length is said:
        # the longest sitting (acts more than 6 hours apart are two).
        ordered = np.sort(times.asi8)
        breaks = np.flatnonzero(np.diff(ordered) > _teams._SITTING_GAP_NS)
        starts, ends = np.r_[0, breaks + 1], np.r_[breaks, ordered.size - 1]
        longest = int(np.ceil((ordered[ends] - ordered[starts]).max() / 6e10))
        if (last - first) % (24 * 60) > 2 * longest + 60:
            within = "a minute" if longest <= 1 else _minutes_words(longest)
            return (
                f", on {days} days, each time within {within} (at other hours, from "
                f"{clock[0]} to {clock[1]})"
            )
        return f", on {days} days, each time between {clock[0]} and {clock[1]}"


def _minutes_words(minutes: int) -> str:
    """ "35 minutes", "2.5 hours": a burst's length said."""
    return f"{minutes} minutes" if minutes < 120 else f"{minutes / 60:.1f} hours"


def _and_list(items) -> str:
    """ "2", "2 and 3", "2, 3 and 4"; past five, "2, 3, 4, 5, 6 and 3 more"."""
    items = [str(i) for i in items]
    if len(items) > 5:
        return f"{', '.join(items[:5])} and {len(items) - 5} more"
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _object_words(label) -> str:
    """An object as a group's sentence names it: a (column, value) pair of several
    object columns as "ip 45.137.21.10" (not the pair's Python text, TR s47b L9); a
    whole number read as a float as the integer it is ("store_id 12", not "12.0": a
    CSV's id column with gaps reads as floats, TR s53)."""
    if isinstance(label, (tuple, list)) and len(label) == 2:
        return f"{label[0]} {_value_words(label[1])}"
    return _value_words(label)


def _value_words(value) -> str:
    """An object's value as a sentence says it: a whole float that a float holds exactly
    (under 2**53) as the integer it stands for, anything else as its text."""
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and abs(value) < 2**53:
        if value == round(value):
            return str(int(value))
    return str(value)


def _chance(log10_inverse: float) -> str:
    """A reason's chance 10 ** -log10_inverse to one digit: "3e-17" (rounded to a power
    of ten, "1e-3" was said of 10 ** -2.6 = 2.5e-3, as if two and a half times
    stronger)."""
    if log10_inverse > 300:  # past what a float holds
        return f"1e-{log10_inverse:.0f}"
    mantissa, exponent = f"{10.0**-log10_inverse:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}" if int(exponent) else mantissa


# How the words name the clock of naive times (no zone named): as the log writes them.
NAIVE_CLOCK = "the log's clock, no zone given"


def _window_words(start, end, naive: bool = False) -> str:
    """The window of a group's reason: " between 07:08 and 07:13 on 30 Nov 2017 (UTC)"
    (one day) or " between 09:56 on 26 Nov 2017 and 06:02 on 03 Dec 2017
    (Asia/Shanghai)"; "" without times. The zone is the times' own (tz-aware), else UTC
    (numbers since the epoch: times are kept as UTC nanoseconds), or where ``naive``
    (naive datetimes, text without an offset: Sequences.naive_clock) none: "(the log's
    clock, no zone given)"."""
    if pd.isna(start):
        return ""
    if start.tz is not None:
        zone = str(start.tz)
    else:  # (naive times: the log's clock of no zone named, TR s53 L)
        zone = NAIVE_CLOCK if naive else "UTC"
    if start.date() == end.date():
        span = f"{start:%H:%M} and {end:%H:%M} on {start:%d %b %Y}"
    else:
        span = f"{start:%H:%M on %d %b %Y} and {end:%H:%M on %d %b %Y}"
    return f" between {span} ({zone})"
