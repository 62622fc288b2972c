"""Crowds: an object's audience at a drop, a launch or a push, peeled into blocks.

Independent people who each take the same new items in the hours of a drop, a launch or
a push are the items' audience there. The peeling cuts such a crowd into lockstep blocks
by the time grid, and each block is the items' whole audience in its own windows, so the
items' popularity read from the entities outside it is the floor and every member's
visit looks improbable to the null of independent entities (a 2-item drop's 60 browsers
gave groups of 19-42 in 4 of 4 draws; review s31 P1). What a ring is instead: a closed
set of accounts whose shared objects few others touch, repeating, or a script's
accounts. Three marks together say "a crowd", and any one missing keeps the group:

- **the audience keeps arriving**: the block's objects are taken, beyond the block's
  lockstep reach, by at least as many others as ``_ARRIVING`` of the block's members
  (and ``min_members``), for the median object. Beyond the reach is, for each burst of
  the block (its members' acts, apart where more than a window passes), before the
  burst's last act less a window, or after its first act plus a window: no entity
  that acts with the members within one window (a ring's mates that the grid cut into
  the next window, a burst no longer than a window) is there, so a ring whose items
  nobody else takes reads 0 there however the grid cut it, where a drop's crowd keeps
  coming in the hours around the block and a launch's buyers in the days after it.
- **they meet once**: the median member meets others of the block (on one object in one
  window, at least half as many as at its fullest meeting) in one sitting of the whole
  log (graph/_teams.py's reading): a crowd's members are strangers who share that event,
  where a ring works its rounds again and again. A block of at least
  ``_EPHEMERAL_MIN_MEMBERS`` members (more than a ring's size) may meet in a couple of
  sittings (``_COMMUNITY_SITTINGS``) where most of them have lives of their own
  (``_COMMUNITY_FRESH``): a community at its drops, a fan club at the presales of a tour's
  two dates.
- **no script**: at most ``_teams._SCRIPTED_SHARE`` of the members whose gaps in the
  block's windows say it pace like a script, and where most members say how they pace,
  their gaps are as irregular as a memoryless pace's (graph/_teams.py's reading): fresh
  accounts levelling through the same quests in lockstep on a day or two (an alt army,
  on objects every player takes) pace like the script they run. A crowd's members may
  say nothing of their pace (a drop's shoppers act twice or three times there). Where
  the log's people are themselves regular (a music service's listeners, back to back
  at the tracks' length), members who pace in the block as they do outside it, and
  outside it as the log's median entity does, at most a fifth of them fresh (no life
  outside the block), are people too (``_teams.paced_as_people``, trial s45). Either
  way they leave a person's think time between their acts (``_teams.thinks``): bots
  that buy in sub-second bursts at an on-sale are irregular too.

Where the block's objects have no life outside its hours (an in-play market that opens
at kick-off and closes at the whistle: every act on them, by anyone, falls within a
window of the block's first and last acts, but ``_EPHEMERAL_OUTSIDE`` of them), no
audience can arrive beyond the block and the first mark cannot be read; the block is a
crowd where the other two hold, it holds ``_EPHEMERAL_MIN_MEMBERS`` members or more,
and its members have lives of their own (at most ``_teams._SCRIPTED_SHARE`` of them
fresh: no event outside the block's windows): strangers who met once at the event. A
betting site's live matches were 55 groups of 54-69 bettors each, 1,157 accounts flagged
above every anomaly (trial s48); a ring on objects of its own works its rounds again
(sittings), runs a script, its accounts are fresh, or it is a ring's size.

A crowd is no group, and its blocks are no miss of the search (``patience``): a launch
evening peels into more blocks than ``patience`` allows, and the rings behind it were
never reached (held-out game 361 of 20,000 players: 0 groups before; 20 now, with 124 of
its 184 farm-ring and 116 of its 158 alt-army accounts, none of its 3,134 launch players;
the 165 of its 2,315 raiders that the search then put in groups with ring members, tied
to them by a raider's kill in an army's hour, left them in session 35: see
graph/_detector.py's ``_member_parts``).
"""

from __future__ import annotations

import numpy as np

from ..utils._unique import distinct
from . import _teams
from ._graph import key_index

# A block's objects keep drawing their audience when, for the median object, at least
# this share of the block's size of other entities take it beyond the block's reach.
_ARRIVING = 0.5
# A crowd's members meet there once: a ring of people works its rounds, which the
# sittings count (make_ecommerce's order-brushing rings of 3-5 rounds read 2 where the
# grid cut a round's meetings below half of the fullest: no crowd).
_SITTINGS = 1
# ... or, from _EPHEMERAL_MIN_MEMBERS members (more than a ring's size), in a couple of
# sittings (graph/_teams.py's): a community at its drops, a fan club at the presales of a
# tour's two dates on two mornings (416 fans as "group 0", chance 1e-154, ranks 1-416 of
# a ticketing log's 12,000 accounts, TR s63 H1; 92 of 3,000 on another draw, and on
# others "not significant": a coin flip by the log).
_COMMUNITY_SITTINGS = 2
# ... where most of its members have lives of their own (at most this share fresh: no
# event outside the block's windows): a ring of fresh accounts at two drops stays a group
# (review RV s63 H1), where the trial's fan club, 35-37% presale-only accounts, is a
# community.
_COMMUNITY_FRESH = 0.5
# A block's objects have no life outside its hours where at most this share of the acts
# on them, by anyone, fall outside a window of the block's first and last acts.
_EPHEMERAL_OUTSIDE = 0.05
# ... and the block is a crowd there only from this many members: a ring acting once on
# objects of its own, its members with lives of their own, reads as an event's audience
# does, and the rings of the labelled logs are 3-12 accounts a block (the accounts rings
# of 10-12, card-test operations of 10, feedback farms of 7-9, fixing rings of 4-6; the
# larger ones repeat or run scripts), where a live match's audience was 54-69 (trial s48).
_EPHEMERAL_MIN_MEMBERS = 20


def _object_acts(det, rows, cols, units, places):
    """The acts on the block's objects over the log: (their times, whether by a member
    and in the block's windows, the object of each (its place among the block's), the
    entity of each), and the block's objects."""
    ev = det._events
    objects = distinct(units[cols])
    start, end = _teams._intervals(det, places[cols])
    order, sorted_keys = key_index(ev)
    objects = objects.astype(sorted_keys.dtype)  # (searched in the keys' own dtype, no copy)
    members = np.sort(np.asarray(rows, dtype=np.int64))
    lo = np.searchsorted(sorted_keys, objects, side="left")
    hi = np.searchsorted(sorted_keys, objects, side="right")
    length = hi - lo
    at = _teams._positions(lo, length)
    event = order[at] // ev.n_keys
    row = np.searchsorted(ev.offsets, event, side="right") - 1
    t = ev.times[event]
    obj = np.repeat(np.arange(objects.size), length)
    slot = np.searchsorted(start, t, side="right") - 1
    inside = (slot >= 0) & (t < end[np.maximum(slot, 0)])
    member = np.isin(row, members)
    return t, member & inside, member, obj, row, objects


def ephemeral(det, rows, cols, units, places, acts=None) -> bool:
    """Whether the block's objects have no life outside its hours: at most
    ``_EPHEMERAL_OUTSIDE`` of the acts on them, by anyone, fall before its first act
    less a window or after its last act plus a window (an in-play market, open for the
    match's two hours). ``acts``: :func:`_object_acts`' where the caller has them."""
    acts = _object_acts(det, rows, cols, units, places) if acts is None else acts
    t, in_block = acts[0], acts[1]
    if not in_block.any():
        return False
    window = det._bins[2]
    mine = t[in_block]
    outside = (t < mine.min() - window) | (t > mine.max() + window)
    return bool(np.mean(outside) <= _EPHEMERAL_OUTSIDE)


def _fresh_share(det, rows, places) -> float:
    """The share of the block's members with no event outside its windows: accounts
    made for it (a ring's fresh accounts paying its new payees in one hour), where a
    crowd's members have lives of their own."""
    ev = det._events
    start, end = _teams._intervals(det, places)
    lengths = ev.offsets[rows + 1] - ev.offsets[rows]
    t = ev.times[_teams._positions(ev.offsets[rows], lengths)]
    at = np.searchsorted(start, t, side="right") - 1
    inside = (at >= 0) & (t < end[np.maximum(at, 0)])
    who = np.repeat(np.arange(rows.size), lengths)
    lived = np.bincount(who[~inside], minlength=rows.size) > 0
    return float(1.0 - lived.mean()) if rows.size else 0.0


def paced_as_audience(det, rows, places, acts, everyday=None) -> bool:
    """Whether members more regular in the block's windows than their everyday pace pace
    there as the objects' other audience does in its own windows on them, people all:
    most members read in the block's windows and outside them, few fresh, outside them
    at the log's everyday pace; the audience read from at least as many entities as make
    it arrive (``_ARRIVING`` of the block, ``min_members``), outside its windows at the
    log's everyday pace too; the members in the block at least ``_teams._EVERYDAY`` of
    the audience's pace in its windows. A new album's listeners play it through at the
    tracks' length, more regular than their own shuffling and skipping (0.43 against
    0.97), and so does every later listener of it (0.47): the objects' rhythm, not a
    script's, where the release night's first fans were a lockstep group of 107-121,
    "chance 1e-21", on 3 of 5 logs (TR s67 H1). A script's accounts pace like it
    everywhere, are fresh, or take objects whose other audience paces otherwise; a
    ring's own mates that the grid left out pace as its script outside their windows
    too (below the log's people), and neither the members nor the audience may keep a
    script's one cadence in them (``_RHYTHM_FLOOR``: a ring's rotations on its own
    tracks, its other accounts aged or hijacked, are each other's audience).
    ``everyday``: ``_teams.everyday_pace`` of the block where the caller has read it."""
    if everyday is None:
        everyday = _teams.everyday_pace(det, rows, places)
    median_in, median_out, n_in, n_out, fresh = everyday
    if not (2 * n_in > rows.size and 2 * n_out > rows.size):
        return False
    if fresh > _teams._SCRIPTED_SHARE * n_in:
        return False
    population = _teams.population_pace(det)
    if not median_out >= _teams._EVERYDAY * population:
        return False
    # ... nor at a script's one cadence in the block (a ring's rotations on its own
    # tracks, whose other accounts, aged or hijacked, are the "audience": review RV s67 H2)
    if not median_in >= _RHYTHM_FLOOR:
        return False
    audience_in, audience_out, n_read, n_audience = _audience_pace(det, acts)
    needed = max(det.min_members, _ARRIVING * rows.size)
    # (read from a sample of a large audience: as many as it holds, up to half the sample)
    if n_audience < needed or n_read < min(needed, _AUDIENCE_READ // 2):
        return False
    return bool(
        audience_out >= _teams._EVERYDAY * population
        and audience_in >= _RHYTHM_FLOOR
        and median_in >= _teams._EVERYDAY * audience_in
    )


# A block whose members, or its objects' audience, pace in it at a coefficient of
# variation under this keep a script's one cadence: a loop of tracks at 31-40 s a play is
# 0.07; an album played through, its tracks of 2.5 to 5.5 minutes and the pauses between,
# 0.43 (its first fans) and 0.47 (its later listeners, TR s67).
_RHYTHM_FLOOR = 0.2


# The objects' audience is read from at most this many of its entities (spread evenly
# over them by row): a hit's listeners can be most of a log's accounts.
_AUDIENCE_READ = 2000


def _audience_pace(det, acts) -> tuple[float, float, int, int]:
    """The pace of the block's objects' other audience (the entities outside the block
    that act on its objects anywhere in the log, at most ``_AUDIENCE_READ`` of them): the
    median entity's coefficient of variation of its gaps in the windows (of the first
    grid) where it acts on the objects, then outside them, how many were read in them
    (``_teams._MIN_GAPS`` gaps or more), and how many entities the audience holds."""
    ev = det._events
    t0, n_bins, window, _ = det._bins
    t, _, member, _, row, _ = acts
    other = ~member
    if not other.any():
        return np.nan, np.nan, 0, 0
    # (entity, window) pairs of the audience's acts on the objects (n_bins: the grid's
    # windows over the log, a key's second part)
    span = np.int64(n_bins)
    pair = np.unique(row[other] * span + (t[other] - t0) // window, return_counts=True)[0]
    who = pair // span
    entities = np.unique(who, return_counts=True)[0]
    n_audience = int(entities.size)
    if entities.size > _AUDIENCE_READ:
        entities = entities[np.linspace(0, entities.size - 1, _AUDIENCE_READ).astype(np.int64)]
        pair = pair[np.isin(who, entities)]
    lengths = ev.offsets[entities + 1] - ev.offsets[entities]
    times = ev.times[_teams._positions(ev.offsets[entities], lengths)]
    entity = np.repeat(entities, lengths)
    bins = (times - t0) // window
    inside = np.isin(entity * span + bins, pair)
    offsets = np.r_[0, np.cumsum(lengths)]
    cv_in = _teams._cvs(times, offsets, np.where(inside, bins, -1), window)
    cv_out = _teams._cvs(times, offsets, np.where(inside, -1, 0), window)
    read_in, read_out = np.isfinite(cv_in), np.isfinite(cv_out)
    median_in = float(np.median(cv_in[read_in])) if read_in.any() else np.nan
    median_out = float(np.median(cv_out[read_out])) if read_out.any() else np.nan
    return median_in, median_out, int(read_in.sum()), n_audience


def arriving(det, rows, cols, units, places, acts=None) -> float:
    """How many entities outside the block ``rows`` take its objects beyond its lockstep
    reach, anywhere in the log: the median over the block's objects.

    The reach is read per burst of the block: the members' acts on its objects in its
    windows fall into bursts (apart where more than a window passes between two), and a
    burst's reach is from its last act less a window to its first act plus a window. An
    outside act on the block's objects within no burst's reach is beyond it. A burst is
    read over all the block's objects together, not per object: a ring takes its objects
    in one session, so a mate that the grid cut into the next window acts within a window
    of the session, on whichever of the objects (a block of one burst reads as it did
    before session 35). Read from the block's first and last act, a block over several
    bursts (rounds on different days) had no reach at all, and every act on its objects
    arrived (review RV s34 M7); now each round keeps its own. A burst longer than two
    windows has no reach either: others who take the objects in its hours are not acting
    with the members within a window."""
    ev = det._events
    window = det._bins[2]
    acts = _object_acts(det, rows, cols, units, places) if acts is None else acts
    t, in_block, member, obj, row, objects = acts
    mine = np.sort(t[in_block])
    if mine.size == 0:
        return 0.0
    # the block's bursts: (first act, last act), more than a window apart
    new = np.r_[True, mine[1:] - mine[:-1] > window]
    first_at = np.flatnonzero(new)
    first, last = mine[first_at], np.maximum.reduceat(mine, first_at)
    # an act at t is within a burst's reach when last - window <= t <= first + window; the
    # bursts are more than a window apart, so only the last burst that starts by
    # t + window and the one before it can hold t
    near = np.searchsorted(first, t + window, side="right") - 1
    within = np.zeros(t.size, dtype=bool)
    for k in (near, near - 1):
        kk = np.maximum(k, 0)
        within |= (k >= 0) & (t >= last[kk] - window) & (t <= first[kk] + window)
    beyond = ~member & ~within
    # distinct (object, entity) pairs beyond the reach, counted per object
    # (numpy's sort path, return_counts: its hash path is slower by far on many pairs)
    pair = np.unique(obj[beyond] * np.int64(len(ev.offsets)) + row[beyond], return_counts=True)[0]
    counts = np.bincount(pair // np.int64(len(ev.offsets)), minlength=objects.size)
    return float(np.median(counts))


def crowd(det, rows, cols, units, places) -> dict:
    """Whether a lockstep block is part of its objects' crowd (see the module's
    docstring), with what was read."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size < det.min_members:
        return {"arriving": 0.0, "ephemeral": False, "sittings": np.nan, "crowd": False}
    acts = _object_acts(det, rows, cols, units, places)  # (read once, for both marks)
    arrivals = arriving(det, rows, cols, units, places, acts)
    enough = arrivals >= max(det.min_members, _ARRIVING * rows.size)
    # (objects with no life outside the block: no audience can arrive; the other marks
    # and the members' own lives say it, see the module's docstring)
    brief = (
        not enough
        and rows.size >= _EPHEMERAL_MIN_MEMBERS
        and ephemeral(det, rows, cols, units, places, acts)
    )
    met = _teams.sittings(det, rows) if enough or brief else np.nan
    once = bool((enough or brief) and met <= _SITTINGS)
    # ... or, more than a ring's size, twice (a community at its drops)
    twice = bool(
        not once and enough and rows.size >= _EPHEMERAL_MIN_MEMBERS and met <= _COMMUNITY_SITTINGS
    )
    read = once or twice
    paced = _teams.pace(det, rows, places[cols]) if read else (np.nan, np.nan, 0, np.nan)
    cv, scripted, n_read, think = paced
    human = read and not scripted > _teams._SCRIPTED_SHARE  # (NaN: none paced)
    human = human and (2 * n_read <= rows.size or cv >= _teams._HUMAN_PACE)
    # ... or as regular as the log's people are everyday (a music log's listeners), where
    # they meet once: a block that meets twice is read by its pace in the block alone (a
    # ring's script accounts joined to raiders by a raider's kill in their hour pass as
    # the raiders' people, test_graph_parts_s35)
    if not human and once and _teams._EVERYDAY_PACE:
        everyday = _teams.everyday_pace(det, rows, places[cols])  # (read once, for both)
        human = _teams.paced_as_people(det, rows, places[cols], everyday) or paced_as_audience(
            det, rows, places[cols], acts, everyday
        )
    # ... with a person's think time between their acts (a script's bursts have none)
    human = human and _teams.thinks(det, think)
    if brief and human:  # ... strangers with lives of their own
        human = _fresh_share(det, rows, places[cols]) <= _teams._SCRIPTED_SHARE
    if twice and human:  # ... most of them with lives of their own
        human = _fresh_share(det, rows, places[cols]) <= _COMMUNITY_FRESH
    return {
        "arriving": arrivals,
        "ephemeral": brief,
        "sittings": met,
        "pace_cv": cv,
        "scripted": scripted,
        "think_s": think / 1e9,
        "crowd": bool(human),
    }


def roams(det, rows, cols, units, places) -> dict:
    """Whether a lockstep block is a team that meets again and again, each time at
    another of its objects, all of them others' places too: people who pick a place at
    each meeting (colleagues ordering lunch together, from another restaurant each
    weekday), with what was read.

    Read together: the block meets in at least two sittings (``_teams``' gap between
    two); its median object is met in one of them; on every object its members are
    under half of the entities that ever act on it; its members pace as people in its
    windows (``_teams.team``'s reading: as irregular as a memoryless pace, few at a
    script's; or as they do outside them, at the log's people's pace) with a person's
    think time; and at most ``_teams._SCRIPTED_SHARE`` of
    them have no life outside its windows. A ring works its rounds on objects of its
    own: the shop it brushes, its payees, the items it boosts are mostly its members'
    (and it comes back to them), and a farm's accounts run a script or live nowhere
    else. A delivery app's office teams of 5-11 colleagues, on 2-4 restaurants of 15-286
    customers each (5-9 of them members) over 2-6 weekday lunches, were 12 groups of a
    log with nothing planted (4.5% flagged, TR s68 H2)."""
    out = {"sittings": 0, "median_object_sittings": np.nan, "largest_share": np.nan}
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size < det.min_members:
        return {**out, "roams": False}
    t, in_block, member, obj, row, objects = _object_acts(det, rows, cols, units, places)
    if not in_block.any():
        return {**out, "roams": False}
    # the block's sittings, and each object's among its own acts in the block
    order = np.lexsort((t[in_block], obj[in_block]))
    when, which = t[in_block][order], obj[in_block][order]
    apart = (np.diff(when) > _teams._SITTING_GAP_NS) | (which[1:] != which[:-1])
    per_object = np.bincount(which[np.r_[True, apart]], minlength=objects.size)
    per_object = per_object[per_object > 0]
    ordered = np.sort(t[in_block])
    n_sittings = 1 + int((np.diff(ordered) > _teams._SITTING_GAP_NS).sum())
    # the members' share of each object's entities over the log
    pair = np.unique(obj * np.int64(len(det._events.offsets)) + row, return_counts=True)[0]
    of_pair, row_of_pair = (
        pair // np.int64(len(det._events.offsets)),
        pair % np.int64(len(det._events.offsets)),
    )
    everyone = np.bincount(of_pair, minlength=objects.size)
    mine = np.bincount(of_pair[np.isin(row_of_pair, rows)], minlength=objects.size)
    share = mine / np.maximum(everyone, 1)
    out = {
        "sittings": n_sittings,
        "median_object_sittings": float(np.median(per_object)),
        "largest_share": float(share.max()),
    }
    places_ = places[cols]
    others = n_sittings >= 2 and out["median_object_sittings"] <= 1 and 2 * share.max() < 1
    if not others:
        return {**out, "roams": False}
    cv, scripted, n_read, think = _teams.pace(det, rows, places_)
    human = (
        n_read * 2 > rows.size and cv >= _teams._HUMAN_PACE and scripted <= _teams._SCRIPTED_SHARE
    )
    # (an order's few steps a day say little of a pace: read too as the members pace
    # outside the block, where that is the log's people's pace)
    people = _teams.thinks(det, think) and (human or _teams.paced_as_people(det, rows, places_))
    fresh = _fresh_share(det, rows, places_) if people else np.nan
    lived = people and fresh <= _teams._SCRIPTED_SHARE
    return {**out, "pace_cv": cv, "scripted": scripted, "fresh": fresh, "roams": bool(lived)}
