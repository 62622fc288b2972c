"""Preprocessing transformers (scikit-learn compatible): scaling, PCA, imputation,
outlier clipping, and a data-quality report."""

from ._more import PCA, Imputer, MinMaxScaler, OutlierClipper, RobustScaler
from ._quality import quality_report
from ._scalers import LogScaler, StandardScaler

__all__ = [
    "PCA",
    "Imputer",
    "LogScaler",
    "MinMaxScaler",
    "OutlierClipper",
    "RobustScaler",
    "StandardScaler",
    "quality_report",
]
