"""Synthetic and real event logs: a labelled generator and readers for common formats."""

from ._ecommerce import ANOMALY_KINDS, Bunch, make_ecommerce
from ._marketplace import MARKETPLACE_EVENTS, MARKETPLACE_KINDS, make_marketplace
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
    "MARKETPLACE_EVENTS",
    "MARKETPLACE_KINDS",
    "make_ecommerce",
    "make_marketplace",
    "read_loghub",
    "read_rees46",
    "read_retailrocket",
    "read_sequences_file",
    "read_taobao",
]
