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

import numpy as np
import pandas as pd

from qmlr.report.analysis import Verdict
from qmlr.report.checks import CheckRow, Measured, judge, judge_all
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


def _row(check: str, claim: str, measure) -> CheckRow:
    """A trained-model claim-7 check: beyond the paper, in the curvature chapter."""
    return CheckRow(check, 7, "curvature", False, claim7_name(claim), claim, measure)


def _test(name: str, value: Interval, threshold: float, passes: bool, runs: int, sizes: str):
    return ThresholdTest(name, value, (threshold,), bool(passes), runs, sizes)


def mlp_verdicts(mlp: pd.DataFrame, runs: int, sizes: str) -> list[Verdict]:
    """Term B does not enter the trained MLPs' trace, and they have no negative curvature."""
    rel = mlp.assign(rel=mlp["trace_residual"].abs() / mlp["trace_gauss_newton"].abs())
    value = max_interval(run_matrix(rel, "rel", _BY))
    term_b = _test(
        "largest |tr H − tr A| / tr A",
        value,
        ZERO_TERM_B,
        value.estimate < ZERO_TERM_B,
        runs,
        sizes,
    )
    share = mlp.groupby("config")["negative_share_slq"].agg(["mean", "max"])
    text = "; ".join(f"{c}: mean {r['mean']:.2%}, max {r['max']:.2%}" for c, r in share.iterrows())
    largest = max_interval(run_matrix(mlp, "negative_share_slq", _BY))
    ok = share["max"].max() < NEGLIGIBLE_SHARE
    negative = _test(
        "largest negative-curvature share (SLQ)", largest, NEGLIGIBLE_SHARE, ok, runs, sizes
    )
    rows = [
        _row("mlp-term-b-zero",
             "7 (trained MLP): Term B does not enter the trace, tr H = Σ p(1−p)|∇z|²/N ≥ 0",
             lambda _: Measured(f"max |tr H − tr A| / tr A over {len(mlp)} MLPs = "
                                f"{value.text()}", (term_b,), True, sizes)),
        _row("mlp-no-negative-curvature",
             "7 (trained MLP): no negative curvature (H ⪰ 0, as for the one-neuron MLP)",
             lambda _: Measured(f"negative-curvature share (SLQ) {text}; largest {largest}; "
                                f"threshold {NEGLIGIBLE_SHARE:.0%}", (negative,), True, sizes)),
    ]  # fmt: skip
    return judge_all(rows, None)


def term_b_verdict(qnn: pd.DataFrame, runs: int, sizes: str) -> Verdict:
    """The noisy QNNs' mean Term B over the flipped samples is negative at every (config, α)."""
    per = qnn.groupby(_BY)["trace_residual_flipped"].mean()
    text = "; ".join(
        f"{c}: {fmt_series({a: v for (cc, a), v in per.items() if cc == c})}"
        for c in sorted(qnn["config"].unique())
    )
    table = run_matrix(qnn, "trace_residual_flipped", _BY)
    value = mean_interval(table, lambda m: np.max(m, axis=-1))
    test = _test("largest mean tr B over flipped samples", value, 0.0, (per < 0).all(), runs, sizes)
    evidence = f"mean tr B over flipped samples {text}; largest {value}"
    claim = "7 (trained QNN): Term B of the mislabeled samples is negative"
    return judge(_row("qnn-term-b-flipped-negative", claim,
                      lambda _: Measured(evidence, (test,), True, sizes)), None)  # fmt: skip


def share_verdict(
    qnn: pd.DataFrame, mlp: pd.DataFrame, min_noisy_alphas: int, runs: int, sizes: str
) -> Verdict:
    """Per configuration: the QNN's negative-curvature share grows from α = 0 to the largest α
    and exceeds the MLP's at every α (the two models' runs resampled together)."""
    rows, tests, judged = [], [], True
    for config in sorted(qnn["config"].unique()):
        q = mean_by_alpha(qnn[qnn["config"] == config], "negative_share_exact")
        m = mean_by_alpha(mlp[mlp["config"] == config], "negative_share_slq")
        vals = [q[a] for a in sorted(q)]
        judged &= len(vals) - 1 >= min_noisy_alphas
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
            _test(
                f"{config}: QNN share, largest α − α = 0",
                growth,
                0.0,
                vals[-1] > vals[0],
                runs,
                sizes,
            ),
            _test(f"{config}: smallest QNN − MLP share over α", margin, 0.0, above, runs, sizes),
        ]
        rows.append(
            f"{config}: QNN {fmt_series(q, 2)} vs MLP {fmt_series(m, 2)} (growth {growth}; "
            f"smallest QNN − MLP {margin})"
        )
    evidence = "negative-curvature share " + "; ".join(rows)
    claim = "7 (trained QNN): more negative curvature than the MLP, growing with label noise"
    return judge(_row("qnn-more-negative-curvature", claim,
                      lambda _: Measured(evidence, tuple(tests), judged, sizes)), None)  # fmt: skip


def claim7_verdicts(
    records: pd.DataFrame, min_noisy_alphas: int, hessian_samples: int | None = None
) -> list[Verdict]:
    """The trained-model side of claim 7 on the first reading's MLPs and QNNs.

    :param records: the first reading (:func:`qmlr.report.curvature_tables.first_reading`).
    :param min_noisy_alphas: noisy α values needed to judge the growth with label noise.
    :param hessian_samples: samples each Hessian is taken on (stated in the evidence).
    :return: the verdicts (those whose models have no records are left out).
    """
    if records.empty:
        return []
    runs = int(records.groupby(["config", "model", "alpha"])["run"].nunique().min())
    sizes = sizes_text(runs, hessian_samples)
    mlp = records[records["model"] == "mlp"]
    qnn = records[records["model"] == "qnn"]
    verdicts = mlp_verdicts(mlp, runs, sizes) if len(mlp) else []
    if len(qnn[qnn["alpha"] > 0]):
        verdicts.append(term_b_verdict(qnn[qnn["alpha"] > 0], runs, sizes))
    if len(qnn):
        verdicts.append(share_verdict(qnn, mlp, min_noisy_alphas, runs, sizes))
    return verdicts
