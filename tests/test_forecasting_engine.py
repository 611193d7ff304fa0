"""forecast(): the model zoo, its choice by backtest, intervals and guards, on series whose
behaviour is known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models_py.forecasting import forecast
from models_py.forecasting.engine import backtest, suitable

COLUMNS = ["ds", "yhat", "lo80", "hi80", "lo95", "hi95", "model"]


def months(values, start="2019-01") -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float),
                     index=pd.period_range(start, periods=len(values), freq="M"))


def seasonal_growth(n: int, seed: int = 1, noise: float = 0.05) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (1000 * np.exp(0.01 * t) * (1 + 0.25 * np.sin(2 * np.pi * t / 12))
            * np.exp(rng.normal(0, noise, n)))


def test_a_seasonal_growing_series_beats_seasonal_naive_with_ordered_intervals():
    y = seasonal_growth(84)
    history, future = y[:72], y[72:]
    out = forecast(months(history), 12)
    assert list(out.columns) == COLUMNS and len(out) == 12
    assert out.ds.iloc[0] == pd.Timestamp("2025-01-01")
    assert (out.lo95 <= out.lo80).all() and (out.lo80 <= out.yhat).all()
    assert (out.yhat <= out.hi80).all() and (out.hi80 <= out.hi95).all()
    naive = np.tile(history[-12:], 1)
    scale = np.mean(np.abs(history[12:] - history[:-12]))
    mase = np.mean(np.abs(future - out.yhat.to_numpy())) / scale
    naive_mase = np.mean(np.abs(future - naive)) / scale
    assert mase < 0.8 * naive_mase, (out.model.iloc[0], mase, naive_mase)
    inside = np.mean((future >= out.lo95.to_numpy()) & (future <= out.hi95.to_numpy()))
    assert inside >= 0.75
    metrics = out.attrs["backtest"]
    assert {"model", "origin", "mase", "rmsse", "wape", "smape",
            "skill_vs_seasonal_naive"} <= set(metrics.columns)
    assert sorted(metrics.origin.unique()) == [36, 48, 60]  # 24 leaves too little to learn


def test_the_backtest_uses_yearly_origins_that_end_with_the_history():
    y = seasonal_growth(60)
    bt = backtest(y, 12, 12, [c for c in suitable(y, 12) if c.name == "seasonal_naive"])
    assert bt.origins == [36, 48]  # at least 2 seasons + 2 months to learn from; 60 - 12 last
    assert [len(a) for a in bt.actuals] == [12, 12]


def test_a_short_series_gets_a_forecast_and_no_seasonal_model():
    out = forecast(months([10, 12, 11, 13, 12, 14]), 6)
    assert len(out) == 6 and np.isfinite(out[COLUMNS[1:6]].to_numpy(float)).all()
    assert "hw" not in out.model.iloc[0] and "sarima" not in out.model.iloc[0]
    single = forecast(months([5.0]), 3)
    assert single.yhat.tolist() == [5.0, 5.0, 5.0]


def test_intermittent_zeros_are_forecast_without_logs_or_negatives():
    rng = np.random.default_rng(3)
    y = np.where(rng.random(48) < 0.5, 0.0, rng.integers(1, 5, 48).astype(float))
    out = forecast(months(y), 12)
    assert (out[["yhat", "lo80", "lo95"]] >= 0).all().all()
    assert out.model.iloc[0].split("(")[0] in {"recent_mean", "ses", "naive",
                                               "seasonal_naive", "combination"}


def test_an_explosive_fit_falls_back_and_says_so(monkeypatch):
    from models_py.forecasting import models

    def explode(y, horizon, m):
        return np.full(horizon, 1e12)

    real = models.candidates

    def zoo():
        return [c if c.name != "naive" else models.Candidate("naive", explode, min_length=1)
                for c in real()]

    monkeypatch.setattr("models_py.forecasting.engine.candidates", zoo)
    out = forecast(months([1.0, 2.0, 3.0]), 2)  # too short to backtest: the default, naive
    assert "(fallback: naive exploded)" in out.model.iloc[0]
    assert out.yhat.max() < 10


@pytest.mark.parametrize("bad", [
    pd.Series([1.0, 2.0], index=pd.PeriodIndex(["2020-01", "2020-03"], freq="M")),
    pd.Series([1.0, np.nan], index=pd.period_range("2020-01", periods=2, freq="M")),
    pd.Series([1.0, 2.0], index=[0, 1]),
])
def test_bad_histories_are_refused_with_the_reason(bad):
    with pytest.raises(ValueError, match="forecast\\(\\)"):
        forecast(bad, 3)
