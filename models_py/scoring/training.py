"""Training shared by the lead and deal models: a split by time, never at random; a penalty
chosen and a calibration fitted on the middle period; the model and two baselines measured on
the newest period.

Labelled rows are cut by a date column into three periods: the oldest ~52 % train the model,
the next ~18 % calibrate it (they choose the penalty and the Platt mapping), the newest 30 %
test it. On the test period the model must beat the one-factor baseline (conversion by source
for leads, win rate by stage for deals) on both AUC and Brier score; otherwise the baseline's
rates are the scores (`chosen` says which) and a check warns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from models_py.scoring import evaluate
from models_py.scoring.logistic import (
    Fit,
    Platt,
    factor_table,
    fit_platt,
    fit_ridge,
    learn_design,
    matrix,
    top_factors,
)

CALIBRATION_FROM, TEST_FROM = 0.52, 0.70  # quantiles of the labelled rows' dates
ALPHAS = (0.0003, 0.001, 0.003, 0.01, 0.03)
MIN_ROWS_PER_PERIOD, MIN_POSITIVES_PER_PERIOD = 30, 3


class NotEnoughHistory(ValueError):
    """Too few labelled rows or positives to train, calibrate and test on separate periods."""


@dataclass
class Periods:
    train: pd.DataFrame
    calibration: pd.DataFrame
    test: pd.DataFrame
    calibration_from: date
    test_from: date

    def of(self, dates: pd.Series, labelled: pd.Series) -> pd.Series:
        """train / calibration / test / unlabelled, for rows dated `dates`."""
        day = pd.to_datetime(dates).dt.date
        period = np.where(day >= self.test_from, "test", np.where(
            day >= self.calibration_from, "calibration", "train"))
        return pd.Series(np.where(labelled, period, "unlabelled"), index=dates.index)


def split_by_time(labelled: pd.DataFrame, date_column: str, what: str = "rows") -> Periods:
    dates = pd.to_datetime(labelled[date_column])
    calibration_from = dates.quantile(CALIBRATION_FROM, interpolation="lower").date()
    test_from = dates.quantile(TEST_FROM, interpolation="lower").date()
    day = dates.dt.date
    periods = Periods(labelled[day < calibration_from],
                      labelled[(day >= calibration_from) & (day < test_from)],
                      labelled[day >= test_from], calibration_from, test_from)
    for name in ("train", "calibration", "test"):
        part = getattr(periods, name)
        if len(part) < MIN_ROWS_PER_PERIOD or part.won.sum() < MIN_POSITIVES_PER_PERIOD:
            raise NotEnoughHistory(
                f"the {name} period has {len(part)} labelled {what} and {int(part.won.sum())} "
                f"won; at least {MIN_ROWS_PER_PERIOD} and {MIN_POSITIVES_PER_PERIOD} won per "
                "period are needed (more history, or a shorter horizon)")
    return periods


@dataclass
class Candidate:
    name: str
    test_p: np.ndarray
    all_p: np.ndarray
    auc: float | None = None
    brier: float = 0.0
    log_loss: float = 0.0


@dataclass
class Trained:
    periods: Periods
    fit: Fit
    platt: Platt
    candidates: dict[str, Candidate]
    chosen: str
    baseline_factor: str  # the one-factor baseline's factor, e.g. "source"
    notes: list[str] = field(default_factory=list)

    @property
    def baseline(self) -> str:
        """The one-factor baseline's candidate name, e.g. "source_only"."""
        return f"{self.baseline_factor}_only"

    @property
    def scores(self) -> np.ndarray:
        return self.candidates[self.chosen].all_p

    def top_factors(self, frame: pd.DataFrame) -> list[str]:
        """Per row of `frame` (the scored rows), what moves its score most: the model's top
        factors, or the baseline's one factor when its rates are the scores."""
        if self.chosen != "model" or not len(frame):
            return [f"{self.baseline_factor}={v}" for v in frame[self.baseline_factor]]
        average = matrix(self.fit.design, self.periods.train).mean(axis=0)
        return top_factors(self.fit, frame, average, self.platt.b)


def _choose_fit(periods: Periods, categorical: tuple[str, ...], numeric: tuple[str, ...]) -> Fit:
    design = learn_design(periods.train, categorical, numeric)
    y = periods.train.won.to_numpy(dtype=float)
    y_cal = periods.calibration.won.to_numpy(dtype=float)
    best: tuple[float, Fit] | None = None
    for alpha in ALPHAS:
        fit = fit_ridge(design, periods.train, y, alpha)
        linear = fit.linear(periods.calibration)
        loss = evaluate.log_loss(y_cal, fit_platt(linear, y_cal).apply(linear))
        if best is None or loss < best[0] - 1e-12:
            best = (loss, fit)
    assert best is not None
    return best[1]


def train_and_measure(frame: pd.DataFrame, periods: Periods, categorical: tuple[str, ...],
                      numeric: tuple[str, ...], baseline_factor: str) -> Trained:
    """Fit on the train period, calibrate on the next, measure all three candidates on the
    test period; `frame` is every row to score."""
    fit = _choose_fit(periods, categorical, numeric)
    y_cal = periods.calibration.won.to_numpy(dtype=float)
    platt = fit_platt(fit.linear(periods.calibration), y_cal)
    y_test = periods.test.won.to_numpy(dtype=float)
    seen = pd.concat([periods.train, periods.calibration])
    rates, overall = evaluate.smoothed_rates(seen[baseline_factor],
                                             seen.won.to_numpy(dtype=float))

    def by_factor(part: pd.DataFrame) -> np.ndarray:
        return part[baseline_factor].astype(str).map(rates).fillna(overall).to_numpy(
            dtype=float)

    baseline = f"{baseline_factor}_only"  # Trained.baseline
    candidates = {
        "model": Candidate("model", platt.apply(fit.linear(periods.test)),
                           platt.apply(fit.linear(frame))),
        baseline: Candidate(baseline, by_factor(periods.test), by_factor(frame)),
        "base_rate": Candidate("base_rate", np.full(len(periods.test), overall),
                               np.full(len(frame), overall)),
    }
    for candidate in candidates.values():
        candidate.auc = evaluate.auc(y_test, candidate.test_p)
        candidate.brier = evaluate.brier(y_test, candidate.test_p)
        candidate.log_loss = evaluate.log_loss(y_test, candidate.test_p)
    model, other = candidates["model"], candidates[baseline]
    beats = (model.auc or 0) > (other.auc or 0) and model.brier < other.brier
    notes = [] if beats else [
        f"the model did not beat {baseline} on the test period (AUC {model.auc or 0:.3f} vs "
        f"{other.auc or 0:.3f}, Brier {model.brier:.4f} vs {other.brier:.4f}): the "
        f"{baseline} rates are the scores"]
    return Trained(periods, fit, platt, candidates, "model" if beats else baseline,
                   baseline_factor, notes)


def model_tables(trained: Trained, run_id: str, model: str, as_of: date, date_column: str,
                 **extra: object) -> dict[str, pd.DataFrame]:
    """The run's rows of the tables both models share: metrics per candidate on the test
    period with the split, each factor's odds ratio, and the reliability bins."""
    periods = trained.periods
    metrics = pd.DataFrame([{
        "run_id": run_id, "model": model, "candidate": c.name,
        "chosen": c.name == trained.chosen, "as_of_date": as_of,
        "train_from": pd.to_datetime(periods.train[date_column]).min().date(),
        "calibration_from": periods.calibration_from, "test_from": periods.test_from,
        "test_to": pd.to_datetime(periods.test[date_column]).max().date(),
        "train_rows": len(periods.train), "calibration_rows": len(periods.calibration),
        "test_rows": len(periods.test), "test_positives": int(periods.test.won.sum()),
        "auc": c.auc, "brier": c.brier, "log_loss": c.log_loss,
        "alpha": trained.fit.alpha if c.name == "model" else None,
        "note": "; ".join(trained.notes) or None, **extra,
    } for c in trained.candidates.values()])
    y = periods.test.won.to_numpy()
    bins = pd.concat([evaluate.reliability(y, c.test_p)
                      .assign(run_id=run_id, model=model, candidate=c.name)
                      for c in trained.candidates.values()])
    factors = factor_table(trained.fit, trained.platt.b).assign(run_id=run_id, model=model)
    return {"model_metrics": metrics, "model_factors": factors, "reliability": bins}
