"""The base of the preprocessing transformers that keep float32 as float32."""

from __future__ import annotations

from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin

from .._persist import SaveMixin


class _FloatTransformer(OneToOneFeatureMixin, TransformerMixin, SaveMixin, BaseEstimator):
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
