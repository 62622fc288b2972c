"""A small ride-hailing log for the tests of item features without an item (TR s60 M1):
riders who ride with one of 40 drivers, scrapers who quote fares and never ride, and
browsers who open the app now and then and never ride (neither has a driver)."""

import numpy as np
import pandas as pd

ROLES = dict(entity="rider", event="event", time="t", item="driver")


def rides(n_riders=400, n_scrapers=0, n_browsers=0, seed=0):
    """Riders who open the app, quote a fare and ride with one of 40 drivers (assigned,
    trip start and end, a rating: four events with the driver a ride); ``n_scrapers``
    who quote hundreds of fares a second apart, ``n_browsers`` who open the app and
    quote a fare a few times a week. Columns rider, event, t (seconds), driver."""
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(n_riders):
        t = int(rng.integers(0, 86_400))
        for _ in range(int(rng.integers(3, 7))):
            driver = f"d{int(rng.integers(0, 40))}"
            rows += [
                (f"r{r}", "app_open", t, None),
                (f"r{r}", "fare_quote", t + 20, None),
                (f"r{r}", "driver_assigned", t + 60, driver),
                (f"r{r}", "trip_start", t + 300, driver),
                (f"r{r}", "trip_end", t + 1500, driver),
                (f"r{r}", "rate_driver", t + 1600, driver),
            ]
            t += int(rng.integers(3_600, 86_400))
    for s in range(n_scrapers):
        t = int(rng.integers(0, 86_400))
        rows += [(f"s{s}", "fare_quote", t + k, None) for k in range(int(rng.integers(300, 600)))]
    for b in range(n_browsers):
        t = int(rng.integers(0, 86_400))
        for _ in range(int(rng.integers(3, 7))):
            rows += [(f"b{b}", "app_open", t, None), (f"b{b}", "fare_quote", t + 20, None)]
            t += int(rng.integers(3_600, 86_400))
    return pd.DataFrame(rows, columns=["rider", "event", "t", "driver"])
