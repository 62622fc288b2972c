"""A held-out fourth labelled source: the event log of an online service's accounts.

Not a shop. The log of a web service with money in it (online banking / a SaaS with
payouts): people register, log in (sometimes with a second factor), fail to log in,
reset forgotten passwords, add devices, change e-mails, browse and search pages, download
and export documents, call the API with tokens, add payees and move money. Each row is one
event of one account:

``account_id`` (int64), ``event`` (str), ``timestamp`` (int64 epoch seconds, UTC, a
28-day window from 2026-10-15 that holds one month end), ``object_id`` (str or None: the
page / document / API resource (``r...``), payee (``p...``), sender (``s...``) or
message thread (``m...``) acted on), ``amount`` (float, only where money moves: transfer,
incoming_transfer; NaN elsewhere), ``ip`` (str, dotted quad) and ``device`` (str). Money
arriving (salaries on payday, refunds, payments from friends) is written by the service
itself: IP 10.0.0.1, device ``system``.

Normal kinds (hard negatives among them): ``casual`` (a few short visits a month),
``office_worker`` (business hours on weekdays, downloads its own documents),
``power_user`` (every day, many sessions, API too), ``service_account`` (an integration
calling the same few endpoints on a fixed period around the clock), ``month_end_accountant``
(quiet, then bulk exports in the last days of the month), ``forgetful`` (failed logins,
password reset, back in), ``night_shift`` (sessions between 22:00 and 06:00),
``traveller`` (a trip: new IP, a new device, second-factor challenges, shifted hours),
``dormant`` (one login in the window), ``family_shared`` (several people and devices on
one account, at all hours) and ``new_customer`` (registers in the window, sets up, adds
payees, first transfers).

Anomaly kinds: ``credential_stuffing`` (a burst of failed logins from a proxy pool, then a
success), ``account_takeover`` (reset or SIM-swapped second factor, new device, e-mail
change, new payee, large transfers within the hour), ``insider_exfiltration`` (an office
worker exporting hundreds of documents at night), ``api_scraper`` (enumerates resources
through the API at machine rate), ``fake_signup`` (registers and goes quiet, or spams
messages, from a signup farm's shared IPs and devices), ``money_mule`` (money in from
strangers, forwarded out within hours), ``fraud_ring`` (6-12 accounts from one subnet pay
the same one or two payees in the same hour) and ``low_and_slow`` (password spraying: a
failed login every several hours from rotating IPs over weeks, then a success and a few
downloads).

Written blind in the fifteenth session by helper H1: from what account holders,
integrations and attackers do, without reading oddseq's code, its generators, its tests
or its results. Use::

    events, labels = make_heldout_accounts(n_accounts=20000, seed=101)
    clean, _ = make_heldout_accounts(n_accounts=20000, seed=10101, plant=False)
"""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd

__all__ = ["ANOMALY_KINDS", "EVENTS", "NORMAL_KINDS", "make_heldout_accounts"]

START = 1_792_022_400  # 2026-10-15 00:00 UTC
DAYS = 28
END = START + DAYS * 86400
MONTH_END = 1_793_491_200  # 2026-11-01 00:00 UTC: the month ends the day before

EVENTS = (
    "register",
    "login",
    "login_fail",
    "mfa_challenge",
    "mfa_ok",
    "password_reset_request",
    "password_reset",
    "email_change",
    "device_add",
    "view",
    "list",
    "search",
    "download",
    "export",
    "api_call",
    "api_token_create",
    "payee_add",
    "transfer",
    "incoming_transfer",
    "settings",
    "message_send",
    "logout",
)
(
    REGISTER,
    LOGIN,
    LOGIN_FAIL,
    MFA_CHALLENGE,
    MFA_OK,
    RESET_REQUEST,
    RESET,
    EMAIL_CHANGE,
    DEVICE_ADD,
    VIEW,
    LIST,
    SEARCH,
    DOWNLOAD,
    EXPORT,
    API_CALL,
    TOKEN_CREATE,
    PAYEE_ADD,
    TRANSFER,
    INCOMING,
    SETTINGS,
    MESSAGE,
    LOGOUT,
) = range(len(EVENTS))

NORMAL_KINDS = {  # kind -> share of the normal accounts
    "casual": 0.35,
    "office_worker": 0.18,
    "power_user": 0.04,
    "service_account": 0.01,
    "month_end_accountant": 0.03,
    "forgetful": 0.07,
    "night_shift": 0.06,
    "traveller": 0.05,
    "dormant": 0.10,
    "family_shared": 0.06,
    "new_customer": 0.05,
}
ANOMALY_KINDS = {  # kind -> share of the anomalous accounts
    "credential_stuffing": 0.16,
    "account_takeover": 0.16,
    "insider_exfiltration": 0.10,
    "api_scraper": 0.08,
    "fake_signup": 0.14,
    "money_mule": 0.10,
    "fraud_ring": 0.16,
    "low_and_slow": 0.10,
}

# object id spaces: resources, payees, senders, message threads (offsets keep them apart)
_RES, _PAY, _SND, _MSG = 0, 10**9, 2 * 10**9, 3 * 10**9
_OBJ_PREFIX = ("r", "p", "s", "m")
_NONE = -1
_NAN = float("nan")


class _Log:
    """Columns as Python lists: one append per event keeps 50,000 accounts fast."""

    def __init__(self):
        self.rows = []

    def add(self, a, e, t, ip, dev, obj=_NONE, amt=_NAN):
        self.rows.append((a, e, t, obj, amt, ip, dev))


class _Account:
    """What an account holder brings: home IP, devices, own documents, payees, habits."""

    def __init__(self, r: random.Random, aid: int, n_accounts: int):
        self.id = aid
        self.home_ip = r.randrange(1 << 24, 223 << 24)
        self.devices = [r.randrange(10**9) for _ in range(1 + (r.random() < 0.5))]
        self.docs = [_RES + r.randrange(20 * n_accounts) for _ in range(r.randint(3, 25))]
        self.payees = [_PAY + r.randrange(5 * n_accounts) for _ in range(r.randint(1, 5))]
        self.pay_scale = math.exp(r.gauss(4.5, 1.0))  # typical transfer size
        self.hour = r.gauss(13.0, 3.5)  # hour of day the holder tends to come
        self.mfa = r.random() < 0.45  # second factor on every login


# shared public pages (help, pricing, status) that everybody views
_PUBLIC = [_RES + 10**8 + i for i in range(200)]

_MIX_CASUAL = ((VIEW, 0.40), (LIST, 0.18), (SEARCH, 0.14), (DOWNLOAD, 0.07), (TRANSFER, 0.09))
_MIX_CASUAL += ((SETTINGS, 0.03), (MESSAGE, 0.04), (PAYEE_ADD, 0.01), (EXPORT, 0.02))
_MIX_CASUAL += ((EMAIL_CHANGE, 0.003), (DEVICE_ADD, 0.004))  # a new address, a new phone
_MIX_OFFICE = ((VIEW, 0.34), (LIST, 0.18), (SEARCH, 0.16), (DOWNLOAD, 0.14), (EXPORT, 0.04))
_MIX_OFFICE += ((MESSAGE, 0.08), (TRANSFER, 0.04), (SETTINGS, 0.02), (EMAIL_CHANGE, 0.001))
_MIX_POWER = _MIX_OFFICE + ((API_CALL, 0.20),)


def _mix(mix):
    return [e for e, _ in mix], [w for _, w in mix]


_MIXES = {
    "casual": _mix(_MIX_CASUAL),
    "office": _mix(_MIX_OFFICE),
    "power": _mix(_MIX_POWER),
}


def _action(L, r, acc, e, t, ip, dev):
    """One in-session action with the object or amount it carries."""
    if e in (VIEW, DOWNLOAD, EXPORT, API_CALL):
        obj = r.choice(acc.docs) if r.random() < 0.8 else r.choice(_PUBLIC)
        L.add(acc.id, e, t, ip, dev, obj)
    elif e == LIST:
        L.add(acc.id, e, t, ip, dev, r.choice(_PUBLIC))
    elif e == TRANSFER:
        amt = round(acc.pay_scale * math.exp(r.gauss(0, 0.6)), 2)
        L.add(acc.id, e, t, ip, dev, r.choice(acc.payees), amt)
    elif e == PAYEE_ADD:
        p = _PAY + r.randrange(10**8)
        acc.payees.append(p)
        L.add(acc.id, e, t, ip, dev, p)
    elif e == MESSAGE:
        L.add(acc.id, e, t, ip, dev, _MSG + acc.id)  # the support thread of the account
    else:
        L.add(acc.id, e, t, ip, dev)


def _session(L, r, acc, t, n, mix="casual", ip=None, dev=None, mfa=None, think=35.0):
    """login [+ second factor], n actions with think times, usually logout."""
    ip = acc.home_ip if ip is None else ip
    dev = acc.devices[0] if dev is None else dev
    L.add(acc.id, LOGIN, t, ip, dev)
    if acc.mfa if mfa is None else mfa:
        t += r.randint(1, 4)
        L.add(acc.id, MFA_CHALLENGE, t, ip, dev)
        t += r.randint(8, 60)
        L.add(acc.id, MFA_OK, t, ip, dev)
    events, weights = _MIXES[mix]
    for e in r.choices(events, weights, k=n):
        t += 1 + int(r.expovariate(1.0 / think))
        _action(L, r, acc, e, t, ip, dev)
    if r.random() < 0.55:
        t += 1 + int(r.expovariate(1.0 / think))
        L.add(acc.id, LOGOUT, t, ip, dev)
    return t


def _at_hour(r, day, hour, spread=1.5):
    h = (hour + r.gauss(0, spread)) % 24
    return START + day * 86400 + int(h * 3600) + r.randrange(60)


def _history(L, r, acc, p_day, n_mean, mix="casual", days=range(DAYS), weekdays_only=False):
    """The holder's own visits: each day with probability p_day, one to a few sessions."""
    last = START
    for day in days:
        if weekdays_only and (day + 3) % 7 >= 5:  # 2026-10-15 is a Thursday
            continue
        if r.random() >= p_day:
            continue
        for _ in range(1 if r.random() < 0.7 else r.randint(2, 3)):
            t = _at_hour(r, day, acc.hour)
            n = max(1, int(r.expovariate(1.0 / n_mean)))
            dev = r.choice(acc.devices)
            last = max(last, _session(L, r, acc, t, n, mix, dev=dev))
    return last


# ---------------------------------------------------------------- normal kinds


def _casual(L, r, acc, n):
    _history(L, r, acc, r.uniform(0.04, 0.2), 4)


def _office_worker(L, r, acc, n):
    acc.hour = r.gauss(11.5, 1.5)
    _history(L, r, acc, r.uniform(0.3, 0.7), 6, "office", weekdays_only=True)


def _power_user(L, r, acc, n):
    acc.devices.append(r.randrange(10**9))
    for day in range(DAYS):
        if r.random() < 0.25:
            continue
        for _ in range(r.randint(1, 2)):
            t = _at_hour(r, day, acc.hour, 4.0)
            _session(L, r, acc, t, r.randint(4, 14), "power", dev=r.choice(acc.devices))


def _service_account(L, r, acc, n):
    period = r.choice((900, 1800, 3600, 3600, 7200))
    endpoints = acc.docs[: r.randint(1, 2)]
    t = START + r.randrange(period)
    dev = acc.devices[0]
    L.add(acc.id, TOKEN_CREATE, t - r.randint(60, 3600), acc.home_ip, dev)
    while t < END:
        for obj in endpoints:
            L.add(acc.id, API_CALL, t + r.randint(0, 2), acc.home_ip, dev, obj)
        if r.random() < 0.003:  # an outage: the integration retries a few minutes later
            t += r.randint(120, 600)
        t += period + r.randint(-2, 2)


def _month_end_accountant(L, r, acc, n):
    acc.hour = r.gauss(11, 1.5)
    acc.docs += [_RES + r.randrange(20 * n) for _ in range(r.randint(60, 200))]
    month_end_day = (MONTH_END - START) // 86400  # 2026-11-01 is day 17
    _history(L, r, acc, 0.1, 5, "office", days=range(0, month_end_day - 3))
    _history(L, r, acc, 0.1, 5, "office", days=range(month_end_day + 2, DAYS))
    for day in range(month_end_day - 3, month_end_day + 1):  # last days of October
        if r.random() < 0.3:
            continue
        t = _at_hour(r, day, acc.hour)
        t = _session(L, r, acc, t, r.randint(2, 6), "office")
        for obj in r.sample(acc.docs, min(len(acc.docs), r.randint(30, 120))):
            t += r.randint(3, 25)
            L.add(acc.id, r.choice((EXPORT, EXPORT, DOWNLOAD)), t, acc.home_ip, acc.devices[0], obj)


def _forgetful(L, r, acc, n):
    _history(L, r, acc, r.uniform(0.04, 0.2), 4)
    for _ in range(r.randint(1, 3)):
        t = _at_hour(r, r.randrange(DAYS), acc.hour)
        dev = r.choice(acc.devices)
        for _ in range(r.randint(2, 5)):
            L.add(acc.id, LOGIN_FAIL, t, acc.home_ip, dev)
            t += r.randint(5, 40)
        L.add(acc.id, RESET_REQUEST, t, acc.home_ip, dev)
        t += r.randint(60, 900)  # reading the e-mail
        L.add(acc.id, RESET, t, acc.home_ip, dev)
        _session(L, r, acc, t + r.randint(10, 60), r.randint(1, 8), dev=dev)


def _night_shift(L, r, acc, n):
    acc.hour = r.choice((23.0, 1.0, 2.5, 4.0))
    _history(L, r, acc, r.uniform(0.25, 0.6), 6, "office")


def _traveller(L, r, acc, n):
    leave = r.randrange(2, DAYS - 6)
    back = leave + r.randint(3, 10)
    _history(L, r, acc, r.uniform(0.1, 0.35), 5, days=range(0, leave))
    _history(L, r, acc, r.uniform(0.1, 0.35), 5, days=range(min(back, DAYS), DAYS))
    trip_ip = r.randrange(1 << 24, 223 << 24)
    shift = r.choice((-9, -6, 5, 7, 9))
    new_dev = r.randrange(10**9) if r.random() < 0.6 else None
    for day in range(leave, min(back, DAYS)):
        if r.random() < 0.5:
            continue
        t = _at_hour(r, day, acc.hour + shift)
        ip = trip_ip if r.random() < 0.7 else r.randrange(1 << 24, 223 << 24)  # hotel wifi
        dev = acc.devices[0]
        if new_dev is not None and r.random() < 0.6:
            dev = new_dev
            if new_dev not in acc.devices:
                acc.devices.append(new_dev)
                L.add(acc.id, DEVICE_ADD, t - r.randint(20, 120), ip, dev)
        _session(L, r, acc, t, r.randint(1, 8), ip=ip, dev=dev, mfa=True)


def _dormant(L, r, acc, n):
    t = _at_hour(r, r.randrange(DAYS), acc.hour)
    if r.random() < 0.3:
        L.add(acc.id, LOGIN_FAIL, t, acc.home_ip, acc.devices[0])
        t += r.randint(10, 60)
    _session(L, r, acc, t, r.randint(0, 3))


def _family_shared(L, r, acc, n):
    acc.devices += [r.randrange(10**9) for _ in range(r.randint(2, 3))]
    members = [r.gauss(h, 1.0) for h in (8.0, 13.0, 19.0, 22.0)[: r.randint(2, 4)]]
    for day in range(DAYS):
        for h in members:
            if r.random() < 0.15:
                t = _at_hour(r, day, h)
                dev = r.choice(acc.devices)
                if r.random() < 0.05:  # someone types the wrong password
                    L.add(acc.id, LOGIN_FAIL, t - r.randint(10, 60), acc.home_ip, dev)
                _session(L, r, acc, t, max(1, int(r.expovariate(1 / 5))), dev=dev)


def _new_customer(L, r, acc, n):
    day = r.randrange(DAYS - 3)
    t = _at_hour(r, day, acc.hour)
    ip, dev = acc.home_ip, acc.devices[0]
    L.add(acc.id, REGISTER, t, ip, dev)
    acc.payees = []
    for e in (LOGIN, DEVICE_ADD, SETTINGS, MFA_CHALLENGE, MFA_OK, SETTINGS):
        t += r.randint(10, 120)
        L.add(acc.id, e, t, ip, dev)
    for _ in range(r.randint(1, 3)):
        t += r.randint(30, 300)
        _action(L, r, acc, PAYEE_ADD, t, ip, dev)
    if r.random() < 0.8:
        t += r.randint(30, 600)
        _action(L, r, acc, TRANSFER, t, ip, dev)
    _history(L, r, acc, r.uniform(0.1, 0.4), 5, days=range(day + 1, DAYS))


# ---------------------------------------------------------------- anomaly kinds

_PROXY_POOL = 400  # the attackers' rented proxies (shared between their victims)


def _proxy(r):
    return (45 << 24) + r.randrange(_PROXY_POOL)


def _credential_stuffing(L, r, acc, n):
    _history(L, r, acc, r.uniform(0.04, 0.2), 4)
    t = START + r.randrange(DAYS * 86400 - 7200)
    dev = r.randrange(10**9)
    for _ in range(r.randint(8, 60)):
        L.add(acc.id, LOGIN_FAIL, t, _proxy(r), dev)
        t += r.randint(1, 15)
    ip = _proxy(r)
    L.add(acc.id, LOGIN, t, ip, dev)
    for e in r.choices((VIEW, LIST, SETTINGS, DOWNLOAD), k=r.randint(1, 5)):
        t += r.randint(2, 20)
        _action(L, r, acc, e, t, ip, dev)


def _account_takeover(L, r, acc, n):
    last = _history(L, r, acc, r.uniform(0.06, 0.25), 4)
    t = max(last + 3600, START + r.randrange(DAYS * 86400 // 2, DAYS * 86400 - 7200))
    t = min(t, END - 7200)
    ip, dev = _proxy(r), r.randrange(10**9)
    if r.random() < 0.5:  # the e-mail account was breached first: reset the password
        L.add(acc.id, RESET_REQUEST, t, ip, dev)
        t += r.randint(30, 300)
        L.add(acc.id, RESET, t, ip, dev)
        t += r.randint(10, 60)
    L.add(acc.id, LOGIN, t, ip, dev)
    t += r.randint(2, 10)
    L.add(acc.id, MFA_CHALLENGE, t, ip, dev)
    t += r.randint(20, 200)  # the second factor SIM-swapped or phished
    L.add(acc.id, MFA_OK, t, ip, dev)
    steps = [DEVICE_ADD, EMAIL_CHANGE, SETTINGS, VIEW, LIST]
    r.shuffle(steps)
    for e in steps:
        t += r.randint(10, 120)
        _action(L, r, acc, e, t, ip, dev)
    payee = _PAY + r.randrange(10**8)
    t += r.randint(30, 300)
    L.add(acc.id, PAYEE_ADD, t, ip, dev, payee)
    for _ in range(r.randint(1, 3)):
        t += r.randint(20, 600)
        amt = round(acc.pay_scale * r.uniform(4, 25), 2)
        L.add(acc.id, TRANSFER, t, ip, dev, payee, amt)
    if r.random() < 0.4:
        L.add(acc.id, LOGOUT, t + r.randint(5, 60), ip, dev)


_COMPANY_DOCS = [_RES + 5 * 10**8 + i for i in range(3000)]


def _insider_exfiltration(L, r, acc, n):
    acc.hour = r.gauss(11.5, 1.5)
    acc.docs += r.sample(_COMPANY_DOCS, 20)
    _history(L, r, acc, r.uniform(0.5, 0.9), 12, "office", weekdays_only=True)
    for _ in range(r.randint(1, 3)):
        t = _at_hour(r, r.randrange(DAYS // 2, DAYS), r.choice((21.0, 23.0, 2.0)), 1.0)
        t = _session(L, r, acc, t, r.randint(1, 3), "office", mfa=acc.mfa)
        for obj in r.sample(_COMPANY_DOCS, r.randint(150, 500)):
            t += r.randint(2, 12)
            L.add(acc.id, r.choice((DOWNLOAD, EXPORT)), t, acc.home_ip, acc.devices[0], obj)


def _api_scraper(L, r, acc, n):
    _history(L, r, acc, r.uniform(0.1, 0.3), 5, days=range(0, 7))
    t = START + 7 * 86400 + r.randrange(86400)
    ip = r.randrange(1 << 24, 223 << 24)
    L.add(acc.id, TOKEN_CREATE, t, acc.home_ip, acc.devices[0])
    obj = _RES + r.randrange(10**8)
    for _ in range(r.randint(2, 5)):  # runs of enumeration through the catalogue
        t += r.randint(3600, 3 * 86400)
        if t >= END:
            break
        for _ in range(r.randint(200, 700)):
            t += 1 + int(r.expovariate(0.7))
            obj += 1
            L.add(acc.id, r.choice((API_CALL, API_CALL, SEARCH)), t, ip, 0, obj)


_FARM_IPS = 60


def _fake_signup(L, r, acc, n):
    ip = (77 << 24) + r.randrange(_FARM_IPS)
    dev = 10**9 + r.randrange(40)  # emulators of the farm
    t = START + r.randrange(DAYS * 86400 - 86400)
    L.add(acc.id, REGISTER, t, ip, dev)
    t += r.randint(5, 60)
    L.add(acc.id, LOGIN, t, ip, dev)
    if r.random() < 0.5:  # goes quiet: a sleeper for later
        t += r.randint(10, 120)
        L.add(acc.id, SETTINGS, t, ip, dev)
        return
    for _ in range(r.randint(20, 80)):  # spams other users
        t += r.randint(4, 60)
        L.add(acc.id, MESSAGE, t, ip, dev, _MSG + r.randrange(10**8))


def _money_mule(L, r, acc, n):
    day = r.randrange(0, 10)
    t = _at_hour(r, day, acc.hour)
    ip, dev = acc.home_ip, acc.devices[0]
    L.add(acc.id, REGISTER, t, ip, dev)
    L.add(acc.id, LOGIN, t + r.randint(10, 60), ip, dev)
    for _ in range(r.randint(3, 8)):
        t += r.randint(86400 // 2, 3 * 86400)
        if t >= END - 86400:
            break
        amount = round(r.uniform(800, 6000), 2)
        L.add(acc.id, INCOMING, t, ip, dev, _SND + r.randrange(10**8), amount)
        t += r.randint(1800, 8 * 3600)
        t = _session(L, r, acc, t, r.randint(0, 2), ip=ip, dev=dev, think=20)
        payee = _PAY + r.randrange(10**8)
        t += r.randint(10, 60)
        L.add(acc.id, PAYEE_ADD, t, ip, dev, payee)
        t += r.randint(10, 120)
        L.add(acc.id, TRANSFER, t, ip, dev, payee, round(amount * r.uniform(0.9, 0.98), 2))


def _ring(L, r, members, n):
    """A fraud ring: its accounts log in from one subnet and pay the same payees in one hour."""
    hour = START + r.randrange(DAYS * 86400 - 3600)
    subnet = r.randrange(1 << 16, 223 << 16) << 8
    payees = [_PAY + r.randrange(10**8) for _ in range(r.randint(1, 2))]
    for acc in members:
        _history(L, r, acc, r.uniform(0.05, 0.2), 4)
        t = hour + r.randrange(3000)
        ip, dev = subnet + r.randrange(256), r.randrange(10**9)
        _session(L, r, acc, t, 0, ip=ip, dev=dev, mfa=False)
        for p in payees:
            t += r.randint(20, 120)
            L.add(acc.id, PAYEE_ADD, t, ip, dev, p)
            t += r.randint(10, 60)
            L.add(acc.id, TRANSFER, t, ip, dev, p, round(r.uniform(900, 1000), 2))


def _low_and_slow(L, r, acc, n):
    _history(L, r, acc, r.uniform(0.04, 0.2), 4)
    t = START + r.randrange(86400)
    dev = r.randrange(10**9)
    while t < END - 2 * 86400:
        L.add(acc.id, LOGIN_FAIL, t, r.randrange(1 << 24, 223 << 24), dev)
        t += r.randint(6 * 3600, 30 * 3600)
    ip = r.randrange(1 << 24, 223 << 24)
    L.add(acc.id, LOGIN, t, ip, dev)
    for _ in range(r.randint(3, 12)):
        t += r.randint(5, 60)
        _action(L, r, acc, DOWNLOAD, t, ip, dev)


_SYSTEM_IP = (10 << 24) + 1  # rows the service writes itself (money arriving)
_SYSTEM_DEVICE = -2
_PEOPLE = set(NORMAL_KINDS) - {"service_account", "dormant"}
_PEOPLE |= {"credential_stuffing", "account_takeover", "insider_exfiltration", "low_and_slow"}


def _money_in(L, r, acc):
    """Salaries on payday and the odd refund or payment from a friend: most holders get some."""
    if r.random() < 0.6:  # paid on the last working day of October (Friday the 30th)
        t = START + 15 * 86400 + r.randint(5 * 3600, 9 * 3600)
        amt = round(acc.pay_scale * math.exp(r.gauss(3.0, 0.4)), 2)
        employer = _SND + r.randrange(1000)
        L.add(acc.id, INCOMING, t, _SYSTEM_IP, _SYSTEM_DEVICE, employer, amt)
    for _ in range(r.choice((0, 0, 0, 1, 1, 2))):
        t = START + r.randrange(DAYS * 86400)
        amt = round(acc.pay_scale * math.exp(r.gauss(0, 0.8)), 2)
        L.add(acc.id, INCOMING, t, _SYSTEM_IP, _SYSTEM_DEVICE, _SND + r.randrange(10**8), amt)


_MAKERS = {
    "casual": _casual,
    "office_worker": _office_worker,
    "power_user": _power_user,
    "service_account": _service_account,
    "month_end_accountant": _month_end_accountant,
    "forgetful": _forgetful,
    "night_shift": _night_shift,
    "traveller": _traveller,
    "dormant": _dormant,
    "family_shared": _family_shared,
    "new_customer": _new_customer,
    "credential_stuffing": _credential_stuffing,
    "account_takeover": _account_takeover,
    "insider_exfiltration": _insider_exfiltration,
    "api_scraper": _api_scraper,
    "fake_signup": _fake_signup,
    "money_mule": _money_mule,
    "low_and_slow": _low_and_slow,
}


def _counts(n: int, shares: dict) -> dict:
    """Whole counts per kind that add up to n (largest remainders)."""
    raw = {k: n * s for k, s in shares.items()}
    out = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: out[k] - raw[k])[: n - sum(out.values())]:
        out[k] += 1
    return out


def _ids_to_str(codes: np.ndarray, fmt) -> np.ndarray:
    """Format only the distinct codes, then take: millions of rows in well under a second."""
    uniq, inv = np.unique(codes, return_inverse=True)
    return np.array([fmt(int(u)) for u in uniq], dtype=object)[inv.reshape(-1)]


def _ip_str(v: int) -> str:
    return f"{v >> 24 & 255}.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}"


def _obj_str(v: int):
    if v < 0:
        return None
    return f"{_OBJ_PREFIX[v // 10**9]}{v % 10**9}"


def make_heldout_accounts(
    n_accounts: int = 20000,
    seed: int = 0,
    plant: bool = True,
    anomaly_share: float = 0.04,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw the accounts log; returns ``(events, labels)``, the same for the same seed.

    ``events`` is sorted by time (then account). ``labels`` has one row per account:
    ``account_id``, ``is_anomaly`` (bool) and ``kind``. ``plant=False`` draws normal
    accounts only (for normal-only fitting and the nothing-planted measure).
    """
    if not isinstance(n_accounts, (int, np.integer)) or n_accounts < 100:
        raise ValueError(f"n_accounts must be an int of at least 100, got {n_accounts!r}")
    if not 0 <= anomaly_share < 0.5:
        raise ValueError(f"anomaly_share must be in [0, 0.5), got {anomaly_share!r}")
    r = random.Random(seed)
    n_anom = int(round(n_accounts * anomaly_share)) if plant else 0
    kinds = []
    for k, c in _counts(n_accounts - n_anom, NORMAL_KINDS).items():
        kinds += [k] * c
    if n_anom:
        for k, c in _counts(n_anom, ANOMALY_KINDS).items():
            kinds += [k] * c
    ids = r.sample(range(1_000_000, 10_000_000), n_accounts)
    L = _Log()
    ring_members = []
    for aid, kind in zip(ids, kinds):
        acc = _Account(r, aid, n_accounts)
        if kind == "fraud_ring":
            ring_members.append(acc)
        else:
            before = len(L.rows)
            _MAKERS[kind](L, r, acc, n_accounts)
            if len(L.rows) == before:  # a quiet month still has the one visit it is listed for
                _session(L, r, acc, _at_hour(r, r.randrange(DAYS), acc.hour), r.randint(1, 4))
            if kind in _PEOPLE:
                _money_in(L, r, acc)
    while ring_members:  # rings of 6-12 accounts (the last takes what is left)
        size = r.randint(6, 12)
        if len(ring_members) - size < 6:
            size = len(ring_members)
        _ring(L, r, ring_members[:size], n_accounts)
        for acc in ring_members[:size]:  # the ring's accounts are real people's, bought or lent
            _money_in(L, r, acc)
        ring_members = ring_members[size:]

    # every field is an integer below 2**53 or an amount: one float array holds them exactly
    rows = np.array(L.rows, dtype=np.float64).reshape(-1, 7)
    acct, ev, t, obj, amt, ip, dev = rows.T
    order = np.lexsort((acct, t))
    col = {
        name: a[order]
        for name, a in zip(("acct", "ev", "t", "obj", "ip", "dev"), (acct, ev, t, obj, ip, dev))
    }
    col = {name: a.astype(np.int64) for name, a in col.items()}
    events = pd.DataFrame(
        {
            "account_id": col["acct"],
            "event": np.array(EVENTS, dtype=object)[col["ev"]],
            "timestamp": col["t"],
            "object_id": _ids_to_str(col["obj"], _obj_str),
            "amount": amt[order],
            "ip": _ids_to_str(col["ip"], _ip_str),
            "device": _ids_to_str(col["dev"], lambda v: f"d{v}" if v >= 0 else "system"),
        }
    )
    labels = pd.DataFrame(
        {
            "account_id": np.asarray(ids, dtype=np.int64),
            "is_anomaly": np.array([k in ANOMALY_KINDS for k in kinds], dtype=bool),
            "kind": np.array(kinds, dtype=object),
        }
    )
    return events, labels
