"""How far selection and combination can go on the forecast panel: the replay behind the
"Why 10 % is out of reach" table in bench/README.md.

Every candidate (models.py's zoo plus the extra components below) forecasts 12 months from
eight yearly origins per series of the panel; the outer four origins are the benchmark's, and
the inner ones let a selector be replayed as `forecast()` runs it. Printed: each model alone,
the best static combinations, `forecast()`'s replayed selection, and the hindsight oracle
(the best combination per series, picked on the test years: a bound no selector reaches).
About 12 minutes on one core. Usage: uv run --group bench python bench/forecast_ceiling.py
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
from forecast_panel import PANEL, load  # run from bench/ (python puts it on the path)

from models_py.forecasting.models import ENSEMBLES, candidates

H = M = 12


def _seasonal_on_log(log_y: np.ndarray) -> np.ndarray:
    """Classical additive decomposition on logs: a centred 2x12 moving average, then the
    mean detrended value of each calendar month."""
    n = len(log_y)
    trend = np.convolve(log_y, np.r_[0.5, np.ones(11), 0.5] / 12, mode="valid")
    detrended, month = log_y[6:n - 6] - trend, np.arange(6, n - 6) % M
    seasonal = np.array([detrended[month == j].mean() for j in range(M)])
    return seasonal - seasonal.mean()


def _adjusted(kinds: tuple[str, ...]):
    def fit(y: np.ndarray, h: int) -> np.ndarray:
        from statsmodels.tsa.forecasting.theta import ThetaModel
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        log_y = np.log(y)
        seasonal = _seasonal_on_log(log_y)
        adjusted = log_y - seasonal[np.arange(len(y)) % M]
        paths = []
        for kind in kinds:
            if kind == "theta":
                paths.append(ThetaModel(adjusted, period=M, deseasonalize=False).fit()
                             .forecast(h).to_numpy())
                continue
            trend = None if kind == "ses" else "add"
            paths.append(ExponentialSmoothing(adjusted, trend=trend, damped_trend=kind ==
                                              "damped", initialization_method="estimated")
                         .fit().forecast(h))
        return np.exp(np.mean(paths, axis=0) + seasonal[np.arange(len(y), len(y) + h) % M])

    return fit


def _log_ets_aicc(y: np.ndarray, h: int) -> np.ndarray:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    fits = [ETSModel(np.log(y), error="add", trend=t, damped_trend=d, seasonal="add",
                     seasonal_periods=M).fit(disp=False)
            for t, d in ((None, False), ("add", False), ("add", True))]
    return np.exp(min(fits, key=lambda f: f.aicc).forecast(h))


def _log_arima_aic(y: np.ndarray, h: int) -> np.ndarray:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    best = None
    for p, q, sp, sq in itertools.product((0, 1, 2), (0, 1), (0, 1), (0, 1)):
        try:
            fit = SARIMAX(np.log(y), order=(p, 1, q), seasonal_order=(sp, 1, sq, M)).fit(
                disp=False, maxiter=50)
        except Exception:
            continue
        if np.isfinite(fit.aic) and (best is None or fit.aic < best.aic):
            best = fit
    return np.exp(best.forecast(h))


def _log_theta_additive(y: np.ndarray, h: int) -> np.ndarray:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    return np.exp(ThetaModel(np.log(y), period=M, method="additive").fit().forecast(h)
                  .to_numpy())


EXTRA = {"log_shd": _adjusted(("ses", "holt", "damped")), "log_sa_damped": _adjusted(
    ("damped",)), "log_sa_theta": _adjusted(("theta",)), "log_sa_ses": _adjusted(("ses",)),
    "log_ets_aicc": _log_ets_aicc, "log_arima_aic": _log_arima_aic,
    "log_theta_add": _log_theta_additive}


def mase(actual: np.ndarray, predicted: np.ndarray, train: np.ndarray) -> float:
    return float(np.mean(np.abs(actual - predicted)) / np.mean(np.abs(train[M:] - train[:-M])))


def forecasts() -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray, dict]]:
    out = {}
    for package, name in PANEL:
        values = load(package, name).to_numpy()
        for k in range(1, 9):
            train, test = values[: len(values) - k * H], values[len(values) - k * H:
                                                                 len(values) - (k - 1) * H]
            if len(train) < 2 * M + 2 or len(test) != H:
                continue
            fitted = {}
            for name_, fit in [(c.name, lambda y, h, c=c: c.fit(y, h, M)) for c in
                               candidates()] + list(EXTRA.items()):
                try:
                    fitted[name_] = np.asarray(fit(train, H), dtype=float)
                except Exception:
                    continue
            out[(name, k)] = (train, test, fitted)
    return out


def main() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = forecasts()
    series = sorted({n for n, _ in out})

    def score(combine) -> float:
        return float(np.mean([np.mean([mase(out[(n, k)][1], combine(out[(n, k)][2]),
                                            out[(n, k)][0]) for k in range(1, 5)])
                              for n in series]))

    singles = sorted((score(lambda fc, m=m: fc[m]), m) for m in out[(series[0], 1)][2]
                     if all(m in out[(n, k)][2] for n in series for k in range(1, 5)))
    for value, model in singles:
        print(f"{value:.3f}  {model}")
    pool = [m for _, m in singles[:12]]
    combos = sorted((score(lambda fc, c=c, f=f: f([fc[p] for p in c], axis=0)), f.__name__, c)
                    for size in (3, 4, 5) for c in itertools.combinations(pool, size)
                    for f in (np.median, np.mean))
    print(f"best static combination: {combos[0][0]:.3f} {combos[0][1]}{combos[0][2]}")

    def replay(n: str, k: int) -> float:
        """forecast()'s choice: the ensemble with the lowest MASE over the inner origins."""
        train = out[(n, k)][0]
        inner = [j for j in range(k + 1, k + 5) if (n, j) in out]
        ranked = sorted((np.mean([mase(out[(n, j)][1], np.median(
            [out[(n, j)][2][p] for p in parts], axis=0), out[(n, j)][0]) for j in inner])
            if inner else 0.0, i, parts) for i, parts in enumerate(ENSEMBLES.values()))
        chosen = ranked[0][2]
        return mase(out[(n, k)][1], np.median([out[(n, k)][2][p] for p in chosen], axis=0),
                    train)

    print(f"forecast() replayed: {np.mean([np.mean([replay(n, k) for k in range(1, 5)]) for n in series]):.3f}")  # noqa: E501
    oracle = []
    for n in series:
        oracle.append(min(np.mean([mase(out[(n, k)][1], np.median(
            [out[(n, k)][2][p] for p in c], axis=0), out[(n, k)][0]) for k in range(1, 5)])
            for size in range(1, 6) for c in itertools.combinations([*pool, "seasonal_naive"],
                                                                     size)))
    print(f"hindsight oracle (best combination per series): {np.mean(oracle):.3f}")


if __name__ == "__main__":
    main()
