"""Embedding a user absent from the training data, from the items they interacted with.

Each function mirrors what the library that trained the model does for a cold user, so a
profile scored from an artifact ranks items as the trainer itself would:

- iALS: irspack solves the user's regularised least-squares problem against the item
  factors with the prediction-time solver (a few conjugate-gradient steps, an exact
  Cholesky solve, or iALS++ block coordinate descent) starting from zero, in the
  factors' precision (float32): a few CG steps in float64 land measurably elsewhere.
- Truncated SVD: scikit-learn projects the profile onto the components.
- NMF: scikit-learn runs coordinate descent on the user's factors with the item factors
  fixed, from zeros, with the same regularisation and stopping rule as training.

The profile is implicit: every listed item counts once, with value 1.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from recotem_common.artifact.errors import ArtifactError

_CG_RESIDUAL_FLOOR = 1e-20


class IALSFoldIn:
    def __init__(self, params: dict[str, Any], item_factors: np.ndarray) -> None:
        self.item_factors = item_factors
        self.alpha0 = float(params["alpha0"])
        self.reg = float(params["reg"])
        self.nu = float(params["nu"])
        self.solver = str(params["solver"])
        self.max_cg_steps = int(params["max_cg_steps"])
        self.subspace_dimension = int(params["subspace_dimension"])
        self.iterations = int(params["iterations"])
        self.observation_bias = self.alpha0 if params["loss"] == "ORIGINAL" else 0.0
        if params["confidence_scaling"] == "log":
            self.confidence = math.log1p(1.0 / float(params["epsilon"]))
        else:
            self.confidence = 1.0
        if self.solver not in {"CG", "CHOLESKY", "IALSPP"}:
            raise ArtifactError(f"Unknown iALS solver {self.solver!r} in the manifest.")
        self._gram: np.ndarray | None = None

    @property
    def gram(self) -> np.ndarray:
        # alpha0 * V^T V serves every cold user; built on first use, not at load time.
        if self._gram is None:
            factors = self.item_factors
            self._gram = factors.dtype.type(self.alpha0) * (factors.T @ factors)
        return self._gram

    def __call__(self, items: np.ndarray) -> np.ndarray:
        observed = self.item_factors[items]
        n_items = self.item_factors.shape[0]
        reg = observed.dtype.type(self.reg * (self.alpha0 * n_items + len(items)) ** self.nu)
        if self.solver == "CHOLESKY":
            embedding = self._solve_exact(observed, reg)
        elif self.solver == "CG":
            embedding = self._solve_cg(observed, reg)
        else:
            embedding = self._solve_blockwise(observed, reg)
        return embedding.astype(self.item_factors.dtype)

    def _system(self, observed: np.ndarray, reg: float) -> tuple[np.ndarray, np.ndarray]:
        real = observed.dtype.type
        k = observed.shape[1]
        a = (
            self.gram
            + real(self.confidence) * (observed.T @ observed)
            + reg * np.eye(k, dtype=observed.dtype)
        )
        b = real(self.observation_bias + self.confidence) * observed.sum(axis=0)
        return a, b

    def _solve_exact(self, observed: np.ndarray, reg: float) -> np.ndarray:
        a, b = self._system(observed, reg)
        return np.linalg.solve(a, b)

    def _solve_cg(self, observed: np.ndarray, reg: float) -> np.ndarray:
        a, b = self._system(observed, reg)
        x = np.zeros_like(b)
        r = b.copy()
        p = r.copy()
        steps = self.max_cg_steps or len(b)
        for _ in range(steps):
            r2 = float(r @ r)
            if r2 <= _CG_RESIDUAL_FLOOR:
                break
            ap = a @ p
            denominator = float(p @ ap)
            if not (denominator > 0 and math.isfinite(denominator)):
                break
            step = r2 / denominator
            x += step * p
            r -= step * ap
            r2_next = float(r @ r)
            if r2_next <= _CG_RESIDUAL_FLOOR:
                break
            p = r + (r2_next / r2) * p
        return x

    def _solve_blockwise(self, observed: np.ndarray, reg: float) -> np.ndarray:
        real = observed.dtype.type
        confidence, bias = real(self.confidence), real(self.observation_bias)
        k = observed.shape[1]
        x = np.zeros(k, dtype=observed.dtype)
        gram = self.gram
        width = max(self.subspace_dimension, 1)
        for _ in range(self.iterations):
            prediction = observed @ x
            for start in range(0, k, width):
                block = slice(start, min(start + width, k))
                sub = observed[:, block]
                local = (
                    gram[block, block]
                    + confidence * (sub.T @ sub)
                    + reg * np.eye(sub.shape[1], dtype=observed.dtype)
                )
                residual = confidence * (prediction - real(1)) - bias
                rhs = gram[block] @ x + reg * x[block] + sub.T @ residual
                delta = np.linalg.solve(local, rhs)
                x[block] -= delta
                prediction -= sub @ delta
        return x


def svd_fold_in(item_factors: np.ndarray, items: np.ndarray) -> np.ndarray:
    # The profile row times components_.T is the sum of the profile items' factors.
    result: np.ndarray = item_factors[items].sum(axis=0)
    return result


class NMFFoldIn:
    def __init__(self, params: dict[str, Any], item_factors: np.ndarray) -> None:
        self.item_factors = item_factors
        self.l1_reg = float(params["l1_reg"])
        self.l2_reg = float(params["l2_reg"])
        self.max_iter = int(params["max_iter"])
        self.tol = float(params["tol"])
        self._hessian: np.ndarray | None = None

    @property
    def hessian(self) -> np.ndarray:
        if self._hessian is None:
            hessian = self.item_factors.T @ self.item_factors
            hessian.flat[:: hessian.shape[0] + 1] += self.l2_reg
            self._hessian = hessian
        return self._hessian

    def __call__(self, items: np.ndarray) -> np.ndarray:
        hessian = self.hessian
        target = self.item_factors[items].sum(axis=0) - self.l1_reg
        k = len(target)
        w = np.zeros(k)
        initial_violation = 0.0
        for n_iter in range(1, self.max_iter + 1):
            violation = 0.0
            for t in range(k):
                grad = float(hessian[t] @ w) - target[t]
                violation += abs(min(0.0, grad) if w[t] == 0 else grad)
                if hessian[t, t] != 0:
                    w[t] = max(w[t] - grad / hessian[t, t], 0.0)
            if n_iter == 1:
                initial_violation = violation
            if initial_violation == 0 or violation / initial_violation <= self.tol:
                break
        return w
