"""The scoring run's checks, as data (Dagster reports them; tests call them directly)."""

from __future__ import annotations

from dataclasses import dataclass, field

from models_py.scoring.training import Trained

CALIBRATION_TOLERANCE = 0.05  # |mean predicted - observed rate| per tenth of the test leads
CHECK_NAMES = ("scores_are_probabilities", "calibrated_on_test_period", "beats_baseline")


@dataclass
class Check:
    name: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    # A warning does not block: the run still stores its scores (the fallback ones).
    warn_only: bool = False


def run_checks(trained: Trained, ids: list[str]) -> list[Check]:
    """`ids` name the scored rows (lead or opportunity ids), for messages."""
    from models_py.scoring.evaluate import reliability

    chosen = trained.candidates[trained.chosen]
    outside = [(i, p) for i, p in enumerate(chosen.all_p) if not 0.0 <= p <= 1.0 or p != p]
    checks = [Check("scores_are_probabilities", not outside,
                    [f"{ids[i]}: score {p}" for i, p in outside[:20]])]
    bins = reliability(trained.periods.test.won.to_numpy(), chosen.test_p)
    off = bins[(bins.mean_predicted - bins.observed_rate).abs() > CALIBRATION_TOLERANCE]
    checks.append(Check("calibrated_on_test_period", off.empty, [
        f"tenth {int(b.bin)} of the test rows: predicted {b.mean_predicted:.3f}, observed "
        f"{b.observed_rate:.3f} ({int(b.leads)} rows)" for b in off.itertuples()],
        warn_only=True))
    checks.append(Check("beats_baseline", trained.chosen == "model", trained.notes,
                        warn_only=True))
    return checks
