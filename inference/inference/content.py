"""Content similarity: items compared by their metadata, for items a model never saw.

Each usable field becomes a sparse feature vector per item: list fields and
categorical fields one-hot (one feature per distinct value), text fields TF-IDF over
their words. Every field's vectors are L2-normalised, so two items' similarity over a
set of fields is the cosine of their concatenated per-field vectors: the sum of the
per-field cosines over the square root of the product of how many of those fields each
item has a value in. Over a single field it is that field's plain cosine.

What kind a field is follows from its values: a field with any list value is a list
field; a text field whose values are mostly distinct (more than half) or long (three
words or more on average) is text; other text, numbers and booleans are categorical
when at most half of their values are distinct. Other fields (all null, or numbers
that are nearly all distinct, such as prices) are not compared.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from recotem_common.artifact.item_metadata import ItemMetadata
from recotem_common.artifact.model import Recommendations

FieldKind = Literal["list", "categorical", "text"]
# The same words as scikit-learn's default TF-IDF tokenizer: two or more word characters.
_WORD = re.compile(r"(?u)\b\w\w+\b")
MAX_DISTINCT_SHARE = 0.5
MIN_TEXT_WORDS = 3.0


@dataclass(frozen=True)
class FieldFeatures:
    kind: FieldKind
    # Item -> its L2-normalised features (CSR), and feature -> items (the transpose).
    item_indptr: np.ndarray
    item_features: np.ndarray
    item_weights: np.ndarray
    feature_indptr: np.ndarray
    feature_items: np.ndarray
    feature_weights: np.ndarray
    has_value: np.ndarray

    @property
    def nbytes(self) -> int:
        arrays = (
            self.item_indptr,
            self.item_features,
            self.item_weights,
            self.feature_indptr,
            self.feature_items,
            self.feature_weights,
            self.has_value,
        )
        return sum(array.nbytes for array in arrays)


def _kind(values: Sequence[Any]) -> FieldKind | None:
    present = [value for value in values if value is not None]
    if not present:
        return None
    if any(isinstance(value, list) for value in present):
        return "list"
    distinct_share = len({str(value) for value in present}) / len(present)
    if all(isinstance(value, str) for value in present):
        words = sum(len(_WORD.findall(value)) for value in present) / len(present)
        if distinct_share > MAX_DISTINCT_SHARE or words >= MIN_TEXT_WORDS:
            return "text"
        return "categorical"
    if distinct_share <= MAX_DISTINCT_SHARE and all(
        isinstance(value, str | int | float | bool) for value in present
    ):
        return "categorical"
    return None


def _terms(kind: FieldKind, value: Any) -> Counter[str]:
    if value is None:
        return Counter()
    if kind == "list":
        return Counter({str(element): 1 for element in value if element is not None})
    if kind == "text":
        return Counter(_WORD.findall(str(value).lower()))
    return Counter({str(value): 1})


def _features(kind: FieldKind, values: Sequence[Any]) -> FieldFeatures:
    terms = [_terms(kind, value) for value in values]
    vocabulary: dict[str, int] = {}
    for counts in terms:
        for term in counts:
            vocabulary.setdefault(term, len(vocabulary))
    n_items = len(values)
    if kind == "text":
        frequency = Counter(term for counts in terms for term in counts)
        idf = {term: math.log((1 + n_items) / (1 + df)) + 1 for term, df in frequency.items()}
    indptr = np.zeros(n_items + 1, dtype=np.int64)
    features: list[int] = []
    weights: list[float] = []
    for row, counts in enumerate(terms):
        row_weights = [
            count * idf[term] if kind == "text" else 1.0 for term, count in counts.items()
        ]
        norm = math.sqrt(sum(w * w for w in row_weights)) or 1.0
        features.extend(vocabulary[term] for term in counts)
        weights.extend(w / norm for w in row_weights)
        indptr[row + 1] = len(features)
    item_features = np.asarray(features, dtype=np.int64)
    item_weights = np.asarray(weights, dtype=np.float64)
    rows = np.repeat(np.arange(n_items, dtype=np.int64), np.diff(indptr))
    order = np.argsort(item_features, kind="stable")
    feature_indptr = np.zeros(len(vocabulary) + 1, dtype=np.int64)
    np.cumsum(np.bincount(item_features, minlength=len(vocabulary)), out=feature_indptr[1:])
    return FieldFeatures(
        kind=kind,
        item_indptr=indptr,
        item_features=item_features,
        item_weights=item_weights,
        feature_indptr=feature_indptr,
        feature_items=rows[order],
        feature_weights=item_weights[order],
        has_value=np.diff(indptr) > 0,
    )


class ContentIndex:
    def __init__(self, metadata: ItemMetadata | None) -> None:
        self.item_ids: list[str] = [] if metadata is None else metadata.item_ids
        self.rows: dict[str, int] = {item: row for row, item in enumerate(self.item_ids)}
        self.fields: dict[str, FieldFeatures] = {}
        for name, values in ({} if metadata is None else metadata.fields).items():
            kind = _kind(values)
            if kind is not None:
                self.fields[name] = _features(kind, values)
        self.nbytes = sum(field.nbytes for field in self.fields.values())

    @property
    def kinds(self) -> dict[str, FieldKind]:
        return {name: field.kind for name, field in self.fields.items()}

    def similar(
        self,
        item_id: str,
        cutoff: int,
        *,
        fields: Sequence[str],
        allow_items: Sequence[str] | None = None,
        exclude_items: Sequence[str] = (),
    ) -> Recommendations | None:
        """The ``cutoff`` items most similar to ``item_id`` over ``fields`` (names of
        ``self.fields``), best first, ties in metadata order; items with nothing in
        common are left out. None when the item has no metadata."""
        row = self.rows.get(item_id)
        if row is None:
            return None
        scores = np.zeros(len(self.item_ids), dtype=np.float64)
        compared = np.zeros(len(self.item_ids), dtype=np.float64)
        valued = 0
        for name in fields:
            field = self.fields[name]
            compared += field.has_value
            start, end = field.item_indptr[row], field.item_indptr[row + 1]
            valued += end > start
            for feature, weight in zip(
                field.item_features[start:end], field.item_weights[start:end], strict=True
            ):
                first, last = field.feature_indptr[feature], field.feature_indptr[feature + 1]
                scores[field.feature_items[first:last]] += (
                    weight * field.feature_weights[first:last]
                )
        if not valued:
            return []
        scores /= np.sqrt(valued * np.maximum(compared, 1.0))
        scores[row] = 0.0
        self._filter(scores, allow_items, exclude_items)
        return self._top(scores, cutoff)

    def _filter(
        self, scores: np.ndarray, allow_items: Sequence[str] | None, exclude_items: Sequence[str]
    ) -> None:
        if allow_items is not None:
            allowed = np.zeros(len(scores), dtype=bool)
            allowed[[self.rows[item] for item in allow_items if item in self.rows]] = True
            scores[~allowed] = 0.0
        scores[[self.rows[item] for item in exclude_items if item in self.rows]] = 0.0

    def _top(self, scores: np.ndarray, cutoff: int) -> Recommendations:
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > cutoff:
            threshold = np.partition(scores[candidates], len(candidates) - cutoff)[
                len(candidates) - cutoff
            ]
            candidates = candidates[scores[candidates] >= threshold]
        ranked = candidates[np.lexsort((candidates, -scores[candidates]))][:cutoff]
        return [(self.item_ids[row], float(scores[row])) for row in ranked]
