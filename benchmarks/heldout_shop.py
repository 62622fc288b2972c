"""A held-out third shop: a ticketing and digital-goods site, written blind.

``make_heldout_shop`` draws the log of a site that sells concert tickets (with sale
openings and a waiting queue), gift cards and a loyalty-points wallet, with reviews.
It was written without reading oddseq's own generators, detectors or encoders, from
what such a business and its abusers do, so that oddseq can be judged on a log it was
never tuned to (fourteenth session, H1).

Columns of ``events``: ``user_id``, ``event``, ``timestamp`` (epoch seconds, the
site's local time written as UTC), ``item_id`` (nullable: logins have none), ``amount``
(money of the event, NaN where none), ``qty`` (tickets or cards, 0 where none),
``channel`` ("web" / "app" / "api"). ``labels``: ``user_id``, ``is_anomaly``, ``kind``
(normal users carry their normal kind too, so hard negatives can be counted).

``benchmarks/heldout_verdicts.py`` measures oddseq's default beside its peers on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EVENTS = (
    "register",
    "login",
    "logout",
    "search",
    "view",
    "seat_map",
    "queue_join",
    "refresh",
    "queue_pass",
    "add",
    "checkout",
    "pay_ok",
    "pay_fail",
    "redeem",
    "review",
    "wallet_view",
    "transfer",
    "password_reset",
    "email_change",
)
E = {name: code for code, name in enumerate(EVENTS)}

NORMAL_KINDS = (
    "casual",
    "bounce",
    "regular",
    "night_owl",
    "fan_sale",
    "corporate",
    "app_refresh",
    "pay_trouble",
    "reviewer",
    "box_office",
)
ANOMALY_KINDS = (
    "scalper_script",
    "scalper_human",
    "card_testing",
    "card_testing_slow",
    "account_takeover",
    "review_ring",
    "price_scraper",
    "crawler",
    "promo_abuse",
)
# Shares of the anomalous users by kind (crawlers are a fixed handful, see below).
_ANOMALY_WEIGHTS = {
    "scalper_script": 0.10,
    "scalper_human": 0.09,
    "card_testing": 0.10,
    "card_testing_slow": 0.08,
    "account_takeover": 0.16,
    "review_ring": 0.17,
    "price_scraper": 0.12,
    "promo_abuse": 0.18,
}
# Shares of the normal users by kind (box offices are a fixed handful; casual the rest).
_NORMAL_WEIGHTS = {
    "bounce": 0.30,
    "regular": 0.10,
    "night_owl": 0.04,
    "fan_sale": 0.035,
    "corporate": 0.004,
    "app_refresh": 0.02,
    "pay_trouble": 0.02,
    "reviewer": 0.01,
}

DAY = 86400
T0 = 1_790_985_600  # Mon 2026-10-05 00:00 (site-local clock written as UTC)
N_DAYS = 28
N_CATALOG = 4000  # event/ticket items 1..4000
HOT_BASE = 60001  # items of the sale openings
GIFT_CARDS = np.array([900001, 900002, 900003, 900004, 900005])
GIFT_PRICES = np.array([10.0, 25.0, 50.0, 100.0, 200.0])
PROMO_ITEM = 910001  # the sign-up promotion's code as an item

# Hour-of-day weights of a ticket site: lunch and evening peaks, quiet nights.
_DIURNAL = np.array(
    [
        2,
        1,
        0.6,
        0.4,
        0.3,
        0.4,
        1,
        2,
        3.5,
        4.5,
        5,
        5.5,
        6.5,
        6,
        5,
        5,
        5.5,
        6.5,
        8,
        9.5,
        10,
        9,
        6.5,
        4,
    ]
)
_DIURNAL = _DIURNAL / _DIURNAL.sum()
_WEEKDAY = np.array([0.9, 0.9, 0.95, 1.0, 1.2, 1.35, 1.25])  # Mon..Sun


@dataclass
class HeldoutShop:
    events: pd.DataFrame
    labels: pd.DataFrame
    sales: pd.DataFrame  # the sale openings: item_id, opens (epoch s)


class _Log:
    """Collects event arrays; each add() is one run of events of one user."""

    def __init__(self):
        self.parts = []

    def add(self, user, ev, t, item=None, amount=None, qty=None, channel=0):
        ev = np.asarray(ev, dtype=np.int16)
        n = len(ev)

        def col(x, fill, dtype):
            x = fill if x is None else x
            return np.full(n, x, dtype) if np.ndim(x) == 0 else np.asarray(x, dtype)

        self.parts.append(
            (
                col(user, 0, np.int64),
                ev,
                np.asarray(t, dtype=np.int64),
                col(item, -1, np.int64),
                col(amount, np.nan, np.float64),
                col(qty, 0, np.int16),
                col(channel, 0, np.int8),
            )
        )


def _pick_items(rng, cdf, n):
    """n catalogue indices drawn by popularity (cdf: cumulative popularity)."""
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), N_CATALOG - 1)


def _catalog(rng):
    """Cumulative popularity (Zipf-like, shuffled over item ids) and prices."""
    rank_w = 1.0 / np.arange(1, N_CATALOG + 1) ** 0.95
    popularity = np.cumsum(rng.permutation(rank_w / rank_w.sum()))
    price = np.round(np.exp(rng.normal(np.log(55), 0.6, N_CATALOG)), 0)
    return popularity, price


def _start_times(rng, n, habit_hour, spread=2.5, habit_share=0.7, weekdays_only=False):
    """Session start times: a day weighted by weekday, an hour near the user's habit."""
    days = np.arange(N_DAYS)
    w = _WEEKDAY[days % 7].copy()
    if weekdays_only:
        w[days % 7 >= 5] = 0.0
    day = rng.choice(days, size=n, p=w / w.sum())
    hour = np.where(
        rng.random(n) < habit_share,
        habit_hour + rng.normal(0, spread, n),
        rng.choice(24, size=n, p=_DIURNAL) + rng.random(n),
    )
    hour = np.mod(hour, 24)
    return T0 + day * DAY + (hour * 3600).astype(np.int64)


# Transition weights of browsing sessions (rows: from, columns: to).
def _transitions(buy_bias):
    names = ["login", "search", "view", "seat_map", "add", "checkout", "pay_ok",
             "pay_fail", "redeem", "review", "wallet_view", "logout"]  # fmt: skip
    k = {n: i for i, n in enumerate(names)}
    m = np.zeros((len(names), len(names)))

    def row(frm, **to):
        for key, val in to.items():
            m[k[frm], k[key]] = val

    row("login", search=0.35, view=0.45, wallet_view=0.12, redeem=0.03, review=0.05)
    row("search", search=0.2, view=0.75, logout=0.05)
    row("view", view=0.5, search=0.17, seat_map=0.1 * buy_bias, add=0.08 * buy_bias,
        logout=0.06, review=0.02, wallet_view=0.02)  # fmt: skip
    row("seat_map", view=0.35, seat_map=0.15, add=0.45 * buy_bias, logout=0.05)
    row("add", checkout=0.6 * buy_bias, view=0.3, search=0.1)
    row("checkout", pay_ok=0.8, pay_fail=0.06, view=0.1, redeem=0.04)
    row("pay_ok", view=0.4, logout=0.35, review=0.05, wallet_view=0.15, search=0.05)
    row("pay_fail", pay_ok=0.6, pay_fail=0.15, checkout=0.15, logout=0.1)
    row("redeem", checkout=0.5, wallet_view=0.3, view=0.2)
    row("review", view=0.5, review=0.2, logout=0.3)
    row("wallet_view", view=0.5, redeem=0.2, logout=0.3)
    row("logout", logout=1.0)
    m = m / m.sum(axis=1, keepdims=True)
    start = np.zeros(len(names))
    for key, val in dict(login=0.35, search=0.25, view=0.35, wallet_view=0.05).items():
        start[k[key]] = val
    codes = np.array([E[n] for n in names], dtype=np.int16)
    return np.cumsum(start), np.cumsum(m, axis=1), codes, k["logout"]


def _browse(rng, log, users, starts, lengths, gap_median, buy_bias, popularity, price,
            channel, focus_item=None):  # fmt: skip
    """Vectorised browsing sessions: one Markov walk per session."""
    n = len(users)
    if n == 0:
        return
    lengths = np.asarray(lengths, dtype=np.int64)
    cstart, ctrans, codes, logout = _transitions(buy_bias)
    maxlen = int(lengths.max())
    state = np.searchsorted(cstart, rng.random(n), side="right")
    state = np.minimum(state, len(codes) - 1)
    if focus_item is None:
        main = _pick_items(rng, popularity, n)
        is_gift = rng.random(n) < 0.05
    else:
        main = np.asarray(focus_item)
        is_gift = np.zeros(n, bool)
    qty = np.where(is_gift, 1, rng.choice([1, 2, 2, 3, 4], size=n))
    main_item = np.where(is_gift, rng.choice(GIFT_CARDS, size=n), main + 1)
    main_price = np.where(
        is_gift, GIFT_PRICES[np.searchsorted(GIFT_CARDS, main_item).clip(0, 4)], price[main]
    )
    t = np.asarray(starts, dtype=np.int64).copy()
    alive = np.ones(n, bool)
    cols = []
    for step in range(maxlen):
        alive &= lengths > step
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break
        s = state[idx]
        ev = codes[s]
        is_view = ev == E["view"]
        other = _pick_items(rng, popularity, idx.size) + 1
        item = np.where(rng.random(idx.size) < 0.55, main_item[idx], other)
        item = np.where(is_view, item, -1)
        item = np.where(_MAIN[ev], main_item[idx], item)
        amount = np.where(_MONEY[ev], main_price[idx] * qty[idx], np.nan)
        amount = np.where(ev == E["redeem"], np.round(rng.uniform(2, 30, idx.size), 0), amount)
        q = np.where(_MONEY[ev], qty[idx], 0)
        cols.append((users[idx], ev, t[idx], item, amount, q, channel[idx]))
        gap = np.exp(rng.normal(np.log(gap_median[idx]), 1.0))
        t[idx] += np.maximum(1, gap).astype(np.int64)
        nxt = (rng.random(idx.size)[:, None] < ctrans[s]).argmax(axis=1)
        state[idx] = nxt
        # a logout ends the session after it is written
        ended = s == logout
        alive[idx[ended]] = False
    for c in cols:
        log.parts.append(c)


def _table(*names):
    out = np.zeros(len(EVENTS), bool)
    out[[E[n] for n in names]] = True
    return out


_MAIN = _table("add", "checkout", "pay_ok", "pay_fail", "seat_map", "review")
_MONEY = _table("add", "checkout", "pay_ok", "pay_fail")
_NO_ITEM = _table("register", "login")


def _session_lengths(rng, n, median=4.0, sigma=0.9, cap=80):
    return np.clip(np.ceil(np.exp(rng.normal(np.log(median), sigma, n))), 1, cap).astype(int)


def _normal_sessions(rng, log, users, n_sessions, habit, pop, price, channel, *,
                     median_len=4.0, gap=25.0, buy_bias=1.0, spread=2.5,
                     weekdays_only=False):  # fmt: skip
    """Browsing sessions for users, n_sessions[i] each, near their habit hours."""
    rep = np.repeat(np.arange(len(users)), n_sessions)
    if rep.size == 0:
        return
    starts = _start_times(rng, rep.size, habit[rep], spread=spread, weekdays_only=weekdays_only)
    lengths = _session_lengths(rng, rep.size, median=median_len)
    gaps = np.exp(rng.normal(np.log(gap), 0.4, len(users)))[rep]
    _browse(rng, log, users[rep], starts, lengths, gaps, buy_bias, pop, price, channel[rep])


def _habit_hours(rng, n):
    return rng.choice(24, size=n, p=_DIURNAL) + rng.random(n)


def _ticks(t0, gaps):
    return t0 + np.concatenate([[0], np.cumsum(np.maximum(gaps, 0.0))]).astype(np.int64)


def _sale_run(rng, log, user, sale_item, opens, price, *, lag, gap_med, gap_sigma,
              n_refresh, qty, p_fail, channel, login=True):  # fmt: skip
    """One user's attempt at a sale opening: queue, refresh, pass, seat, pay."""
    ev = ([E["login"]] if login else []) + [E["queue_join"]]
    ev += [E["refresh"]] * n_refresh + [E["queue_pass"], E["seat_map"], E["add"], E["checkout"]]
    n_fail = rng.geometric(1 - p_fail) - 1 if p_fail > 0 else 0
    ev += [E["pay_fail"]] * min(n_fail, 4) + [E["pay_ok"]]
    ev = np.array(ev)
    gaps = np.exp(rng.normal(np.log(gap_med), gap_sigma, len(ev) - 1))
    start = opens + lag - (int(rng.uniform(30, 400)) if login else 0)
    t = _ticks(start, gaps)
    if login:  # the queue opens at the sale time: joining happens after the login
        t[1:] += max(0, opens + lag - int(t[1]))
    item = np.where(ev == E["login"], -1, sale_item)
    money = _MONEY[ev]
    amount = np.where(money, price * qty, np.nan)
    q = np.where(money, qty, 0)
    log.add(user, ev, t, item, amount, q, channel)
    return int(t[-1])


def make_heldout_shop(n_users=20000, anomaly_share=0.04, random_state=0):
    """Draw a ticketing + digital-goods site's log with labelled anomalies.

    Parameters
    ----------
    n_users : int
        Users in the log (at least 200).
    anomaly_share : float in [0, 0.3]
        Share of anomalous users (0 draws a normal-only log).
    random_state : int or numpy Generator
        The same value gives the same log.

    Returns
    -------
    HeldoutShop with ``events`` (sorted by time), ``labels`` and ``sales``.
    """
    if int(n_users) < 200:
        raise ValueError(f"n_users must be at least 200, got {n_users}")
    if not 0.0 <= float(anomaly_share) <= 0.3:
        raise ValueError(f"anomaly_share must be in [0, 0.3], got {anomaly_share}")
    rng = np.random.default_rng(random_state)
    n_users = int(n_users)
    pop, price = _catalog(rng)
    log = _Log()

    # Sale openings: 10 on-sales at 10:00 on weekdays, each a hot item.
    weekdays = [d for d in range(N_DAYS) if d % 7 < 5]
    sale_days = np.sort(rng.choice(weekdays, size=10, replace=False))
    sale_open = T0 + sale_days * DAY + 10 * 3600
    sale_items = HOT_BASE + np.arange(10)
    sale_price = np.round(rng.uniform(80, 250, 10), 0)

    # Who is what.
    n_anom = int(round(n_users * float(anomaly_share)))
    n_crawl = min(n_anom, max(1, n_users // 10000)) if n_anom else 0
    kinds = ["crawler"] * n_crawl
    rest = n_anom - n_crawl
    counts = {k: int(np.floor(w / sum(_ANOMALY_WEIGHTS.values()) * rest))
              for k, w in _ANOMALY_WEIGHTS.items()}  # fmt: skip
    short = rest - sum(counts.values())
    for k in list(_ANOMALY_WEIGHTS)[:short]:
        counts[k] += 1
    for k, c in counts.items():
        kinds += [k] * c
    n_norm = n_users - n_anom
    n_box = max(1, n_users // 20000)
    nk = ["box_office"] * n_box
    for k, w in _NORMAL_WEIGHTS.items():
        nk += [k] * int(round(w * n_norm))
    nk += ["casual"] * (n_norm - len(nk))
    kinds = np.array(kinds + nk[:n_norm], dtype=object)
    kinds = kinds[rng.permutation(n_users)]
    ids = np.sort(rng.choice(9_000_000, size=n_users, replace=False)) + 1_000_000
    ids = ids[rng.permutation(n_users)]
    channel = rng.choice([0, 1], size=n_users, p=[0.45, 0.55]).astype(np.int8)
    habit = _habit_hours(rng, n_users)
    by = {k: np.flatnonzero(kinds == k) for k in set(kinds)}

    def pick(k):
        return by.get(k, np.array([], dtype=int))

    # ---------------- normal users ----------------
    # casual: 1 + geometric sessions (heavy tail), some newly registered
    i = pick("casual")
    ns = np.minimum(rng.geometric(0.45, i.size), 30)
    _normal_sessions(rng, log, ids[i], ns, habit[i], pop, price, channel[i])
    # new accounts register in their first session
    new = i[rng.random(i.size) < 0.15]
    if new.size:
        reg_t = _start_times(rng, new.size, habit[new]) - 3 * DAY
        log.add(ids[new], np.full(new.size, E["register"]), reg_t, channel=channel[new])

    # bounce: one or two events (a view from a link, maybe a search)
    i = pick("bounce")
    starts = _start_times(rng, i.size, habit[i])
    lens = rng.choice([1, 1, 1, 2], size=i.size)
    _browse(rng, log, ids[i], starts, lens, np.full(i.size, 20.0), 0.3, pop, price, channel[i])

    # regular: many sessions over the weeks, buys, redeems points
    i = pick("regular")
    ns = rng.integers(8, 40, i.size)
    _normal_sessions(rng, log, ids[i], ns, habit[i], pop, price, channel[i], median_len=6.0,
                     buy_bias=1.6, spread=1.8)  # fmt: skip

    # night owls: ordinary users awake at night (or in another time zone)
    i = pick("night_owl")
    nh = np.mod(rng.normal(2.5, 1.5, i.size), 24)
    ns = 1 + rng.geometric(0.3, i.size)
    _normal_sessions(rng, log, ids[i], ns, nh, pop, price, channel[i], spread=1.5)

    # app_refresh: ordinary sessions plus the app left open on an event page, polling
    i = pick("app_refresh")
    ns = 1 + rng.geometric(0.4, i.size)
    _normal_sessions(rng, log, ids[i], ns, habit[i], pop, price, np.ones(i.size, np.int8))
    for j in i:
        for _ in range(rng.integers(1, 4)):
            period = rng.choice([30, 60, 60, 120])
            n = int(rng.integers(10, 150))
            t0 = _start_times(rng, 1, habit[j : j + 1])[0]
            t = t0 + period * np.arange(n) + rng.integers(0, 2, n)
            it = int(_pick_items(rng, pop, 1)[0]) + 1
            log.add(ids[j], np.full(n, E["view"]), t, it, channel=1)

    # pay_trouble: a declined card, retyped, then paid (legitimate pay_fail runs)
    i = pick("pay_trouble")
    ns = 1 + rng.geometric(0.5, i.size)
    _normal_sessions(rng, log, ids[i], ns, habit[i], pop, price, channel[i])
    for j in i:
        it = int(_pick_items(rng, pop, 1)[0])
        nf = int(rng.integers(1, 5))
        ev = [E["add"], E["checkout"]] + [E["pay_fail"]] * nf + [E["pay_ok"]] * (rng.random() < 0.8)
        t = _ticks(_start_times(rng, 1, habit[j : j + 1])[0],
                   np.exp(rng.normal(np.log(40), 0.6, len(ev) - 1)))  # fmt: skip
        log.add(ids[j], ev, t, it + 1, price[it] * 2, 2, channel[j])

    # reviewer: buys and reviews a lot, over weeks
    i = pick("reviewer")
    ns = rng.integers(6, 25, i.size)
    _normal_sessions(rng, log, ids[i], ns, habit[i], pop, price, channel[i], buy_bias=1.5)
    for j in i:
        nr = int(rng.integers(5, 30))
        its = _pick_items(rng, pop, nr) + 1
        t = np.sort(_start_times(rng, nr, habit[j : j + 1].repeat(nr)))
        ev = np.full(nr, E["review"])
        log.add(ids[j], np.concatenate([np.full(nr, E["view"]), ev]),
                np.concatenate([t, t + rng.integers(20, 300, nr)]), np.concatenate([its, its]),
                channel=channel[j])  # fmt: skip

    # fan_sale: fans hammering refresh at a sale opening (1-2 sales) plus ordinary sessions
    i = pick("fan_sale")
    ns = 1 + rng.geometric(0.4, i.size)
    _normal_sessions(rng, log, ids[i], ns, habit[i], pop, price, channel[i])
    for j in i:
        for s in rng.choice(10, size=int(rng.choice([1, 1, 1, 2, 3])), replace=False):
            _sale_run(rng, log, ids[j], sale_items[s], sale_open[s], sale_price[s],
                      lag=int(rng.exponential(40)), gap_med=rng.uniform(3, 9), gap_sigma=0.7,
                      n_refresh=int(min(200, rng.geometric(0.05))), qty=int(rng.integers(1, 5)),
                      p_fail=0.3, channel=channel[j])  # fmt: skip

    # corporate: weekday office hours, bulk gift cards and block bookings
    i = pick("corporate")
    for j in i:
        nses = int(rng.integers(2, 8))
        st = _start_times(rng, nses, np.array([11.0] * nses), spread=2.0, habit_share=1.0,
                          weekdays_only=True)  # fmt: skip
        for t0 in st:
            if rng.random() < 0.5:
                k = rng.integers(0, 5)
                it, pr, q = GIFT_CARDS[k], GIFT_PRICES[k], int(rng.integers(20, 200))
            else:
                c = int(_pick_items(rng, pop, 1)[0])
                it, pr, q = c + 1, price[c], int(rng.integers(10, 60))
            ev = [E["login"], E["search"], E["view"], E["add"], E["checkout"], E["pay_ok"]]
            if rng.random() < 0.3:
                ev += [E["transfer"]] * int(rng.integers(2, 12))
            ev += [E["logout"]]
            t = _ticks(t0, np.exp(rng.normal(np.log(30), 0.8, len(ev) - 1)))
            ev = np.array(ev)
            money = _MONEY[ev]
            log.add(ids[j], ev, t, np.where(ev == E["login"], -1, it),
                    np.where(money, pr * q, np.nan), np.where(money, q, 0), 0)  # fmt: skip

    # box_office: a venue's kiosk account selling over the counter all day (legit giant)
    i = pick("box_office")
    for j in i:
        for d in range(N_DAYS):
            if d % 7 == 6:
                continue
            n = int(rng.integers(40, 160))
            t = T0 + d * DAY + 10 * 3600 + np.sort(rng.integers(0, 8 * 3600, n))
            its = _pick_items(rng, pop, n)
            q = rng.integers(1, 7, n)
            for ev in ("search", "view", "add", "checkout", "pay_ok"):
                off = {"search": 0, "view": 15, "add": 40, "checkout": 55, "pay_ok": 70}[ev]
                money = ev in ("add", "checkout", "pay_ok")
                log.add(ids[j], np.full(n, E[ev]), t + off, its + 1,
                        price[its] * q if money else None, q if money else None, 0)  # fmt: skip

    # ---------------- anomalies ----------------
    later = []  # (user index, ordinary sessions) drawn in one batch below
    # scalper_script: a bot at many sale openings, sub-second refreshes, max tickets
    for j in pick("scalper_script"):
        for s in rng.choice(10, size=int(rng.integers(3, 9)), replace=False):
            _sale_run(rng, log, ids[j], sale_items[s], sale_open[s], sale_price[s],
                      lag=int(rng.integers(0, 3)), gap_med=rng.uniform(0.3, 1.2), gap_sigma=0.1,
                      n_refresh=int(rng.integers(30, 300)), qty=6, p_fail=0.05,
                      channel=2)  # fmt: skip

    # scalper_human: a reseller by hand: human pace, but every sale, max tickets, resale
    for j in pick("scalper_human"):
        sales = rng.choice(10, size=int(rng.integers(4, 8)), replace=False)
        for s in sales:
            end = _sale_run(rng, log, ids[j], sale_items[s], sale_open[s], sale_price[s],
                            lag=int(rng.exponential(15)), gap_med=rng.uniform(2, 6),
                            gap_sigma=0.6, n_refresh=int(rng.integers(10, 60)), qty=6,
                            p_fail=0.2, channel=channel[j])  # fmt: skip
            if rng.random() < 0.6:  # tickets moved to buyers on a resale site
                nt = int(rng.integers(2, 6))
                log.add(ids[j], np.full(nt, E["transfer"]),
                        end + DAY * rng.integers(1, 5) + 60 * np.arange(nt), sale_items[s],
                        channel=channel[j])  # fmt: skip
        later.append((j, int(rng.integers(0, 3))))

    # card_testing: a fresh account, scripted gift-card attempts, mostly declined
    for j in pick("card_testing"):
        n = int(rng.integers(15, 150))
        k = rng.integers(0, 2)
        t0 = T0 + int(rng.integers(0, N_DAYS * DAY))
        ev = [E["register"], E["login"]]
        pay = np.where(rng.random(n) < 0.85, E["pay_fail"], E["pay_ok"])
        ev = np.array(
            ev
            + list(np.column_stack([np.full(n, E["add"]), np.full(n, E["checkout"]), pay]).ravel())
        )
        t = _ticks(t0, np.exp(rng.normal(np.log(rng.uniform(2, 6)), 0.3, len(ev) - 1)))
        money = _MONEY[ev]
        log.add(ids[j], ev, t, np.where(money, GIFT_CARDS[k], -1),
                np.where(money, GIFT_PRICES[k], np.nan), np.where(money, 1, 0), 2)  # fmt: skip

    # card_testing_slow: an aged-looking account, a few attempts an hour apart, with browsing
    for j in pick("card_testing_slow"):
        n = int(rng.integers(5, 18))
        t = T0 + int(rng.integers(0, (N_DAYS - 2) * DAY))
        later.append((j, int(rng.integers(1, 3))))
        for _ in range(n):
            t += int(rng.exponential(1800)) + 60
            k = rng.integers(0, 2)
            ev = [E["view"], E["add"], E["checkout"]] + [E["pay_fail"]] * int(rng.integers(1, 3))
            if rng.random() < 0.25:
                ev.append(E["pay_ok"])
            ev = np.array(ev)
            tt = _ticks(t, np.exp(rng.normal(np.log(15), 0.5, len(ev) - 1)))
            money = _MONEY[ev]
            log.add(ids[j], ev, tt, GIFT_CARDS[k], np.where(money, GIFT_PRICES[k], np.nan),
                    np.where(money, 1, 0), channel[j])  # fmt: skip

    # account_takeover: an established user; the last day, at new hours, a new owner
    ato = pick("account_takeover")
    # their own history, drawn in one batch: weeks of sessions at their habitual hours
    _normal_sessions(rng, log, ids[ato], rng.integers(6, 30, ato.size), habit[ato], pop, price,
                     channel[ato], buy_bias=1.4, spread=1.8)  # fmt: skip
    for j in ato:
        hour = np.mod(habit[j] + rng.uniform(8, 14), 24)
        t0 = T0 + (N_DAYS - 1) * DAY + int(hour * 3600) + int(rng.integers(0, 600))
        subtle = rng.random() < 0.4
        ev = [E["login"]]
        if not subtle:
            ev += [E["password_reset"], E["login"], E["email_change"]]
        ev += [E["wallet_view"]] + [E["redeem"]] * int(rng.integers(1, 4))
        k = rng.integers(2, 5)
        ev += [E["add"], E["checkout"], E["pay_ok"]]
        ev += [E["transfer"]] * int(rng.integers(0 if subtle else 1, 5)) + [E["logout"]]
        ev = np.array(ev)
        t = _ticks(t0, np.exp(rng.normal(np.log(12), 0.6, len(ev) - 1)))
        redeem = ev == E["redeem"]
        money = _MONEY[ev]
        amount = np.where(redeem, np.round(rng.uniform(80, 400), 0), np.nan)
        amount = np.where(money, GIFT_PRICES[k] * 2, amount)
        item = np.where(money, GIFT_CARDS[k], -1)
        log.add(ids[j], ev, t, item, amount, np.where(money, 2, 0), 2 if not subtle else 0)

    # review_ring: groups of 6-14 accounts reviewing the same few items in the same hour
    ring = pick("review_ring")
    ring = ring[rng.permutation(ring.size)]
    pos = 0
    while pos < ring.size:
        size = int(min(ring.size - pos, rng.integers(6, 15)))
        members = ring[pos : pos + size]
        pos += size
        targets = rng.choice(N_CATALOG, size=int(rng.integers(3, 7)), replace=False) + 1
        n_waves = int(rng.integers(1, 4))
        for w in range(n_waves):
            base = T0 + int(rng.integers(0, N_DAYS * DAY))
            for j in members:
                t = base + int(rng.integers(0, 3000))
                ev, its = [E["login"]], [-1]
                for it in targets:
                    if rng.random() < 0.3:
                        ev += [E["view"], E["add"], E["checkout"], E["pay_ok"]]
                        its += [it] * 4
                    ev += [E["view"], E["review"]]
                    its += [it, it]
                ev += [E["logout"]]
                its += [-1]
                tt = _ticks(t, np.exp(rng.normal(np.log(25), 0.7, len(ev) - 1)))
                ev = np.array(ev)
                money = _MONEY[ev]
                pr = price[np.clip(np.array(its) - 1, 0, N_CATALOG - 1)]
                log.add(ids[j], ev, tt, np.array(its), np.where(money, pr, np.nan),
                        np.where(money, 1, 0), channel[j])  # fmt: skip
            if w == 0:
                ns = rng.integers(0, 3, members.size)
                _normal_sessions(rng, log, ids[members], ns, habit[members], pop, price,
                                 channel[members])  # fmt: skip

    # price_scraper: views of many items at a regular clock, no buys, daily cron runs
    for j in pick("price_scraper"):
        period = float(rng.choice([5, 10, 20, 30, 60]))
        runs = int(rng.integers(1, 10))
        hour = rng.uniform(0, 24)
        per_run = int(rng.integers(30, 400))
        first = int(rng.integers(0, N_DAYS - runs + 1)) if runs < N_DAYS else 0
        for r in range(runs):
            t0 = T0 + (first + r) * DAY + int(hour * 3600)
            gaps = period * (1 + rng.normal(0, 0.04, per_run - 1))
            ev = np.full(per_run, E["view"])
            ev[:: int(rng.integers(20, 60))] = E["search"]
            its = rng.choice(N_CATALOG, size=per_run, replace=per_run > N_CATALOG) + 1
            log.add(ids[j], ev, _ticks(t0, gaps), its, channel=2)

    # crawler: a giant scraper across the whole month
    for j in pick("crawler"):
        n = int(rng.integers(20000, 80000))
        t = T0 + np.sort(rng.integers(0, N_DAYS * DAY, n))
        its = rng.integers(1, N_CATALOG + 1, n)
        ev = np.where(rng.random(n) < 0.9, E["view"], E["search"])
        log.add(ids[j], ev, t, its, channel=2)

    # promo_abuse: bursts of fresh accounts; sign up, redeem the promo, cash out on a card
    pa = pick("promo_abuse")
    pa = pa[rng.permutation(pa.size)]
    pos = 0
    while pos < pa.size:
        size = int(min(pa.size - pos, rng.integers(5, 25)))
        wave = pa[pos : pos + size]
        pos += size
        base = T0 + int(rng.integers(0, N_DAYS * DAY))
        for j in wave:
            t0 = base + int(rng.integers(0, 1800))
            k = rng.integers(0, 2)
            ev = np.array([E["register"], E["login"], E["redeem"], E["add"], E["checkout"],
                           E["pay_ok"], E["transfer"]])  # fmt: skip
            if rng.random() < 0.4:
                ev = ev[:-1]
            tt = _ticks(t0, np.exp(rng.normal(np.log(6), 0.5, len(ev) - 1)))
            item = np.where(ev == E["redeem"], PROMO_ITEM, GIFT_CARDS[k])
            item = np.where(_NO_ITEM[ev], -1, item)
            amount = np.where(_MONEY[ev], GIFT_PRICES[k], np.nan)
            amount = np.where(ev == E["redeem"], GIFT_PRICES[k], amount)
            log.add(ids[j], ev, tt, item, amount, np.where(_MONEY[ev], 1, 0),
                    channel[j])  # fmt: skip

    if later:
        li = np.array([j for j, _ in later])
        _normal_sessions(rng, log, ids[li], np.array([n for _, n in later]), habit[li], pop,
                         price, channel[li])  # fmt: skip

    # ---------------- assemble ----------------
    cols = list(zip(*log.parts, strict=True))
    users = np.concatenate(cols[0])
    ev = np.concatenate(cols[1])
    t = np.concatenate(cols[2])
    item = np.concatenate(cols[3]).astype(np.int64)
    amount = np.concatenate(cols[4]).astype(float)
    qty = np.concatenate(cols[5]).astype(np.int16)
    ch = np.concatenate(cols[6])
    order = np.lexsort((users, t))
    events = pd.DataFrame(
        {
            "user_id": users[order],
            "event": pd.Categorical.from_codes(ev[order], categories=list(EVENTS)),
            "timestamp": t[order],
            "item_id": pd.arrays.IntegerArray(np.maximum(item[order], 0), item[order] < 0),
            "amount": amount[order],
            "qty": qty[order],
            "channel": pd.Categorical.from_codes(ch[order], categories=["web", "app", "api"]),
        }
    )
    events = events.reset_index(drop=True)
    is_anom = np.isin(kinds, ANOMALY_KINDS)
    labels = pd.DataFrame({"user_id": ids, "is_anomaly": is_anom, "kind": kinds.astype(str)})
    # every user has at least one event: users whose draw left none are dropped
    present = np.isin(ids, np.unique(users))
    labels = labels[present].sort_values("user_id").reset_index(drop=True)
    sales = pd.DataFrame({"item_id": sale_items, "opens": sale_open})
    return HeldoutShop(events=events, labels=labels, sales=sales)
