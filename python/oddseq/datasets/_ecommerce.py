"""A realistic synthetic e-commerce behaviour log with labelled anomalous users."""

from __future__ import annotations

import copy
import numbers

import numpy as np
import pandas as pd

from ..utils._validation import check_generator

__all__ = ["Bunch", "make_ecommerce", "ANOMALY_KINDS"]

#: The kinds of anomalous users make_ecommerce plants, in the order it assigns them.
ANOMALY_KINDS = (
    "crawler",
    "click_farm",
    "card_testing",
    "scalper",
    "account_takeover",
    "fake_engagement",
)
BEHAVIORS = ("pv", "cart", "fav", "buy")
_PV, _CART, _FAV, _BUY = range(4)
# How far anomalies stand from normal behaviour: 1 = caricature, 0 = normal.
_INTENSITY = {"easy": 1.0, "medium": 0.6, "hard": 0.35}
_DAY = 86_400
# Share of sessions starting in each local hour: quiet nights, evening peak.
_HOURLY = np.array(
    [
        2.0,
        1.2,
        0.7,
        0.4,
        0.3,
        0.4,
        0.9,
        1.8,
        2.8,
        3.4,
        3.8,
        4.0,
        4.3,
        4.1,
        4.0,
        4.0,
        4.1,
        4.3,
        4.6,
        5.3,
        6.4,
        7.0,
        6.2,
        3.8,
    ]
)
_HOURLY = _HOURLY / _HOURLY.sum()
_UTC_OFFSET = 8 * 3600  # the log's local time is China Standard Time, like Taobao's


class Bunch(dict):
    """A dict whose keys are also attributes (``bunch.events``).

    Examples
    --------
    >>> b = Bunch(events=[1, 2])
    >>> b.events == b["events"]
    True
    """

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def _lerp_log(normal: float, extreme: float, t: float) -> float:
    """Geometric interpolation: rates and durations differ by factors, not offsets."""
    return float(np.exp((1 - t) * np.log(normal) + t * np.log(extreme)))


class _Catalog:
    """Categories with Zipf popularity, items with Zipf popularity within each category,
    and prices that depend on the category."""

    def __init__(self, rng: np.random.Generator, n_users: int):
        self.n_categories = int(np.clip(n_users // 15, 60, 8000))
        self.n_items = int(max(2000, 4 * n_users))
        cat_weight = 1.0 / np.arange(1, self.n_categories + 1) ** 1.05
        self.category_p = cat_weight / cat_weight.sum()
        item_category = np.sort(rng.choice(self.n_categories, self.n_items, p=self.category_p))
        # Every category has at least one item.
        item_category[: self.n_categories] = np.arange(self.n_categories)
        self.item_category = np.sort(item_category)
        self.category_start = np.searchsorted(self.item_category, np.arange(self.n_categories))
        self.category_size = np.diff(np.append(self.category_start, self.n_items))
        base_price = rng.lognormal(np.log(40), 1.0, self.n_categories)
        self.item_price = (
            np.round(base_price[self.item_category] * rng.lognormal(0, 0.45, self.n_items), 2) + 0.5
        )
        # Ids that look like a real catalogue's, not 0..n-1.
        self.item_ids = rng.choice(50 * self.n_items, self.n_items, replace=False) + 1
        self.category_ids = rng.choice(5_000_000, self.n_categories, replace=False) + 1

    def popular_item(self, rng, categories: np.ndarray) -> np.ndarray:
        """An item of each given category, popular ones more often (rank ~ 1/r)."""
        size = self.category_size[categories]
        rank = np.floor((size + 1.0) ** rng.random(categories.size)).astype(np.int64) - 1
        return self.category_start[categories] + np.clip(rank, 0, size - 1)

    def tail_item(self, rng, categories: np.ndarray) -> np.ndarray:
        """An item of each category drawn uniformly: the long tail people rarely visit."""
        size = self.category_size[categories]
        return self.category_start[categories] + (rng.random(categories.size) * size).astype(
            np.int64
        )


class _Log:
    """Collects events as arrays of (user, item index, behavior, timestamp, anomalous),
    where ``anomalous`` marks the events of an anomalous phase (not the normal life
    that harder anomalies also live)."""

    def __init__(self):
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, user, item, behavior, ts, *, anomalous: bool):
        user = np.asarray(user, np.int64)
        self.parts.append(
            (
                user,
                np.asarray(item, np.int64),
                np.asarray(behavior, np.int8),
                np.asarray(ts, np.int64),
                np.full(user.size, anomalous),
            )
        )

    def arrays(self):
        return [np.concatenate([p[i] for p in self.parts]) for i in range(5)]


def _session_starts(rng, n: int, t0: int, n_days: float, hourly=_HOURLY) -> np.ndarray:
    """Session start times following the daily rhythm of local time."""
    day = rng.integers(0, max(1, int(n_days)), n)
    hour = rng.choice(24, n, p=hourly)
    second = rng.integers(0, 3600, n)
    return t0 + day * _DAY + hour * 3600 + second - _UTC_OFFSET


def _expand(rng, session_user, session_start, session_len, gap_median, gap_sigma):
    """Per-event (user, time, session index, position) for sessions whose gaps are
    lognormal with the given median (s) and spread."""
    session_len = np.maximum(1, session_len.astype(np.int64))
    n_events = int(session_len.sum())
    session = np.repeat(np.arange(session_len.size), session_len)
    first = np.zeros(session_len.size + 1, np.int64)
    np.cumsum(session_len, out=first[1:])
    position = np.arange(n_events) - first[session]
    median = np.broadcast_to(np.asarray(gap_median, float), session_len.shape)[session]
    sigma = np.broadcast_to(np.asarray(gap_sigma, float), session_len.shape)[session]
    gaps = np.where(
        position == 0, 0.0, np.exp(np.log(median) + sigma * rng.standard_normal(n_events))
    )
    gaps = np.maximum(gaps, 0.0)
    # Cumulative gaps within each session.
    total = np.cumsum(gaps)
    offset = total - (total[first[:-1]][session])
    ts = session_start[session] + np.rint(offset).astype(np.int64)
    return session_user[session], ts, session, position


def _browse(rng, catalog, users, position, favourites, behavior, explore=0.25):
    """Normal browsing: categories from each user's favourites (else the popular ones),
    popular items, and a funnel where cart/fav/buy act on the item last viewed."""
    n = users.size
    fav_pick = favourites[users, rng.integers(0, favourites.shape[1], n)]
    wander = rng.choice(catalog.n_categories, n, p=catalog.category_p)
    category = np.where(rng.random(n) < explore, wander, fav_pick)
    item = catalog.popular_item(rng, category)
    behavior[position == 0] = _PV  # sessions open with a view
    last_view = np.maximum.accumulate(np.where(behavior == _PV, np.arange(n), 0))
    return item[last_view], behavior


def _add_rings(rng, catalog, log, kind_of_user, favourites, n_rings, t0, n_days):
    """Order-brushing rings of normal users (kinds set to "ring" in place)."""
    normal = np.flatnonzero(kind_of_user == "normal")
    sizes = rng.integers(6, 16, n_rings)
    budget = normal.size // 3
    if sizes.sum() > budget:
        raise ValueError(
            f"rings={n_rings} needs about {int(sizes.sum())} members but only {budget} of "
            f"the normal users may join rings; use fewer rings or more users"
        )
    chosen = rng.permutation(normal)[: sizes.sum()]
    kind_of_user[chosen] = "ring"
    starts = np.concatenate([[0], np.cumsum(sizes)])
    for r in range(n_rings):
        members = chosen[starts[r] : starts[r + 1]]
        shop = rng.choice(catalog.n_categories, p=catalog.category_p)
        targets = catalog.tail_item(rng, np.full(rng.integers(2, 5), shop))
        n_rounds = int(rng.integers(3, 6))
        round_start = _session_starts(rng, n_rounds, t0, n_days)
        for k in range(n_rounds):
            joined = members[rng.random(members.size) < 0.85]
            if joined.size == 0:
                continue
            s_start = round_start[k] + rng.integers(0, 1800, joined.size)
            s_len = np.minimum(300, 3 + np.floor(rng.lognormal(1.7, 0.85, joined.size)))
            u, ts, sess, pos = _expand(rng, joined, s_start, s_len, 25.0, 1.0)
            behavior = np.full(u.size, _PV, np.int8)
            item, behavior = _browse(rng, catalog, u, pos, favourites, behavior)
            last = np.append(sess[1:] != sess[:-1], True)
            second_last = np.append(last[1:], False)
            target = targets[k % targets.size]
            item[last | second_last] = target
            behavior[last] = _BUY
            log.add(u, item, behavior, ts, anomalous=True)


def make_ecommerce(
    n_users: int = 10_000,
    anomaly_rate: float = 0.02,
    difficulty: str = "medium",
    random_state=None,
    n_days: int = 9,
    rings: int = 0,
) -> Bunch:
    """A synthetic e-commerce behaviour log with labelled anomalous users.

    Normal users have heavy-tailed activity, a daily rhythm (local time UTC+8), sessions
    with lognormal gaps, affinity to a few categories, Zipf item popularity, and the
    view -> cart/fav -> buy funnel (about 89% views, 5.5% carts, 3% favourites, 2% buys,
    as in Taobao's public log). Anomalous users, in equal shares:

    - ``crawler``: long, fast, regular sessions of views over the long tail, any hour;
    - ``click_farm``: coordinated groups buying the same few items of one shop at the
      same times (order brushing);
    - ``card_testing``: bursts of many purchases of cheap, different items;
    - ``scalper``: refresh-storms on a few scarce, expensive items at release times,
      then repeated purchases;
    - ``account_takeover``: a normal history that turns: night-time bursts in new
      categories, expensive items bought fast;
    - ``fake_engagement``: favourites and carts without purchases on promoted items.

    With ``rings > 0``, that many order-brushing rings are added (kind ``ring``, label
    1) whose members are individually unremarkable: ordinary users, chosen among the
    normal ones, who keep their normal lives and in a few rounds (at normal hours, each
    member within the same half hour) open a normal-looking session of popular items of
    their favourite categories that ends with viewing and buying the round's item, one
    of a few long-tail items of one shop. The rest of the log is the same as with
    ``rings=0`` for the same seed: the rings draw from a stream of their own.

    Parameters
    ----------
    n_users : int, default=10_000
    anomaly_rate : float in [0, 0.5], default=0.02
    difficulty : {"easy", "medium", "hard"}
        How far anomalies stand from normal behaviour; harder ones are milder and mix
        in normal sessions.
    random_state : int, numpy Generator or None
    n_days : int, default=9
        Days on which sessions start; a session begun late on the last day runs past
        its midnight, as in a real log cut by session at a day's end
        (``make_ecommerce(n_users=3000, n_days=4, random_state=7)``: 418 of its 157,204
        events lie on a fifth day).
    rings : int, default=0
        Number of order-brushing rings of 6 to 15 individually normal members
        (``kinds`` says ``ring``); at most a third of the normal users join rings.

    Returns
    -------
    Bunch with
        events : DataFrame (user_id, item_id, category_id, behavior, timestamp, price),
            time-ordered; behavior is categorical (pv, cart, fav, buy), timestamp unix s.
        labels : Series of 0/1 indexed by user_id (1 = anomalous).
        kinds : Series of str indexed by user_id ("normal" or an anomaly kind).
        onsets : Series of int indexed by the anomalous users' user_id: the timestamp
            of each one's first anomalous event (later than its first event where a
            normal history comes first: account takeovers, ring members, and at harder
            difficulties anomalies that also live a normal life). For measuring how
            soon a detector that reads events as they come catches each anomaly.

    Examples
    --------
    >>> data = make_ecommerce(n_users=300, random_state=0)
    >>> sorted(data.events.columns)
    ['behavior', 'category_id', 'item_id', 'price', 'timestamp', 'user_id']
    >>> int(data.labels.sum()), data.labels.size
    (6, 300)
    """
    if isinstance(n_users, bool) or not isinstance(n_users, numbers.Integral) or n_users < 1:
        raise ValueError(f"n_users must be a positive int, got {n_users!r}")
    if (
        isinstance(anomaly_rate, bool)
        or not isinstance(anomaly_rate, numbers.Real)
        or not (0 <= anomaly_rate <= 0.5)
    ):
        raise ValueError(f"anomaly_rate must be a number in [0, 0.5], got {anomaly_rate!r}")
    if difficulty not in _INTENSITY:
        raise ValueError(f"difficulty must be one of {list(_INTENSITY)}, got {difficulty!r}")
    if isinstance(n_days, bool) or not isinstance(n_days, numbers.Integral) or n_days < 2:
        raise ValueError(f"n_days must be an int >= 2, got {n_days!r}")
    if isinstance(rings, bool) or not isinstance(rings, numbers.Integral) or rings < 0:
        raise ValueError(f"rings must be an int >= 0, got {rings!r}")
    rng = check_generator(random_state)
    t = _INTENSITY[difficulty]
    t0 = 1_511_568_000  # 2017-11-25 00:00 local midnight offset applied in _session_starts
    catalog = _Catalog(rng, n_users)
    log = _Log()

    n_anomalous = int(round(n_users * anomaly_rate))
    kind_of_user = np.array(["normal"] * n_users, dtype=object)
    anomalous = rng.permutation(n_users)[:n_anomalous]
    kind_of_user[anomalous] = [ANOMALY_KINDS[i % len(ANOMALY_KINDS)] for i in range(n_anomalous)]

    # Every user has favourite categories and a normal browsing life; anomalous users
    # replace (or, when harder to spot, mix) it with their own behaviour.
    favourites = rng.choice(catalog.n_categories, (n_users, 3), p=catalog.category_p)
    buyer = rng.lognormal(0, 0.5, n_users)  # propensity to act beyond viewing

    def normal_sessions(users, day_span=n_days, start_day=0, scale=1.0):
        n_sessions = np.minimum(
            60, 1 + np.floor(rng.lognormal(1.3, 0.9, users.size) * scale)
        ).astype(int)
        s_user = np.repeat(users, n_sessions)
        s_start = _session_starts(rng, s_user.size, t0 + start_day * _DAY, day_span)
        s_len = np.minimum(300, 1 + np.floor(rng.lognormal(1.7, 0.85, s_user.size)))
        u, ts, _, pos = _expand(rng, s_user, s_start, s_len, 25.0, 1.0)
        p_act = np.clip(np.array([0.0, 0.055, 0.03, 0.02])[None, :] * buyer[u][:, None], 0, 0.3)
        # Behaviour mix per event from the user's propensity.
        draw = rng.random(u.size)
        cum = np.cumsum(p_act, axis=1)
        behavior = np.where(
            draw < cum[:, 1],
            _CART,
            np.where(draw < cum[:, 2], _FAV, np.where(draw < cum[:, 3], _BUY, _PV)),
        ).astype(np.int8)
        item, behavior = _browse(rng, catalog, u, pos, favourites, behavior)
        log.add(u, item, behavior, ts, anomalous=False)

    normal_users = np.flatnonzero(kind_of_user == "normal")
    normal_sessions(normal_users)
    # Harder anomalies also live a normal life around their odd behaviour.
    mixed = anomalous[rng.random(anomalous.size) < (1 - t)]
    mixed = mixed[kind_of_user[mixed] != "account_takeover"]
    normal_sessions(mixed, scale=0.6)

    def users_of(kind):
        return np.flatnonzero(kind_of_user == kind)

    # crawler: many long sessions, fast metronomic gaps, the long tail, any hour.
    users = users_of("crawler")
    if users.size:
        n_sess = np.maximum(1, rng.poisson(_lerp_log(4, 25, t), users.size))
        s_user = np.repeat(users, n_sess)
        flat = np.full(24, 1 / 24)
        hourly = (1 - t) * _HOURLY + t * flat
        s_start = _session_starts(rng, s_user.size, t0, n_days, hourly / hourly.sum())
        s_len = np.maximum(2, rng.poisson(_lerp_log(10, 120, t), s_user.size))
        u, ts, sess, pos = _expand(
            rng, s_user, s_start, s_len, _lerp_log(25, 2.5, t), 1.0 - 0.8 * t
        )
        tail = rng.random(u.size) < 0.3 + 0.6 * t
        category = rng.choice(catalog.n_categories, u.size, p=catalog.category_p)
        item = np.where(tail, catalog.tail_item(rng, category), catalog.popular_item(rng, category))
        behavior = np.where(rng.random(u.size) < 0.01 * (1 - t), _CART, _PV)
        behavior[pos == 0] = _PV
        log.add(u, item, behavior, ts, anomalous=True)

    # click_farm: groups act together on one shop's few items, at shared times.
    users = users_of("click_farm")
    if users.size:
        group_size = 8
        for start in range(0, users.size, group_size):
            members = users[start : start + group_size]
            shop_category = rng.choice(catalog.n_categories, p=catalog.category_p)
            targets = catalog.tail_item(rng, np.full(rng.integers(2, 6), shop_category))
            n_rounds = max(2, int(rng.poisson(_lerp_log(3, 10, t))))
            round_start = _session_starts(rng, n_rounds, t0, n_days)
            s_user = np.repeat(members, n_rounds)
            jitter = rng.integers(0, int(_lerp_log(3600, 300, t)), s_user.size)
            s_start = np.tile(round_start, members.size) + jitter
            n_views = rng.integers(1, 4, s_user.size)
            s_len = n_views + 2
            u, ts, sess, pos = _expand(rng, s_user, s_start, s_len, _lerp_log(25, 8, t), 0.5)
            target = targets[rng.integers(0, targets.size, s_user.size)][sess]
            item = target.copy()
            behavior = np.full(u.size, _PV, np.int8)
            last = np.append(sess[1:] != sess[:-1], True)
            second_last = np.append(last[1:], False)
            behavior[last] = _BUY
            behavior[second_last & (rng.random(u.size) < 0.7)] = _CART
            cover = (behavior == _PV) & (pos > 0) & (rng.random(u.size) < 0.5 * (1 - t))
            item[cover] = catalog.popular_item(rng, np.full(int(cover.sum()), shop_category))
            log.add(u, item, behavior, ts, anomalous=True)

    # card_testing: one or two bursts of purchases of many cheap, different items.
    users = users_of("card_testing")
    if users.size:
        cheap = np.argsort(catalog.item_price)[: max(50, catalog.n_items // 50)]
        n_sess = rng.integers(1, 3, users.size)
        s_user = np.repeat(users, n_sess)
        s_start = _session_starts(rng, s_user.size, t0, n_days)
        s_len = np.maximum(3, rng.poisson(_lerp_log(6, 40, t), s_user.size))
        u, ts, sess, pos = _expand(rng, s_user, s_start, s_len, _lerp_log(25, 6, t), 0.6)
        item = cheap[rng.integers(0, cheap.size, u.size)]
        buy_share = 0.1 + 0.8 * t
        behavior = np.where(rng.random(u.size) < buy_share, _BUY, _PV).astype(np.int8)
        log.add(u, item, behavior, ts, anomalous=True)

    # scalper: refresh storms on scarce expensive items at shared release times.
    users = users_of("scalper")
    if users.size:
        pricey = np.argsort(catalog.item_price)[-max(20, catalog.n_items // 500) :]
        hot = rng.choice(pricey, 3, replace=False)
        releases = _session_starts(rng, 3, t0, n_days)
        s_user = np.repeat(users, 3)
        s_start = np.tile(releases, users.size) - rng.integers(0, 600, s_user.size)
        s_len = np.maximum(3, rng.poisson(_lerp_log(8, 60, t), s_user.size))
        u, ts, sess, pos = _expand(rng, s_user, s_start, s_len, _lerp_log(25, 2, t), 0.5)
        item = hot[sess % 3]
        draw = rng.random(u.size)
        behavior = np.where(
            draw < 0.08 + 0.12 * t, _BUY, np.where(draw < 0.2 + 0.15 * t, _CART, _PV)
        ).astype(np.int8)
        behavior[pos == 0] = _PV
        log.add(u, item, behavior, ts, anomalous=True)

    # account_takeover: a normal first part, then night bursts in new categories.
    users = users_of("account_takeover")
    if users.size:
        takeover_day = int(n_days * 0.7)
        normal_sessions(users, day_span=takeover_day)
        night = np.zeros(24)
        night[[1, 2, 3, 4]] = 1
        hourly = (1 - t) * _HOURLY + t * night / night.sum()
        n_sess = rng.integers(1, 4, users.size)
        s_user = np.repeat(users, n_sess)
        s_start = _session_starts(
            rng, s_user.size, t0 + takeover_day * _DAY, n_days - takeover_day, hourly / hourly.sum()
        )
        s_len = np.maximum(3, rng.poisson(_lerp_log(8, 20, t), s_user.size))
        u, ts, sess, pos = _expand(rng, s_user, s_start, s_len, _lerp_log(25, 6, t), 0.7)
        pricey = np.argsort(catalog.item_price)[-max(50, catalog.n_items // 100) :]
        item = pricey[rng.integers(0, pricey.size, u.size)]
        behavior = np.where(rng.random(u.size) < 0.1 + 0.35 * t, _BUY, _PV).astype(np.int8)
        behavior[pos == 0] = _PV
        log.add(u, item, behavior, ts, anomalous=True)

    # fake_engagement: favourites and carts on promoted items, never a purchase.
    users = users_of("fake_engagement")
    if users.size:
        promoted = catalog.tail_item(
            rng, rng.choice(catalog.n_categories, 30, p=catalog.category_p)
        )
        n_sess = np.maximum(1, rng.poisson(_lerp_log(4, 10, t), users.size))
        s_user = np.repeat(users, n_sess)
        s_start = _session_starts(rng, s_user.size, t0, n_days)
        s_len = np.maximum(2, rng.poisson(_lerp_log(6, 14, t), s_user.size))
        u, ts, sess, pos = _expand(rng, s_user, s_start, s_len, _lerp_log(25, 5, t), 0.4)
        item = promoted[rng.integers(0, promoted.size, u.size)]
        draw = rng.random(u.size)
        behavior = np.where(
            draw < 0.15 + 0.45 * t, _FAV, np.where(draw < 0.25 + 0.5 * t, _CART, _PV)
        ).astype(np.int8)
        log.add(u, item, behavior, ts, anomalous=True)

    if rings:
        # A stream of their own (from a copy of rng, which is left as it was), so the
        # rest of the log is the same as without rings.
        ring_rng = np.random.default_rng([int(copy.deepcopy(rng).integers(2**62)), 15])
        _add_rings(ring_rng, catalog, log, kind_of_user, favourites, rings, t0, n_days)

    user, item, behavior, ts, odd = log.arrays()
    order = np.argsort(ts, kind="stable")
    user, item, behavior, ts, odd = user[order], item[order], behavior[order], ts[order], odd[order]
    user_ids = np.sort(rng.choice(10 * n_users + 10, n_users, replace=False) + 1)
    user_ids = rng.permutation(user_ids)
    events = pd.DataFrame(
        {
            "user_id": user_ids[user],
            "item_id": catalog.item_ids[item],
            "category_id": catalog.category_ids[catalog.item_category[item]],
            "behavior": pd.Categorical.from_codes(behavior, categories=list(BEHAVIORS)),
            "timestamp": ts,
            "price": catalog.item_price[item],
        }
    )
    index = pd.Index(user_ids, name="user_id")
    labels = pd.Series((kind_of_user != "normal").astype(np.int64), index=index, name="label")
    kinds = pd.Series(kind_of_user.astype(str), index=index, name="kind")
    # The first event of each anomalous user's anomalous phase (ts is sorted, so the
    # first occurrence per user is the earliest).
    odd_users, first_odd = np.unique(user[odd], return_index=True)
    onsets = pd.Series(
        ts[odd][first_odd], index=pd.Index(user_ids[odd_users], name="user_id"), name="onset"
    ).sort_index()
    # Users with no events at all cannot be scored; every user here has at least one.
    return Bunch(events=events, labels=labels.sort_index(), kinds=kinds.sort_index(), onsets=onsets)
