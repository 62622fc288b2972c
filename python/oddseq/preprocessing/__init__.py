"""Preprocessing transformers (scikit-learn compatible): scaling, PCA, imputation,
outlier clipping."""

from ._more import PCA, Imputer, MinMaxScaler, OutlierClipper, RobustScaler
from ._scalers import LogScaler, StandardScaler

__all__ = [
    "PCA",
    "Imputer",
    "LogScaler",
    "MinMaxScaler",
    "OutlierClipper",
    "RobustScaler",
    "StandardScaler",
]
