"""Clustering: K-means (Lloyd and Hamerly iterations, greedy k-means++ seeding) and
mini-batch K-means, in C++ with OpenMP and SIMD."""

from ._kmeans import KMeans, kmeans_plusplus
from ._minibatch import MiniBatchKMeans

__all__ = ["KMeans", "MiniBatchKMeans", "kmeans_plusplus"]
