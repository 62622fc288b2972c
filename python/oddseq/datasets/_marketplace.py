"""A synthetic resale marketplace for limited drops (sneakers, concert tickets) with
labelled fraud and abuse."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ..utils._validation import check_generator
from ._ecommerce import Bunch

__all__ = ["make_marketplace", "MARKETPLACE_EVENTS", "MARKETPLACE_KINDS"]

#: Event types of make_marketplace, in the order of the event column's categories.
MARKETPLACE_EVENTS = (
    "login",
    "search",
    "view",
    "add_to_cart",
    "checkout",
    "payment_failed",
    "purchase",
    "review",
)
_LOGIN, _SEARCH, _VIEW, _CART, _CHECKOUT, _FAILED, _PURCHASE, _REVIEW = range(8)

#: The kinds of anomalous users make_marketplace plants, in the order it assigns them.
MARKETPLACE_KINDS = (
    "drop_scalper",
    "card_tester",
    "account_takeover",
    "review_manipulator",
    "price_scraper",
)

_CATEGORIES = ("sneakers", "tickets", "streetwear", "collectibles", "electronics", "gift_cards")
_CATEGORY_P = np.array([0.30, 0.22, 0.20, 0.12, 0.10, 0.06])
# Median list price and its log-spread per category (gift cards have face values).
_PRICE_MEDIAN = np.array([180.0, 120.0, 60.0, 90.0, 300.0, 25.0])
_PRICE_SIGMA = np.array([0.5, 0.6, 0.5, 0.9, 0.6, 0.0])
_GIFT_CARD_VALUES = np.array([5.0, 10.0, 25.0, 50.0, 100.0])
_GIFT_CARDS = 5

# The shop's clock is New York's; users live in four US zones (hours behind New York).
_TIME_ZONE = "America/New_York"
_ZONE_SHIFT_H = np.array([0, 1, 2, 3])
_ZONE_P = np.array([0.47, 0.29, 0.07, 0.17])
_T0_UTC_S = 1_757_304_000  # Monday 2025-09-08 00:00 New York time (EDT, UTC-4); up to
# _MAX_DAYS the window stays within daylight time, so New York hours are T0 + whole hours
_MAX_DAYS = 53  # daylight time ends on 2025-11-02 (and users live up to 3 h west)
_DAY_S = 86_400
_MS = 1_000
# Sessions per local hour of a person's day: asleep at night, a lunch bump, the
# longest stretch in the evening after work.
_HOURLY = np.array(
    [1.2, 0.6, 0.3, 0.2, 0.2, 0.4, 1.0, 2.2, 3.0, 3.1, 3.2, 3.6]
    + [4.6, 4.2, 3.4, 3.3, 3.6, 4.2, 5.2, 6.3, 7.0, 6.6, 5.0, 2.8]
)
_HOURLY = _HOURLY / _HOURLY.sum()
_WEEKDAY = np.array([0.9, 0.9, 0.95, 1.0, 1.1, 1.3, 1.25])  # Monday first

# People's in-session behaviour: a Markov chain over event types. _END: the chance a
# session ends after each event type; _NEXT: where it goes otherwise (rows sum to 1).
_END = np.array([0.03, 0.10, 0.30, 0.06, 0.03, 0.35, 0.6, 0.5])
_NEXT = np.array(
    [
        # login search view  cart  check fail  buy   review
        [0.00, 0.45, 0.55, 0.00, 0.00, 0.00, 0.00, 0.00],  # login
        [0.00, 0.15, 0.85, 0.00, 0.00, 0.00, 0.00, 0.00],  # search
        [0.00, 0.17, 0.83, 0.00, 0.00, 0.00, 0.00, 0.00],  # view (carts drawn apart)
        [0.00, 0.06, 0.36, 0.00, 0.58, 0.00, 0.00, 0.00],  # add_to_cart
        [0.00, 0.00, 0.05, 0.00, 0.00, 0.07, 0.88, 0.00],  # checkout
        [0.00, 0.00, 0.20, 0.00, 0.80, 0.00, 0.00, 0.00],  # payment_failed -> retry
        [0.00, 0.30, 0.70, 0.00, 0.00, 0.00, 0.00, 0.00],  # purchase
        [0.00, 0.30, 0.70, 0.00, 0.00, 0.00, 0.00, 0.00],  # review
    ]
)
_NEXT_CUM = np.cumsum(_NEXT, axis=1)
_NEXT_CUM[:, -1] = 1.0  # no rounding past the last column
# Median human think time (s) after each event type: reading results, looking at a
# listing, typing card details at checkout, recovering from a declined card.
_THINK_S = np.array([6.0, 9.0, 26.0, 12.0, 40.0, 25.0, 20.0, 15.0])
# Share of 1..5-star ratings people give (J-shaped, as on real review sites).
_STARS_P = np.array([0.12, 0.05, 0.08, 0.20, 0.55])
# How far anomalies stand from people: 1 = caricature, smaller = subtler.
_INTENSITY = {"easy": 1.0, "medium": 0.65, "hard": 0.3}


def _lerp_log(normal: float, extreme: float, t: float) -> float:
    """Geometric interpolation: rates and durations differ by factors, not offsets."""
    return float(np.exp((1 - t) * np.log(normal) + t * np.log(extreme)))


class _Shop:
    """Items with Zipf popularity (rank 0 the most popular), categories, list prices,
    and the limited drops (sneakers and tickets released at fixed times)."""

    def __init__(self, rng: np.random.Generator, n_users: int, n_days: int):
        self.n_items = int(max(400, n_users // 3))
        weight = 1.0 / np.arange(1, self.n_items + 1) ** 1.1
        self.cum_p = np.cumsum(weight / weight.sum())
        self.category = rng.choice(len(_CATEGORIES), self.n_items, p=_CATEGORY_P)
        price = _PRICE_MEDIAN[self.category] * np.exp(
            _PRICE_SIGMA[self.category] * rng.standard_normal(self.n_items)
        )
        gift = self.category == _GIFT_CARDS
        price[gift] = rng.choice(_GIFT_CARD_VALUES, int(gift.sum()))
        self.price = np.round(price, 2)
        self.item_ids = rng.choice(20 * self.n_items, self.n_items, replace=False) + 100_000
        # Drops: every third day or so at 10:00 or 11:00 New York time, one hot item each.
        n_drops = max(2, n_days // 3)
        days = np.sort(rng.choice(n_days, n_drops, replace=False))
        self.drop_time_ms = (_T0_UTC_S + days * _DAY_S + rng.choice([10, 11], n_drops) * 3600) * _MS
        hot = np.flatnonzero(np.isin(self.category, [0, 1]))
        self.drop_item = rng.choice(hot, n_drops, replace=False)
        self.price[self.drop_item] = np.round(self.price[self.drop_item] * 1.8 + 100, 2)
        by_price = np.argsort(self.price, kind="stable")
        self.cheap = by_price[: max(10, self.n_items // 40)]
        self.pricey = by_price[-max(10, self.n_items // 30) :]
        self.gift_cards = np.flatnonzero(gift)
        if self.gift_cards.size == 0:
            self.gift_cards = self.cheap

    def popular(self, rng, n: int) -> np.ndarray:
        """Items drawn by Zipf popularity."""
        return np.minimum(np.searchsorted(self.cum_p, rng.random(n)), self.n_items - 1)


class _Log:
    """Collects events as arrays (user, event type, time in UTC ms, item or -1,
    rating or 0)."""

    def __init__(self):
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, user, event, t_ms, item, rating=None):
        n = np.asarray(user).size
        self.parts.append(
            (
                np.asarray(user, np.int64),
                np.asarray(event, np.int8),
                np.asarray(t_ms, np.int64),
                np.asarray(item, np.int64),
                np.zeros(n, np.int8) if rating is None else np.asarray(rating, np.int8),
            )
        )

    def arrays(self):
        return [np.concatenate([p[i] for p in self.parts]) for i in range(5)]


def _local_starts(rng, shift_h, day_lo, day_hi, hourly=_HOURLY):
    """Session starts (UTC ms) on days in [day_lo, day_hi), weekends busier, at local
    hours drawn from ``hourly`` for users ``shift_h`` hours behind New York."""
    n = shift_h.size
    span = np.maximum(1, day_hi - day_lo)
    # Day within the span, weighted by weekday (day 0 is a Monday).
    u = rng.random(n)
    offset = np.floor(u * span).astype(np.int64)
    keep = rng.random(n) < _WEEKDAY[(day_lo + offset) % 7] / _WEEKDAY.max()
    offset = np.where(keep, offset, np.floor(rng.random(n) * span).astype(np.int64))
    day = day_lo + offset
    second = rng.choice(24, n, p=hourly) * 3600 + rng.integers(0, 3600, n)
    local_s = _T0_UTC_S + day * _DAY_S + second + shift_h * 3600
    return local_s * _MS + rng.integers(0, _MS, n)


def _any_hour_starts(rng, t, shift_h, n_days):
    """Session starts anywhere in the window (:func:`_local_starts`) at local hours that
    move from a person's day (t = 0) towards any hour alike (t = 1): a script keeps no
    human clock, the more so the less subtle it is."""
    hourly = (1 - t) * _HOURLY + t / 24
    n = shift_h.size
    days_lo, days_hi = np.zeros(n, np.int64), np.full(n, n_days)
    return _local_starts(rng, shift_h, days_lo, days_hi, hourly / hourly.sum())


def _gaps_to_times(starts_ms, session, position, gaps_ms):
    """Times of events from their session's start and the gaps before them (gap at
    position 0 ignored); events must be grouped by session in position order."""
    gaps = np.where(position == 0, 0, np.maximum(gaps_ms, 0)).astype(np.int64)
    total = np.cumsum(gaps)
    first = np.flatnonzero(position == 0)
    base = np.repeat(total[first], np.diff(np.append(first, total.size)))
    return starts_ms[session] + total - base


def _human_sessions(rng, shop, log, users, starts_ms, speed, buyer, first_login, end_ms):
    """Browsing sessions of people: a Markov chain over event types, item choices that
    follow searches, human think times; reviews of some purchases days later."""
    n = users.size
    if n == 0:
        return
    state = np.where(
        rng.random(n) < first_login, _LOGIN, np.where(rng.random(n) < 0.5, _SEARCH, _VIEW)
    ).astype(np.int64)
    fatigue = rng.lognormal(0, 0.45, n)  # per session: some linger, some leave at once
    active = np.arange(n)
    rec_session, rec_state, rec_pos = [], [], []
    for pos in range(150):
        rec_session.append(active)
        rec_state.append(state)
        rec_pos.append(np.full(active.size, pos))
        end = rng.random(active.size) < np.clip(_END[state] * fatigue[active], 0.01, 0.97)
        nxt = (rng.random(active.size)[:, None] > _NEXT_CUM[state]).sum(axis=1)
        p_cart = np.clip(0.07 * buyer[users[active]], 0, 0.3)
        cart = (state == _VIEW) & (rng.random(active.size) < p_cart)
        nxt = np.where(cart, _CART, nxt)
        active, state = active[~end], nxt[~end]
        if active.size == 0:
            break
    session = np.concatenate(rec_session)
    order = np.argsort(session, kind="stable")
    session = session[order]
    event = np.concatenate(rec_state)[order]
    position = np.concatenate(rec_pos)[order]
    user = users[session]
    previous = np.append(0, event[:-1])
    gaps = _THINK_S[previous] * speed[user] * np.exp(0.9 * rng.standard_normal(event.size)) * _MS
    t_ms = _gaps_to_times(starts_ms, session, position, np.rint(gaps).astype(np.int64))
    # Each search starts a new interest: its segment's item is drawn by popularity; views
    # stay on it or wander to other popular listings, carts and checkouts act on it.
    segment = np.cumsum((event == _SEARCH) | (position == 0)) - 1
    segment_item = shop.popular(rng, int(segment[-1]) + 1)[segment]
    wander = (event == _VIEW) & (rng.random(event.size) < 0.45)
    item = np.where(wander, shop.popular(rng, event.size), segment_item)
    item = np.where((event == _LOGIN) | (event == _SEARCH), -1, item)
    log.add(user, event, t_ms, item)
    # A few purchases get a review 1-6 days later.
    bought = np.flatnonzero((event == _PURCHASE) & (rng.random(event.size) < 0.12))
    if bought.size:
        later = t_ms[bought] + np.rint(rng.uniform(1, 6, bought.size) * _DAY_S * _MS).astype(
            np.int64
        )
        stars = rng.choice(5, bought.size, p=_STARS_P) + 1
        inside = later < end_ms
        log.add(
            user[bought][inside],
            np.full(int(inside.sum()), _REVIEW),
            later[inside],
            item[bought][inside],
            stars[inside],
        )


def _scripted(rng, user, starts_ms, length, gap_median_s, gap_sigma, period_jitter=None):
    """(user, session, position, time) of scripted sessions: gaps lognormal around a
    per-session median, or, with ``period_jitter``, a fixed period +- a relative
    jitter (a sleep() loop)."""
    length = np.maximum(1, np.asarray(length, np.int64))
    n_events = int(length.sum())
    session = np.repeat(np.arange(length.size), length)
    first = np.zeros(length.size + 1, np.int64)
    np.cumsum(length, out=first[1:])
    position = np.arange(n_events) - first[session]
    median = np.broadcast_to(np.asarray(gap_median_s, float), length.shape)[session]
    if period_jitter is None:
        gaps = median * np.exp(gap_sigma * rng.standard_normal(n_events))
    else:
        gaps = median * (1 + period_jitter * rng.uniform(-1, 1, n_events))
    t_ms = _gaps_to_times(starts_ms, session, position, np.rint(gaps * _MS).astype(np.int64))
    return user[session], session, position, t_ms


def make_marketplace(
    n_users: int = 10_000,
    anomaly_rate: float = 0.03,
    difficulty: str = "medium",
    random_state=None,
    n_days: int = 14,
) -> Bunch:
    """A synthetic resale marketplace for limited drops, with labelled anomalous users.

    A different shop from :func:`make_ecommerce`: sneakers, concert tickets, streetwear,
    collectibles, electronics and gift cards, sold in New York time to users in four US
    time zones, with limited "drops" (a hot item released at 10:00 or 11:00 every few
    days). Its events are ``login``, ``search``, ``view``, ``add_to_cart``,
    ``checkout``, ``payment_failed``, ``purchase`` and ``review``, with millisecond
    timestamps.

    People: heavy-tailed activity (about half the users come once, many with one to
    three events; a few come dozens of times), sessions on the local daily rhythm
    (quiet nights, a lunch bump, evening peak; weekends busier), a Markov chain over
    the event types (searches lead to views, views sometimes to carts, checkouts to
    purchases or to a declined card and a retry), log-normal think times that depend on
    what was just seen (reading a listing about 26 s, typing card details about 40 s)
    and on the person's pace, Zipf item popularity, a few reviews (J-shaped star
    ratings) days after a purchase; some people also queue for drops, refreshing the
    item page at release time.

    Anomalous users (about ``anomaly_rate`` of them, in equal shares), each defined by
    what it does:

    - ``drop_scalper``: bots buying up a drop to resell it: sessions that start seconds
      before the release, refresh the item page with no think time, then add to cart,
      check out and buy again and again within a second or two;
    - ``card_tester``: a stolen-card list checked against the shop: cheap items (gift
      cards), checkout after checkout, mostly ``payment_failed``, now and then a
      small purchase that confirms a working card;
    - ``account_takeover``: a real customer's history, a long silence, then a login at
      an odd hour of the owner's night and fast purchases of expensive items with no
      searching or browsing;
    - ``review_manipulator``: rings of accounts that post 5-star reviews of one
      seller's few items, in bursts with regular gaps, without buying them;
    - ``price_scraper``: a competitor's crawler: long sessions of views walking the
      catalogue at a fixed period, any hour, no login, never a cart.

    ``difficulty`` sets how far they stand from people: "hard" scalpers wait a human
    second or two with jitter, card testers try a few cards across sessions with
    browsing between, takeovers browse a little at a less odd hour, manipulators buy a
    token item and vary their ratings, scrapers jitter their period and visit popular
    items; and most hard (some medium) anomalies also live a normal customer's life.

    Parameters
    ----------
    n_users : int, default=10_000
    anomaly_rate : float in [0, 0.5], default=0.03
    difficulty : {"easy", "medium", "hard"}, default="medium"
    random_state : int, numpy Generator or None
        The same seed gives the same log.
    n_days : int in [7, 53], default=14
        Days of activity, from Monday 2025-09-08 (New York time; the window ends
        before daylight time does). Reviews never fall after the window.

    Returns
    -------
    Bunch with
        events : DataFrame, time-ordered, with ``user_id`` (int), ``event``
            (categorical, the eight types above), ``timestamp`` (time zone
            America/New_York, millisecond precision), ``item_id`` (nullable Int64;
            missing for login and search), ``category_id`` (categorical; missing with
            the item), ``price`` (float: the item's price, missing without an item) and
            ``rating`` (1-5 on reviews, else missing).
        labels : Series of 0/1 indexed by user_id (1 = anomalous).
        kinds : Series of str indexed by user_id ("normal" or an anomaly kind).
        roles : dict of the column roles for :meth:`Sequences.from_events`
            (entity, event, time, item, value).

    Examples
    --------
    >>> from oddseq.datasets import make_marketplace
    >>> from oddseq.sequences import Sequences
    >>> data = make_marketplace(n_users=400, random_state=0)
    >>> list(data.events.columns)
    ['user_id', 'event', 'timestamp', 'item_id', 'category_id', 'price', 'rating']
    >>> int(data.labels.sum()), data.labels.size
    (12, 400)
    >>> seqs = Sequences.from_events(data.events, **data.roles)
    >>> len(seqs)
    400
    """
    if isinstance(n_users, bool) or not isinstance(n_users, numbers.Integral):
        raise TypeError(f"n_users must be an int, got {type(n_users).__name__} {n_users!r}")
    if n_users < 1:
        raise ValueError(f"n_users must be >= 1, got {n_users}")
    if isinstance(anomaly_rate, bool) or not isinstance(anomaly_rate, numbers.Real):
        raise TypeError(
            f"anomaly_rate must be a number in [0, 0.5], got {type(anomaly_rate).__name__}"
        )
    if not (0 <= anomaly_rate <= 0.5):
        raise ValueError(f"anomaly_rate must be in [0, 0.5], got {anomaly_rate!r}")
    if not isinstance(difficulty, str) or difficulty not in _INTENSITY:
        raise ValueError(f"difficulty must be one of {list(_INTENSITY)}, got {difficulty!r}")
    if isinstance(n_days, bool) or not isinstance(n_days, numbers.Integral):
        raise TypeError(f"n_days must be an int, got {type(n_days).__name__} {n_days!r}")
    if not 7 <= n_days <= _MAX_DAYS:
        raise ValueError(f"n_days must be in [7, {_MAX_DAYS}], got {n_days}")
    rng = check_generator(random_state)
    n_days = int(n_days)
    t = _INTENSITY[difficulty]
    shop = _Shop(rng, n_users, n_days)
    end_ms = (_T0_UTC_S + n_days * _DAY_S) * _MS
    log = _Log()

    n_anomalous = int(round(n_users * anomaly_rate))
    kind_code = np.full(n_users, -1, np.int64)
    anomalous = rng.permutation(n_users)[:n_anomalous]
    kind_code[anomalous] = np.arange(n_anomalous) % len(MARKETPLACE_KINDS)
    # Per user: the zone (hours behind New York), pace, propensity to buy.
    shift_h = _ZONE_SHIFT_H[rng.choice(_ZONE_SHIFT_H.size, n_users, p=_ZONE_P)]
    speed = rng.lognormal(0, 0.35, n_users)
    buyer = rng.lognormal(0, 0.6, n_users)

    def normal_life(users, day_lo=0, day_hi=n_days, scale=1.0):
        """Sessions of people; heavy-tailed session counts (Pareto), first visits spread
        over the window."""
        if users.size == 0:
            return
        n_sess = np.minimum(80, 1 + np.floor(rng.pareto(1.4, users.size) * scale)).astype(np.int64)
        s_user = np.repeat(users, n_sess)
        span = max(1, day_hi - day_lo)
        first_day = day_lo + np.floor(rng.random(users.size) * span).astype(np.int64)
        lo = np.repeat(np.where(n_sess > 3, day_lo, first_day), n_sess)
        starts = _local_starts(rng, shift_h[s_user], lo, np.full(s_user.size, day_hi))
        _human_sessions(rng, shop, log, s_user, starts, speed, buyer, 0.3, end_ms)

    def drop_queue(users):
        """People queueing for drops: refreshing the item page around release time."""
        if users.size == 0:
            return
        drop = rng.integers(0, shop.drop_item.size, users.size)
        starts = shop.drop_time_ms[drop] + np.rint(rng.lognormal(4.5, 1.2, users.size) * _MS)
        length = 1 + rng.poisson(5, users.size)
        u, sess, pos, t_ms = _scripted(rng, users, starts.astype(np.int64), length, 7.0, 0.8)
        event = np.full(u.size, _VIEW)
        last = np.append(sess[1:] != sess[:-1], True)
        lucky = rng.random(users.size) < 0.25
        event[last & lucky[sess]] = _PURCHASE
        before = np.append(last[1:], False) & lucky[sess]
        event[before & (pos > 0)] = _CHECKOUT
        log.add(u, event, t_ms, shop.drop_item[drop][sess])

    normal = np.flatnonzero(kind_code < 0)
    normal_life(normal)
    drop_queue(normal[rng.random(normal.size) < 0.06])
    # Subtler anomalies also live a customer's life (takeovers have their own).
    mixed = anomalous[rng.random(anomalous.size) < 1.1 - t]
    mixed = mixed[kind_code[mixed] != MARKETPLACE_KINDS.index("account_takeover")]
    normal_life(mixed, scale=0.5)

    def users_of(kind):
        return np.flatnonzero(kind_code == MARKETPLACE_KINDS.index(kind))

    # drop_scalper: at each of a few drops, start just before release, refresh with no
    # think time, then cart -> checkout -> purchase loops.
    users = users_of("drop_scalper")
    if users.size:
        n_att = rng.integers(1, min(4, shop.drop_item.size) + 1, users.size)
        s_user = np.repeat(users, n_att)
        drop = rng.integers(0, shop.drop_item.size, s_user.size)
        lead_s = rng.uniform(_lerp_log(60, 2, t), _lerp_log(300, 30, t), s_user.size)
        starts = (shop.drop_time_ms[drop] - np.rint(lead_s * _MS)).astype(np.int64)
        n_loops = np.maximum(1, rng.poisson(_lerp_log(1.5, 6, t), s_user.size))
        n_refresh = np.maximum(1, rng.poisson(_lerp_log(6, 40, t), s_user.size))
        length = n_refresh + 3 * n_loops
        gap = _lerp_log(5, 0.25, t) * rng.lognormal(0, 0.2, s_user.size)
        u, sess, pos, t_ms = _scripted(rng, s_user, starts, length, gap, _lerp_log(0.8, 0.3, t))
        loop_pos = pos - n_refresh[sess]
        event = np.where(
            loop_pos < 0,
            _VIEW,
            np.array([_CART, _CHECKOUT, _PURCHASE])[np.maximum(loop_pos, 0) % 3],
        )
        # Sold out now and then: the checkout is declined instead.
        declined = (event == _PURCHASE) & (rng.random(u.size) < 0.25)
        event = np.where(declined, _FAILED, event)
        log.add(u, event, t_ms, shop.drop_item[drop][sess])

    # card_tester: cheap items, checkout after checkout, most declined.
    users = users_of("card_tester")
    if users.size:
        n_sess = rng.integers(1, 3 if t > 0.5 else 5, users.size)
        s_user = np.repeat(users, n_sess)
        starts = _any_hour_starts(rng, t, shift_h[s_user], n_days)
        n_tries = np.maximum(2, rng.poisson(_lerp_log(3, 30, t), s_user.size))
        length = 2 + 2 * n_tries
        u, sess, pos, t_ms = _scripted(rng, s_user, starts, length, _lerp_log(20, 2.5, t), 0.5)
        # view, add_to_cart, then (checkout, outcome) pairs; browsing mixed in when subtle.
        event = np.where(pos == 0, _VIEW, np.where(pos == 1, _CART, _CHECKOUT))
        outcome = (pos >= 2) & ((pos - 2) % 2 == 1)
        success = rng.random(u.size) < 0.35 - 0.25 * t
        event = np.where(outcome, np.where(success, _PURCHASE, _FAILED), event)
        browse = (pos >= 2) & ~outcome & (rng.random(u.size) < 0.5 * (1 - t))
        event = np.where(browse, _VIEW, event)
        cheap = np.concatenate([shop.gift_cards, shop.cheap])
        item = cheap[rng.integers(0, cheap.size, u.size)]
        log.add(u, event, t_ms, item)

    # account_takeover: the owner's history, a silence, then a night-time login and fast
    # purchases of expensive items.
    users = users_of("account_takeover")
    if users.size:
        # The last quarter of the window is the intruder's; the owner left days before.
        silence = int(np.ceil(_lerp_log(2, 4, t)))
        takeover_from = n_days - max(1, n_days // 4)
        owner_until = max(1, takeover_from - silence)
        normal_life(users, 0, owner_until)
        night = np.zeros(24)
        night[[1, 2, 3, 4]] = 1
        hourly = (1 - t) * _HOURLY + t * night / night.sum()
        n_sess = rng.integers(1, 3, users.size)
        s_user = np.repeat(users, n_sess)
        starts = _local_starts(
            rng,
            shift_h[s_user],
            np.full(s_user.size, takeover_from),
            np.full(s_user.size, n_days),
            hourly / hourly.sum(),
        )
        n_buys = np.maximum(1, rng.poisson(_lerp_log(1, 3, t), s_user.size))
        n_browse = rng.poisson(_lerp_log(8, 0.3, t), s_user.size)
        length = 1 + n_browse + 4 * n_buys
        u, sess, pos, t_ms = _scripted(rng, s_user, starts, length, _lerp_log(20, 4, t), 0.6)
        k = pos - 1 - n_browse[sess]
        funnel = np.array([_VIEW, _CART, _CHECKOUT, _PURCHASE])[np.maximum(k, 0) % 4]
        event = np.where(pos == 0, _LOGIN, np.where(k < 0, _VIEW, funnel))
        item = np.where(
            k < 0, shop.popular(rng, u.size), shop.pricey[rng.integers(0, shop.pricey.size, u.size)]
        )
        # A purchase's view, cart and checkout are of the same item.
        idx = np.arange(u.size)
        head = np.where(k >= 0, idx - np.maximum(k, 0) % 4, idx)
        item = item[head]
        item = np.where(event == _LOGIN, -1, item)
        log.add(u, event, t_ms, item)

    # review_manipulator: rings posting top ratings of one seller's items, no purchase.
    users = users_of("review_manipulator")
    if users.size:
        ring = np.arange(users.size) // 6
        n_rings = int(ring.max()) + 1
        # Each ring promotes 3 items from the long tail (rank beyond the top 20%).
        tail_lo = shop.n_items // 5
        promoted = rng.integers(tail_lo, shop.n_items, (n_rings, 3))
        n_sess = rng.integers(2, 5, users.size)
        s_user = np.repeat(users, n_sess)
        s_ring = np.repeat(ring, n_sess)
        starts = _local_starts(
            rng, shift_h[s_user], np.zeros(s_user.size, np.int64), np.full(s_user.size, n_days)
        )
        n_reviews = np.maximum(1, rng.poisson(_lerp_log(1.2, 5, t), s_user.size))
        length = 1 + 2 * n_reviews
        u, sess, pos, t_ms = _scripted(
            rng, s_user, starts, length, _lerp_log(25, 15, t), 0.0, period_jitter=0.6 - 0.5 * t
        )
        # login, then (view, review) pairs on the ring's items; subtle ones buy a token
        # item first instead of the view now and then.
        event = np.where(pos == 0, _LOGIN, np.where(pos % 2 == 1, _VIEW, _REVIEW))
        token = (event == _VIEW) & (rng.random(u.size) < 0.3 * (1 - t))
        event = np.where(token, _PURCHASE, event)
        item = promoted[s_ring[sess], rng.integers(0, 3, u.size)]
        item = np.where(event == _REVIEW, np.append(-1, item[:-1]), item)  # the one viewed
        item = np.where(event == _LOGIN, -1, item)
        stars = np.where(
            rng.random(u.size) < 0.7 + 0.3 * t, 5, rng.choice(5, u.size, p=_STARS_P) + 1
        )
        log.add(u, event, t_ms, item, np.where(event == _REVIEW, stars, 0))

    # price_scraper: catalogue walks at a fixed period, any hour, no login, no cart.
    users = users_of("price_scraper")
    if users.size:
        n_sess = np.maximum(1, rng.poisson(_lerp_log(2, 6, t), users.size))
        s_user = np.repeat(users, n_sess)
        starts = _any_hour_starts(rng, t, shift_h[s_user], n_days)
        length = np.maximum(5, rng.poisson(_lerp_log(15, 200, t), s_user.size))
        period = np.repeat(rng.uniform(2, 8, users.size) * _lerp_log(3, 1, t), n_sess)
        u, sess, pos, t_ms = _scripted(
            rng, s_user, starts, length, period, 0.0, period_jitter=_lerp_log(0.8, 0.03, t)
        )
        walk = (rng.integers(0, shop.n_items, s_user.size)[sess] + pos) % shop.n_items
        item = np.where(rng.random(u.size) < 0.8 * (1 - t), shop.popular(rng, u.size), walk)
        event = np.where(rng.random(u.size) < 0.15 * (1 - t), _SEARCH, _VIEW)
        item = np.where(event == _SEARCH, -1, item)
        log.add(u, event, t_ms, item)

    user, event, t_ms, item, rating = log.arrays()
    order = np.lexsort((user, t_ms))
    user, event, t_ms, item, rating = (a[order] for a in (user, event, t_ms, item, rating))
    user_ids = rng.choice(50 * n_users + 50, n_users, replace=False) + 1
    has_item = item >= 0
    safe = np.where(has_item, item, 0)
    category_codes = np.where(has_item, shop.category[safe], -1)
    timestamp = pd.to_datetime(t_ms, unit="ms", utc=True).tz_convert(_TIME_ZONE)
    events = pd.DataFrame(
        {
            "user_id": user_ids[user],
            "event": pd.Categorical.from_codes(event, categories=list(MARKETPLACE_EVENTS)),
            "timestamp": timestamp,
            "item_id": pd.arrays.IntegerArray(
                np.where(has_item, shop.item_ids[safe], 0).astype(np.int64), ~has_item
            ),
            "category_id": pd.Categorical.from_codes(category_codes, categories=list(_CATEGORIES)),
            "price": np.where(has_item, shop.price[safe], np.nan),
            "rating": np.where(rating > 0, rating.astype(float), np.nan),
        }
    )
    index = pd.Index(user_ids, name="user_id")
    names = np.array(("normal",) + MARKETPLACE_KINDS, dtype=object)
    kinds = pd.Series(names[kind_code + 1].astype(str), index=index, name="kind").sort_index()
    labels = pd.Series((kind_code >= 0).astype(np.int64), index=index, name="label").sort_index()
    roles = {
        "entity": "user_id",
        "event": "event",
        "time": "timestamp",
        "item": "item_id",
        "value": "price",
    }
    return Bunch(events=events, labels=labels, kinds=kinds, roles=roles)
