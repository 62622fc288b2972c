"""Feature frames as pandas gives them: numbers held as text or categories are numbers
(pandas reads a CSV's text columns as str), <NA> is NaN, a frame of no columns is empty."""

import numpy as np
import pandas as pd
import pytest

from oddseq.detect import RobustZDetector
from oddseq.utils._validation import check_matrix


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(["1.5", "2", "3"] * 20, dtype=object),
        pd.Series(["1.5", "2", "3"] * 20, dtype="string"),
        pd.Series(["1.5", "2", "3"] * 20, dtype="str"),
        pd.Series(pd.Categorical(["1.5", "2", "3"] * 20)),
    ],
    ids=["object", "string", "str", "category"],
)
def test_numbers_held_as_text_or_categories_are_numbers(column):
    frame = pd.DataFrame({"a": column, "b": np.arange(60.0)})
    before = frame.copy()
    out = check_matrix(frame)
    assert out.dtype == np.float64 and out[:3, 0].tolist() == [1.5, 2.0, 3.0]
    pd.testing.assert_frame_equal(frame, before)
    assert RobustZDetector().fit(frame).decision_scores_.shape == (60,)


def test_missing_text_numbers_are_nan():
    frame = pd.DataFrame({"a": pd.Series(["1.5", None, "3"], dtype="string")})
    assert np.isnan(check_matrix(frame, allow_nan=True)[1, 0])
    with pytest.raises(ValueError, match="NaN"):
        check_matrix(frame)


def test_a_frame_of_no_columns_is_empty_not_sparse():
    out = check_matrix(pd.DataFrame(index=range(3)), allow_empty=True)
    assert out.shape == (3, 0)
