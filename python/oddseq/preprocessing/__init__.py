"""Preprocessing transformers (scikit-learn compatible): scaling, PCA, imputation,
outlier clipping, a data-quality report, and amounts written as text read as numbers."""

from ._amounts import read_amounts
from ._cleaning import Imputer, OutlierClipper
from ._pca import PCA
from ._quality import quality_report
from ._scalers import LogScaler, MinMaxScaler, RobustScaler, StandardScaler

__all__ = [
    "PCA",
    "Imputer",
    "LogScaler",
    "MinMaxScaler",
    "OutlierClipper",
    "RobustScaler",
    "StandardScaler",
    "quality_report",
    "read_amounts",
]
