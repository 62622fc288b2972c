"""A held-out fifth labelled source: a web shop's access log, with its bots.

One row per HTTP request, as an analyst gets it after parsing the server's access log
and keying each client by IP address + user agent (``client_id``, one integer per key):

``client_id`` (int64), ``timestamp`` (int64 epoch seconds, UTC, the log's one-second
resolution), ``event`` (str, the request kind an analyst derives from method, path and
status: page, product, search, cart, checkout, login, login_fail, api, static, robots,
sitemap, feed, not_found, ad_click), ``path`` (str, the URL path without its query
string: ``/product/1234``, ``/static/js/app.js``, ``/cart/add/1234``...), ``bytes``
(float, the response size), ``status`` (int64, the HTTP status), ``ip`` (str) and
``user_agent`` (str). Rows are in time order (a log is written as requests complete),
ties within one second in the order the generator drew them.

Normal kinds (hard negatives among them): ``human_browser`` (sessions with think time, a
day/night rhythm in its own time zone, the page's static assets fetched with it and
cached afterwards), ``bouncer`` (one page, gone), ``power_user`` (logged in daily, many
sessions, carts and checkouts), ``drop_shopper`` (a person who comes for the advertised
product release: views it, adds it to the cart at the release minute), ``corporate_nat``
(dozens of employees behind one NAT address and one managed browser: many events, human
gaps, office hours), ``mobile_app`` (the shop's app: background refresh of its API on a
fixed period while the phone is on, plus foreground sessions that poll notifications every minute),
``uptime_monitor`` (a monitoring service fetching one URL every 60 or 300 s, all week),
``feed_reader`` (an RSS reader fetching the feed on a fixed period) and
``search_crawler`` (announced search-engine bots: robots.txt first, the sitemap, then
pages and products at a polite rate, never a disallowed path: cart, login, search,
checkout). Two of the crawlers are giants (Googlebot-like about 4.5% of all requests,
Bingbot-like about 1.5%). Announced, robots-respecting crawlers are NORMAL here: the site
owner invited them through its sitemap.

Anomaly kinds: ``aggressive_scraper`` (products in id order at sub-second to second
gaps, no assets, a scripting user agent or a faked browser; the first one is a giant,
about 1.5% of all requests), ``headless_bot`` (a headless browser: fetches the assets and
caches them like a browser, randomises its gaps, but walks a block of the catalogue
visiting every product exactly once, round the clock), ``credential_stuffing`` (one
login page, then hundreds of failed POSTs to /login, a success now and then),
``vuln_scanner`` (storms of 404s on odd paths: /wp-admin, /.env, /phpmyadmin...),
``scalper`` (polls the release product's page before the drop, then add-to-cart on it
tens to hundreds of times within minutes, and checkouts), ``click_fraud`` (ad clicks on
a few campaigns spread over the days, each landing on a product and leaving),
``distributed_scraper`` (rings of 15-40 keys, each doing a little: a contiguous chunk of
the ring's shared product list, in the same hour on several days, no assets) and
``low_and_slow`` (a faked browser fetching one product every few minutes, in id order,
round the clock for days).

Written blind in the sixteenth session by helper H1: from what browsers, apps, monitors,
crawlers and attackers do to a web shop, without reading oddseq's code, its generators
or its results. Use::

    events, labels = make_weblog(n_clients=20000, seed=101)
    clean, _ = make_weblog(n_clients=20000, seed=10101, plant=False)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ANOMALY_KINDS", "EVENTS", "NORMAL_KINDS", "make_weblog"]

START = 1_795_046_400  # 2026-11-19 00:00 UTC, a Thursday
N_PRODUCTS = 8000  # product ids 1..N_PRODUCTS; id // 100 is the category

EVENTS = (
    "page",
    "product",
    "search",
    "cart",
    "checkout",
    "login",
    "login_fail",
    "api",
    "static",
    "robots",
    "sitemap",
    "feed",
    "not_found",
    "ad_click",
)
(
    PAGE,
    PRODUCT,
    SEARCH,
    CART,
    CHECKOUT,
    LOGIN,
    LOGIN_FAIL,
    API,
    STATIC,
    ROBOTS,
    SITEMAP,
    FEED,
    NOT_FOUND,
    AD_CLICK,
) = range(len(EVENTS))

NORMAL_KINDS = {  # kind -> share of the normal clients
    "human_browser": 0.52,
    "bouncer": 0.14,
    "power_user": 0.04,
    "drop_shopper": 0.015,
    "corporate_nat": 0.0015,
    "mobile_app": 0.09,
    "uptime_monitor": 0.0005,
    "feed_reader": 0.03,
    "search_crawler": 0.0015,
}
# the rest of the normal shares: more human_browser (the shares above sum under 1)
ANOMALY_KINDS = {  # kind -> share of the anomalous clients
    "aggressive_scraper": 0.12,
    "headless_bot": 0.13,
    "credential_stuffing": 0.12,
    "vuln_scanner": 0.12,
    "scalper": 0.12,
    "click_fraud": 0.10,
    "distributed_scraper": 0.19,
    "low_and_slow": 0.10,
}

_STATIC = tuple(
    [f"/static/js/{n}.js" for n in ("app", "vendor", "analytics", "cart", "search")]
    + [f"/static/css/{n}.css" for n in ("main", "print", "theme")]
    + [f"/static/img/{n}.png" for n in ("logo", "sprite", "banner", "hero", "icons")]
    + [f"/static/fonts/{n}.woff2" for n in ("sans", "sans-bold", "serif")]
    + ["/favicon.ico"]
)
_PAGES = ("/", "/about", "/help", "/shipping", "/returns", "/contact", "/blog", "/deals")
_ODD = (
    "/wp-admin/",
    "/wp-login.php",
    "/.env",
    "/.git/config",
    "/phpmyadmin/",
    "/admin.php",
    "/cgi-bin/test.cgi",
    "/xmlrpc.php",
    "/server-status",
    "/config.json",
    "/backup.zip",
    "/.aws/credentials",
    "/actuator/env",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/owa/auth/logon.aspx",
    "/boaform/admin/formLogin",
    "/HNAP1/",
    "/solr/admin/info/system",
    "/console/",
    "/.DS_Store",
)
_BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.0 Safari",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/130.0 Mobile",
)
_BASE_BYTES = {  # median response size by request kind
    PAGE: 42_000,
    PRODUCT: 65_000,
    SEARCH: 38_000,
    CART: 9_000,
    CHECKOUT: 24_000,
    LOGIN: 6_000,
    LOGIN_FAIL: 5_200,
    API: 2_400,
    STATIC: 45_000,
    ROBOTS: 310,
    SITEMAP: 180_000,
    FEED: 35_000,
    NOT_FOUND: 520,
    AD_CLICK: 350,
}
_STATUS = {LOGIN_FAIL: 401, NOT_FOUND: 404, AD_CLICK: 302}
# people are awake by day: weight of each local hour for starting a session
_HOURS = np.array(
    [0.25, 0.12, 0.07, 0.05, 0.05, 0.08, 0.25, 0.6, 0.9, 1.0, 1.0, 1.1]
    + [1.2, 1.1, 1.0, 1.0, 1.05, 1.1, 1.3, 1.5, 1.6, 1.4, 1.0, 0.55]
)
_HOURS = _HOURS / _HOURS.sum()


class _Log:
    """Columns of the requests drawn so far, appended client by client."""

    def __init__(self):
        self.t, self.ev, self.path, self.client = [], [], [], []
        self.bytes, self.status = [], []

    def add(self, client, t, ev, path, nbytes=None, status=None, r=None):
        t = np.asarray(t, dtype=float)
        ev = np.asarray(ev, dtype=np.int64)
        if len(t) == 0:
            return
        if nbytes is None:
            base = np.array([_BASE_BYTES[e] for e in ev.tolist()], dtype=float)
            nbytes = np.round(base * np.exp(r.normal(0.0, 0.35, len(ev))))
        if status is None:
            status = np.array([_STATUS.get(e, 200) for e in ev.tolist()], dtype=np.int64)
        self.t.append(t)
        self.ev.append(ev)
        self.path.append(np.asarray(path, dtype=object))
        self.client.append(np.full(len(t), client, dtype=np.int64))
        self.bytes.append(np.asarray(nbytes, dtype=float))
        self.status.append(np.asarray(status, dtype=np.int64))


class _World:
    """What all clients of one draw share: the catalogue's popularity, the release."""

    def __init__(self, r, days):
        self.days = days
        self.end = START + days * 86400
        w = 1.0 / np.arange(1, N_PRODUCTS + 1) ** 0.9
        self.pop_cdf = np.cumsum(r.permutation(w))
        self.pop_cdf /= self.pop_cdf[-1]
        # the advertised drop: one product released at 10:00 UTC on the middle day
        self.release_pid = int(r.integers(1, N_PRODUCTS + 1))
        self.release_t = START + (days // 2) * 86400 + 10 * 3600
        self.campaigns = [f"/ad/click/c{int(c)}" for c in r.integers(100, 999, 12)]

    def products(self, r, k):
        return np.searchsorted(self.pop_cdf, r.random(k)) + 1


def _pp(pids):
    return [f"/product/{int(p)}" for p in pids]


def _assets(r, t_page, k):
    """``k`` static assets fetched within a second or two of their page."""
    if k <= 0:
        return np.empty(0), []
    dt = np.sort(r.uniform(0.05, 1.8, k))
    paths = r.choice(len(_STATIC), size=min(k, len(_STATIC)), replace=False)
    return t_page + dt[: len(paths)], [_STATIC[i] for i in paths]


def _session(L, r, W, c, t0, n_pages, cached, logged_in=False, think=20.0, mix=None):
    """One person's visit: pages with think time, each with its static assets."""
    kinds = np.array([PAGE, PRODUCT, SEARCH, CART, CHECKOUT, LOGIN, AD_CLICK, NOT_FOUND])
    p = np.array([0.22, 0.45, 0.15, 0.08, 0.025, 0.04, 0.01, 0.025]) if mix is None else mix
    ev = r.choice(kinds, size=n_pages, p=p / p.sum())
    if not logged_in and (ev == CHECKOUT).any():  # checkout needs a login first
        first = int(np.argmax(ev == CHECKOUT))
        ev = np.insert(ev, first, LOGIN)
    gaps = np.clip(r.lognormal(np.log(think), 1.0, len(ev)), 1.0, 1800.0)
    gaps[0] = 0.0
    tp = t0 + np.cumsum(gaps)
    pid = W.products(r, len(ev))
    # browsing stays in a category for a while
    same = r.random(len(ev)) < 0.5
    for i in range(1, len(ev)):
        if same[i]:
            pid[i] = min(N_PRODUCTS, max(1, (pid[i - 1] // 100) * 100 + int(r.integers(0, 100))))
    T, E, P = [], [], []
    for i, (t, e) in enumerate(zip(tp.tolist(), ev.tolist())):
        if e == LOGIN and r.random() < 0.06:  # a mistyped password first
            T.append(t)
            E.append(LOGIN_FAIL)
            P.append("/login")
            t += float(r.uniform(5, 25))
        path = {
            PAGE: _PAGES[int(r.integers(0, len(_PAGES)))]
            if r.random() < 0.7
            else f"/category/{int(pid[i]) // 100}",
            PRODUCT: f"/product/{int(pid[i])}",
            SEARCH: "/search",
            CART: f"/cart/add/{int(pid[i])}",
            CHECKOUT: "/checkout",
            LOGIN: "/login",
            AD_CLICK: W.campaigns[int(r.integers(0, len(W.campaigns)))],
            NOT_FOUND: f"/product/{int(pid[i]) + N_PRODUCTS}",
        }[e]
        T.append(t)
        E.append(e)
        P.append(path)
        if e == AD_CLICK:  # the redirect lands on a product page
            t += 0.4
            T.append(t)
            E.append(PRODUCT)
            P.append(f"/product/{int(pid[i])}")
        if e in (PAGE, PRODUCT, SEARCH, CHECKOUT, LOGIN, AD_CLICK):
            k = int(r.integers(6, 12)) if (i == 0 and not cached) else int(r.poisson(0.7))
            at, ap = _assets(r, t, k)
            T.extend(at.tolist())
            E.extend([STATIC] * len(ap))
            P.extend(ap)
    L.add(c, T, E, P, r=r)
    return tp[-1]


def _day_time(r, W, days, tz=0, hours=None):
    """A session start on one of ``days`` at a local hour drawn from the day rhythm."""
    d = int(r.choice(days))
    h = int(r.choice(24, p=_HOURS if hours is None else hours))
    return START + d * 86400 + ((h - tz) % 24) * 3600 + float(r.uniform(0, 3600))


def _human(L, r, W, c, n_sessions, pages_mean=5.0, logged_in=False, days=None, hours=None):
    tz = int(r.choice([0, 0, 0, 1, 1, -5, -8, 2, 3]))
    days = np.arange(W.days) if days is None else days
    starts = sorted(_day_time(r, W, days, tz, hours) for _ in range(n_sessions))
    cached = False
    for s in starts:
        n = 1 + int(r.geometric(1.0 / pages_mean))
        _session(L, r, W, c, s, n, cached, logged_in)
        cached = r.random() < 0.7  # the browser cache survives until cleared


def _human_browser(L, r, W, c):
    _human(L, r, W, c, 1 + int(r.poisson(1.6)))


def _bouncer(L, r, W, c):
    tz = int(r.choice([0, 0, 1, -5]))
    _session(L, r, W, c, _day_time(r, W, np.arange(W.days), tz), 1, False)


def _power_user(L, r, W, c):
    n = int(r.integers(W.days, 3 * W.days + 1))
    _human(L, r, W, c, n, pages_mean=9.0, logged_in=True)


def _drop_shopper(L, r, W, c):
    # waits for the release on the product page, adds it once or twice, may buy
    t = W.release_t - float(r.uniform(30, 900))
    T = [t]
    E = [PRODUCT]
    P = [f"/product/{W.release_pid}"]
    at, ap = _assets(r, t, int(r.integers(6, 12)))
    T += at.tolist()
    E += [STATIC] * len(ap)
    P += ap
    for _ in range(int(r.integers(0, 3))):  # refreshes while waiting
        t = min(t + float(r.uniform(20, 200)), W.release_t - 1)
        T.append(t)
        E.append(PRODUCT)
        P.append(f"/product/{W.release_pid}")
    t = W.release_t + float(r.exponential(40))
    for _ in range(int(r.integers(1, 3))):
        T.append(t)
        E.append(CART)
        P.append(f"/cart/add/{W.release_pid}")
        t += float(r.uniform(2, 20))
    if r.random() < 0.6:
        T += [t, t + float(r.uniform(10, 60))]
        E += [LOGIN, CHECKOUT]
        P += ["/login", "/checkout"]
    L.add(c, T, E, P, r=r)
    if r.random() < 0.6:  # and they shop on other days too
        _human(L, r, W, c, 1 + int(r.poisson(1.0)))


def _corporate_nat(L, r, W, c):
    # dozens of employees on weekdays' office hours behind one address and browser
    weekdays = np.array([d for d in range(W.days) if (d + 3) % 7 < 5])  # START a Thursday
    if len(weekdays) == 0:
        weekdays = np.arange(W.days)
    office = np.zeros(24)
    office[8:18] = [0.6, 1.0, 1.0, 0.9, 1.3, 1.2, 1.0, 1.0, 0.8, 0.5]
    office /= office.sum()
    for _ in range(int(r.integers(20, 70))):
        n = 1 + int(r.poisson(2.0))
        starts = sorted(_day_time(r, W, weekdays, 0, office) for _ in range(n))
        for s in starts:
            _session(L, r, W, c, s, 1 + int(r.geometric(0.2)), True)


def _mobile_app(L, r, W, c):
    period = float(r.choice([1800.0, 3600.0, 3600.0]))
    wake, sleep = int(r.integers(6, 9)), int(r.integers(22, 25))
    tz = int(r.choice([0, 0, 1, -5]))
    t = START + float(r.uniform(0, period))
    T = []
    while t < W.end:
        h = int(((t - START) // 3600 + tz) % 24)
        if wake <= h < sleep and r.random() < 0.93:  # the OS skips a refresh now and then
            T.append(t)
        t += period * float(r.uniform(0.97, 1.03))
    T = np.array(T)
    L.add(c, T, np.full(len(T), API), ["/api/v1/feed"] * len(T), r=r)
    # foreground sessions: browse products through the API, poll notifications
    for _ in range(int(r.poisson(3.0))):
        t0 = _day_time(r, W, np.arange(W.days), tz)
        n = 1 + int(r.geometric(0.15))
        gaps = np.clip(r.lognormal(np.log(15.0), 0.9, n), 1.0, 600.0)
        tp = t0 + np.cumsum(gaps)
        pid = W.products(r, n)
        polls = np.arange(t0, tp[-1], 60.0)
        T2 = np.r_[tp, polls]
        P2 = [f"/api/v1/products/{int(p)}" for p in pid] + ["/api/v1/notifications"] * len(polls)
        L.add(c, T2, np.full(len(T2), API), P2, r=r)


def _uptime_monitor(L, r, W, c):
    period = float(r.choice([60.0, 60.0, 300.0]))
    url = str(r.choice(["/", "/api/v1/health"]))
    t = np.arange(START + float(r.uniform(0, period)), W.end, period)
    t = t + r.uniform(0, 1.5, len(t))  # the probe's own latency
    t = t[r.random(len(t)) > 0.002]  # a probe lost now and then
    ev = PAGE if url == "/" else API
    nb = None if ev == PAGE else np.full(len(t), 64.0)
    L.add(c, t, np.full(len(t), ev), [url] * len(t), nbytes=nb, r=r)


def _feed_reader(L, r, W, c):
    period = float(r.choice([1800.0, 3600.0, 3600.0, 7200.0, 10800.0]))
    t = np.arange(START + float(r.uniform(0, period)), W.end, period)
    t = t + r.normal(0, 5, len(t))
    unchanged = r.random(len(t)) < 0.8  # conditional GET: 304 Not Modified, no body
    nb = np.where(unchanged, 0.0, np.round(35_000 * np.exp(r.normal(0, 0.2, len(t)))))
    st = np.where(unchanged, 304, 200)
    url = str(r.choice(["/feed.xml", "/blog/rss"]))
    L.add(c, t, np.full(len(t), FEED), [url] * len(t), nbytes=nb, status=st)


def _crawl(L, r, W, c, n, gap_lo, gap_hi, burst_hi=400, idle=3 * 3600):
    """A polite crawler: robots.txt, the sitemap, then pages and products."""
    T, E, P = [], [], []
    t = START + float(r.uniform(0, 3 * 3600))
    done = 0
    cursor = int(r.integers(1, N_PRODUCTS))
    while done < n and t < W.end:
        T += [t, t + 2.0]
        E += [ROBOTS, SITEMAP]
        P += ["/robots.txt", "/sitemap.xml"]
        burst = min(n - done, int(r.integers(50, burst_hi)))
        gaps = r.uniform(gap_lo, gap_hi, burst)
        tb = t + 4.0 + np.cumsum(gaps)
        for tt in tb.tolist():
            u = r.random()
            if u < 0.45:  # the sitemap's order
                cursor = cursor % N_PRODUCTS + 1
                E.append(PRODUCT)
                P.append(f"/product/{cursor}")
            elif u < 0.8:  # popular pages get recrawled
                E.append(PRODUCT)
                P.append(f"/product/{int(W.products(r, 1)[0])}")
            elif u < 0.97:
                E.append(PAGE)
                P.append(
                    _PAGES[int(r.integers(0, len(_PAGES)))]
                    if r.random() < 0.4
                    else f"/category/{int(r.integers(0, N_PRODUCTS // 100))}"
                )
            else:  # a dead link from elsewhere
                E.append(NOT_FOUND)
                P.append(f"/product/{int(r.integers(N_PRODUCTS, 2 * N_PRODUCTS))}")
            T.append(tt)
        done += burst
        t = float(tb[-1]) + float(r.exponential(idle))
    L.add(c, T, E, P, r=r)


def _search_crawler(L, r, W, c, giant=0, n_clients=0):
    if giant == 1:  # a Googlebot: ~4.5% of all requests
        _crawl(L, r, W, c, int(4.5 * n_clients), 0.3, 3.0, 5000, 1800)
    elif giant == 2:  # a Bingbot: ~1.5%
        _crawl(L, r, W, c, int(1.5 * n_clients), 1.0, 6.0, 3000, 1800)
    else:
        _crawl(L, r, W, c, int(r.integers(150, 2500)), 5.0, 60.0)


# ---------------------------------------------------------------- anomalies


def _aggressive_scraper(L, r, W, c, giant=False, n_clients=0):
    n = int(1.5 * n_clients) if giant else int(np.exp(r.uniform(np.log(300), np.log(4000))))
    t0 = START + float(r.uniform(0, W.days * 86400 * 0.7))
    gaps = r.exponential(float(r.uniform(0.3, 1.5)), n)
    t = t0 + np.cumsum(gaps)
    start = int(r.integers(1, N_PRODUCTS))
    ids = (start + np.arange(n)) % (N_PRODUCTS + 200) + 1  # runs past the catalogue: 404s
    ev = np.where(ids > N_PRODUCTS, NOT_FOUND, PRODUCT)
    keep = t < W.end
    L.add(c, t[keep], ev[keep], _pp(ids[keep]), r=r)


def _headless_bot(L, r, W, c):
    n = int(r.integers(300, 1500))
    start = int(r.integers(1, N_PRODUCTS - n))
    ids = start + r.permutation(n)  # every product of a block exactly once
    gaps = r.uniform(4.0, 25.0, n)  # randomised, human-looking gaps, never a break
    t = START + float(r.uniform(0, W.days * 86400 * 0.5)) + np.cumsum(gaps)
    T, E, P = [], [], []
    for i, (tt, p) in enumerate(zip(t.tolist(), ids.tolist())):
        if tt >= W.end:
            break
        T.append(tt)
        E.append(PRODUCT)
        P.append(f"/product/{p}")
        k = int(r.integers(6, 12)) if i == 0 else int(r.poisson(0.7))
        at, ap = _assets(r, tt, k)
        T += at.tolist()
        E += [STATIC] * len(ap)
        P += ap
    L.add(c, T, E, P, r=r)


def _credential_stuffing(L, r, W, c):
    t0 = START + float(r.uniform(0, W.days * 86400 * 0.9))
    n = int(r.integers(100, 1500))
    t = t0 + 3.0 + np.cumsum(r.uniform(0.5, 8.0, n))
    ok = r.random(n) < 0.01
    ev = np.where(ok, LOGIN, LOGIN_FAIL)
    keep = t < W.end
    L.add(c, [t0], [PAGE], ["/"], r=r)
    L.add(c, t[keep], ev[keep], ["/login"] * int(keep.sum()), r=r)


def _vuln_scanner(L, r, W, c):
    t0 = START + float(r.uniform(0, W.days * 86400 * 0.95))
    n = int(r.integers(150, 1500))
    t = t0 + np.cumsum(r.uniform(0.05, 0.5, n))
    paths = []
    ev = np.full(n, NOT_FOUND)
    st = np.full(n, 404)
    for i in range(n):
        u = r.random()
        if u < 0.6:
            paths.append(_ODD[int(r.integers(0, len(_ODD)))])
        elif u < 0.95:
            paths.append(f"/{''.join(r.choice(list('abcdefghijklmnop'), 6))}.php")
        else:
            paths.append("/")
            ev[i] = PAGE
            st[i] = 200
    if r.random() < 0.5:
        paths[0] = "/robots.txt"
        ev[0] = ROBOTS
        st[0] = 200
    nb = np.where(ev == NOT_FOUND, 520.0, 42_000.0)
    L.add(c, t, ev, paths, nbytes=nb, status=st)


def _scalper(L, r, W, c):
    rp = f"/product/{W.release_pid}"
    t = W.release_t - float(r.uniform(300, 1800))
    polls = np.arange(t, W.release_t, float(r.uniform(1.0, 5.0)))
    k = int(r.integers(20, 200))
    carts = W.release_t + np.cumsum(r.uniform(0.1, 1.5, k))
    m = int(r.integers(2, 15))
    checkouts = carts[-1] + np.cumsum(r.uniform(0.5, 3.0, m))
    T = np.r_[polls, [carts[0] - 0.2], carts, checkouts]
    E = np.r_[np.full(len(polls), PRODUCT), [LOGIN], np.full(k, CART), np.full(m, CHECKOUT)]
    P = [rp] * len(polls) + ["/login"] + [f"/cart/add/{W.release_pid}"] * k + ["/checkout"] * m
    L.add(c, T, E, P, r=r)


def _click_fraud(L, r, W, c):
    n = int(r.integers(50, 400))
    camp = r.choice(W.campaigns, size=int(r.integers(1, 3)), replace=False)
    t = np.sort(START + r.uniform(0, W.days * 86400, n))
    pid = W.products(r, n)
    T = np.r_[t, t + r.uniform(0.3, 0.8, n)]
    E = np.r_[np.full(n, AD_CLICK), np.full(n, PRODUCT)]
    P = [str(camp[int(i)]) for i in r.integers(0, len(camp), n)] + _pp(pid)
    L.add(c, T, E, P, r=r)


def _distributed_ring(L, r, W, clients):
    """A ring of keys sharing one product list, each fetching a chunk in the same hour."""
    n_list = int(r.integers(40, 150))
    start = int(r.integers(1, N_PRODUCTS - n_list))
    shared = np.arange(start, start + n_list)
    hour = int(r.integers(0, 24))
    days = sorted(r.choice(W.days, size=min(W.days, int(r.integers(2, 5))), replace=False))
    for c in clients:
        for d in days:
            if r.random() < 0.2:  # a proxy idle that day
                continue
            k = int(r.integers(10, 40))
            s = int(r.integers(0, max(1, n_list - k)))
            chunk = shared[s : s + k]
            t0 = START + int(d) * 86400 + hour * 3600 + float(r.uniform(0, 2400))
            t = t0 + np.cumsum(r.uniform(1.0, 4.0, len(chunk)))
            L.add(c, t, np.full(len(chunk), PRODUCT), _pp(chunk), r=r)


def _low_and_slow(L, r, W, c):
    n = int(r.integers(300, 1500))
    gaps = r.uniform(180.0, 1200.0, n)
    t = START + float(r.uniform(0, 86400)) + np.cumsum(gaps)
    start = int(r.integers(1, N_PRODUCTS))
    ids = (start + np.arange(n)) % N_PRODUCTS + 1
    keep = t < W.end
    L.add(c, t[keep], np.full(int(keep.sum()), PRODUCT), _pp(ids[keep]), r=r)


_DRAW = {
    "human_browser": _human_browser,
    "bouncer": _bouncer,
    "power_user": _power_user,
    "drop_shopper": _drop_shopper,
    "corporate_nat": _corporate_nat,
    "mobile_app": _mobile_app,
    "uptime_monitor": _uptime_monitor,
    "feed_reader": _feed_reader,
    "headless_bot": _headless_bot,
    "credential_stuffing": _credential_stuffing,
    "vuln_scanner": _vuln_scanner,
    "scalper": _scalper,
    "click_fraud": _click_fraud,
    "low_and_slow": _low_and_slow,
}


def _counts(n, shares, fill=None):
    out = {k: int(round(n * s)) for k, s in shares.items()}
    if fill is not None:
        out[fill] += n - sum(out.values())
    else:  # largest kind takes the rounding
        big = max(shares, key=shares.get)
        out[big] += n - sum(out.values())
    return out


def _agent(r, kind):
    if kind == "search_crawler":
        return str(
            r.choice(
                [
                    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
                    "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
                    "Mozilla/5.0 (compatible; Applebot/0.1; +http://www.apple.com/go/applebot)",
                ]
            )
        )
    if kind == "mobile_app":
        return str(r.choice(["ShopApp/4.2.1 (iOS 18.1)", "ShopApp/4.2.0 (Android 14)"]))
    if kind == "uptime_monitor":
        return str(r.choice(["UptimeRobot/2.0", "Pingdom.com_bot_version_1.4", "StatusCake"]))
    if kind == "feed_reader":
        return str(r.choice(["Feedly/1.0", "NetNewsWire (RSS Reader)", "Tiny Tiny RSS/23.10"]))
    if kind == "aggressive_scraper":
        return str(r.choice(["python-requests/2.32.3", "Scrapy/2.11", _BROWSERS[0]]))
    if kind == "headless_bot":
        return str(r.choice(["Mozilla/5.0 HeadlessChrome/130.0 Safari/537.36", _BROWSERS[0]]))
    if kind == "vuln_scanner":
        return str(r.choice(["Mozilla/5.0 zgrab/0.x", "Nuclei - Open-source project", "curl/8.5"]))
    return _BROWSERS[int(r.integers(0, len(_BROWSERS)))]


def make_weblog(
    n_clients: int = 20000,
    days: int = 7,
    anomaly_rate: float = 0.04,
    seed: int = 0,
    plant: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw the access log; returns ``(events, labels)``, the same for the same seed.

    ``events`` is sorted by time (ties in drawing order), one row per request. ``labels``
    has one row per client key: ``client_id``, ``is_anomaly`` (bool) and ``kind``.
    ``plant=False`` draws normal clients only (for normal-only fitting and the
    nothing-planted measure). About 100 requests a client at the default 7 days.
    """
    if not isinstance(n_clients, (int, np.integer)) or isinstance(n_clients, bool):
        raise TypeError(f"n_clients must be an int, got {type(n_clients).__name__}")
    if n_clients < 200:
        raise ValueError(f"n_clients must be at least 200, got {n_clients}")
    if not isinstance(days, (int, np.integer)) or not 2 <= days <= 60:
        raise ValueError(f"days must be an int in [2, 60], got {days!r}")
    if not 0 <= anomaly_rate < 0.5:
        raise ValueError(f"anomaly_rate must be in [0, 0.5), got {anomaly_rate!r}")
    r = np.random.default_rng(seed)
    W = _World(r, int(days))
    n_anom = int(round(n_clients * anomaly_rate)) if plant else 0
    kinds = []
    normal_counts = _counts(n_clients - n_anom, NORMAL_KINDS, fill="human_browser")
    normal_counts["search_crawler"] = max(normal_counts["search_crawler"], 2)
    normal_counts["uptime_monitor"] = max(normal_counts["uptime_monitor"], 1)
    normal_counts["human_browser"] = (
        n_clients - n_anom - sum(v for k, v in normal_counts.items() if k != "human_browser")
    )
    for k, c in normal_counts.items():
        kinds += [k] * c
    if n_anom:
        for k, c in _counts(n_anom, ANOMALY_KINDS).items():
            kinds += [k] * c
    ids = r.choice(np.arange(100_000, 1_000_000), size=n_clients, replace=False)
    L = _Log()
    ring = []
    n_crawler = n_scraper = 0
    agents, ips = [], []
    for cid, kind in zip(ids.tolist(), kinds):
        if kind == "corporate_nat":
            ip = f"203.0.113.{int(r.integers(1, 255))}"
        else:
            ip = ".".join(str(int(x)) for x in r.integers(1, 255, 4))
        agent = _agent(r, kind)
        if kind == "search_crawler":
            n_crawler += 1
            giant = n_crawler if n_crawler <= 2 else 0
            if giant == 1:
                agent = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
            elif giant == 2:
                agent = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
            _search_crawler(L, r, W, cid, giant, n_clients)
        elif kind == "aggressive_scraper":
            n_scraper += 1
            _aggressive_scraper(L, r, W, cid, n_scraper == 1, n_clients)
        elif kind == "distributed_scraper":
            ring.append(cid)
        else:
            _DRAW[kind](L, r, W, cid)
        agents.append(agent)
        ips.append(ip)
    # distributed scrapers: rings of 15-40 keys
    i = 0
    while i < len(ring):
        k = int(r.integers(15, 41))
        if len(ring) - (i + k) < 15:
            k = len(ring) - i
        _distributed_ring(L, r, W, ring[i : i + k])
        i += k
    client = np.concatenate(L.client)
    t = np.concatenate(L.t)
    order = np.argsort(t, kind="stable")
    key = pd.DataFrame({"ip": ips, "user_agent": agents}, index=ids)
    ev_names = np.array(EVENTS, dtype=object)
    client = client[order]
    events = pd.DataFrame(
        {
            "client_id": client.astype(np.int64),
            "timestamp": np.floor(t[order]).astype(np.int64),
            "event": ev_names[np.concatenate(L.ev)[order]],
            "path": np.concatenate(L.path)[order],
            "bytes": np.concatenate(L.bytes)[order],
            "status": np.concatenate(L.status)[order],
            "ip": key["ip"].reindex(client).to_numpy(),
            "user_agent": key["user_agent"].reindex(client).to_numpy(),
        }
    )
    labels = pd.DataFrame(
        {
            "client_id": ids.astype(np.int64),
            "is_anomaly": np.array([k in ANOMALY_KINDS for k in kinds], dtype=bool),
            "kind": kinds,
        }
    )
    # a client that made no request in the window is not in the log: not in the labels
    seen = np.isin(labels["client_id"].to_numpy(), client)
    labels = labels[seen].sort_values("client_id", kind="stable").reset_index(drop=True)
    return events, labels
