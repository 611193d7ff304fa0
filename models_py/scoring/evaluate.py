"""How good a probability is, on leads the model never saw: AUC (ranking), Brier score and
log loss (the probabilities themselves), and reliability bins (mean predicted against observed
rate per tenth of the predictions)."""

from __future__ import annotations

import numpy as np
import pandas as pd

EPS = 1e-15


def auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """Probability that a random positive scores above a random negative (ties count half)."""
    y = np.asarray(y, dtype=bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return None
    ranks = pd.Series(p).rank(method="average").to_numpy()
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p, dtype=float) - np.asarray(y, dtype=float)) ** 2))


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    y = np.asarray(y, dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Leads sorted by prediction and cut in `bins` groups of (nearly) equal size."""
    order = np.argsort(np.asarray(p, dtype=float), kind="stable")
    rows = []
    for number, chunk in enumerate(np.array_split(order, bins), start=1):
        if len(chunk) == 0:
            continue
        rows.append({"bin": number, "leads": len(chunk),
                     "mean_predicted": float(np.mean(np.asarray(p)[chunk])),
                     "observed_rate": float(np.mean(np.asarray(y, dtype=float)[chunk]))})
    return pd.DataFrame(rows)


def smoothed_rates(groups: pd.Series, y: np.ndarray, strength: float = 20.0
                   ) -> tuple[dict[str, float], float]:
    """Rate per group, pulled toward the overall rate by `strength` pseudo-leads (a source
    with 3 leads and 1 win is not a 33 % source); and the overall rate for unseen groups."""
    frame = pd.DataFrame({"g": groups.astype(str).to_numpy(), "y": np.asarray(y, dtype=float)})
    overall = float(frame.y.mean())
    grouped = frame.groupby("g").y.agg(["sum", "count"])
    rates = (grouped["sum"] + strength * overall) / (grouped["count"] + strength)
    return {str(k): float(v) for k, v in rates.items()}, overall
