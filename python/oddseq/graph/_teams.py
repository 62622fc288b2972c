"""Teams: people who meet for content that other crowds meet on too, at a human pace.

A lockstep block can be beyond independence and still be no ring: a game's raid guild
meets on the same bosses on its raid nights because that is what the content is for, and
every null of independent entities is right that it meets beyond chance. Three marks
together say "a team of people", and any one missing keeps the group:

- **team content**: the block's objects are where other crowds meet too. Each object's
  bursts (its lockstep columns of the first grid: more of its entities in a window than
  its popularity explains), in any window, held by at least ``min_members`` entities
  without a given member are meetings that member is no part of; the block's objects
  are team content when, for the median object, the median member is no part of at
  least ``_OTHER_MEETINGS`` of them (a block that took in several guilds of one boss
  still reads each guild's nights apart). A ring's members are at every burst of their
  items, a fraud ring's at every one of its payees', an alt army's at its quest chain's;
  a popular item's crowd is no burst (its popularity explains it).
- **a couple of meetings**: the median member meets others of the block (on one object
  in one window, at least half as many as at its fullest meeting) in at most
  ``_SITTINGS`` sittings of the whole log (a raid night is one, whichever guilds of the
  block it meets there); rounds again and again are a ring's work, found by the block
  or not.
- **a human pace**: in the block's windows the members' gaps between their events are
  as irregular as a memoryless pace's (people think, talk, wait; their paces are
  burstier still) and leave a person's think time (:func:`thinks`: a script's bursts of
  sub-second acts are irregular too): the coefficient of variation of all their gaps,
  each over its own member's mean gap, at least ``_HUMAN_PACE`` (1 for a memoryless
  pace), and at most ``_SCRIPTED_SHARE`` of the members whose gaps say it pace like a
  script on their own (a block that joins an alt army to a guild on the same quests is
  no team). A script, a multiboxer's loop, accounts levelling in lockstep through one
  script keep a pace far more regular (0.5-0.6 on the held-out game's farm rings and
  alt armies; its guilds 1.0-1.2; people on shops 0.7-0.8 and make_ecommerce's rings
  1.0-3.2, none on team content).

Measured on labelled groups of every held-out source: ``benchmarks/group_kinds.py``.
"""

from __future__ import annotations

import numpy as np

from ..utils._unique import distinct

# A block's objects are team content when the median member is no part of at least this
# many meetings on the median object (a pattern, not a coincidence: the rule of three
# windows of the group stage's returns).
_OTHER_MEETINGS = 3
# Least coefficient of variation of the members' gaps (each over its own member's mean
# gap, at least _MIN_GAPS of them) read as a human pace: a memoryless pace's is 1, less
# the bias of short runs (ten members of 20 gaps each: 0.95 at the median, 0.82 at 1%).
_HUMAN_PACE = 0.85
_MIN_GAPS = 5
# A team meets a couple of times: its median member meets others of it (on one object
# in one window, at least half as many as at its fullest meeting) in at most _SITTINGS
# sittings of the log (apart where more than _SITTING_GAP_NS pass between two: an
# evening's raid is one).
# People who meet on content others meet on too, at their own pace, but again and again
# (rounds on five nights of a popular zone, on four days of a time zone's services) stay
# a group: a ring works its rounds.
_SITTINGS, _SITTING_GAP_NS = 2, 6 * 3600 * 10**9
# ... and a sitting lasts at most this long (a raid night, a launch evening: hours).
_SITTING_MAX_NS = 12 * 3600 * 10**9
# A member whose own gaps (at least _SCRIPT_GAPS of them) have a coefficient of variation
# below _SCRIPTED paces like a script (a memoryless pace does so by chance in 7% of
# draws at 20 gaps, 0.4% at 50); a team has at most _SCRIPTED_SHARE of such members.
_SCRIPTED, _SCRIPT_GAPS, _SCRIPTED_SHARE = 0.7, 20, 0.2
# Members more regular than a memoryless pace in the block still pace as people where,
# outside the block, they keep at least this share of the log's median entity's
# coefficient of variation, and in the block at least this share of their own outside it
# (paced_as_people: a music log's listeners play back to back at the tracks' length).
_EVERYDAY = 2 / 3
# (a switch for measuring: False reads every crowd's pace as before session 46)
_EVERYDAY_PACE = True
# A script has no think time: members whose gaps in the block's windows are, at the
# median member's median, under _NO_THINK_NS and under _NO_THINK_SHARE of the log's
# median entity's median gap pace like a script however irregular their gaps (a
# ticketing log's scalper bots, queue to purchase in 2 s at each on-sale then a resale
# listing minutes later: 0.68 s at the median against the log's 38 s, coefficient of
# variation 1.55, were "a team", TR s63 H2). A person takes a second or more between two
# acts; the relative bound keeps logs whose people's events come in sub-second bursts
# (a page's automatic events) read as before.
_NO_THINK_NS, _NO_THINK_SHARE = 10**9, 0.1


def _positions(starts, lengths):
    """np.concatenate of np.arange(s, s + n) over the starts and lengths."""
    total = int(lengths.sum())
    shift = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(total, dtype=np.int64) + shift


def _unit_index(det, units):
    """Columns sorted by object (cached per fit on the detector)."""
    cache = getattr(det, "_team_index", None)
    if cache is None or cache[0] is not units:
        order = np.argsort(units, kind="stable")
        cache = (units, order, units[order])
        det._team_index = cache
    return cache[1], cache[2]


def _intervals(det, places):
    """The time intervals [start, end) (ns) of columns at ``places``, merged, sorted."""
    t0, _, window, half = det._bins
    places = np.asarray(places, dtype=np.int64)
    grid = places & 1
    b = (places + grid) // 2
    start = distinct(t0 + b * window - grid * half)
    end = start + window
    # merge overlapping
    new = np.r_[True, start[1:] > end[:-1]]
    first = np.flatnonzero(new)
    return start[first], np.maximum.reduceat(end, first)


def other_meetings(det, graph, rows, cols, units, places) -> float:
    """How many meetings on the block's objects each member is no part of: per object,
    its bursts (its columns of the first grid, in any window, the block's too) held by
    at least ``min_members`` entities without the member; the median over members, then
    over objects. A ring's members are at their items' every burst (0); a guild's at its
    own nights of a boss that many guilds meet on, whether the block took in those
    guilds too or not."""
    order, sorted_units = _unit_index(det, units)
    where = np.full(graph.n_rows, -1, dtype=np.int64)
    where[rows] = np.arange(rows.size)
    counts = []
    for obj in distinct(units[cols]):
        lo, hi = np.searchsorted(sorted_units, [obj, obj + 1])
        mine = order[lo:hi]
        mine = mine[(places[mine] & 1) == 0]  # the first grid's windows: one each
        lengths = graph.col_offsets[mine + 1] - graph.col_offsets[mine]
        who = graph.row_of[_positions(graph.col_offsets[mine], lengths)]
        at = np.repeat(np.arange(mine.size), lengths)  # each entity's burst
        big = lengths >= det.min_members  # (a column's entities are distinct)
        # per member: the big bursts it is part of, and those it is no part of
        mine_at = where[who] >= 0
        part = np.bincount(where[who][mine_at & big[at]], minlength=rows.size)
        missed = int(big.sum()) - part
        counts.append(float(np.median(missed)))
    return float(np.median(counts)) if counts else 0.0


def sittings(det, rows) -> float:
    """The median member's sittings with the others: its meetings, anywhere in the log
    (one object in one window with other members, ``min_members`` in all and at least
    half as many as at its fullest meeting: a guild's raid, not the few guild mates in
    its chat on another evening), apart where more than ``_SITTING_GAP_NS`` pass between
    two (a raid night is one; a ring's rounds are one each, whether the block holds them
    or not)."""
    ev = det._events
    t0, _, window, _ = det._bins
    lengths = ev.offsets[rows + 1] - ev.offsets[rows]
    at = _positions(ev.offsets[rows], lengths)
    k = ev.n_keys
    member = np.repeat(np.repeat(np.arange(rows.size, dtype=np.int64), lengths), k)
    bins = np.repeat((ev.times[at] - t0) // window, k)
    key = ev.keys.reshape(-1, k)[at].reshape(-1).astype(np.int64)
    ok = key >= 0  # (-1: a missing value)
    member, bins, key = member[ok], bins[ok], key[ok]
    if key.size == 0:
        return 0.0
    n_keys, n_bins = int(key.max()) + 1, int(bins.max()) + 1
    # (window, object, member) once each, sorted by (window, object) (numpy's sort path,
    # return_counts: a plain np.unique hashes, slower by far on the millions of events of
    # a block of heavy members, numpy#31969)
    pair = np.unique((bins * n_keys + key) * rows.size + member, return_counts=True)[0]
    _, n = np.unique(pair // rows.size, return_counts=True)
    n = np.repeat(n, n)  # each pair's meeting size
    who = pair % rows.size
    # a member's meetings: those that hold at least half of its fullest one
    fullest = np.zeros(rows.size, dtype=np.int64)
    np.maximum.at(fullest, who, n)
    keep = (n >= det.min_members) & (2 * n >= fullest[who])
    pair = pair[keep]
    if pair.size == 0:  # (no meeting of min_members: a block's acts in no one window)
        return 0.0
    # each member's windows of its meetings, and its sittings among them
    met = np.unique((pair % rows.size) * n_bins + pair // rows.size // n_keys, return_counts=True)[
        0
    ]
    who, when = met // n_bins, met % n_bins
    apart = (when[1:] - when[:-1]) * window > _SITTING_GAP_NS
    first = np.r_[True, (who[1:] != who[:-1]) | apart]
    # A sitting lasts at most _SITTING_MAX_NS: meetings that go on day and night without
    # a break (a stream farm's accounts, 9 days of rounds) are a sitting each such
    # stretch, not one (trial s45: a farm of 50 read as a team of "one sitting").
    run = np.cumsum(first) - 1
    since = (when - when[np.flatnonzero(first)][run]) * window
    piece = run * (int(since.max()) // _SITTING_MAX_NS + 1) + since // _SITTING_MAX_NS
    new = np.r_[True, piece[1:] != piece[:-1]]
    return float(np.median(np.bincount(who[new], minlength=rows.size)))


def pace(det, rows, places) -> tuple[float, float, int, float]:
    """The members' pace in the block's windows: the coefficient of variation of their
    gaps (each over its own member's mean gap; members of ``_MIN_GAPS`` gaps or more),
    the share of the members of ``_SCRIPT_GAPS`` gaps or more whose own gaps' is below
    ``_SCRIPTED``, how many members were read, and the median of those members' median
    gaps (ns; NaN where none was read: :func:`thinks`). On a clock of whole seconds
    (:func:`whole_seconds`) the median gaps count the gaps of 0 too, of members of
    ``_MIN_GAPS`` gaps or more counted so: a script's acts of one second have no gap
    there, and a burst of them would read as its minutes between bursts."""
    ev = det._events
    start, end = _intervals(det, places)
    window = det._bins[2]
    coarse = whole_seconds(det)
    pooled, cvs, typical = [], [], []
    for r in rows:
        lo, hi = ev.offsets[r], ev.offsets[r + 1]
        t = ev.times[lo:hi]
        at = np.searchsorted(start, t, side="right") - 1
        inside = (at >= 0) & (t < end[np.maximum(at, 0)])
        order = np.argsort(t[inside], kind="stable")
        t, at = t[inside][order], at[inside][order]
        gaps = np.diff(t).astype(np.float64)
        near = (at[1:] == at[:-1]) & (gaps < window)
        if coarse and np.count_nonzero(near) >= _MIN_GAPS:
            typical.append(np.median(gaps[near]))
        gaps = gaps[near & (gaps > 0)]
        if gaps.size >= _MIN_GAPS:
            own = gaps / gaps.mean()
            pooled.append(own)
            if not coarse:
                typical.append(np.median(gaps))
            if gaps.size >= _SCRIPT_GAPS:
                cvs.append(own.std())
    think = float(np.median(typical)) if typical else np.nan
    if not pooled:
        return np.nan, np.nan, 0, think
    scripted = float(np.mean(np.asarray(cvs) < _SCRIPTED)) if cvs else 0.0
    return float(np.concatenate(pooled).std()), scripted, len(pooled), think


def whole_seconds(det) -> bool:
    """Whether every event time of the fitted log is a whole second (a clock that
    writes two acts of one second as one time). Cached per fit on the detector."""
    ev = det._events
    cached = getattr(det, "_whole_seconds", None)
    if cached is None or cached[0] is not ev:
        times = ev.times
        whole = times is not None and bool(np.all(np.asarray(times) % 1_000_000_000 == 0))
        cached = (ev, whole)
        det._whole_seconds = cached
    return cached[1]


def population_gap(det) -> float:
    """The log's everyday gap (ns): the median entity's median gap between its events,
    more than 0 (on a clock of whole seconds, 0 or more, as :func:`pace` reads a block's)
    and less than a window apart (NaN where no entity has such a gap). Cached per fit on
    the detector, beside :func:`population_pace`."""
    ev = det._events
    cached = getattr(det, "_population_gap", None)
    if cached is None or cached[0] is not ev:
        n = ev.offsets.size - 1
        entity = np.repeat(np.arange(n, dtype=np.int64), np.diff(ev.offsets))
        gaps = np.diff(ev.times)
        least = 0 if whole_seconds(det) else 1  # (ns)
        ok = (entity[1:] == entity[:-1]) & (gaps >= least) & (gaps < det._bins[2])
        who, gaps = entity[1:][ok], gaps[ok]
        if gaps.size:
            # each entity's median: its gaps sorted within it, the middle one(s)
            order = np.lexsort((gaps, who))
            who, gaps = who[order], gaps[order].astype(np.float64)
            start = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
            count = np.diff(np.r_[start, who.size])
            low = gaps[start + (count - 1) // 2]
            high = gaps[start + count // 2]
            cached = (ev, float(np.median((low + high) / 2)))
        else:
            cached = (ev, np.nan)
        det._population_gap = cached
    return cached[1]


def thinks(det, think: float) -> bool:
    """Whether members whose median gap in the block's windows is ``think`` (ns, the
    median member's: :func:`pace`) leave a person's think time between their acts: not
    under both ``_NO_THINK_NS`` and ``_NO_THINK_SHARE`` of the log's everyday gap
    (:func:`population_gap`). True where nothing was read (NaN)."""
    if not np.isfinite(think):
        return True
    everyday = population_gap(det)
    return not (think < _NO_THINK_NS and think < _NO_THINK_SHARE * everyday)


def _cvs(times, offsets, segment, window):
    """Per entity (a slice of ``offsets``), the coefficient of variation of the gaps
    between its consecutive events of one segment (``segment``, -1: an event not read),
    more than 0 and less than a window apart, each gap over its entity's mean gap; NaN
    for an entity of fewer than ``_MIN_GAPS`` such gaps."""
    n = offsets.size - 1
    entity = np.repeat(np.arange(n, dtype=np.int64), np.diff(offsets))
    gaps = np.diff(times).astype(np.float64)
    ok = (
        (entity[1:] == entity[:-1])
        & (segment[1:] == segment[:-1])
        & (segment[1:] >= 0)
        & (gaps > 0)
        & (gaps < window)
    )
    who, gaps = entity[1:][ok], gaps[ok]
    count = np.bincount(who, minlength=n)
    mean = np.bincount(who, gaps, minlength=n) / np.maximum(count, 1)
    own = gaps / mean[who]
    var = np.bincount(who, (own - 1.0) ** 2, minlength=n) / np.maximum(count, 1)
    return np.where(count >= _MIN_GAPS, np.sqrt(var), np.nan)


def population_pace(det) -> float:
    """The log's everyday pace: the median entity's coefficient of variation of its gaps
    shorter than a window (entities of ``_MIN_GAPS`` such gaps or more; NaN where none).
    Cached per fit on the detector."""
    ev = det._events
    cached = getattr(det, "_population_pace", None)
    if cached is None or cached[0] is not ev:
        cv = _cvs(ev.times, ev.offsets, np.zeros(ev.times.size, np.int64), det._bins[2])
        cached = (ev, float(np.nanmedian(cv)) if np.isfinite(cv).any() else np.nan)
        det._population_pace = cached
    return cached[1]


def everyday_pace(det, rows, places) -> tuple[float, float, int, int, int]:
    """The members' pace in the block's windows and outside them (their everyday pace):
    the median member's coefficient of variation of its gaps in one of the block's
    windows, then of its gaps outside them (members of ``_MIN_GAPS`` such gaps or more),
    how many members were read each way, and how many were read in the block's windows
    and not outside them (fresh: no everyday)."""
    ev = det._events
    start, end = _intervals(det, places)
    lengths = ev.offsets[rows + 1] - ev.offsets[rows]
    t = ev.times[_positions(ev.offsets[rows], lengths)]
    at = np.searchsorted(start, t, side="right") - 1
    inside = (at >= 0) & (t < end[np.maximum(at, 0)])
    offsets = np.r_[0, np.cumsum(lengths)]
    window = det._bins[2]
    cv_in = _cvs(t, offsets, np.where(inside, at, -1), window)
    cv_out = _cvs(t, offsets, np.where(inside, -1, 0), window)
    read_in, read_out = np.isfinite(cv_in), np.isfinite(cv_out)
    median_in = float(np.median(cv_in[read_in])) if read_in.any() else np.nan
    median_out = float(np.median(cv_out[read_out])) if read_out.any() else np.nan
    fresh = int((read_in & ~read_out).sum())
    return median_in, median_out, int(read_in.sum()), int(read_out.sum()), fresh


def paced_as_people(det, rows, places, everyday=None) -> bool:
    """Whether members whose gaps in the block's windows are more regular than a
    memoryless pace's still pace as this log's people do: most members are read in the
    block's windows and outside them, the median member outside them at the log's
    everyday pace (its coefficient of variation at least ``_EVERYDAY`` of the log's
    median entity's) and in them at its own (at least ``_EVERYDAY`` of its outside
    them). A music service's listeners play an album back to back at the tracks'
    length, in a release's hours as on any evening (trial s45: a release's 134 fans,
    0.46 pooled in the block); a script's accounts are fresh (no everyday), keep a
    script's pace everywhere (below the log's people), or leave their owners' pace for
    the script's (hijacked accounts run together). ``everyday``: ``everyday_pace`` of
    the block where the caller has read it already."""
    if everyday is None:
        everyday = everyday_pace(det, rows, places)
    median_in, median_out, n_in, n_out, fresh = everyday
    if not (2 * n_in > rows.size and 2 * n_out > rows.size):
        return False
    # ... and few members are fresh (a script's fresh accounts inside a crowd: read by
    # the median member alone, a minority of them would pass as its people; each
    # member's own coefficient from a few gaps is too noisy to judge it alone: 40% of
    # trial s45's release fans fall under 2/3 of the log's median entity's)
    if fresh > _SCRIPTED_SHARE * n_in:
        return False
    population = population_pace(det)
    return bool(median_out >= _EVERYDAY * population and median_in >= _EVERYDAY * median_out)


def team(det, graph, rows, cols, units, places) -> dict:
    """Whether a lockstep block is a team of people on team content (see the module's
    docstring), with what was read."""
    meetings = other_meetings(det, graph, rows, cols, units, places)
    sat = sittings(det, rows)
    cv, scripted, n_read, think = pace(det, rows, places[cols])
    is_team = (
        meetings >= _OTHER_MEETINGS
        and sat <= _SITTINGS
        and n_read * 2 > rows.size  # most members say how they pace
        and cv >= _HUMAN_PACE
        and scripted <= _SCRIPTED_SHARE
        and thinks(det, think)
    )
    return {
        "other_meetings": meetings,
        "pace_cv": cv,
        "scripted": scripted,
        "paced": n_read,
        "think_s": think / 1e9,
        "sittings": sat,
        "team": bool(is_team),
    }
