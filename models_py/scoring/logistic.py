"""A ridge-penalised logistic regression a manager can read, and its calibration.

Categorical factors become one indicator per level seen often enough in training (rarer levels
pool into `(other)`, the commonest level is the reference); numeric factors are standardised
for the fit and reported per unit. The penalty (chosen on the calibration slice) keeps rare
levels from claiming huge effects; the intercept is not penalised. Confidence intervals come
from the penalised fit's sandwich covariance (H + P)^-1 H (H + P)^-1, H the information matrix
and P the penalty. Platt scaling on newer leads than the fit's maps scores onto observed rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

OTHER = "(other)"
# Numeric columns whose blank is itself a fact (no activity in the window: no first touch);
# any other blank counts as the training mean, with no indicator of its own.
MISSING_MEANS_SOMETHING = ("days_to_first_touch",)
Z95 = 1.959963984540054


@dataclass
class Design:
    """How a lead frame becomes a matrix: learned on the training rows only."""

    categorical: dict[str, list[str]]  # column -> kept levels (reference first)
    numeric: dict[str, tuple[float, float]]  # column -> (mean, sd) of the training rows
    cap: dict[str, float] = field(default_factory=dict)
    # Columns of MISSING_MEANS_SOMETHING blank in some training rows: a blank counts as the
    # mean, and an indicator `<column> missing` carries what being blank says.
    gaps: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        names = ["(intercept)"]
        for column, levels in self.categorical.items():
            names += [f"{column}={level}" for level in levels[1:]]
        for column in self.numeric:
            names.append(column)
            if column in self.gaps:
                names.append(f"{column} missing")
        return names


def learn_design(train: pd.DataFrame, categorical: tuple[str, ...], numeric: tuple[str, ...],
                 min_count: int = 30) -> Design:
    levels: dict[str, list[str]] = {}
    for column in categorical:
        counts = train[column].astype(str).value_counts()
        kept = sorted(counts[counts >= min_count].index, key=lambda v: (-counts[v], v))
        if len(counts) > len(kept):
            kept.append(OTHER)
        if len(kept) > 1:  # one level says nothing
            levels[column] = kept
    stats: dict[str, tuple[float, float]] = {}
    cap: dict[str, float] = {}
    kept_values: list[pd.Series] = []
    for column in numeric:
        values = train[column].astype(float)
        if values.notna().sum() < min_count:
            continue
        cap[column] = float(values.quantile(0.99))
        clipped = values.clip(upper=cap[column])
        sd = float(clipped.std())
        # A column identical to an earlier one (days in stage without any stage history is
        # the deal's age) would split one effect between two coefficients.
        if sd > 0 and not any(clipped.equals(earlier) for earlier in kept_values):
            stats[column] = (float(clipped.mean()), sd)
            kept_values.append(clipped)
    gaps = tuple(c for c in stats if c in MISSING_MEANS_SOMETHING and train[c].isna().any())
    return Design(levels, stats, cap, gaps)


def matrix(design: Design, frame: pd.DataFrame) -> np.ndarray:
    columns = [np.ones(len(frame))]
    for column, levels in design.categorical.items():
        values = frame[column].astype(str)
        values = values.where(values.isin(levels), OTHER)
        columns += [(values == level).to_numpy(dtype=float) for level in levels[1:]]
    for column, (mean, sd) in design.numeric.items():
        raw = frame[column].astype(float).clip(upper=design.cap[column])
        columns.append(((raw - mean) / sd).fillna(0.0).to_numpy())
        if column in design.gaps:
            columns.append(raw.isna().to_numpy(dtype=float))
    return np.column_stack(columns)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


@dataclass
class Fit:
    design: Design
    coef: np.ndarray
    cov: np.ndarray
    alpha: float

    def linear(self, frame: pd.DataFrame) -> np.ndarray:
        return matrix(self.design, frame) @ self.coef


def fit_ridge(design: Design, frame: pd.DataFrame, y: np.ndarray, alpha: float) -> Fit:
    """Penalised maximum likelihood (statsmodels' elastic net with no L1 part)."""
    import statsmodels.api as sm

    x = matrix(design, frame)
    penalty = np.full(x.shape[1], alpha)
    penalty[0] = 0.0
    model = sm.GLM(y, x, family=sm.families.Binomial())
    result = model.fit_regularized(alpha=penalty, L1_wt=0.0, maxiter=200, cnvrg_tol=1e-10)
    coef = np.asarray(result.params, dtype=float)
    p = sigmoid(x @ coef)
    information = (x * (p * (1 - p))[:, None]).T @ x
    # statsmodels minimises -loglik/n + alpha/2 |b|^2: the penalty's Hessian is n * alpha.
    penalised = information + np.diag(penalty * len(y))
    inverse = np.linalg.pinv(penalised)
    return Fit(design, coef, inverse @ information @ inverse, alpha)


@dataclass(frozen=True)
class Platt:
    """p = sigmoid(a + b * score's log odds), fitted on newer leads than the model."""

    a: float
    b: float

    def apply(self, linear: np.ndarray) -> np.ndarray:
        return sigmoid(self.a + self.b * linear)


def fit_platt(linear: np.ndarray, y: np.ndarray) -> Platt:
    import statsmodels.api as sm

    x = sm.add_constant(linear, has_constant="add")
    result = sm.GLM(y, x, family=sm.families.Binomial()).fit()
    a, b = (float(v) for v in result.params)
    return Platt(a, b)


def factor_table(fit: Fit, scale: float = 1.0) -> pd.DataFrame:
    """Each factor's odds ratio with its 95 % interval: per level against the reference level
    (named in `reference`), per unit for a numeric factor. `scale` is the calibration's slope
    (Platt's b): the published probabilities move by coefficient x scale on the log-odds."""
    rows = []
    names = fit.design.names
    se = np.sqrt(np.clip(np.diag(fit.cov), 0, None))
    references = {column: levels[0] for column, levels in fit.design.categorical.items()}
    for i, name in enumerate(names):
        if i == 0:
            continue
        column, _, level = name.partition("=")
        if column.endswith(" missing"):
            column, level = column.removesuffix(" missing"), "(missing)"
        per_unit = 1.0
        if column in fit.design.numeric and not level:
            per_unit = fit.design.numeric[column][1]  # per unit, not per standard deviation
        coef = fit.coef[i] * scale / per_unit
        half = Z95 * se[i] * abs(scale) / per_unit
        rows.append({
            "factor": column, "level": level or None,
            "reference": references.get(column),
            "coefficient": coef, "odds_ratio": float(np.exp(coef)),
            "ci_low": float(np.exp(coef - half)), "ci_high": float(np.exp(coef + half)),
        })
    return pd.DataFrame(rows)


def _column_of(name: str) -> str:
    return name.partition("=")[0].removesuffix(" missing")


def top_factors(fit: Fit, frame: pd.DataFrame, baseline: np.ndarray, scale: float = 1.0,
                k: int = 3) -> list[str]:
    """Per row, the k factors that move its calibrated log odds most from the average
    training row's, each named by the row's own value: `source=paid_search (+0.42)`."""
    x = matrix(fit.design, frame)
    contributions = (x - baseline) * fit.coef * scale
    names = fit.design.names
    columns = list(dict.fromkeys(_column_of(n) for n in names[1:]))
    index = {c: [i for i, n in enumerate(names) if i and _column_of(n) == c] for c in columns}
    per_column = np.column_stack([contributions[:, index[c]].sum(axis=1) for c in columns])
    levels = fit.design.categorical
    out = []
    for row, values in zip(per_column, frame[columns].itertuples(index=False), strict=True):
        order = np.argsort(-np.abs(row), kind="stable")[:k]
        parts = []
        for j in order:
            if row[j] == 0:
                continue
            column, value = columns[j], values[j]
            if column in levels and str(value) not in levels[column]:
                value = "(other)"
            shown = "blank" if value is None or value != value else value
            parts.append(f"{column}={shown} ({row[j]:+.2f})")
        out.append("; ".join(parts))
    return out
