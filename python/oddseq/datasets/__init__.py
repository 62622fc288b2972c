"""Synthetic and real event logs: a labelled generator and readers for common formats."""

from ._ecommerce import ANOMALY_KINDS, Bunch, make_ecommerce
from ._readers import (
    read_loghub,
    read_rees46,
    read_retailrocket,
    read_sequences_file,
    read_taobao,
)

__all__ = [
    "ANOMALY_KINDS",
    "Bunch",
    "make_ecommerce",
    "read_loghub",
    "read_rees46",
    "read_retailrocket",
    "read_sequences_file",
    "read_taobao",
]
