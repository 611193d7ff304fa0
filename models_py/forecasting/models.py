"""The candidate models: each fits a history and returns a point forecast for `horizon` steps.

Every function takes a float array (no NaN), the horizon and the season length, and returns a
float array of `horizon` values, or raises (the caller treats a failure as "not this model").
statsmodels is imported inside the functions: importing it costs seconds, and commands that do
not forecast should not pay for it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Fitter = Callable[[np.ndarray, int, int], np.ndarray]


@dataclass(frozen=True)
class Candidate:
    name: str
    fit: Fitter
    seasonal: bool = False  # needs two full seasons
    positive: bool = False  # works on log values: needs a strictly positive history
    min_length: int = 3


def seasonal_naive(y: np.ndarray, horizon: int, m: int) -> np.ndarray:
    if len(y) < m:
        return naive(y, horizon, m)
    last = y[-m:]
    return np.array([last[i % m] for i in range(horizon)], dtype=float)


def naive(y: np.ndarray, horizon: int, m: int) -> np.ndarray:
    return np.full(horizon, float(y[-1]))


def recent_mean(y: np.ndarray, horizon: int, m: int) -> np.ndarray:
    """The mean of the last season (or all of a shorter history): for intermittent series."""
    return np.full(horizon, float(np.mean(y[-m:])))


def _quiet(fit: Callable[[], np.ndarray]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return np.asarray(fit(), dtype=float)


def ets(trend: str | None, damped: bool, seasonal: str | None) -> Fitter:
    """Holt-Winters exponential smoothing of a stable specification (additive components;
    multiplicative behaviour comes from fitting on log values)."""

    def fit(y: np.ndarray, horizon: int, m: int) -> np.ndarray:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        def run() -> np.ndarray:
            model = ExponentialSmoothing(
                y, trend=trend, damped_trend=damped if trend else False,
                seasonal=seasonal, seasonal_periods=m if seasonal else None,
                initialization_method="estimated")
            return model.fit(optimized=True).forecast(horizon)

        return _quiet(run)

    return fit


def theta(y: np.ndarray, horizon: int, m: int) -> np.ndarray:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    seasonal = len(y) >= 2 * m
    return _quiet(lambda: ThetaModel(y, period=m, deseasonalize=seasonal,
                                     method="additive" if np.any(y <= 0) else "auto")
                  .fit().forecast(horizon).to_numpy())


def sarima(order: tuple[int, int, int], seasonal_order: tuple[int, int, int],
           trend: str = "n") -> Fitter:
    def fit(y: np.ndarray, horizon: int, m: int) -> np.ndarray:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        def run() -> np.ndarray:
            model = SARIMAX(y, order=order, seasonal_order=(*seasonal_order, m), trend=trend,
                            enforce_stationarity=True, enforce_invertibility=True)
            return model.fit(disp=False, maxiter=50).forecast(horizon)

        return _quiet(run)

    return fit


def stl_ets(y: np.ndarray, horizon: int, m: int) -> np.ndarray:
    """Robust STL decomposition; the seasonally adjusted series by damped exponential
    smoothing, the seasonal component carried on (statsmodels' STLForecast)."""
    from statsmodels.tsa.forecasting.stl import STLForecast
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    return _quiet(lambda: STLForecast(
        y, ExponentialSmoothing, period=m, robust=True,
        model_kwargs={"trend": "add", "damped_trend": True,
                      "initialization_method": "estimated"}).fit().forecast(horizon))


def on_log(fitter: Fitter) -> Fitter:
    """The model on log values, back-transformed: multiplicative growth and seasonality."""

    def fit(y: np.ndarray, horizon: int, m: int) -> np.ndarray:
        return np.exp(fitter(np.log(y), horizon, m))

    return fit


def candidates() -> list[Candidate]:
    """The zoo, from cheap to dear. Names are what `model` reports."""
    return [
        Candidate("seasonal_naive", seasonal_naive, min_length=1),
        Candidate("naive", naive, min_length=1),
        Candidate("recent_mean", recent_mean, min_length=1),
        Candidate("ses", ets(None, False, None), min_length=4),
        Candidate("holt_damped", ets("add", True, None), min_length=6),
        Candidate("hw_additive_damped", ets("add", True, "add"), seasonal=True),
        Candidate("hw_additive", ets("add", False, "add"), seasonal=True),
        Candidate("hw_seasonal_level", ets(None, False, "add"), seasonal=True),
        Candidate("log_hw_damped", on_log(ets("add", True, "add")), seasonal=True,
                  positive=True),
        Candidate("log_hw_seasonal_level", on_log(ets(None, False, "add")), seasonal=True,
                  positive=True),
        Candidate("theta", theta, min_length=6),
        Candidate("log_theta", on_log(theta), positive=True, min_length=6),
        Candidate("sarima_airline", sarima((0, 1, 1), (0, 1, 1)), seasonal=True),
        Candidate("log_sarima_airline", on_log(sarima((0, 1, 1), (0, 1, 1))), seasonal=True,
                  positive=True),
        Candidate("log_stl_ets", on_log(stl_ets), seasonal=True, positive=True),
        Candidate("stl_ets", stl_ets, seasonal=True),
    ]


# Median ensembles of models that err differently. On the benchmark panel (bench/
# forecast_panel.py) any single model chosen by backtest did worse than these medians: with
# four yearly origins the backtest cannot tell single models apart reliably, but it can choose
# among a few robust ensembles. Listed in order of preference (the first wins ties and is the
# default when there is nothing to backtest).
ENSEMBLES: dict[str, tuple[str, ...]] = {
    "median(log_stl_ets, log_hw_damped, log_theta)":
        ("log_stl_ets", "log_hw_damped", "log_theta"),
    "median(log_stl_ets, log_sarima_airline, log_hw_seasonal_level, log_theta)":
        ("log_stl_ets", "log_sarima_airline", "log_hw_seasonal_level", "log_theta"),
    "median(log_stl_ets, log_sarima_airline, theta, log_theta)":
        ("log_stl_ets", "log_sarima_airline", "theta", "log_theta"),
    "median(log_stl_ets, log_hw_damped, log_theta, log_sarima_airline)":
        ("log_stl_ets", "log_hw_damped", "log_theta", "log_sarima_airline"),
}
# For series that are not strictly positive (no logs); a positive series uses the log ones.
ENSEMBLES_WITHOUT_LOGS: dict[str, tuple[str, ...]] = {
    "median(stl_ets, hw_additive_damped, theta)": ("stl_ets", "hw_additive_damped", "theta"),
    "median(stl_ets, sarima_airline, hw_seasonal_level, theta)":
        ("stl_ets", "sarima_airline", "hw_seasonal_level", "theta"),
}
ALL_ENSEMBLES = {**ENSEMBLES, **ENSEMBLES_WITHOUT_LOGS}
