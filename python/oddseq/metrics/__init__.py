"""Evaluation metrics: ranking (ROC-AUC, PR-AUC, precision@k), classification and
clustering agreement."""

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
    "fowlkes_mallows_score",
    "precision_at_k",
    "precision_recall_fscore",
    "roc_auc_score",
]
