"""Compiled loops for the steps of scoring that numpy can only do in many calls.

Scoring a user from an item-similarity model is a sum of a few dozen similarity rows,
and ranking is a top-k over one row of scores. Each is a single pass over little data;
in numpy each takes a dozen calls whose fixed set-up costs more than the arithmetic.
Compiled with numba, one call does the whole step.

The sums add the same products in the same order as scipy's sparse product (row
after row of ``right``, starting from zero), so scores equal scipy's bit for bit.
Compiled code is cached on disk next to this module (or in ``NUMBA_CACHE_DIR``), so
only the first process on a machine pays the compilation.

The inference image serves without numba: it compiles these loops ahead of time, for
the types in ``_served_signatures``, into a plain extension module (``compile_module``)
that ``loops`` prefers whenever it is importable.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

import numba
import numpy as np
from numba.core import types
from numba.np import numpy_support

from recotem_common.artifact.loops import AHEAD_OF_TIME_MODULE, export_name

_compiled = numba.njit(cache=True, nogil=True)


@_compiled
def gather_sparse_rows(
    left_indptr: np.ndarray,
    left_indices: np.ndarray,
    left_data: np.ndarray,
    right_indptr: np.ndarray,
    right_indices: np.ndarray,
    right_data: np.ndarray,
    rows: np.ndarray,
    unit_weights: bool,
    out: np.ndarray,
) -> None:
    """Add ``left[rows] @ right`` (both CSR) to ``out``, one output row per row.

    With ``unit_weights`` the values of ``left`` are taken to be ones (implicit
    feedback) and not multiplied by.
    """
    for position in range(rows.shape[0]):
        row = rows[position]
        target = out[position]
        for entry in range(left_indptr[row], left_indptr[row + 1]):
            middle = left_indices[entry]
            start, end = right_indptr[middle], right_indptr[middle + 1]
            if unit_weights:
                for other in range(start, end):
                    target[right_indices[other]] += right_data[other]
            else:
                weight = left_data[entry]
                for other in range(start, end):
                    target[right_indices[other]] += weight * right_data[other]


@_compiled
def gather_dense_rows(
    left_indptr: np.ndarray,
    left_indices: np.ndarray,
    left_data: np.ndarray,
    right: np.ndarray,
    rows: np.ndarray,
    out: np.ndarray,
) -> None:
    """Add ``left[rows] @ right`` (CSR times a dense matrix) to ``out``."""
    n_columns = right.shape[1]
    for position in range(rows.shape[0]):
        row = rows[position]
        target = out[position]
        for entry in range(left_indptr[row], left_indptr[row + 1]):
            source = right[left_indices[entry]]
            weight = left_data[entry]
            for column in range(n_columns):
                target[column] += weight * source[column]


@_compiled
def mask_rows(
    scores: np.ndarray, indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray
) -> None:
    """Set to -inf, in each row of ``scores``, the columns that row ``rows[i]`` of a
    CSR matrix has entries in (a user's seen items)."""
    for position in range(rows.shape[0]):
        row = rows[position]
        for entry in range(indptr[row], indptr[row + 1]):
            scores[position, indices[entry]] = -np.inf


@_compiled
def _worse(score: float, index: int, other_score: float, other_index: int) -> bool:
    # Ties go to the lower index, so a ranking never depends on how it was computed.
    return score < other_score or (score == other_score and index > other_index)


@_compiled
def _sift_down(
    heap_scores: np.ndarray, heap_indices: np.ndarray, size: int, score: float, index: int
) -> None:
    """Put (score, index) at the root of the min-heap of ``size`` and restore order."""
    position = 0
    while True:
        child = 2 * position + 1
        if child >= size:
            break
        right = child + 1
        if right < size and _worse(
            heap_scores[right], heap_indices[right], heap_scores[child], heap_indices[child]
        ):
            child = right
        if not _worse(heap_scores[child], heap_indices[child], score, index):
            break
        heap_scores[position] = heap_scores[child]
        heap_indices[position] = heap_indices[child]
        position = child
    heap_scores[position] = score
    heap_indices[position] = index


@_compiled
def top_k_rows(
    scores: np.ndarray, k: int, top_indices: np.ndarray, top_scores: np.ndarray
) -> np.ndarray:
    """The ``k`` best columns of each row of ``scores``, best first, into the
    ``(n_rows, k)`` arrays ``top_indices`` and ``top_scores``; returns how many each
    row has.

    Columns scored -inf (seen, excluded) or NaN are never chosen, so a row may have
    fewer than ``k``. Equal scores rank the lower column first. A min-heap of the best
    ``k`` so far: one pass over the row, O(n log k).
    """
    n_rows, n_columns = scores.shape
    counts = np.zeros(n_rows, dtype=np.int64)
    heap_scores = np.empty(k, dtype=scores.dtype)
    heap_indices = np.empty(k, dtype=np.int64)
    for row in range(n_rows):
        size = 0
        for column in range(n_columns):
            score = scores[row, column]
            if not score > -np.inf:
                continue
            if size < k:
                position = size
                size += 1
                while position > 0:
                    parent = (position - 1) >> 1
                    if not _worse(score, column, heap_scores[parent], heap_indices[parent]):
                        break
                    heap_scores[position] = heap_scores[parent]
                    heap_indices[position] = heap_indices[parent]
                    position = parent
                heap_scores[position] = score
                heap_indices[position] = column
            elif score > heap_scores[0]:
                # Columns come in order, so an equal score would rank below the root.
                _sift_down(heap_scores, heap_indices, size, score, column)
        counts[row] = size
        # Taking the worst off the heap each time fills the row from its end.
        while size > 0:
            size -= 1
            top_scores[row, size] = heap_scores[0]
            top_indices[row, size] = heap_indices[0]
            _sift_down(heap_scores, heap_indices, size, heap_scores[size], heap_indices[size])
    return counts


def _array(dtype: Any, ndim: int, *, readonly: bool) -> types.Array:
    return types.Array(dtype, ndim, "C", readonly=readonly)


def _served_signatures() -> dict[Any, list[tuple[Any, ...]]]:
    """The argument types each loop is called with when models are served: CSR index
    arrays (int32) and stored values are read-only views into the model file; the
    scores, the chosen rows and the outputs are arrays of the request's own.
    ``tests/test_kernels.py`` checks that scoring every kind of model needs no other."""
    index = _array(types.int32, 1, readonly=True)
    rows = _array(types.int64, 1, readonly=False)
    stored = {dtype: _array(dtype, 1, readonly=True) for dtype in (types.float32, types.float64)}
    weights = {flag: _array(types.float64, 1, readonly=flag) for flag in (True, False)}
    scores = {dtype: _array(dtype, 2, readonly=False) for dtype in (types.float32, types.float64)}
    sparse = [
        (weights[False], stored[types.float64]),
        (weights[True], _array(types.float64, 1, readonly=False)),
        (weights[False], stored[types.float32]),
    ]
    return {
        gather_sparse_rows: [
            (index, index, left, index, index, right, rows, types.boolean, scores[types.float64])
            for left, right in sparse
        ],
        gather_dense_rows: [
            (
                index,
                index,
                weights[False],
                _array(types.float32, 2, readonly=True),
                rows,
                scores[types.float64],
            )
        ],
        mask_rows: [(scores[dtype], index, index, rows) for dtype in scores],
        top_k_rows: [
            (scores[dtype], types.int64, _array(types.int64, 2, readonly=False), scores[dtype])
            for dtype in scores
        ],
    }


def precompile() -> list[str]:
    """Compile every loop for the types models are served with, into numba's cache.

    The images run this at build time (``python -m recotem_common.artifact.kernels``)
    so that a new container's first prediction loads machine code instead of compiling
    it; their ``NUMBA_CPU_NAME=generic`` keeps that code valid on any x86-64 CPU.
    """
    compiled = []
    for kernel, signatures in _served_signatures().items():
        for signature in signatures:
            kernel.compile(signature)
            compiled.append(f"{kernel.__name__}{signature}")
    return compiled


def _type_code(numba_type: Any) -> str:
    """The code ``loops.argument_code`` gives a value of this type at run time."""
    if isinstance(numba_type, types.Array):
        return f"{numpy_support.as_dtype(numba_type.dtype).str[1:]}x{numba_type.ndim}"
    return str(numpy_support.as_dtype(numba_type).str[1:])


def compile_module(output_dir: Path) -> Path:
    """Compile every served signature into the extension module ``loops`` loads.

    One exported function per signature, named after its argument types; signatures
    that differ only in which inputs are read-only share one (the module's argument
    conversion does not look at that flag). The module needs numpy, not numba.
    """
    with warnings.catch_warnings():
        # Pending deprecation since numba 0.57, with no replacement yet.
        warnings.simplefilter("ignore", numba.NumbaPendingDeprecationWarning)
        from numba.pycc import CC

    module = CC(AHEAD_OF_TIME_MODULE)
    module.output_dir = str(output_dir)
    # Any x86-64 CPU, like the JIT cache the images used to ship.
    module.target_cpu = "generic"
    exported = set()
    for kernel, signatures in _served_signatures().items():
        for signature in signatures:
            name = export_name(kernel.__name__, [_type_code(t) for t in signature])
            if name in exported:
                continue
            exported.add(name)
            kernel.compile(signature)
            return_type = kernel.overloads[signature].signature.return_type
            module.export(name, return_type(*signature))(kernel.py_func)
    module.compile()
    return output_dir / module.output_file


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Compile the scoring loops: into numba's cache, or ahead of time."
    )
    parser.add_argument(
        "--ahead-of-time",
        type=Path,
        metavar="DIR",
        help="write the extension module into DIR instead of filling numba's cache",
    )
    options = parser.parse_args()
    if options.ahead_of_time:
        sys.stdout.write(f"{compile_module(options.ahead_of_time)}\n")
    else:
        sys.stdout.write("".join(f"{line}\n" for line in precompile()))
