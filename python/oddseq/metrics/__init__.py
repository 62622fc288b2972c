"""Evaluation metrics: ranking (ROC-AUC, PR-AUC, precision@k), classification,
clustering agreement (Fowlkes-Mallows) and internal clustering quality (silhouette,
Davies-Bouldin, Calinski-Harabasz)."""

from ._clustering import (
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,
    silhouette_score,
)
from ._metrics import (
    accuracy_score,
    average_precision_score,
    fowlkes_mallows_score,
    precision_at_k,
    precision_recall_fscore,
    roc_auc_score,
)

__all__ = [
    "accuracy_score",
    "average_precision_score",
    "calinski_harabasz_score",
    "davies_bouldin_score",
    "silhouette_samples",
    "silhouette_score",
    "fowlkes_mallows_score",
    "precision_at_k",
    "precision_recall_fscore",
    "roc_auc_score",
]
