"""`forecast(y, horizon, season_length=12)`: a monthly forecast with 80 % and 95 % intervals,
its model chosen per series by a rolling-origin backtest.

1. The history is checked (a regular monthly index, finite values) and its kind found: short,
   intermittent (many zeros), strictly positive (log models allowed) or not.
2. The median ensembles of models.py whose members suit it are backtested from up to four
   yearly origins, one season ahead, and scored by MASE; the best wins. A series no ensemble
   suits (short, intermittent) chooses among the single models that do, the same way.
3. The winner is refitted on the whole history. Its intervals come from its own backtest
   errors (on the log scale for positive series), pooled over origins and steps and widened
   with the square root of the step, so they are as wide as this model's errors on this series
   have been, not as wide as a textbook assumes.
4. Guards: a forecast that is not finite or explodes (beyond five times the largest value
   seen) falls back to a damped or seasonal-naive forecast, and `model` says so; a history that
   never went negative gets no negative forecast.

The result also carries the backtest, per model and origin, in `result.attrs["backtest"]`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models_py.forecasting.models import (
    ALL_ENSEMBLES,
    ENSEMBLES,
    ENSEMBLES_WITHOUT_LOGS,
    Candidate,
    candidates,
    seasonal_naive,
)

MAX_CUTOFFS = 4
EXPLOSION = 5.0
INTERMITTENT_ZERO_SHARE = 0.3
LEVELS = {"80": (0.10, 0.90), "95": (0.025, 0.975)}
Z = {"80": 1.2815515655446004, "95": 1.959963984540054}


@dataclass
class Backtest:
    """Forecasts of every candidate from every origin, and the actuals they are scored on."""

    origins: list[int]  # index of the first forecast step
    steps: int
    forecasts: dict[str, list[np.ndarray]]  # model -> one array per origin
    actuals: list[np.ndarray]
    scales: list[float]  # in-sample seasonal-naive MAE at each origin (MASE's denominator)
    scales_sq: list[float]  # ... mean squared (RMSSE's)


def monthly(y: pd.Series) -> pd.Series:
    """The series on a monthly PeriodIndex, every month present, values finite floats."""
    index = y.index
    if isinstance(index, pd.DatetimeIndex):
        index = index.to_period("M")
    if not isinstance(index, pd.PeriodIndex) or index.freqstr not in ("M", "ME"):
        raise ValueError("forecast() needs a monthly DatetimeIndex or PeriodIndex")
    series = pd.Series(np.asarray(y, dtype=float), index=index).sort_index()
    if series.index.has_duplicates:
        raise ValueError("forecast(): a month appears twice in the history")
    full = pd.period_range(series.index[0], series.index[-1], freq="M")
    missing = full.difference(series.index)
    if len(missing):
        raise ValueError(f"forecast(): {len(missing)} month(s) missing from the history, e.g. "
                         f"{missing[0]}; give them a value (0 for no revenue)")
    if not np.all(np.isfinite(series.to_numpy())):
        raise ValueError("forecast(): the history has NaN or infinite values")
    return series


def _scales(train: np.ndarray, m: int) -> tuple[float, float]:
    lag = m if len(train) > m else 1
    diffs = train[lag:] - train[:-lag] if len(train) > lag else np.array([0.0])
    mae, mse = float(np.mean(np.abs(diffs))), float(np.mean(diffs ** 2))
    fallback = float(np.mean(np.abs(train))) or 1.0
    return (mae if mae > 0 else fallback), (mse if mse > 0 else fallback ** 2)


def suitable(y: np.ndarray, m: int) -> list[Candidate]:
    positive = bool(np.all(y > 0))
    intermittent = float(np.mean(y == 0)) >= INTERMITTENT_ZERO_SHARE
    chosen = []
    for candidate in candidates():
        if candidate.seasonal and len(y) < 2 * m + 2:
            continue
        if candidate.positive and not positive:
            continue
        if len(y) < candidate.min_length:
            continue
        if intermittent and candidate.name not in ("recent_mean", "ses", "naive",
                                                   "seasonal_naive"):
            continue
        chosen.append(candidate)
    return chosen


def backtest(y: np.ndarray, steps: int, m: int, pool: list[Candidate],
             max_cutoffs: int = MAX_CUTOFFS) -> Backtest:
    """Forecast `steps` ahead from up to `max_cutoffs` origins a season apart, the latest
    ending at the end of the history; each origin keeps at least two seasons (or a third of
    the history) to learn from."""
    n = len(y)
    min_train = max(min(2 * m + 2, n // 2), 3)
    origins = [n - steps - k * m for k in range(max_cutoffs) if n - steps - k * m >= min_train]
    origins.sort()
    forecasts: dict[str, list[np.ndarray]] = {}
    for candidate in pool:
        results = []
        for origin in origins:
            train = y[:origin]
            if (candidate.seasonal and len(train) < 2 * m + 2) or len(train) < \
                    candidate.min_length or (candidate.positive and np.any(train <= 0)):
                break
            try:
                values = candidate.fit(train, steps, m)
            except Exception:  # a model that cannot fit is not a candidate
                break
            if values.shape != (steps,) or not np.all(np.isfinite(values)):
                break
            results.append(values)
        if origins and len(results) == len(origins):
            forecasts[candidate.name] = results
    scales = [_scales(y[:o], m) for o in origins]
    return Backtest(origins, steps, forecasts, [y[o:o + steps] for o in origins],
                    [s[0] for s in scales], [s[1] for s in scales])


def _mase(bt: Backtest, name: str) -> float:
    return float(np.mean([np.mean(np.abs(a - f)) / s for a, f, s in
                          zip(bt.actuals, bt.forecasts[name], bt.scales, strict=True)]))


def ensembles_for(pool: list[Candidate], positive: bool) -> list[str]:
    names = {c.name for c in pool}
    listed = ENSEMBLES if positive else ENSEMBLES_WITHOUT_LOGS
    return [e for e, parts in listed.items() if set(parts) <= names]


def add_ensembles(bt: Backtest, ensembles: list[str]) -> list[str]:
    """Each ensemble's backtest forecasts, from its members' (no extra fitting)."""
    added = []
    for name in ensembles:
        parts = ALL_ENSEMBLES[name]
        if all(p in bt.forecasts for p in parts):
            bt.forecasts[name] = [np.median([bt.forecasts[p][i] for p in parts], axis=0)
                                  for i in range(len(bt.origins))]
            added.append(name)
    return added


def _refit(name: str, y: np.ndarray, horizon: int, m: int) -> np.ndarray:
    by_name = {c.name: c for c in candidates()}
    if name in ALL_ENSEMBLES:
        return np.median([by_name[p].fit(y, horizon, m) for p in ALL_ENSEMBLES[name]], axis=0)
    return by_name[name].fit(y, horizon, m)


def _interval_errors(bt: Backtest, name: str, log: bool) -> np.ndarray:
    """The chosen model's backtest errors, per unit of sqrt(step): log ratios for a positive
    series, else errors in units of the in-sample scale."""
    errors = []
    for actual, fc, scale in zip(bt.actuals, bt.forecasts[name], bt.scales, strict=True):
        for step, (a, f) in enumerate(zip(actual, fc, strict=True), start=1):
            if log:
                if a <= 0 or f <= 0:
                    continue
                errors.append(math.log(a / f) / math.sqrt(step))
            else:
                errors.append((a - f) / scale / math.sqrt(step))
    return np.array(errors)


def _fallback(y: np.ndarray, horizon: int, m: int) -> tuple[np.ndarray, str]:
    """A forecast that cannot explode: seasonal naive with two seasons, else the last value."""
    if len(y) >= m:
        return seasonal_naive(y, horizon, m), "seasonal_naive"
    return np.full(horizon, float(y[-1])), "naive"


def forecast(y: pd.Series, horizon: int, season_length: int = 12) -> pd.DataFrame:
    """Columns ds (month start), yhat, lo80, hi80, lo95, hi95, model; attrs["backtest"]."""
    if horizon < 1:
        raise ValueError("forecast(): horizon must be at least 1")
    history = monthly(y)
    values = history.to_numpy()
    m = season_length
    if len(values) == 0:
        raise ValueError("forecast(): the history is empty")
    pool = suitable(values, m)
    steps = min(horizon, m)
    ensembles = ensembles_for(pool, positive=bool(np.all(values > 0)))
    if ensembles:
        members = {p for e in ensembles for p in ALL_ENSEMBLES[e]} | {"seasonal_naive"}
        bt = backtest(values, steps, m, [c for c in pool if c.name in members])
        contenders = add_ensembles(bt, ensembles)
    else:
        bt = backtest(values, steps, m, pool)
        contenders = list(bt.forecasts)
    order = {name: i for i, name in enumerate(contenders)}
    ranked = sorted(contenders, key=lambda name: (_mase(bt, name), order[name]))
    chosen = ranked[0] if ranked else None
    model = chosen or (ensembles[0] if ensembles else _default(pool))
    try:
        yhat = _refit(model, values, horizon, m)
        ok = yhat.shape == (horizon,) and np.all(np.isfinite(yhat))
    except Exception:  # any failure of the final fit falls back
        ok = False
    peak = float(np.max(np.abs(values))) or 1.0
    if not ok:
        yhat, base = _fallback(values, horizon, m)
        model = f"{base} (fallback: {model} failed)"
    elif np.max(np.abs(yhat)) > EXPLOSION * peak:
        yhat, base = _fallback(values, horizon, m)
        model = f"{base} (fallback: {model} exploded)"
    log = bool(np.all(values > 0))
    lo, hi = _intervals(bt, chosen if chosen in bt.forecasts else None, values, yhat, m, log)
    if np.min(values) >= 0:  # revenue that was never negative is not forecast negative
        yhat = np.maximum(yhat, 0)
        lo = {k: np.maximum(v, 0) for k, v in lo.items()}
        hi = {k: np.maximum(v, 0) for k, v in hi.items()}
    ds = pd.period_range(history.index[-1] + 1, periods=horizon, freq="M").to_timestamp()
    result = pd.DataFrame({"ds": ds, "yhat": yhat, "lo80": lo["80"], "hi80": hi["80"],
                           "lo95": lo["95"], "hi95": hi["95"], "model": model})
    result.attrs["backtest"] = metrics_frame(bt)
    # The chosen model's backtest errors (actual - forecast), origin by origin: what a
    # reconciliation weighs series by.
    result.attrs["errors"] = (np.concatenate([a - f for a, f in zip(
        bt.actuals, bt.forecasts[chosen], strict=True)]) if chosen in bt.forecasts
        else np.array([]))
    return result


def _default(pool: list[Candidate]) -> str:
    names = [c.name for c in pool]
    for preferred in ("log_hw_damped", "hw_additive_damped", "holt_damped", "ses", "naive"):
        if preferred in names:
            return preferred
    return "naive"


def _intervals(bt: Backtest, chosen: str | None, values: np.ndarray, yhat: np.ndarray, m: int,
               log: bool) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    steps = np.sqrt(np.arange(1, len(yhat) + 1))
    errors = _interval_errors(bt, chosen, log) if chosen else np.array([])
    lo, hi = {}, {}
    if len(errors) >= 8:
        for level, (q_lo, q_hi) in LEVELS.items():
            low, high = np.quantile(errors, [q_lo, q_hi])
            low, high = min(low, 0.0), max(high, 0.0)  # the interval holds the forecast
            if log:
                lo[level] = yhat * np.exp(low * steps)
                hi[level] = yhat * np.exp(high * steps)
            else:
                scale = _scales(values, m)[0]
                lo[level] = yhat + low * scale * steps
                hi[level] = yhat + high * scale * steps
        return lo, hi
    # Too little history to learn errors from: a normal interval on the seasonal-naive scale.
    scale = math.sqrt(_scales(values, m)[1])
    for level, z in Z.items():
        lo[level] = yhat - z * scale * steps
        hi[level] = yhat + z * scale * steps
    return lo, hi


def metrics_frame(bt: Backtest) -> pd.DataFrame:
    """MASE, RMSSE, WAPE, sMAPE and the seasonal-naive skill per model and origin."""
    rows = []
    naive = bt.forecasts.get("seasonal_naive")
    for name, per_origin in bt.forecasts.items():
        for i, (origin, fc) in enumerate(zip(bt.origins, per_origin, strict=True)):
            actual = bt.actuals[i]
            error = actual - fc
            mase = float(np.mean(np.abs(error)) / bt.scales[i])
            naive_mase = (float(np.mean(np.abs(actual - naive[i])) / bt.scales[i])
                          if naive is not None else None)
            denominator = np.abs(actual) + np.abs(fc)
            rows.append({
                "model": name, "origin": origin, "steps": bt.steps, "mase": mase,
                "rmsse": float(math.sqrt(np.mean(error ** 2) / bt.scales_sq[i])),
                "wape": float(np.sum(np.abs(error)) / np.sum(np.abs(actual)))
                if np.sum(np.abs(actual)) else None,
                "smape": float(np.mean(np.where(denominator > 0,
                                                2 * np.abs(error) / np.where(
                                                    denominator > 0, denominator, 1), 0))),
                "skill_vs_seasonal_naive": (1 - mase / naive_mase) if naive_mase else None,
            })
    return pd.DataFrame(rows)
