"""The curvature chapter's verdicts on the trained-model side of claim 7 (Term B and negative
curvature in the first reading's MLPs and QNNs).

Each number a verdict compares with a threshold carries its bootstrap interval over runs
(:mod:`qmlr.report.curvature_intervals`) and the rule of :mod:`qmlr.report.uncertainty`
applies. A verdict over *every* model (a largest value) resamples the runs and retakes the
largest value; a verdict over run means resamples the runs and retakes the means.

Example:
    >>> claim7_name("7 (trained QNN): Term B is negative")
    'trained QNN: Term B is negative'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qmlr.report.analysis import Verdict
from qmlr.report.checks import CheckRow, Measured, judge_all
from qmlr.report.curvature_intervals import max_interval, mean_interval, run_matrix, sizes_text
from qmlr.report.curvature_tables import fmt_series, mean_by_alpha
from qmlr.report.uncertainty import Interval, ThresholdTest

#: A negative-curvature share below this counts as "no negative curvature".
NEGLIGIBLE_SHARE = 0.01
#: ``|tr B| / tr A`` below this counts as "Term B does not enter the trace".
ZERO_TERM_B = 1e-8

_BY = ["config", "alpha"]


def claim7_name(claim: str) -> str:
    """The scorecard name of a claim-7 verdict: its claim without the ``7 (…)`` prefix."""
    return claim.removeprefix("7 (").replace("): ", ": ", 1)


@dataclass(frozen=True)
class Reading:
    """What the claim-7 measures read: the first reading's MLPs and QNNs, the noisy α values
    needed to judge a growth with label noise, and the runs and sets behind the numbers."""

    mlp: pd.DataFrame
    qnn: pd.DataFrame
    min_noisy_alphas: int
    runs: int
    sizes: str

    def test(self, name: str, value: Interval, threshold: float, passes: bool) -> ThresholdTest:
        """A threshold test on this reading's runs and sets."""
        return ThresholdTest(name, value, (threshold,), bool(passes), self.runs, self.sizes)

    def measured(self, evidence: str, *tests: ThresholdTest, judged: bool = True) -> Measured:
        """The evidence and tests of a claim-7 check on this reading."""
        return Measured(evidence, tests, judged, self.sizes)


def term_b_zero(r: Reading) -> Measured:
    """Term B does not enter the trained MLPs' trace (largest ``|tr H − tr A| / tr A``)."""
    rel = r.mlp.assign(rel=r.mlp["trace_residual"].abs() / r.mlp["trace_gauss_newton"].abs())
    value = max_interval(run_matrix(rel, "rel", _BY))
    test = r.test("largest |tr H − tr A| / tr A", value, ZERO_TERM_B, value.estimate < ZERO_TERM_B)
    return r.measured(f"max |tr H − tr A| / tr A over {len(r.mlp)} MLPs = {value.text()}", test)


def no_negative_curvature(r: Reading) -> Measured:
    """The trained MLPs have no negative curvature (largest SLQ share below
    :data:`NEGLIGIBLE_SHARE`)."""
    share = r.mlp.groupby("config")["negative_share_slq"].agg(["mean", "max"])
    text = "; ".join(f"{c}: mean {x['mean']:.2%}, max {x['max']:.2%}" for c, x in share.iterrows())
    largest = max_interval(run_matrix(r.mlp, "negative_share_slq", _BY))
    what = "largest negative-curvature share (SLQ)"
    test = r.test(what, largest, NEGLIGIBLE_SHARE, share["max"].max() < NEGLIGIBLE_SHARE)
    return r.measured(f"negative-curvature share (SLQ) {text}; largest {largest}; "
                      f"threshold {NEGLIGIBLE_SHARE:.0%}", test)  # fmt: skip


def term_b_flipped(r: Reading) -> Measured:
    """The noisy QNNs' mean Term B over the flipped samples is negative at every (config, α)."""
    qnn = r.qnn[r.qnn["alpha"] > 0]
    per = qnn.groupby(_BY)["trace_residual_flipped"].mean()
    text = "; ".join(
        f"{c}: {fmt_series({a: v for (cc, a), v in per.items() if cc == c})}"
        for c in sorted(qnn["config"].unique())
    )
    table = run_matrix(qnn, "trace_residual_flipped", _BY)
    value = mean_interval(table, lambda m: np.max(m, axis=-1))
    test = r.test("largest mean tr B over flipped samples", value, 0.0, (per < 0).all())
    return r.measured(f"mean tr B over flipped samples {text}; largest {value}", test)


def more_negative_curvature(r: Reading) -> Measured:
    """Per configuration: the QNN's negative-curvature share grows from α = 0 to the largest α
    and exceeds the MLP's at every α (the two models' runs resampled together)."""
    qnn, mlp = r.qnn, r.mlp
    rows, tests, judged = [], [], True
    for config in sorted(qnn["config"].unique()):
        q = mean_by_alpha(qnn[qnn["config"] == config], "negative_share_exact")
        m = mean_by_alpha(mlp[mlp["config"] == config], "negative_share_slq")
        vals = [q[a] for a in sorted(q)]
        judged &= len(vals) - 1 >= r.min_noisy_alphas
        mine = run_matrix(mlp[mlp["config"] == config], "negative_share_slq")
        both = pd.concat(
            [run_matrix(qnn[qnn["config"] == config], "negative_share_exact"),
             mine.reindex(columns=sorted(q))],
            axis=1,
        )  # fmt: skip
        n = len(q)
        growth = mean_interval(both, lambda x, n=n: x[..., n - 1] - x[..., 0])
        margin = mean_interval(both, lambda x, n=n: np.min(x[..., :n] - x[..., n:], axis=-1))
        above = all(q[a] > m.get(a, np.inf) for a in q)
        tests += [
            r.test(f"{config}: QNN share, largest α − α = 0", growth, 0.0, vals[-1] > vals[0]),
            r.test(f"{config}: smallest QNN − MLP share over α", margin, 0.0, above),
        ]
        rows.append(
            f"{config}: QNN {fmt_series(q, 2)} vs MLP {fmt_series(m, 2)} (growth {growth}; "
            f"smallest QNN − MLP {margin})"
        )
    return r.measured("negative-curvature share " + "; ".join(rows), *tests, judged=judged)


def _row(check: str, claim: str, measure) -> CheckRow:
    """A trained-model claim-7 check: beyond the paper, in the curvature chapter."""
    return CheckRow(check, 7, "curvature", False, claim7_name(claim), claim, measure)


#: The trained-model side of claim 7, with the models each row needs records of.
CLAIM7_ROWS = (
    (("mlp",), _row("mlp-term-b-zero",
                    "7 (trained MLP): Term B does not enter the trace, tr H = Σ p(1−p)|∇z|²/N ≥ 0",
                    term_b_zero)),
    (("mlp",), _row("mlp-no-negative-curvature",
                    "7 (trained MLP): no negative curvature (H ⪰ 0, as for the one-neuron MLP)",
                    no_negative_curvature)),
    (("noisy qnn",), _row("qnn-term-b-flipped-negative",
                          "7 (trained QNN): Term B of the mislabeled samples is negative",
                          term_b_flipped)),
    (("qnn",), _row("qnn-more-negative-curvature",
                    "7 (trained QNN): more negative curvature than the MLP, growing with label "
                    "noise", more_negative_curvature)),
)  # fmt: skip


def claim7_verdicts(
    records: pd.DataFrame, min_noisy_alphas: int, hessian_samples: int | None = None
) -> list[Verdict]:
    """The trained-model side of claim 7 on the first reading's MLPs and QNNs:
    :data:`CLAIM7_ROWS` judged.

    :param records: the first reading (:func:`qmlr.report.curvature_tables.first_reading`).
    :param min_noisy_alphas: noisy α values needed to judge the growth with label noise.
    :param hessian_samples: samples each Hessian is taken on (stated in the evidence).
    :return: the verdicts (those whose models have no records are left out).
    """
    if records.empty:
        return []
    runs = int(records.groupby(["config", "model", "alpha"])["run"].nunique().min())
    mlp = records[records["model"] == "mlp"]
    qnn = records[records["model"] == "qnn"]
    reading = Reading(mlp, qnn, min_noisy_alphas, runs, sizes_text(runs, hessian_samples))
    present = {"mlp": len(mlp), "qnn": len(qnn), "noisy qnn": len(qnn[qnn["alpha"] > 0])}
    rows = [row for needs, row in CLAIM7_ROWS if all(present[n] for n in needs)]
    return judge_all(rows, reading)
