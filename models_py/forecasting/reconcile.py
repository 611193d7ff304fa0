"""Coherent forecasts: children sum to their parents.

Base forecasts of every series in a hierarchy are made independently and do not add up. The
reconciled forecasts are `S P ŷ`, with S the summing matrix (each series as a sum of bottom
series) and P the MinT projection `(S' W⁻¹ S)⁻¹ S' W⁻¹`:

- `mint_shrink`: W is the covariance of the base forecasts' errors (their backtest errors),
  shrunk toward its diagonal (Schäfer & Strimmer), so a series whose forecasts erred more
  moves more;
- `wls_struct`: W is diagonal, each series weighted by how many bottom series it sums (needs
  no errors);
- `bottom_up`: P takes the bottom forecasts as they are.

A method that cannot be computed (too few errors, a singular matrix) falls back to the next,
and the result says which one was used. The result is coherent to rounding (about 1e-9 of the
values), far inside the 1e-6 the checks ask for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Hierarchy:
    """Series names in a fixed order; each aggregate as the bottom series it sums."""

    bottom: tuple[str, ...]
    aggregates: dict[str, tuple[str, ...]]

    @property
    def names(self) -> list[str]:
        return [*self.aggregates, *self.bottom]

    def summing_matrix(self) -> np.ndarray:
        index = {name: i for i, name in enumerate(self.bottom)}
        rows = []
        for parts in self.aggregates.values():
            row = np.zeros(len(self.bottom))
            for part in parts:
                row[index[part]] = 1.0
            rows.append(row)
        return np.vstack([*rows, np.eye(len(self.bottom))]) if rows else np.eye(len(self.bottom))


@dataclass
class Reconciled:
    forecasts: dict[str, np.ndarray]
    method: str


def shrunk_covariance(errors: np.ndarray) -> np.ndarray:
    """Schäfer-Strimmer shrinkage of the error covariance toward its diagonal.
    `errors`: observations x series."""
    n = errors.shape[0]
    centred = errors - errors.mean(axis=0)
    covariance = centred.T @ centred / n
    std = np.sqrt(np.diag(covariance))
    std = np.where(std > 0, std, 1.0)
    scaled = centred / std
    correlation = scaled.T @ scaled / n
    products = np.einsum("ti,tj->tij", scaled, scaled)
    variance = products.var(axis=0) * n / (n - 1) ** 2
    off = ~np.eye(correlation.shape[0], dtype=bool)
    denominator = float(np.sum(correlation[off] ** 2))
    shrinkage = 1.0 if denominator == 0 else min(1.0, max(0.0, float(
        np.sum(variance[off]) / denominator)))
    shrunk = correlation * (1 - shrinkage)
    np.fill_diagonal(shrunk, 1.0)
    return shrunk * np.outer(std, std)


def _project(summing: np.ndarray, weights: np.ndarray, base: np.ndarray) -> np.ndarray:
    inverse = np.linalg.inv(weights)
    middle = np.linalg.inv(summing.T @ inverse @ summing)
    return summing @ middle @ summing.T @ inverse @ base


def reconcile(hierarchy: Hierarchy, base: dict[str, np.ndarray],
              errors: dict[str, np.ndarray] | None = None,
              method: str = "mint_shrink") -> Reconciled:
    """`base`: every series' forecast (same length). `errors`: every series' backtest errors
    at the same origins and steps (for mint_shrink)."""
    names = hierarchy.names
    summing = hierarchy.summing_matrix()
    stacked = np.vstack([np.asarray(base[name], dtype=float) for name in names])
    order = ["mint_shrink", "wls_struct", "bottom_up"]
    for attempt in order[order.index(method):]:
        try:
            if attempt == "mint_shrink":
                if errors is None:
                    continue
                matrix = np.column_stack([np.asarray(errors[name], dtype=float)
                                          for name in names])
                if matrix.shape[0] < 3 or not np.all(np.isfinite(matrix)):
                    continue
                weights = shrunk_covariance(matrix)
                weights += np.eye(len(names)) * 1e-9 * max(float(np.trace(weights)), 1.0)
                result = _project(summing, weights, stacked)
            elif attempt == "wls_struct":
                result = _project(summing, np.diag(summing.sum(axis=1)), stacked)
            else:
                result = summing @ stacked[len(hierarchy.aggregates):]
        except np.linalg.LinAlgError:
            continue
        if np.all(np.isfinite(result)):
            return Reconciled({name: result[i] for i, name in enumerate(names)}, attempt)
    raise ValueError("reconcile(): no method gave finite forecasts")


def fix_parent(parent: np.ndarray, children: dict[str, np.ndarray],
               weights: dict[str, float]) -> dict[str, np.ndarray]:
    """Children made to sum to a parent that is already reconciled elsewhere (the company
    total, for the channels): the gap is shared in proportion to each child's weight (its
    error variance), which is MinT with the parent held fixed and independent errors."""
    names = sorted(children)
    total = sum(weights[n] for n in names)
    gap = np.asarray(parent, dtype=float) - sum(np.asarray(children[n], dtype=float)
                                                for n in names)
    share = {n: (weights[n] / total if total > 0 else 1 / len(names)) for n in names}
    return {n: np.asarray(children[n], dtype=float) + share[n] * gap for n in names}
