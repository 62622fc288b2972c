"""A ride log of closed markets for the group stage's tests (TR s60 H1): a city of many
drivers and a small town of a few, each rider riding only in its own market, drivers on
shifts (morning, evening, night), a share of riders commuting at their own hours on most
workdays, and collusion rings in the city (riders who take rides with two drivers of
theirs together at night, and ride now and then as anyone does)."""

import numpy as np
import pandas as pd

ROLES = dict(entity="rider", event="event", time="t", item="driver")
DAY = 86_400
_HOURS = np.array([7, 8, 9, 12, 13, 17, 18, 19, 20, 22], dtype=float)
_HOUR_SHARE = np.array([8, 14, 10, 8, 6, 10, 16, 12, 10, 6], dtype=float) / 100


def _on_shift(fleet, hour):
    """The drivers of ``fleet`` at work at ``hour``: a third each in the morning (5-14),
    the evening (13-22) and the night (20-6), shifts that overlap."""
    shifts = ((5, 14), (13, 22), (20, 30))
    on = []
    for i, driver in enumerate(fleet):
        lo, hi = shifts[i % 3]
        if lo <= hour < hi or lo <= hour + 24 < hi:
            on.append(driver)
    return on or list(fleet)


def market_rides(
    n_city=600, city_drivers=60, n_town=40, town_drivers=6, n_rings=2, ring_size=6, days=21, seed=0
):
    """Columns rider, event, t (datetime), driver (None where an event has none); riders
    ``r*`` of the city, ``town-*`` of the town and ``ring*-*`` of the rings."""
    rng = np.random.default_rng(seed)
    rows = []

    def ride(rider, t, fleet):
        on = _on_shift(fleet, (t % DAY) / 3600)
        driver = on[int(rng.integers(0, len(on)))]
        end = t + 300 + int(rng.integers(400, 2400))
        rows.extend(
            [
                (rider, "app_open", t, None),
                (rider, "fare_quote", t + 20, None),
                (rider, "driver_assigned", t + 60, driver),
                (rider, "trip_start", t + 300, driver),
                (rider, "trip_end", end, driver),
                (rider, "rate_driver", end + 200, driver),
            ]
        )

    def riders(prefix, n, fleet):
        for r in range(n):
            name = f"{prefix}{r}"
            if rng.random() < 0.3:  # a commuter: to work and back, at its own hours
                out, back = rng.choice([7.0, 8.0, 9.0]), rng.choice([17.0, 18.0, 19.0])
                for d in range(days):
                    if d % 7 < 5 and rng.random() < 0.8:
                        for h in (out, back):
                            ride(name, int(d * DAY + (h + rng.random() / 2) * 3600), fleet)
                continue
            for _ in range(int(rng.integers(3, 16))):
                hour = rng.choice(_HOURS, p=_HOUR_SHARE) + rng.random()
                ride(name, int(int(rng.integers(0, days)) * DAY + hour * 3600), fleet)

    city = [f"c{j}" for j in range(city_drivers)]
    riders("r", n_city, city)
    riders("town-", n_town, [f"t{j}" for j in range(town_drivers)])
    for g in range(n_rings):
        pair = [city[int(j)] for j in rng.choice(city_drivers, 2, replace=False)]
        members = [f"ring{g}-{j}" for j in range(ring_size)]
        riders(f"ring{g}-", ring_size, city)
        for night in rng.choice(days, 5, replace=False):
            t0 = int(night * DAY + 2 * 3600 + rng.integers(0, 1800))
            for m in members:
                # the ring's own drivers, whatever their shift
                driver = pair[int(rng.integers(0, 2))]
                t = t0 + int(rng.integers(0, 900))
                rows.extend(
                    [
                        (m, "app_open", t, None),
                        (m, "driver_assigned", t + 60, driver),
                        (m, "trip_start", t + 300, driver),
                        (m, "trip_end", t + 900, driver),
                    ]
                )
    df = pd.DataFrame(rows, columns=["rider", "event", "t", "driver"])
    df["t"] = pd.to_datetime(df["t"], unit="s")
    return df.sort_values(["rider", "t"], kind="stable").reset_index(drop=True)
