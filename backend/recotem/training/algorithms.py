"""The irspack recommenders Recotem tunes and trains, and what each of them accepts.

Django-free on purpose: the tuning trial runner imports it in a bare subprocess.
Search spaces are irspack's own ``default_tune_range`` of each class; parameter
validation uses irspack's pydantic config class of each recommender, so a stored
configuration always fits the class that will be built from it.

The table names the classes without importing irspack: the web process and an idle
worker look algorithms up by name, and irspack (with scikit-learn, numba and scipy)
loads only when a class is first used.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from core.limits import PARAMETER_BOUNDS

if TYPE_CHECKING:
    from irspack.optimization.parameter_range import ParameterRange
    from irspack.recommenders.base import BaseRecommender, RecommenderConfig

MB = 1024 * 1024
_F32 = 4
_F64 = 8
# A sparse similarity entry: float64 value + int32 index (+ index pointer, amortised).
_SPARSE_ENTRY = 12


@dataclass(frozen=True)
class Shape:
    n_users: int
    n_items: int
    nnz: int


MemoryEstimate = Callable[[Mapping[str, Any], Shape], float]


def _factors(dtype_size: int, copies: int) -> MemoryEstimate:
    def estimate(params: Mapping[str, Any], shape: Shape) -> float:
        k = int(params.get("n_components", 64))
        return float((shape.n_users + shape.n_items) * k * dtype_size * copies)

    return estimate


def _item_neighbours(params: Mapping[str, Any], shape: Shape) -> float:
    top_k = params.get("top_k") or shape.n_items
    return float(shape.n_items * min(int(top_k), shape.n_items) * _SPARSE_ENTRY * 2)


def _user_neighbours(params: Mapping[str, Any], shape: Shape) -> float:
    top_k = params.get("top_k") or shape.n_users
    return float(shape.n_users * min(int(top_k), shape.n_users) * _SPARSE_ENTRY * 2)


def _dense_item_item(params: Mapping[str, Any], shape: Shape) -> float:
    # Gram matrix, its inverse and the scipy work copy live at the same time.
    return float(shape.n_items * shape.n_items * _F64 * 3)


def _item_popularity(params: Mapping[str, Any], shape: Shape) -> float:
    return float(shape.n_items * _F64)


@dataclass(frozen=True)
class Algorithm:
    """One recommender: its short name (``IALS``) and its irspack class's name."""

    name: str
    class_name: str
    model_memory: MemoryEstimate

    @cached_property
    def recommender_class(self) -> type[BaseRecommender]:
        import irspack

        recommender_class: type[BaseRecommender] = getattr(irspack, self.class_name)
        return recommender_class

    @property
    def config_class(self) -> type[RecommenderConfig]:
        return self.recommender_class.config_class

    @property
    def search_space(self) -> list[ParameterRange]:
        return list(self.recommender_class.default_tune_range)

    @property
    def is_iterative(self) -> bool:
        from irspack import BaseRecommenderWithEarlyStopping

        return issubclass(self.recommender_class, BaseRecommenderWithEarlyStopping)

    def estimated_bytes(self, params: Mapping[str, Any], shape: Shape) -> float:
        """Peak memory of one fit: the interaction matrix in the few layouts irspack
        keeps (CSR/CSC, float32/float64) plus the model itself."""
        return shape.nnz * _SPARSE_ENTRY * 4 + self.model_memory(params, shape)


def _algorithms() -> dict[str, Algorithm]:
    table: list[tuple[str, str, MemoryEstimate]] = [
        ("IALS", "IALSRecommender", _factors(_F32, 4)),
        ("CosineKNN", "CosineKNNRecommender", _item_neighbours),
        ("AsymmetricCosineKNN", "AsymmetricCosineKNNRecommender", _item_neighbours),
        ("TverskyIndexKNN", "TverskyIndexKNNRecommender", _item_neighbours),
        ("JaccardKNN", "JaccardKNNRecommender", _item_neighbours),
        ("CosineUserKNN", "CosineUserKNNRecommender", _user_neighbours),
        ("AsymmetricCosineUserKNN", "AsymmetricCosineUserKNNRecommender", _user_neighbours),
        ("RP3beta", "RP3betaRecommender", _item_neighbours),
        ("P3alpha", "P3alphaRecommender", _item_neighbours),
        ("DenseSLIM", "DenseSLIMRecommender", _dense_item_item),
        ("EDLAE", "EDLAERecommender", _dense_item_item),
        ("SLIM", "SLIMRecommender", _item_neighbours),
        ("TopPop", "TopPopRecommender", _item_popularity),
    ]
    # These two need scikit-learn, which irspack treats as optional; finding it is
    # enough to know irspack offers them.
    if importlib.util.find_spec("sklearn") is not None:
        table += [
            ("TruncatedSVD", "TruncatedSVDRecommender", _factors(_F64, 3)),
            ("NMF", "NMFRecommender", _factors(_F64, 3)),
        ]
    return {name: Algorithm(name, class_name, memory) for name, class_name, memory in table}


ALGORITHMS: dict[str, Algorithm] = _algorithms()
_BY_CLASS_NAME = {algorithm.class_name: algorithm for algorithm in ALGORITHMS.values()}

# Fast, strong on typical implicit-feedback logs, and covering the main families.
DEFAULT_ALGORITHMS: tuple[str, ...] = (
    "IALS",
    "RP3beta",
    "CosineKNN",
    "AsymmetricCosineKNN",
    "DenseSLIM",
    "TopPop",
)


class UnknownAlgorithmError(ValueError):
    def __init__(self, names: Iterable[str]) -> None:
        self.names = list(names)
        listed = ", ".join(repr(name) for name in self.names)
        super().__init__(
            f"Unknown algorithm {listed}. Valid names: {', '.join(ALGORITHMS)} "
            "(or the irspack class names, e.g. IALSRecommender)."
        )


def get_algorithm(name: str) -> Algorithm:
    """Look up by short name (``IALS``) or irspack class name (``IALSRecommender``)."""
    algorithm = ALGORITHMS.get(name) or _BY_CLASS_NAME.get(name)
    if algorithm is None:
        raise UnknownAlgorithmError([name])
    return algorithm


def resolve_algorithms(names: Iterable[str]) -> list[Algorithm]:
    """Every name resolved, duplicates dropped, order kept; all unknown names reported."""
    names = list(names)
    unknown = [n for n in names if n not in ALGORITHMS and n not in _BY_CLASS_NAME]
    if unknown:
        raise UnknownAlgorithmError(unknown)
    resolved: dict[str, Algorithm] = {}
    for name in names:
        algorithm = get_algorithm(name)
        resolved.setdefault(algorithm.name, algorithm)
    return list(resolved.values())


class InvalidParametersError(ValueError):
    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in problems.items()))


def validate_parameters(algorithm: Algorithm, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters normalised by the class's config (``"3"`` stays an error for a
    bool, an int given as ``3.0`` becomes ``3``); unknown names and wrong types raise
    :class:`InvalidParametersError` naming every offending parameter."""
    try:
        config = algorithm.config_class(**params)
    except ValidationError as error:
        problems: dict[str, str] = {}
        for item in error.errors():
            name = ".".join(str(part) for part in item["loc"]) or "parameters"
            if item["type"] == "extra_forbidden":
                accepted = ", ".join(algorithm.config_class.model_fields) or "none"
                problems[name] = (
                    f"{algorithm.class_name} has no parameter {name!r} (accepted: {accepted})"
                )
            else:
                problems[name] = item["msg"]
        raise InvalidParametersError(problems) from None
    values = config.model_dump(include=set(params))
    out_of_range = {
        name: f"{name} must be between {low} and {high}; {values[name]} is out of range."
        for name, (low, high) in PARAMETER_BOUNDS.items()
        if isinstance(values.get(name), int) and not low <= values[name] <= high
    }
    if out_of_range:
        raise InvalidParametersError(out_of_range)
    return values


def build_recommender(
    algorithm: Algorithm, interactions: Any, params: Mapping[str, Any]
) -> BaseRecommender:
    return algorithm.recommender_class(interactions, **params)
