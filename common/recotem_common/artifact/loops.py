"""The scoring loops as served: compiled ahead of time when the module is there, numba's
otherwise.

The inference image ships the loops of ``kernels`` compiled ahead of time into the
extension module ``_kernels_aot`` and no numba or llvmlite (about 190 MB on disk and
100 MB of memory per process). Everywhere else (development, the backend) that module
is absent and ``kernels`` compiles the same loops with numba on first use.

The extension module has one function per signature in ``kernels._served_signatures``,
named by ``export_name``. Its argument conversion checks no more than an array's item
size, so this module picks the function from each argument's dtype and number of
dimensions, and refuses arrays that are not C-contiguous: a call with other types is a
``TypeError`` here instead of wrong scores there.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

AHEAD_OF_TIME_MODULE = "_kernels_aot"


def export_name(kernel: str, argument_codes: Sequence[str]) -> str:
    return f"{kernel}__{'_'.join(argument_codes)}"


def argument_code(value: Any) -> str:
    """``f8x2`` for a 2-D float64 array, ``b1`` for a bool, ``i8`` for an int."""
    if isinstance(value, np.ndarray):
        if not value.flags.c_contiguous:
            raise TypeError("The compiled scoring loops take C-contiguous arrays only.")
        return f"{value.dtype.str[1:]}x{value.ndim}"
    if isinstance(value, bool | np.bool_):
        return "b1"
    if isinstance(value, int | np.integer):
        return "i8"
    raise TypeError(f"The compiled scoring loops take no {type(value).__name__}.")


class AheadOfTime:
    """The loops of an extension module built by ``kernels.compile_module``, called
    like the numba functions of ``kernels``."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module

    def _call(self, kernel: str, arguments: tuple[Any, ...]) -> Any:
        name = export_name(kernel, [argument_code(value) for value in arguments])
        function: Callable[..., Any] | None = getattr(self.module, name, None)
        if function is None:
            raise TypeError(f"No compiled scoring loop {name}.")
        return function(*arguments)

    def gather_sparse_rows(self, *arguments: Any) -> None:
        self._call("gather_sparse_rows", arguments)

    def gather_dense_rows(self, *arguments: Any) -> None:
        self._call("gather_dense_rows", arguments)

    def mask_rows(self, *arguments: Any) -> None:
        self._call("mask_rows", arguments)

    def top_k_rows(self, *arguments: Any) -> np.ndarray:
        counts: np.ndarray = self._call("top_k_rows", arguments)
        return counts


def load() -> Any:
    """The loops to serve with: ``AheadOfTime`` over the shipped module, or ``kernels``."""
    try:
        module = importlib.import_module(f"recotem_common.artifact.{AHEAD_OF_TIME_MODULE}")
    except ImportError:
        return importlib.import_module("recotem_common.artifact.kernels")
    return AheadOfTime(module)


compiled = load()
