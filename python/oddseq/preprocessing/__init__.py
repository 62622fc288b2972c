"""Preprocessing transformers (scikit-learn compatible)."""

from ._scalers import LogScaler, StandardScaler

__all__ = ["LogScaler", "StandardScaler"]
