"""A held-out labelled source of a sixth kind: an online game's server event log.

Written blind to oddseq's generators, detectors and encoders. Entities are player
accounts of an MMO over six days (Monday 00:00 UTC to Sunday 00:00 UTC), spread over
time zones; one row per server event with the player, the time (epoch seconds, ms
resolution), the event type, its target (``z`` zone, ``m`` monster, ``b`` raid boss,
``i`` item, ``q`` quest, ``p`` another player, ``c`` chat channel, ``f`` fish, ``s`` shop
product), the gold moved where gold moves (real money in dollars for ``purchase``), and
the zone the player stands in. Trades are logged on both sides (``trade_send`` by the
giver, ``trade_receive`` by the taker, each naming the other); mail on both sides
(``mail_send``, ``mail_claim`` when the recipient opens it).

Normal kinds (hard negatives among them): ``casual`` evening players; ``hardcore``
grinders (long repetitive sessions with human think times, breaks and sleep); ``new``
players (a tutorial chain, joined mid-week); ``raider`` guild members (their guild meets
at a fixed evening hour on two nights, kills the same bosses within seconds of each
other and shares the loot by trade); ``whale`` (many real-money purchases; some buy
gold from strangers); ``trader`` (auction house all day, trades with many partners);
``fisher`` (AFK-ish: hours of fishing at a human pace, or, for two in five, with the
game's own auto-cast: a cast every 30-42 s for hours, often overnight); ``launch`` (a
season launch crowd: Friday 18:00 UTC, everyone runs the same event quest chain, each at
their own pace); and one giant ``service`` account (the game's reward mailer: a mail to
each player, bots too, at their first login of a day; about 2% of all events).
Ordinary players also mail and trade gold or items to friends, guild mates and others
(both sides logged), and some of them buy things now and then (a season pass at launch).

Anomalous kinds: ``gold_bot`` (no think time, a fixed loop through a zone route,
reconnects instead of sleep, sells loot and mails gold to RMT mules; a fifth of them
humanised with jittered timing, three in ten banned within 1-3 hours; one giant bot
runs the whole week, about 3% of all events); ``farm_ring`` (a multiboxer's 5-13
accounts in lockstep in one zone, funnelling gold by trade to the ring's mule, itself a
member); ``rmt_mule`` (gold in from many strangers, out to buyers);
``speed_hack`` (ordinary play, then sessions with impossible move/kill rates);
``takeover`` (an ordinary history, then a login at any hour of the day that strips
items and gold to strangers, mostly RMT mules, within minutes; three in ten move only
3-5 things); ``auction_sniper`` (searches the auction house 10-16 hours at a stretch at
machine pace, buys within half a second and relists higher);
``chat_spam`` (chat and whispers to many players, little play); ``alt_army`` (8-25
fresh accounts levelling in lockstep through the same quests). Server noise:
about 0.3% of rows are written twice, a few milliseconds apart.

``make_heldout_game(n_players, seed=..., anomaly_share=0.04)`` returns ``(events,
labels)``; ``plant=False`` draws a log with nothing planted (normal-only fitting)::

    events, labels = make_heldout_game(2000, seed=200)
    events.columns  # player_id, timestamp, event, target, gold, zone
    labels.columns  # player_id, kind, is_anomaly, group
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NORMAL_KINDS = (
    "casual",
    "hardcore",
    "new",
    "raider",
    "whale",
    "trader",
    "fisher",
    "launch",
    "service",
)
ANOMALY_KINDS = (
    "gold_bot",
    "farm_ring",
    "rmt_mule",
    "speed_hack",
    "takeover",
    "auction_sniper",
    "chat_spam",
    "alt_army",
)
EVENTS = (
    "login",
    "logout",
    "move",
    "teleport",
    "monster_kill",
    "loot_pickup",
    "quest_complete",
    "craft",
    "fish",
    "trade_send",
    "trade_receive",
    "auction_search",
    "auction_list",
    "auction_buy",
    "mail_send",
    "mail_claim",
    "chat",
    "whisper",
    "purchase",
)
(
    LOGIN,
    LOGOUT,
    MOVE,
    TELEPORT,
    KILL,
    LOOT,
    QUEST,
    CRAFT,
    FISH,
    TRADE_SEND,
    TRADE_RECV,
    AH_SEARCH,
    AH_LIST,
    AH_BUY,
    MAIL_SEND,
    MAIL_CLAIM,
    CHAT,
    WHISPER,
    PURCHASE,
) = range(len(EVENTS))
PREFIX = ("z", "m", "b", "i", "q", "p", "c", "f", "s")
TZ, TM, TB, TI, TQ, TP, TC, TF, TS = range(len(PREFIX))

T0 = 1772409600.0  # Monday 2026-03-02 00:00 UTC
DAYS = 6
T_END = T0 + DAYS * 86400.0
LAUNCH = T0 + 4 * 86400.0 + 18 * 3600.0  # Friday 18:00 UTC
N_ZONES = 60
N_ITEMS = 4000
_ITEM_CDF = np.cumsum(1.0 / (np.arange(N_ITEMS) + 8.0) ** 1.1)
_ITEM_CDF /= _ITEM_CDF[-1]
TZ_OFFSETS = np.array([-8, -5, -3, 0, 1, 2, 3, 8, 9])
TZ_WEIGHTS = np.array([0.12, 0.16, 0.06, 0.1, 0.2, 0.1, 0.07, 0.1, 0.09])


def _profile(weights):
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


# session starts by local hour: evening players, long-day grinders
EVENING = _profile(
    [2, 1, 0.5, 0.2, 0.1, 0.1, 0.3, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 5, 8, 10, 10, 9, 7, 4]
)
WAKING = _profile(
    [3, 2, 1, 0.3, 0.1, 0.1, 0.2, 0.5, 2, 4, 5, 5, 5, 5, 5, 5, 5, 6, 7, 8, 8, 8, 7, 5]
)


def _mix(**p):
    codes = np.array([EVENTS.index(k) for k in p])
    probs = np.array(list(p.values()), dtype=float)
    return codes, probs / probs.sum()


CASUAL_MIX = _mix(
    move=0.1, teleport=0.02, monster_kill=0.27, loot_pickup=0.2, quest_complete=0.1,
    craft=0.03, fish=0.02, chat=0.12, whisper=0.04, auction_search=0.05, auction_list=0.02,
    auction_buy=0.02, mail_send=0.012, trade_send=0.008,
)  # fmt: skip
GRIND_MIX = _mix(
    move=0.06, teleport=0.02, monster_kill=0.42, loot_pickup=0.3, quest_complete=0.04,
    craft=0.04, chat=0.06, whisper=0.02, auction_list=0.03, auction_search=0.01,
    mail_send=0.01, trade_send=0.005,
)  # fmt: skip
NEWBIE_MIX = _mix(
    move=0.2, monster_kill=0.25, loot_pickup=0.18, quest_complete=0.15, chat=0.12,
    craft=0.04, whisper=0.02, auction_search=0.04, mail_send=0.004,
)  # fmt: skip
TRADER_MIX = _mix(
    auction_search=0.38, auction_list=0.2, auction_buy=0.12, chat=0.12, whisper=0.05,
    move=0.04, craft=0.06, monster_kill=0.02, loot_pickup=0.01, mail_send=0.04,
)  # fmt: skip
FISHER_MIX = _mix(fish=0.84, loot_pickup=0.04, chat=0.05, move=0.02, craft=0.05)
RAID_MIX = _mix(chat=0.5, loot_pickup=0.3, move=0.1, craft=0.1, mail_send=0.03)


class _Log:
    """Columns accumulated in chunks; each add takes scalars or equal-length arrays."""

    def __init__(self, rng):
        self.rng = rng
        self.parts = []

    def add(self, pid, t, ev, tk, tn, gold=np.nan, zone=0):
        t = np.atleast_1d(np.asarray(t, dtype=float))
        n = len(t)
        if n == 0:
            return
        cols = [np.broadcast_to(np.asarray(c), (n,)) for c in (pid, ev, tk, tn, gold, zone)]
        self.parts.append((t, *cols))

    def frame(self):
        cols = [np.concatenate([p[i] for p in self.parts]) for i in range(7)]
        t, pid, ev, tk, tn, gold, zone = cols
        keep = (t >= T0) & (t < T_END)
        # server noise: about 0.3% of rows written twice, a few ms apart
        dup = np.flatnonzero(keep & (self.rng.random(len(t)) < 0.003))
        t, pid, ev, tk, tn, gold, zone = (
            np.r_[c, c[dup]] for c in (t, pid, ev, tk, tn, gold, zone)
        )
        t[len(t) - len(dup) :] += self.rng.uniform(0.001, 0.05, len(dup))
        keep = (t >= T0) & (t < T_END)
        prefix = np.array(PREFIX)[tk[keep].astype(int)]
        target = pd.Series(prefix).str.cat(pd.Series(tn[keep].astype(np.int64)).astype(str))
        df = pd.DataFrame(
            {
                "player_id": pid[keep].astype(np.int64),
                "timestamp": np.round(t[keep], 3),
                "event": pd.Categorical.from_codes(ev[keep].astype(int), EVENTS).astype(str),
                "target": target.to_numpy(),
                "gold": gold[keep].astype(float).round(2),
                "zone": zone[keep].astype(np.int64),
            }
        )
        return df.sort_values(["timestamp", "player_id"], kind="stable").reset_index(drop=True)


class _World:
    def __init__(self, rng, ids):
        self.rng = rng
        self.log = _Log(rng)
        self.ids = ids  # every player id, for strangers
        self.n_players = len(ids)
        self.mules = np.array([], dtype=np.int64)  # RMT mules gold flows to
        self.buyers = np.array([], dtype=np.int64)  # normal players who buy gold

    def items(self, k):
        return np.searchsorted(_ITEM_CDF, self.rng.random(k))

    def starts(self, tz, per_day, profile, day_lo=0.0, day_hi=DAYS):
        """Session start times (UTC) of a human in time zone tz, local hours by profile."""
        rng = self.rng
        span = max(day_hi - day_lo, 0.05)
        k = rng.poisson(per_day * span)
        day = np.floor(day_lo + rng.random(k) * span)
        local = day * 86400 + rng.choice(24, k, p=profile) * 3600.0 + rng.uniform(0, 3600, k)
        t = T0 + local - tz * 3600.0
        return np.sort(t[(t >= T0 + day_lo * 86400) & (t < T_END)])

    def targets(self, ev, zone, friends=None, guild_chan=None):
        rng = self.rng
        k = len(ev)
        tk = np.full(k, TI)
        tn = np.zeros(k, dtype=np.int64)
        gold = np.full(k, np.nan)
        m = (ev == MOVE) | (ev == TELEPORT) | (ev == LOGIN) | (ev == LOGOUT)
        tk[m], tn[m] = TZ, zone[m]
        m = ev == KILL
        tk[m], tn[m] = TM, zone[m] * 30 + rng.integers(0, 30, m.sum())
        m = (ev == LOOT) | (ev == CRAFT) | (ev == AH_SEARCH)
        tn[m] = self.items(m.sum())
        m = ev == LOOT
        gold[m] = np.round(rng.lognormal(np.log(6 + zone[m] / 3), 0.9), 0)
        m = (ev == AH_LIST) | (ev == AH_BUY)
        tn[m] = self.items(m.sum())
        gold[m] = np.round(rng.lognormal(np.log(150), 1.1, m.sum()), 0)
        m = ev == QUEST
        tk[m], tn[m] = TQ, 100 + zone[m] * 8 + rng.integers(0, 8, m.sum())
        gold[m] = np.round(rng.lognormal(np.log(60 + 4 * zone[m]), 0.4), 0)
        m = ev == FISH
        tk[m], tn[m] = TF, zone[m] * 4 + rng.integers(0, 4, m.sum())
        m = ev == CHAT
        ch = rng.choice(3, m.sum(), p=[0.25, 0.15, 0.6])
        chan = np.where(ch == 0, 0, np.where(ch == 1, 1, 10 + zone[m]))
        if guild_chan is not None:
            chan = np.where(rng.random(m.sum()) < 0.5, guild_chan, chan)
        tk[m], tn[m] = TC, chan
        m = ev == WHISPER
        pool = friends if friends is not None and len(friends) else self.ids
        tk[m], tn[m] = TP, rng.choice(pool, m.sum())
        m = ev == PURCHASE
        tk[m], tn[m] = TS, rng.integers(0, 12, m.sum())
        gold[m] = rng.choice(
            [4.99, 9.99, 19.99, 49.99, 99.99], m.sum(), p=[0.3, 0.3, 0.2, 0.12, 0.08]
        )
        return tk, tn, gold

    def session(self, pid, t0, dur, mix, think, sigma, zone0, friends=None, guild_chan=None,
                extra=None):  # fmt: skip
        """A human session: login, events with lognormal think times, logout."""
        rng = self.rng
        n = int(dur / think * 1.8) + 4
        t = t0 + 2.0 + np.cumsum(rng.lognormal(np.log(think), sigma, n))
        t = t[t < t0 + dur]
        codes, probs = mix
        ev = rng.choice(codes, len(t), p=probs)
        if extra is not None:  # (event code, probability) sprinkled in
            ev = np.where(rng.random(len(t)) < extra[1], extra[0], ev)
        delta = np.zeros(len(t), dtype=np.int64)
        mv = ev == MOVE
        delta[mv] = rng.choice([-2, -1, 1, 2], mv.sum())
        tp = ev == TELEPORT
        delta[tp] = rng.integers(1, N_ZONES, tp.sum())
        zone = (zone0 + np.cumsum(delta)) % N_ZONES
        tk, tn, gold = self.targets(ev, zone, friends, guild_chan)
        # mail and trades to friends (guild mates, own alts) or anyone: the other side too
        tk, tn, gold = self.exchanges(pid, t, ev, tk, tn, gold, friends)
        self.log.add(pid, t0, LOGIN, TZ, zone0, np.nan, zone0)
        self.log.add(pid, t, ev, tk, tn, gold, zone)
        end = (t[-1] if len(t) else t0) + rng.uniform(5, 120)
        last = zone[-1] if len(t) else zone0
        self.log.add(pid, end, LOGOUT, TZ, last, np.nan, last)
        return int(last), end

    def exchanges(self, pid, t, ev, tk, tn, gold, friends):
        rng = self.rng
        for code in (MAIL_SEND, TRADE_SEND):
            m = np.flatnonzero(ev == code)
            if not len(m):
                continue
            pool = friends if friends is not None and len(friends) > 1 else self.ids
            to = rng.choice(pool, len(m))
            to = np.where(to == pid, rng.choice(self.ids, len(m)), to)
            g = np.where(
                rng.random(len(m)) < 0.5,
                np.nan,
                np.round(rng.lognormal(np.log(80), 1.0, len(m))),
            )
            tk[m], tn[m], gold[m] = TP, to, g
            if code == MAIL_SEND:
                seen = rng.random(len(m)) < 0.8
                later = t[m][seen] + rng.exponential(4 * 3600, seen.sum())
                self.log.add(to[seen], later, MAIL_CLAIM, TP, pid, g[seen], 0)
            else:
                self.log.add(to, t[m] + rng.uniform(0.2, 2, len(m)), TRADE_RECV, TP, pid, g, 0)
        return tk, tn, gold

    def trade(self, a, b, t, gold, za=0, zb=0, item=False):
        """a gives b gold (or an item) by trade; both sides are logged."""
        rng = self.rng
        g = np.nan if item else gold  # an item changes hands: no gold
        self.log.add(a, t, TRADE_SEND, TP, b, g, za)
        self.log.add(b, t + rng.uniform(0.2, 2), TRADE_RECV, TP, a, g, zb)

    def mail(self, a, b, t, gold, za=0, claim=True):
        rng = self.rng
        self.log.add(a, t, MAIL_SEND, TP, b, gold, za)
        if claim:
            self.log.add(b, t + rng.exponential(3 * 3600), MAIL_CLAIM, TP, a, gold, 0)

    def visit(self, pid, t, ev_t):
        """A short login around a single event at time t (e.g. a buyer taking gold)."""
        rng = self.rng
        z = int(rng.integers(N_ZONES))
        self.log.add(pid, t - rng.uniform(30, 400), LOGIN, TZ, z, np.nan, z)
        self.log.add(pid, t + rng.uniform(20, 900), LOGOUT, TZ, z, np.nan, z)
        del ev_t


# ---------------------------------------------------------------- normal kinds


def _human(w, pid, per_day, profile, dur_med, dur_sigma, mix, think, sigma, tz=None,
           day_lo=0.0, day_hi=DAYS, friends=None, guild_chan=None, extra=None):  # fmt: skip
    rng = w.rng
    tz = rng.choice(TZ_OFFSETS, p=TZ_WEIGHTS) if tz is None else tz
    zone = int(rng.integers(N_ZONES))
    starts = w.starts(tz, per_day, profile, day_lo, day_hi)
    busy = -np.inf
    for s in starts:
        if s < busy:
            continue
        dur = rng.lognormal(np.log(dur_med), dur_sigma)
        zone, busy = w.session(pid, s, dur, mix, think, sigma, zone, friends, guild_chan, extra)
        busy += rng.uniform(300, 3600)  # a break before the next session
    return tz


def _casual(w, pid):
    rng = w.rng
    rate = rng.lognormal(np.log(0.35), 0.7)
    buys = (PURCHASE, rng.uniform(0.003, 0.02)) if rng.random() < 0.1 else None
    _human(w, pid, rate, EVENING, 1800, 0.6, CASUAL_MIX, 70, 0.9, extra=buys)


def _hardcore(w, pid):
    rng = w.rng
    buys = (PURCHASE, rng.uniform(0.002, 0.01)) if rng.random() < 0.25 else None
    _human(w, pid, rng.uniform(1.0, 1.8), WAKING, 5400, 0.5, GRIND_MIX, rng.uniform(60, 100), 0.7,
           extra=buys)  # fmt: skip


def _new(w, pid):
    rng = w.rng
    lo = rng.uniform(0, DAYS - 0.3)
    tz = rng.choice(TZ_OFFSETS, p=TZ_WEIGHTS)
    t = T0 + lo * 86400
    z = int(rng.integers(3))
    # the tutorial chain: quests 0..11 in order, human pace
    k = int(rng.integers(4, 12))
    tt = t + np.cumsum(rng.lognormal(np.log(150), 0.7, k))
    w.log.add(pid, t, LOGIN, TZ, z, np.nan, z)
    w.log.add(pid, tt, QUEST, TQ, np.arange(k), np.round(rng.uniform(5, 20, k)), z)
    w.log.add(pid, tt[-1] + rng.uniform(60, 600), LOGOUT, TZ, z, np.nan, z)
    if rng.random() < 0.6:  # many never come back
        _human(w, pid, rng.uniform(0.5, 1.5), EVENING, 1500, 0.6, NEWBIE_MIX, 50, 0.9, tz=tz,
               day_lo=lo + 0.05, day_hi=min(DAYS, lo + rng.uniform(1, 4)))  # fmt: skip


def _whale(w, pid):
    rng = w.rng
    _human(w, pid, rng.uniform(0.5, 1.0), EVENING, 2400, 0.6, CASUAL_MIX, 80, 0.9,
           extra=(PURCHASE, rng.uniform(0.03, 0.1)))  # fmt: skip


def _trader(w, pid, partners):
    rng = w.rng
    tz = _human(w, pid, rng.uniform(0.8, 1.8), WAKING, 2400, 0.6, TRADER_MIX, 70, 1.0)
    k = rng.poisson(12)
    for t in w.starts(tz, k / DAYS, WAKING):
        b = int(rng.choice(partners))
        g = float(np.round(rng.lognormal(np.log(300), 1.0)))
        if rng.random() < 0.5:
            w.trade(pid, b, t, g, item=rng.random() < 0.5)
        else:
            w.trade(b, pid, t, g, item=rng.random() < 0.5)
        w.visit(b, t, TRADE_RECV)


def _fisher(w, pid):
    rng = w.rng
    if rng.random() < 0.6:
        _human(
            w,
            pid,
            rng.uniform(0.4, 0.8),
            WAKING,
            9000,
            0.4,
            FISHER_MIX,
            rng.uniform(70, 110),
            0.45,
        )
        return
    # the game's own auto-cast (allowed): a cast every 30 s plus the bite, for hours,
    # often overnight with the player asleep at the keyboard
    tz = rng.choice(TZ_OFFSETS, p=TZ_WEIGHTS)
    for s in w.starts(tz, rng.uniform(0.3, 0.7), WAKING):
        dur = rng.uniform(3, 8) * 3600
        n = int(dur / 37)
        t = s + np.cumsum(30 + rng.uniform(2, 12, n))
        z = int(rng.integers(N_ZONES))
        w.log.add(pid, s, LOGIN, TZ, z, np.nan, z)
        w.log.add(pid, t, FISH, TF, z * 4 + rng.integers(0, 4, n), np.nan, z)
        k = int(rng.integers(0, 4))
        w.log.add(pid, np.sort(rng.uniform(s, t[-1], k)), CHAT, TC, 10 + z, np.nan, z)
        w.log.add(pid, t[-1] + rng.uniform(5, 60), LOGOUT, TZ, z, np.nan, z)


def _launch(w, pid):
    rng = w.rng
    tz = rng.choice(TZ_OFFSETS, p=TZ_WEIGHTS)
    t = LAUNCH + rng.exponential(3 * 3600)
    z = 30 + int(rng.integers(3))
    k = int(rng.integers(6, 16))  # the season's event chain, quests 9000.., own pace
    tt = t + np.cumsum(rng.lognormal(np.log(240), 0.8, k))
    w.log.add(pid, t, LOGIN, TZ, z, np.nan, z)
    w.log.add(pid, tt, QUEST, TQ, 9000 + np.arange(k), 50.0, z)
    if rng.random() < 0.25:  # the season pass
        w.log.add(pid, t + rng.uniform(20, 600), PURCHASE, TS, 12, 9.99, z)
    kills = np.sort(rng.uniform(t, tt[-1], 2 * k))
    w.log.add(pid, kills, KILL, TM, 30 * z + rng.integers(0, 30, len(kills)), np.nan, z)
    w.log.add(pid, tt[-1] + rng.uniform(60, 900), LOGOUT, TZ, z, np.nan, z)
    day = (tt[-1] - T0) / 86400 + 0.1
    _human(w, pid, rng.uniform(0.6, 1.5), EVENING, 2400, 0.6, CASUAL_MIX, 55, 0.9, tz=tz,
           day_lo=min(day, DAYS - 0.05))  # fmt: skip


def _guild(w, members, gid):
    """Raiders: own play, plus two raid nights at the guild's hour on the same bosses."""
    rng = w.rng
    tz = rng.choice(TZ_OFFSETS, p=TZ_WEIGHTS)
    chan = 1000 + gid
    for pid in members:
        if rng.random() < 0.3:
            _human(w, pid, rng.uniform(0.8, 1.5), WAKING, 4800, 0.5, GRIND_MIX, 80, 0.7, tz=tz,
                   friends=members, guild_chan=chan)  # fmt: skip
        else:
            _human(w, pid, rng.uniform(0.25, 0.6), EVENING, 2000, 0.6, CASUAL_MIX, 70, 0.9, tz=tz,
                   friends=members, guild_chan=chan)  # fmt: skip
    nights = rng.choice(DAYS, 2, replace=False)
    hour = rng.choice([19.5, 20.0, 20.5, 21.0])
    for d in nights:
        start = T0 + d * 86400 + (hour - tz) * 3600
        came = members[rng.random(len(members)) < 0.85]
        bosses = 100 + 10 * (gid % 3) + np.arange(int(rng.integers(4, 8)))
        bt = start + 1200 + np.cumsum(rng.uniform(900, 1800, len(bosses)))
        end = bt[-1] + rng.uniform(300, 1200)
        for pid in came:
            arrive = start + rng.exponential(300)
            w.log.add(pid, arrive, LOGIN, TZ, 55, np.nan, 55)
            # the group kill is logged for everyone present within seconds
            w.log.add(pid, bt + rng.uniform(0, 4, len(bt)), KILL, TB, bosses, np.nan, 55)
            n = int((end - arrive) / 240)
            tt = np.sort(rng.uniform(arrive, end, n))
            ev = rng.choice(RAID_MIX[0], n, p=RAID_MIX[1])
            zone = np.full(n, 55)
            tk, tn, gold = w.targets(ev, zone, members, chan)
            w.log.add(pid, tt, ev, tk, tn, gold, zone)
            w.log.add(pid, end + rng.uniform(10, 900), LOGOUT, TZ, 55, np.nan, 55)
        for bt_i in bt:  # loot shared out by trade between members who came
            for _ in range(int(rng.integers(1, 3))):
                if len(came) < 2:
                    break
                a, b = rng.choice(came, 2, replace=False)
                w.trade(
                    int(a),
                    int(b),
                    bt_i + rng.uniform(30, 240),
                    np.nan,
                    55,
                    55,
                    item=True,
                )


def _service(w, pid):
    """The reward mailer: a mail to each player (bots too) at their first login of a day."""
    rng = w.rng
    t, who, ev = (np.concatenate([p[i] for p in w.log.parts]) for i in range(3))
    who, when = who[ev == LOGIN].astype(np.int64), t[ev == LOGIN]
    ok = (when >= T0) & (when < T_END)
    first = (
        pd.DataFrame(
            {
                "p": who[ok],
                "d": ((when[ok] - T0) // 86400).astype(np.int64),
                "t": when[ok],
            }
        )
        .groupby(["p", "d"], sort=True)["t"]
        .min()
    )
    if first.empty:
        return
    recipients = first.index.get_level_values("p").to_numpy()
    times = first.to_numpy() + rng.uniform(1, 6, len(first))
    gold = np.where(rng.random(len(first)) < 0.1, 500.0, 50.0)
    w.log.add(pid, times, MAIL_SEND, TP, recipients, gold, 0)
    opened = rng.random(len(first)) < 0.7
    w.log.add(recipients[opened], times[opened] + rng.exponential(1800, opened.sum()), MAIL_CLAIM,
              TP, pid, gold[opened], 0)  # fmt: skip


# ---------------------------------------------------------------- anomalous kinds


def _bot_loop(w, pid, t0, t1, period, jitter, zones, humanised, mule=None, sell=True):
    """A farming loop: kill + loot every period, moves along a route, reconnects."""
    rng = w.rng
    n = int((t1 - t0) / period) + 1
    if humanised:
        gaps = period * rng.lognormal(0, jitter, n)
    else:
        gaps = period + rng.uniform(-jitter, jitter, n)
    t = t0 + np.cumsum(gaps)
    t = t[t < t1]
    seg = ((t - t0) // rng.uniform(1800, 3600)).astype(np.int64)
    zone = np.asarray(zones)[seg % len(zones)]
    w.log.add(pid, t, KILL, TM, zone * 30 + (np.arange(len(t)) % 6), np.nan, zone)
    lag = 0.6 + rng.uniform(0, 0.2, len(t)) if not humanised else rng.lognormal(0, 0.5, len(t))
    w.log.add(
        pid,
        t + lag,
        LOOT,
        TI,
        w.items(len(t)),
        np.round(rng.lognormal(np.log(8 + zone / 3), 0.5)),
        zone,
    )
    ch = np.flatnonzero(np.diff(seg) != 0) + 1
    w.log.add(pid, t[ch] - 1.5, MOVE, TZ, zone[ch], np.nan, zone[ch])
    # reconnects instead of sleep
    rc = np.arange(t0 + rng.uniform(3, 8) * 3600, t1, rng.uniform(4, 8) * 3600)
    w.log.add(pid, rc, LOGOUT, TZ, zones[0], np.nan, zones[0])
    w.log.add(pid, rc + rng.uniform(20, 90, len(rc)), LOGIN, TZ, zones[0], np.nan, zones[0])
    w.log.add(pid, t0, LOGIN, TZ, zones[0], np.nan, zones[0])
    if sell:
        st = np.arange(t0 + 5400, t1, rng.uniform(5400, 9000))
        for s in st:
            k = int(rng.integers(3, 9))
            w.log.add(pid, s + np.arange(k) * 1.1, AH_LIST, TI, w.items(k),
                      np.round(rng.lognormal(np.log(80), 0.5, k)), zones[0])  # fmt: skip
            if mule is not None and rng.random() < 0.5:
                w.mail(
                    pid,
                    mule,
                    s + k * 1.1 + 2,
                    float(np.round(rng.uniform(500, 3000))),
                    zones[0],
                )
    return len(t)


def _gold_bot(w, pid, giant=False):
    rng = w.rng
    if giant:
        # runs all week; its pace keeps it near 3% of a log of any size
        t0, t1 = T0 + rng.uniform(0, 3600), T_END
        period = 14.0 * max(1.0, 20000 / w.n_players)
    else:
        t0 = T0 + rng.uniform(0, DAYS * 86400 - 10 * 3600)
        life = np.clip(rng.lognormal(np.log(12 * 3600), 0.6), 3 * 3600, 48 * 3600)
        if rng.random() < 0.3:  # banned early
            life = rng.uniform(1, 3) * 3600
        t1 = min(T_END, t0 + float(life))
        period = rng.uniform(40, 70)
    humanised = rng.random() < 0.2
    zones = rng.integers(0, N_ZONES, int(rng.integers(3, 7)))
    mule = int(rng.choice(w.mules)) if len(w.mules) and rng.random() < 0.7 else None
    _bot_loop(w, pid, t0, t1, period, 0.3 if humanised else rng.uniform(0.05, 0.6), zones,
              humanised, mule)  # fmt: skip


def _farm_ring(w, members, gid):
    """A multiboxer: members farm in lockstep in one zone; gold funnelled to the mule."""
    rng = w.rng
    mule, farmers = members[0], members[1:]
    tz = rng.choice(TZ_OFFSETS, p=TZ_WEIGHTS)
    zone = int(rng.integers(N_ZONES))
    period = rng.uniform(60, 100)
    days = rng.choice(DAYS, int(rng.integers(2, 4)), replace=False)
    for d in days:
        s = T0 + d * 86400 + (rng.uniform(9, 14) - tz) * 3600
        e = s + rng.uniform(6, 12) * 3600
        for i, pid in enumerate(farmers):
            off = rng.uniform(0, 15)
            n = int((e - s) / period)
            t = s + off + np.arange(n) * period + rng.uniform(0, 3, n)
            w.log.add(pid, s + off - 5, LOGIN, TZ, zone, np.nan, zone)
            w.log.add(pid, t, KILL, TM, zone * 30 + (np.arange(n) + i) % 10, np.nan, zone)
            w.log.add(
                pid,
                t[::3] + 1,
                LOOT,
                TI,
                w.items(len(t[::3])),
                np.round(rng.lognormal(np.log(10), 0.4, len(t[::3]))),
                zone,
            )
            w.log.add(pid, e + off, LOGOUT, TZ, zone, np.nan, zone)
            for tt in np.arange(s + 3600, e, rng.uniform(3000, 5000)):
                w.trade(
                    int(pid),
                    int(mule),
                    tt + rng.uniform(0, 60),
                    float(np.round(rng.uniform(300, 900))),
                    zone,
                    zone,
                )
        w.log.add(mule, s, LOGIN, TZ, zone, np.nan, zone)
        k = int(rng.integers(5, 20))
        w.log.add(mule, np.sort(rng.uniform(s, e, k)), AH_LIST, TI, w.items(k),
                  np.round(rng.lognormal(np.log(400), 0.6, k)), zone)  # fmt: skip
        w.log.add(mule, e + 60, LOGOUT, TZ, zone, np.nan, zone)
        if len(w.buyers):  # gold sold for real money: the mule hands it to buyers
            for tt in np.sort(rng.uniform(s, e, int(rng.integers(1, 4)))):
                b = int(rng.choice(w.buyers))
                w.trade(int(mule), b, tt, float(np.round(rng.uniform(2000, 20000))), zone)
                w.visit(b, tt, TRADE_RECV)
    del gid


def _rmt_mule(w, pid):
    """Gold in from many strangers (bots mail it; see _gold_bot), out to buyers."""
    rng = w.rng
    tz = rng.choice(TZ_OFFSETS, p=TZ_WEIGHTS)
    n_in = int(rng.integers(10, 40))
    senders = rng.choice(w.ids, n_in)
    t_in = np.sort(rng.uniform(T0, T_END, n_in))
    for s, t in zip(senders, t_in):
        if rng.random() < 0.5:
            w.trade(int(s), pid, t, float(np.round(rng.uniform(500, 5000))))
        else:
            w.mail(int(s), pid, t, float(np.round(rng.uniform(500, 5000))))
    # short logins to hand gold out and list loot
    for s in w.starts(tz, 1.5, WAKING):
        z = int(rng.integers(N_ZONES))
        w.log.add(pid, s, LOGIN, TZ, z, np.nan, z)
        k = int(rng.integers(1, 5))
        tt = s + np.cumsum(rng.uniform(20, 120, k))
        for t in tt:
            if len(w.buyers):
                b = int(rng.choice(w.buyers))
                w.trade(pid, b, t, float(np.round(rng.uniform(1000, 15000))), z)
                w.visit(b, t, TRADE_RECV)
        k2 = int(rng.integers(0, 6))
        w.log.add(pid, tt[-1] + np.arange(k2) * 3.0 + 5, AH_LIST, TI, w.items(k2),
                  np.round(rng.lognormal(np.log(500), 0.5, k2)), z)  # fmt: skip
        w.log.add(pid, tt[-1] + 30 + 3 * k2, LOGOUT, TZ, z, np.nan, z)


def _speed_hack(w, pid):
    rng = w.rng
    tz = _human(w, pid, rng.uniform(0.4, 1.0), EVENING, 2400, 0.6, CASUAL_MIX, 70, 0.9)
    for s in w.starts(tz, rng.uniform(0.2, 0.5), WAKING):
        dur = rng.uniform(300, 900)
        n = int(dur / rng.uniform(1.0, 3.0))
        t = s + np.cumsum(rng.uniform(0.3, 2.5, n))
        ev = np.where(
            rng.random(n) < 0.45,
            rng.choice([MOVE, TELEPORT], n),
            rng.choice([KILL, LOOT], n),
        )
        zone = rng.integers(0, N_ZONES, n)
        tk, tn, gold = w.targets(ev, zone)
        w.log.add(pid, s, LOGIN, TZ, zone[0], np.nan, zone[0])
        w.log.add(pid, t, ev, tk, tn, gold, zone)
        w.log.add(pid, t[-1] + 5, LOGOUT, TZ, zone[-1], np.nan, zone[-1])


def _takeover(w, pid):
    rng = w.rng
    t_ato = T0 + rng.uniform(2, DAYS - 0.5) * 86400
    tz = rng.choice(TZ_OFFSETS, p=TZ_WEIGHTS)
    _human(w, pid, rng.uniform(0.4, 1.2), EVENING, 2000, 0.6, CASUAL_MIX, 55, 0.9, tz=tz,
           day_hi=(t_ato - T0) / 86400)  # fmt: skip
    z = int(rng.integers(N_ZONES))
    w.log.add(pid, t_ato, LOGIN, TZ, z, np.nan, z)
    takers = w.mules if len(w.mules) else w.ids
    to = rng.choice(takers, int(rng.integers(1, 4)))
    subtle = rng.random() < 0.3
    k = int(rng.integers(3, 6)) if subtle else int(rng.integers(10, 40))
    tt = t_ato + np.cumsum(rng.uniform(4, 25, k))
    for t in tt:
        b = int(rng.choice(to))
        r = rng.random()
        if r < 0.4:
            w.trade(
                pid,
                b,
                t,
                float(np.round(rng.uniform(200, 3000))),
                z,
                item=rng.random() < 0.5,
            )
        elif r < 0.7:
            w.mail(pid, b, t, float(np.round(rng.uniform(200, 3000))), z)
        else:
            w.log.add(pid, t, AH_LIST, TI, w.items(1), np.round(rng.uniform(1, 20)), z)
    w.log.add(pid, tt[-1] + rng.uniform(5, 60), LOGOUT, TZ, z, np.nan, z)
    if rng.random() < 0.5:  # the owner comes back
        _human(w, pid, 0.6, EVENING, 1200, 0.5, CASUAL_MIX, 55, 0.9, tz=tz,
               day_lo=(tt[-1] - T0) / 86400 + 0.2)  # fmt: skip


def _auction_sniper(w, pid):
    rng = w.rng
    days = rng.choice(DAYS, int(rng.integers(2, 4)), replace=False)
    period = rng.uniform(60, 120)
    z = 1
    for d in days:
        s = T0 + d * 86400 + rng.uniform(0, 8 * 3600)
        e = min(T_END, s + rng.uniform(10, 16) * 3600)
        n = int((e - s) / period)
        t = s + np.arange(n) * period + rng.uniform(0, 1.5, n)
        items = w.items(n)
        w.log.add(pid, s - 3, LOGIN, TZ, z, np.nan, z)
        w.log.add(pid, t, AH_SEARCH, TI, items, np.nan, z)
        buy = rng.random(n) < 0.06
        price = np.round(rng.lognormal(np.log(60), 0.7, buy.sum()))
        w.log.add(
            pid,
            t[buy] + rng.uniform(0.1, 0.5, buy.sum()),
            AH_BUY,
            TI,
            items[buy],
            price,
            z,
        )
        w.log.add(pid, t[buy] + rng.uniform(1.0, 2.0, buy.sum()), AH_LIST, TI, items[buy],
                  np.round(price * rng.uniform(1.8, 3.0, buy.sum())), z)  # fmt: skip
        w.log.add(pid, e, LOGOUT, TZ, z, np.nan, z)


def _chat_spam(w, pid):
    rng = w.rng
    z = int(rng.integers(N_ZONES))
    for _ in range(int(rng.integers(1, 4))):
        s = T0 + rng.uniform(0, DAYS * 86400 - 3600)
        n = int(rng.uniform(1, 3) * 3600 / rng.uniform(15, 40))
        t = s + np.cumsum(rng.uniform(5, 30, n))
        wh = rng.random(n) < 0.6
        w.log.add(pid, s, LOGIN, TZ, z, np.nan, z)
        w.log.add(pid, t[wh], WHISPER, TP, rng.choice(w.ids, wh.sum()), np.nan, z)
        w.log.add(pid, t[~wh], CHAT, TC, rng.choice([0, 1], (~wh).sum()), np.nan, z)
        w.log.add(pid, t[-1] + 2, LOGOUT, TZ, z, np.nan, z)


def _alt_army(w, members, gid):
    """Fresh accounts levelling in lockstep: same quests, same zones, same minutes."""
    rng = w.rng
    s0 = T0 + rng.uniform(0, DAYS - 2) * 86400
    steps = int(rng.integers(20, 45))
    script_t = np.cumsum(rng.lognormal(np.log(120), 0.5, steps))
    script_ev = rng.choice([QUEST, KILL, KILL, LOOT, MOVE], steps)
    script_zone = np.minimum(np.arange(steps) // 6, N_ZONES - 1)
    tk, tn, gold = w.targets(script_ev, script_zone)
    tn[script_ev == QUEST] = np.arange((script_ev == QUEST).sum())
    n_days = int(rng.integers(1, 4))
    for pid in members:
        for d in range(n_days):
            s = s0 + d * 86400 + rng.uniform(0, 60)
            t = s + script_t + d * 0 + rng.uniform(0, 8, steps)
            w.log.add(pid, s, LOGIN, TZ, script_zone[0], np.nan, script_zone[0])
            w.log.add(pid, t, script_ev, tk, tn + d * 50 * (tk == TQ), gold, script_zone)
            w.log.add(
                pid,
                t[-1] + rng.uniform(5, 30),
                LOGOUT,
                TZ,
                script_zone[-1],
                np.nan,
                script_zone[-1],
            )
    del gid


# ---------------------------------------------------------------- the log


def _split(rng, total, lo, hi):
    sizes = []
    while total >= lo:
        k = int(min(rng.integers(lo, hi + 1), total))
        if total - k < lo and total - k > 0:
            k = total
        sizes.append(k)
        total -= k
    return sizes, total


ANOMALY_WEIGHTS = {
    "gold_bot": 0.14,
    "farm_ring": 0.22,
    "rmt_mule": 0.05,
    "speed_hack": 0.1,
    "takeover": 0.14,
    "auction_sniper": 0.08,
    "chat_spam": 0.08,
    "alt_army": 0.19,
}
NORMAL_WEIGHTS = {
    "casual": 0.5,
    "hardcore": 0.035,
    "new": 0.12,
    "raider": 0.12,
    "whale": 0.015,
    "trader": 0.03,
    "fisher": 0.02,
    "launch": 0.16,
}


def make_heldout_game(n_players=20000, seed=0, anomaly_share=0.04, plant=True):
    """Draw the game's event log and its per-player labels.

    ``n_players`` players (at least 200), of whom about ``anomaly_share`` are anomalous
    when ``plant`` is true; ``plant=False`` plants nothing (every player normal). The
    same ``seed`` gives the same log.
    """
    if int(n_players) != n_players or n_players < 200:
        raise ValueError(f"n_players must be an integer >= 200, got {n_players!r}")
    if not 0.0 <= anomaly_share < 0.5:
        raise ValueError(f"anomaly_share must be in [0, 0.5), got {anomaly_share!r}")
    n_players = int(n_players)
    rng = np.random.default_rng(seed)
    ids = 100_000 + rng.choice(9_900_000, n_players, replace=False).astype(np.int64)
    kinds = np.empty(n_players, dtype=object)
    groups = np.full(n_players, -1, dtype=np.int64)
    n_anom = int(round(n_players * anomaly_share)) if plant else 0
    pos = 0
    gid = 0
    plan = []  # (kind, members, group)
    if n_anom:
        w_ = np.array(list(ANOMALY_WEIGHTS.values()))
        counts = rng.multinomial(n_anom, w_ / w_.sum())
        for kind, c in zip(ANOMALY_WEIGHTS, counts):
            if kind in ("farm_ring", "alt_army"):
                lo, hi = (5, 13) if kind == "farm_ring" else (8, 25)
                sizes, rest = _split(rng, int(c), lo, hi)
                for k in sizes:
                    plan.append((kind, ids[pos : pos + k], gid))
                    kinds[pos : pos + k] = kind
                    groups[pos : pos + k] = gid
                    gid += 1
                    pos += k
                c = rest
                kind = "gold_bot" if rest else kind
            for _ in range(int(c)):
                plan.append((kind, ids[pos : pos + 1], -1))
                kinds[pos] = kind
                pos += 1
    # the service account, then normal players
    service = ids[pos]
    kinds[pos] = "service"
    pos += 1
    n_norm = n_players - pos
    w_ = np.array(list(NORMAL_WEIGHTS.values()))
    counts = rng.multinomial(n_norm, w_ / w_.sum())
    for kind, c in zip(NORMAL_WEIGHTS, counts):
        if kind == "raider":
            sizes, rest = _split(rng, int(c), 12, 30)
            for k in sizes:
                plan.append((kind, ids[pos : pos + k], gid))
                kinds[pos : pos + k] = kind
                groups[pos : pos + k] = gid
                gid += 1
                pos += k
            kinds[pos : pos + rest] = "casual"
            for _ in range(rest):
                plan.append(("casual", ids[pos : pos + 1], -1))
                pos += 1
            continue
        for _ in range(int(c)):
            plan.append((kind, ids[pos : pos + 1], -1))
            kinds[pos] = kind
            pos += 1
    assert pos == n_players
    w = _World(rng, ids)
    w.mules = ids[kinds == "rmt_mule"]
    normal_pool = ids[np.isin(kinds, ["casual", "hardcore", "raider", "trader", "whale"])]
    whales = ids[kinds == "whale"]
    buyers = rng.choice(normal_pool, min(len(normal_pool), max(5, n_players // 200)), replace=False)
    w.buyers = np.r_[whales[: max(1, len(whales) // 3)], buyers]
    giant_done = False
    order = rng.permutation(len(plan))
    for i in order:
        kind, members, g = plan[i]
        if kind == "raider":
            _guild(w, members, g)
        elif kind == "farm_ring":
            _farm_ring(w, members, g)
        elif kind == "alt_army":
            _alt_army(w, members, g)
        elif kind == "gold_bot":
            _gold_bot(w, int(members[0]), giant=not giant_done)
            giant_done = True
        elif kind == "trader":
            _trader(w, int(members[0]), normal_pool)
        else:
            FUNCS[kind](w, int(members[0]))
    _service(w, int(service))
    events = w.log.frame()
    # every player has at least a login: those whose draws fell outside the week
    missing = np.setdiff1d(ids, events["player_id"].unique())
    if len(missing):
        w2 = _World(rng, ids)
        for pid in missing:
            w2.session(
                int(pid),
                T0 + rng.uniform(0, (DAYS - 0.1) * 86400),
                600,
                CASUAL_MIX,
                60,
                0.9,
                0,
            )
        events = pd.concat([events, w2.log.frame()]).sort_values(
            ["timestamp", "player_id"], kind="stable"
        )
        events = events.reset_index(drop=True)
    labels = pd.DataFrame(
        {
            "player_id": ids,
            "kind": kinds.astype(str),
            "is_anomaly": np.isin(kinds, ANOMALY_KINDS),
            "group": groups,
        }
    )
    return events, labels.sort_values("player_id").reset_index(drop=True)


FUNCS = {
    "casual": _casual,
    "hardcore": _hardcore,
    "new": _new,
    "whale": _whale,
    "fisher": _fisher,
    "launch": _launch,
    "rmt_mule": _rmt_mule,
    "speed_hack": _speed_hack,
    "takeover": _takeover,
    "auction_sniper": _auction_sniper,
    "chat_spam": _chat_spam,
}
