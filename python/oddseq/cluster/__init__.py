"""Clustering: K-means (Lloyd, Hamerly and Elkan iterations, greedy k-means++ seeding),
mini-batch K-means and DBSCAN, with the exact neighbour index DBSCAN searches; all in
C++ with OpenMP and SIMD."""

from ._dbscan import DBSCAN
from ._kmeans import KMeans, kmeans_plusplus
from ._minibatch import MiniBatchKMeans
from ._neighbors import NearestNeighbors, suggest_eps

__all__ = [
    "DBSCAN",
    "KMeans",
    "MiniBatchKMeans",
    "NearestNeighbors",
    "kmeans_plusplus",
    "suggest_eps",
]
