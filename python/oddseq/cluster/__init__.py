"""Clustering: K-means with k-means++ seeding (C++, OpenMP, SIMD)."""

from ._kmeans import KMeans, kmeans_plusplus

__all__ = ["KMeans", "kmeans_plusplus"]
