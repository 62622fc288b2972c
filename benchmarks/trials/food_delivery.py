"""A food-delivery app's event log with labelled abuse: the generator of a blind trial
(TR s68), kept as a held-out source of the seed gate (``benchmarks/seed_gate.py``'s
``food`` and ``food0`` cells). Written by the trial's tester from the domain, not from
oddseq's docs: customers open the app, search, view restaurants and items, fill a cart,
maybe apply a promo, check out and pay (sometimes a card fails), later rate the order,
sometimes cancel, complain, request refunds. Legitimate kinds: regular diners, lunch-rush
office workers, office teams who order together at lunch, late-night students on dorm
addresses, families, a TV ad's welcome-code wave, corporate accounts, travellers,
cancellers, browsers, heavy users, a viral opening night; planted (about 3%): promo
farms, refund fraudsters, card testers, account takeovers, brushing rings, scrapers.

``make(seed, n_users, clean=False)`` returns (events, labels, side attributes); from the
shell, ``python benchmarks/trials/food_delivery.py SEED N_USERS OUTDIR [--clean]`` writes
them as CSV.
"""

# (kept as the tester wrote it: its lambdas with defaults draw in the order that makes
# the trial's logs; rewritten, the same seeds would draw other logs)
# ruff: noqa: E731, B008

import sys

import numpy as np
import pandas as pd

T0 = pd.Timestamp("2026-03-02 00:00:00", tz="UTC").value // 10**9  # a Monday
DAYS = 14
DAY = 86400
N_REST = 700
VIRAL_REST = 7  # restaurant with a viral opening night
VIRAL_DAY = 9  # Wednesday of week 2
TV_AD_DAY = 5  # Saturday: TV ad with a welcome code at 20:00
WELCOME = "WELCOME50"
# The roles of its events, as the trial's "rich" call named them
FUNNEL = {"view": "view_item", "cart": "add_to_cart", "buy": "pay"}


class Gen:
    def __init__(self, seed, n_users, clean):
        self.rng = np.random.default_rng(seed)
        self.n = n_users
        self.clean = clean
        self.rows = []
        r = self.rng
        # restaurant popularity: Zipf-like; price level per restaurant
        pop = 1.0 / np.arange(1, N_REST + 1) ** 0.9
        self.rest_p = pop / pop.sum()
        self.rest_price = r.lognormal(np.log(12), 0.35, N_REST).round(2)
        self.carrier_ips = [f"100.64.{i // 250}.{i % 250}" for i in range(400)]  # mobile NAT pool
        self.n_dev = 0
        self.n_ip = 0
        self.n_addr = 0
        self.labels = []
        self.side = []

    # -------------------------------------------------------------- id helpers
    def dev(self):
        self.n_dev += 1
        return f"d{self.n_dev:06d}"

    def home_ip(self):
        self.n_ip += 1
        return f"81.{(self.n_ip >> 16) & 255}.{(self.n_ip >> 8) & 255}.{self.n_ip & 255}"

    def addr(self):
        self.n_addr += 1
        return f"a{self.n_addr:06d}"

    def pick_rest(self, k=None):
        return int(self.rng.choice(N_REST, p=self.rest_p)) if k is None else int(k)

    def gap(self, scale=8.0, sigma=0.8):
        return float(self.rng.lognormal(np.log(scale), sigma))

    def emit(
        self,
        u,
        t,
        ev,
        rest=None,
        item=None,
        amount=np.nan,
        dev=None,
        ip=None,
        promo=None,
        addr=None,
        rating=np.nan,
    ):
        self.rows.append((u, int(t), ev, rest, item, amount, dev, ip, promo, addr, rating))

    # -------------------------------------------------------------- building blocks
    def order_session(
        self,
        u,
        t,
        ctx,
        rest=None,
        n_items=None,
        promo=None,
        browse=True,
        pay_fail_p=0.03,
        price_mult=1.0,
        cancel_p=0.02,
        rate_p=0.35,
        refund_p=0.01,
        chat_p=0.03,
        qty_mult=1,
        rating=None,
        fast=False,
    ):
        """One ordering visit. Returns the time after the session."""
        r = self.rng
        dev, ip, addr = ctx["dev"], ctx["ip"](), ctx["addr"]
        g = (lambda: self.gap(1.5, 0.3)) if fast else self.gap
        self.emit(u, t, "app_open", dev=dev, ip=ip, addr=addr)
        t += g()
        if rest is None:
            rest = self.pick_rest()
        if browse:
            for _ in range(r.integers(0, 3)):
                self.emit(u, t, "search", dev=dev, ip=ip)
                t += g()
            for _ in range(r.integers(0, 3)):
                other = self.pick_rest()
                self.emit(u, t, "view_restaurant", rest=other, dev=dev, ip=ip)
                t += self.gap(15) if not fast else g()
                for _ in range(r.integers(0, 3)):
                    self.emit(
                        u,
                        t,
                        "view_item",
                        rest=other,
                        item=other * 100 + int(r.integers(0, 40)),
                        amount=round(self.rest_price[other] * r.uniform(0.6, 1.6), 2),
                        dev=dev,
                        ip=ip,
                    )
                    t += g()
        self.emit(u, t, "view_restaurant", rest=rest, dev=dev, ip=ip)
        t += self.gap(20) if not fast else g()
        if n_items is None:
            n_items = int(r.integers(1, 4))
        total = 0.0
        for _ in range(n_items):
            it = rest * 100 + int(r.integers(0, 40))
            price = round(self.rest_price[rest] * r.uniform(0.6, 1.6) * price_mult, 2)
            q = qty_mult
            if r.random() < 0.6:
                self.emit(u, t, "view_item", rest=rest, item=it, amount=price, dev=dev, ip=ip)
                t += g()
            self.emit(
                u, t, "add_to_cart", rest=rest, item=it, amount=round(price * q, 2), dev=dev, ip=ip
            )
            total += price * q
            t += g()
        if promo is not None:
            self.emit(u, t, "apply_promo", rest=rest, dev=dev, ip=ip, promo=promo)
            t += g()
            total *= 0.5
        total = round(total + 2.99, 2)  # delivery fee
        self.emit(u, t, "checkout", rest=rest, amount=total, dev=dev, ip=ip, addr=addr)
        t += self.gap(10) if not fast else g()
        if r.random() < pay_fail_p:
            self.emit(u, t, "pay_fail", rest=rest, amount=total, dev=dev, ip=ip)
            t += self.gap(30)
            if r.random() < 0.5:
                self.emit(u, t, "add_card", dev=dev, ip=ip)
                t += self.gap(40)
        self.emit(u, t, "pay", rest=rest, amount=total, dev=dev, ip=ip, addr=addr)
        t_pay = t
        if r.random() < cancel_p:
            t += r.uniform(600, 3000)  # waited too long
            if r.random() < 0.5:
                self.emit(u, t, "chat_support", rest=rest, dev=dev, ip=ip)
                t += self.gap(120)
            self.emit(u, t, "order_cancel", rest=rest, amount=total, dev=dev, ip=ip)
            return t + 60
        t = t_pay + r.uniform(1500, 4000)  # delivered
        if r.random() < chat_p:
            self.emit(u, t, "chat_support", rest=rest, dev=dev, ip=ip)
            t += self.gap(200)
        if r.random() < refund_p:
            self.emit(
                u,
                t,
                "refund_request",
                rest=rest,
                amount=round(total * r.uniform(0.2, 1.0), 2),
                dev=dev,
                ip=ip,
            )
            t += self.gap(60)
        if r.random() < rate_p:
            t += r.uniform(300, 7200)
            self.emit(
                u,
                t,
                "rate_order",
                rest=rest,
                dev=dev,
                ip=ip,
                rating=rating
                if rating is not None
                else int(r.choice([1, 2, 3, 4, 5], p=[0.05, 0.05, 0.1, 0.3, 0.5])),
            )
        return t + 60

    def browse_session(self, u, t, ctx, n=None):
        r = self.rng
        dev, ip = ctx["dev"], ctx["ip"]()
        self.emit(u, t, "app_open", dev=dev, ip=ip, addr=ctx["addr"])
        t += self.gap()
        n = n or int(r.integers(1, 6))
        for _ in range(n):
            rest = self.pick_rest()
            if r.random() < 0.3:
                self.emit(u, t, "search", dev=dev, ip=ip)
                t += self.gap()
            self.emit(u, t, "view_restaurant", rest=rest, dev=dev, ip=ip)
            t += self.gap(15)
            for _ in range(r.integers(0, 3)):
                self.emit(
                    u,
                    t,
                    "view_item",
                    rest=rest,
                    item=rest * 100 + int(r.integers(0, 40)),
                    amount=round(self.rest_price[rest] * r.uniform(0.6, 1.6), 2),
                    dev=dev,
                    ip=ip,
                )
                t += self.gap()
        return t

    def at(self, day, hour_lo, hour_hi):
        h = self.rng.uniform(hour_lo, hour_hi)
        return T0 + day * DAY + h * 3600

    # -------------------------------------------------------------- personas
    def ctx_personal(self, ip_kind="mixed", fixed_ip=None):
        r = self.rng
        home = fixed_ip or self.home_ip()
        if ip_kind == "home":
            ipf = lambda: home
        elif ip_kind == "mobile":
            ipf = lambda: self.carrier_ips[int(r.integers(len(self.carrier_ips)))]
        else:
            ipf = lambda: (
                home
                if r.random() < 0.6
                else self.carrier_ips[int(r.integers(len(self.carrier_ips)))]
            )
        return {"dev": self.dev(), "ip": ipf, "addr": self.addr()}

    def persona_days(self, n_orders, weekday_only=False, weekend_bias=False, start=0):
        days = np.arange(start, DAYS)
        w = np.ones(len(days))
        dow = days % 7
        if weekday_only:
            w[dow >= 5] = 0
        if weekend_bias:
            w[dow >= 4] *= 4
        w /= w.sum()
        n_orders = min(n_orders, len(days))
        return np.sort(self.rng.choice(days, size=n_orders, replace=False, p=w))

    def legit_user(self, u, persona, shared):
        r = self.rng
        promo_first = r.random() < 0.15
        age_days = float(r.lognormal(np.log(300), 1.0))
        n_cards = int(r.integers(1, 3))
        if persona == "regular":
            ctx = self.ctx_personal()
            for k, d in enumerate(self.persona_days(int(r.integers(1, 5)))):
                t = self.at(d, 18, 21.5)
                if r.random() < 0.5:
                    self.browse_session(u, t - 3600 * r.uniform(2, 24), ctx)
                self.order_session(
                    u, t, ctx, promo="SPRING10" if (promo_first and k == 0) else None
                )
        elif persona == "lunch_office":
            ctx = {
                "dev": self.dev(),
                "ip": (lambda ip=shared["office"][int(r.integers(len(shared["office"])))]: ip),
                "addr": shared["office_addr"][int(r.integers(len(shared["office_addr"])))],
            }
            for d in self.persona_days(int(r.integers(4, 10)), weekday_only=True):
                self.order_session(u, self.at(d, 11.5, 13.3), ctx, n_items=int(r.integers(1, 3)))
        elif persona == "office_team":  # colleagues ordering together, same restaurant, same time
            team = shared["team_of"][u]
            ctx = {"dev": self.dev(), "ip": (lambda ip=team["ip"]: ip), "addr": team["addr"]}
            for d, rest, hh in team["plan"]:
                if r.random() < 0.85:
                    self.order_session(
                        u,
                        T0 + d * DAY + hh * 3600 + r.uniform(0, 900),
                        ctx,
                        rest=rest,
                        n_items=int(r.integers(1, 3)),
                        browse=r.random() < 0.3,
                    )
        elif persona == "student_night":
            dorm = shared["dorm"][int(r.integers(len(shared["dorm"])))]
            ctx = {
                "dev": self.dev(),
                "ip": (
                    lambda: (
                        dorm
                        if r.random() < 0.8
                        else self.carrier_ips[int(r.integers(len(self.carrier_ips)))]
                    )
                ),
                "addr": shared["dorm_addr"][dorm],
            }
            for d in self.persona_days(int(r.integers(2, 8))):
                t = self.at(d, 22.5, 27.0)
                if r.random() < 0.6:
                    self.browse_session(u, t - r.uniform(600, 7200), ctx, n=int(r.integers(2, 8)))
                self.order_session(
                    u,
                    t,
                    ctx,
                    price_mult=0.7,
                    n_items=int(r.integers(1, 3)),
                    promo="NIGHT20" if r.random() < 0.3 else None,
                    pay_fail_p=0.08,
                )
        elif persona == "family":
            home = self.home_ip()
            devs = [self.dev() for _ in range(int(r.integers(2, 4)))]
            addr = self.addr()
            for d in self.persona_days(int(r.integers(1, 4)), weekend_bias=True):
                ctx = {"dev": devs[int(r.integers(len(devs)))], "ip": (lambda: home), "addr": addr}
                self.order_session(
                    u,
                    self.at(d, 17.5, 19.5),
                    ctx,
                    n_items=int(r.integers(4, 10)),
                    qty_mult=int(r.integers(1, 3)),
                    rate_p=0.5,
                )
            n_cards = int(r.integers(1, 4))
        elif persona == "welcome_wave":  # TV ad: new account, welcome code, same hour as thousands
            age_days = float(r.uniform(0, 2))
            ctx = self.ctx_personal(ip_kind="mobile" if r.random() < 0.5 else "mixed")
            t = T0 + TV_AD_DAY * DAY + 20 * 3600 + r.exponential(1500)
            self.emit(u, t - 120, "login", dev=ctx["dev"], ip=ctx["ip"]())
            self.emit(u, t - 60, "add_card", dev=ctx["dev"], ip=ctx["ip"]())
            self.order_session(u, t, ctx, promo=WELCOME, rate_p=0.2)
            if r.random() < 0.25:  # some come back
                for d in self.persona_days(int(r.integers(1, 3)), start=TV_AD_DAY + 1):
                    self.order_session(u, self.at(d, 18, 21), ctx)
        elif persona == "corporate":
            ctx = {"dev": self.dev(), "ip": (lambda ip=self.home_ip(): ip), "addr": self.addr()}
            for d in self.persona_days(int(r.integers(3, 9)), weekday_only=True):
                self.order_session(
                    u,
                    self.at(d, 10.5, 12.0),
                    ctx,
                    n_items=int(r.integers(8, 25)),
                    qty_mult=int(r.integers(1, 4)),
                    browse=False,
                    rate_p=0.1,
                    chat_p=0.1,
                )
            n_cards = int(r.integers(1, 3))
        elif persona == "traveller":
            ctx = self.ctx_personal(ip_kind="mobile")
            for d in self.persona_days(int(r.integers(3, 8))):
                t = self.at(d, 11, 21)
                if r.random() < 0.5:  # arrived in another city / hotel
                    ctx["addr"] = self.addr()
                    self.emit(
                        u,
                        t - 300,
                        "change_address",
                        dev=ctx["dev"],
                        ip=ctx["ip"](),
                        addr=ctx["addr"],
                    )
                    if r.random() < 0.2:
                        self.emit(u, t - 200, "login", dev=ctx["dev"], ip=ctx["ip"]())
                self.order_session(u, t, ctx)
        elif persona == "canceller":
            ctx = self.ctx_personal()
            for d in self.persona_days(int(r.integers(3, 8))):
                self.order_session(u, self.at(d, 18, 22), ctx, cancel_p=0.45, chat_p=0.2)
        elif persona == "browser":
            ctx = self.ctx_personal()
            for d in self.persona_days(int(r.integers(4, 12))):
                self.browse_session(u, self.at(d, 8, 23), ctx, n=int(r.integers(2, 10)))
            for d in self.persona_days(int(r.integers(0, 2))):
                self.order_session(u, self.at(d, 19, 21), ctx)
        elif persona == "heavy":
            ctx = self.ctx_personal()
            for d in self.persona_days(int(r.integers(9, 14))):
                for _ in range(int(r.integers(1, 3))):
                    self.order_session(u, self.at(d, 8, 23), ctx, chat_p=0.06, refund_p=0.03)
        elif persona == "dormant":  # one visit only
            ctx = self.ctx_personal()
            d = int(r.integers(0, DAYS))
            if r.random() < 0.5:
                self.browse_session(u, self.at(d, 9, 22), ctx, n=int(r.integers(1, 3)))
            else:
                self.order_session(u, self.at(d, 9, 22), ctx)
        else:
            raise ValueError(persona)
        # viral opening night: many users across personas also go to VIRAL_REST
        if persona not in ("welcome_wave", "dormant") and r.random() < shared["viral_p"]:
            # the user's own phone and network, at home
            self.order_session(
                u, self.at(VIRAL_DAY, 19, 22), ctx, rest=VIRAL_REST, cancel_p=0.15, rate_p=0.6
            )
        # legit rare account changes, on the user's own phone
        if r.random() < 0.03:
            self.emit(
                u,
                self.at(int(r.integers(0, DAYS)), 9, 22),
                "change_phone",
                dev=ctx["dev"],
                ip=ctx["ip"](),
            )
        if r.random() < 0.05:
            ctx["addr"] = self.addr()
            self.emit(
                u,
                self.at(int(r.integers(0, DAYS)), 9, 22),
                "change_address",
                addr=ctx["addr"],
                dev=ctx["dev"],
                ip=ctx["ip"](),
            )
        return age_days, n_cards

    # -------------------------------------------------------------- abuse
    def promo_farm(self, members):
        r = self.rng
        devs = [self.dev() for _ in range(int(r.integers(2, 5)))]
        ips = [self.home_ip() for _ in range(2)]
        addrs = [self.addr() for _ in range(int(r.integers(1, 4)))]
        day = int(r.integers(0, DAYS - 3))
        for j, u in enumerate(members):
            t = T0 + (day + j * 3 // max(1, len(members))) * DAY + r.uniform(9, 23) * 3600
            ctx = {
                "dev": devs[j % len(devs)],
                "ip": (lambda ip=ips[int(r.integers(2))]: ip),
                "addr": addrs[int(r.integers(len(addrs)))],
            }
            self.emit(u, t - 200, "login", dev=ctx["dev"], ip=ctx["ip"]())
            self.emit(u, t - 120, "add_card", dev=ctx["dev"], ip=ctx["ip"]())
            self.order_session(
                u,
                t,
                ctx,
                promo=WELCOME,
                browse=r.random() < 0.3,
                rate_p=0.05,
                n_items=int(r.integers(2, 4)),
            )
            self.side.append((u, float(r.uniform(0, 1)), 1))

    def refund_fraud(self, u):
        r = self.rng
        ctx = self.ctx_personal()
        for d in self.persona_days(int(r.integers(4, 9))):
            t = self.order_session(
                u,
                self.at(d, 12, 22),
                ctx,
                refund_p=0.0,
                chat_p=0.0,
                rate_p=0.0,
                n_items=int(r.integers(2, 5)),
                price_mult=1.3,
            )
            if r.random() < 0.8:
                for _ in range(int(r.integers(1, 4))):
                    self.emit(u, t, "chat_support", dev=ctx["dev"], ip=ctx["ip"]())
                    t += self.gap(90)
                self.emit(
                    u,
                    t,
                    "refund_request",
                    amount=round(r.uniform(15, 60), 2),
                    dev=ctx["dev"],
                    ip=ctx["ip"](),
                )
        self.side.append((u, float(r.lognormal(np.log(120), 1.0)), int(r.integers(1, 3))))

    def card_tester(self, u):
        r = self.rng
        ctx = self.ctx_personal(ip_kind="mobile")
        n_cards = 0
        for _ in range(int(r.integers(1, 4))):  # bursts
            t = self.at(int(r.integers(0, DAYS)), 0, 24)
            self.emit(u, t, "app_open", dev=ctx["dev"], ip=ctx["ip"]())
            rest = self.pick_rest()
            t += 5
            self.emit(
                u,
                t,
                "add_to_cart",
                rest=rest,
                item=rest * 100,
                amount=float(self.rest_price[rest]),
                dev=ctx["dev"],
                ip=ctx["ip"](),
            )
            t += 5
            self.emit(
                u,
                t,
                "checkout",
                rest=rest,
                amount=round(float(self.rest_price[rest]) + 2.99, 2),
                dev=ctx["dev"],
                ip=ctx["ip"](),
            )
            for _ in range(int(r.integers(5, 20))):
                t += r.uniform(3, 12)
                self.emit(u, t, "add_card", dev=ctx["dev"], ip=ctx["ip"]())
                n_cards += 1
                t += r.uniform(2, 6)
                ok = r.random() < 0.1
                self.emit(
                    u,
                    t,
                    "pay" if ok else "pay_fail",
                    rest=rest,
                    amount=round(float(self.rest_price[rest]) + 2.99, 2),
                    dev=ctx["dev"],
                    ip=ctx["ip"](),
                )
        self.side.append((u, float(r.uniform(0, 5)), n_cards))

    def ato(self, u):
        r = self.rng
        ctx = self.ctx_personal()
        for d in self.persona_days(int(r.integers(2, 6)))[:]:
            if d < DAYS - 3:
                self.order_session(u, self.at(d, 18, 21.5), ctx)
        d = int(r.integers(DAYS - 3, DAYS))
        t = self.at(d, 0.5, 4.5)
        bad = {"dev": self.dev(), "ip": (lambda ip=self.home_ip(): ip), "addr": self.addr()}
        self.emit(u, t, "login", dev=bad["dev"], ip=bad["ip"]())
        t += 30
        self.emit(u, t, "change_phone", dev=bad["dev"], ip=bad["ip"]())
        t += 40
        self.emit(u, t, "change_address", dev=bad["dev"], ip=bad["ip"](), addr=bad["addr"])
        t += 60
        if r.random() < 0.5:
            self.emit(u, t, "add_card", dev=bad["dev"], ip=bad["ip"]())
            t += 30
        for _ in range(int(r.integers(2, 4))):
            t = self.order_session(
                u,
                t + r.uniform(60, 600),
                bad,
                n_items=int(r.integers(5, 12)),
                price_mult=2.5,
                browse=False,
                rate_p=0,
                cancel_p=0,
                chat_p=0,
            )
        self.side.append((u, float(r.lognormal(np.log(400), 0.7)), int(r.integers(1, 3))))

    def brushing_ring(self, members):
        r = self.rng
        rest = int(r.integers(300, N_REST))  # a small restaurant
        slots = [
            (int(d), float(r.uniform(14, 16.5)))
            for d in r.choice(DAYS, size=int(r.integers(4, 8)), replace=False)
        ]
        for u in members:
            ctx = self.ctx_personal(ip_kind="mobile")
            for d, h in slots:
                if r.random() < 0.85:
                    self.order_session(
                        u,
                        T0 + d * DAY + h * 3600 + r.uniform(0, 1200),
                        ctx,
                        rest=rest,
                        n_items=1,
                        price_mult=0.5,
                        browse=False,
                        rate_p=1.0,
                        rating=5,
                        cancel_p=0,
                        chat_p=0,
                        refund_p=0,
                    )
            # a cover order elsewhere
            if r.random() < 0.5:
                self.order_session(u, self.at(int(r.integers(0, DAYS)), 18, 21), ctx)
            self.side.append((u, float(r.uniform(1, 40)), 1))

    def scraper(self, u):
        r = self.rng
        ctx = self.ctx_personal(ip_kind="home")
        for d in r.choice(DAYS, size=int(r.integers(1, 4)), replace=False):
            t = self.at(int(d), 0, 20)
            self.emit(u, t, "app_open", dev=ctx["dev"], ip=ctx["ip"]())
            for rest in r.permutation(N_REST)[: int(r.integers(150, 500))]:
                t += r.uniform(0.8, 2.0)
                self.emit(u, t, "view_restaurant", rest=int(rest), dev=ctx["dev"], ip=ctx["ip"]())
                for k in range(int(r.integers(1, 4))):
                    t += r.uniform(0.5, 1.5)
                    self.emit(
                        u,
                        t,
                        "view_item",
                        rest=int(rest),
                        item=int(rest) * 100 + k,
                        amount=float(self.rest_price[rest]),
                        dev=ctx["dev"],
                        ip=ctx["ip"](),
                    )
        self.side.append((u, float(r.uniform(0, 30)), 0))

    # -------------------------------------------------------------- the whole log
    def run(self):
        r = self.rng
        n = self.n
        users = [f"u{100000 + i}" for i in range(n)]
        r.shuffle(users)
        users = list(users)
        # abuse budget (labelled), ~3.3% of users
        abuse = []
        if not self.clean:
            n_farm_rings = max(1, n // 1500)
            for _ in range(n_farm_rings):
                k = int(r.integers(12, 22))
                abuse.append(("promo_farm", [users.pop() for _ in range(k)]))
            for _ in range(max(2, n // 250)):
                abuse.append(("refund_fraud", [users.pop()]))
            for _ in range(max(2, n // 300)):
                abuse.append(("card_tester", [users.pop()]))
            for _ in range(max(2, n // 250)):
                abuse.append(("ato", [users.pop()]))
            for _ in range(max(1, n // 1500)):
                k = int(r.integers(8, 15))
                abuse.append(("brushing_ring", [users.pop() for _ in range(k)]))
            for _ in range(max(2, n // 500)):
                abuse.append(("scraper", [users.pop()]))
        # legit personas
        personas = [
            "regular",
            "lunch_office",
            "office_team",
            "student_night",
            "family",
            "welcome_wave",
            "corporate",
            "traveller",
            "canceller",
            "browser",
            "heavy",
            "dormant",
        ]
        shares = np.array([24, 10, 6, 10, 8, 8, 2, 3, 4, 10, 5, 10], float)
        assign = r.choice(len(personas), size=len(users), p=shares / shares.sum())
        shared = {
            "office": [self.home_ip() for _ in range(max(3, n // 300))],
            "office_addr": [self.addr() for _ in range(max(3, n // 300))],
            "dorm": [self.home_ip() for _ in range(max(2, n // 1000))],
            "viral_p": 0.05,
        }
        shared["dorm_addr"] = {d: self.addr() for d in shared["dorm"]}
        # office teams: 5-12 colleagues, 3-6 shared lunches
        team_users = [u for u, a in zip(users, assign) if personas[a] == "office_team"]
        shared["team_of"] = {}
        i = 0
        while i < len(team_users):
            k = int(r.integers(5, 13))
            plan = [
                (
                    int(d),
                    float(r.uniform(11.8, 12.6)),
                )
                for d in r.choice(
                    [d for d in range(DAYS) if d % 7 < 5], size=int(r.integers(3, 7)), replace=False
                )
            ]
            plan = [(d, self.pick_rest(), hh) for d, hh in plan]
            team = {"ip": self.home_ip(), "addr": self.addr(), "plan": plan}
            for u in team_users[i : i + k]:
                shared["team_of"][u] = team
            i += k
        for u, a in zip(users, assign):
            p = personas[a]
            age, cards = self.legit_user(u, p, shared)
            self.labels.append((u, 0, "normal", p))
            self.side.append((u, age, cards))
        for kind, members in abuse:
            if kind == "promo_farm":
                self.promo_farm(members)
            elif kind == "brushing_ring":
                self.brushing_ring(members)
            else:
                getattr(self, kind)(members[0])
            for u in members:
                self.labels.append((u, 1, kind, kind))
        df = pd.DataFrame(
            self.rows,
            columns=[
                "user_id",
                "ts",
                "event",
                "restaurant_id",
                "item_id",
                "amount",
                "device_id",
                "ip",
                "promo_code",
                "address_id",
                "rating",
            ],
        )
        df["restaurant_id"] = df["restaurant_id"].astype("Int64")
        df["item_id"] = df["item_id"].astype("Int64")
        df = df.sort_values(["ts", "user_id"], kind="stable").reset_index(drop=True)
        df["timestamp"] = pd.to_datetime(df["ts"], unit="s", utc=True)
        df = df.drop(columns="ts")
        df = df[
            [
                "user_id",
                "timestamp",
                "event",
                "restaurant_id",
                "item_id",
                "amount",
                "device_id",
                "ip",
                "promo_code",
                "address_id",
                "rating",
            ]
        ]
        labels = pd.DataFrame(self.labels, columns=["user_id", "label", "kind", "persona"])
        side = pd.DataFrame(self.side, columns=["user_id", "account_age_days", "cards_on_file"])
        return df, labels, side


def make(seed: int, n_users: int, clean: bool = False):
    """(events, labels, side attributes) of a log of ``n_users`` customers."""
    return Gen(seed, n_users, clean).run()


def main():
    seed, n = int(sys.argv[1]), int(sys.argv[2])
    out = sys.argv[3]
    clean = "--clean" in sys.argv
    df, labels, side = Gen(seed, n, clean).run()
    df.to_csv(f"{out}/food_{seed}.csv", index=False)
    labels.to_csv(f"{out}/food_{seed}_labels.csv", index=False)
    side.to_csv(f"{out}/food_{seed}_side.csv", index=False)
    print(
        seed,
        n,
        "clean" if clean else "planted",
        len(df),
        "events",
        labels["label"].mean().round(4),
        "anomalous",
        labels.groupby("kind").size().to_dict(),
    )


if __name__ == "__main__":
    main()
