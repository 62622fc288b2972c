"""A bad ``groups=`` or ``group_by=`` is refused before anything is fitted (TR s62 L3:
``groups="yes"`` was refused after the per-entity fit, 1.4 s at 15,000 accounts, after
the cut's warnings had been said)."""

from unittest import mock

import numpy as np
import pandas as pd
import pytest

import oddseq

ROLES = dict(entity="u", event="e", time="t")


def _log():
    n = 300
    return pd.DataFrame(
        {
            "u": np.repeat(np.arange(60), 5),
            "e": ["a", "b"] * 150,
            "t": np.arange(n),
            "i": np.arange(n) % 7,
        }
    )


@pytest.mark.parametrize(
    "options, words",
    [
        (dict(item="i", groups="yes"), "groups must be 'auto', True, False or a GroupDetector"),
        (dict(item="i", groups=1), "groups must be 'auto', True, False or a GroupDetector"),
        (dict(groups=True), "groups=True needs item=... or group_by=[...]"),
        (dict(item="i", group_by=["device"]), "group_by column(s) ['device'] not in the DataFrame"),
    ],
)
def test_refused_before_the_fit(options, words):
    with mock.patch.object(oddseq.AnomalyPipeline, "fit", side_effect=AssertionError("fitted")):
        with pytest.raises(ValueError) as refused:
            oddseq.detect_anomalies(_log(), **ROLES, **options)
    assert words in str(refused.value)
