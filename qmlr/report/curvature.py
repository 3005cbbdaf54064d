"""The curvature study's checks: claim 6 (the trace ratio's shape, the paper's models and the
gradient-trained controls) and the trained-model side of claim 7, all pure functions of
:func:`qmlr.studies.curvature_study.records_frame`.

Every number a check compares with a threshold carries its bootstrap interval over runs, and the
rule of :mod:`qmlr.report.uncertainty` applies. Claim 6 judges the shape of the mean trace ratio
over the noisy α — the mean trace at each α over the mean clean (α = 0) trace of the same scope,
model and definition — by threshold tests on statistics of the run-mean trace curve; the runs of
the curve are resampled jointly over α, the clean trace with them (a dead run is left out of
every mean, as the ratios leave it out). A claim-7 check over *every* model (a largest value)
resamples the runs and retakes the largest value; one over run means retakes the means. The
series and tables the checks read are in :mod:`qmlr.report.curvature_tables`. Throughout,
``records`` is :func:`qmlr.studies.curvature_study.records_frame` output, ``min_noisy_alphas``
the noisy α values a trend needs to be judged (fewer: ``None``, not evaluated), and
``hessian_samples`` the samples each Hessian is taken on (stated in the evidence).

Example:
    >>> STRONG_RISE, QNN_RATIO_CEILING
    (10.0, 1.0)
    >>> stats = ratio_statistics(np.array([[2.0, 1.8, 1.2, 0.6]]))
    >>> [round(float(stats[k][0]), 3) for k in ("max_ratio", "max_step")]
    [0.9, -0.3]
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qmlr.report.analysis import Verdict
from qmlr.report.checks import CheckRow, Measured, filed, judge, judge_all
from qmlr.report.curvature_tables import (
    CORE_SCOPES,
    DEFINITIONS,
    LABELS,
    SCOPE_NAMES,
    SCOPES,
    first_reading,
    fmt_series,
    mean_by_alpha,
    readings_frame,
    trace_ratios,
    with_scope,
)
from qmlr.report.sharing import listed, open_note, yes_no
from qmlr.report.uncertainty import (
    INCONCLUSIVE_LABEL,
    INTERVAL_LEVEL,
    Interval,
    ThresholdTest,
    bootstrap_picks,
    mean_intervals,
    open_tests,
    outcome_of,
    percentile_interval,
    tri_all,
    tri_not,
)
from qmlr.studies.curvature_study import MODEL_KINDS

#: The MLP's trace ratio counts as rising "strongly" (the paper: about two orders of magnitude)
#: when it reaches at least this at the largest α.
STRONG_RISE = 10.0
#: The QNN's trace ratio must stay at or below this at every noisy α (the paper: "≤ 1").
QNN_RATIO_CEILING = 1.0


#: Claim 6's two shapes, as the tables head them: the QNN's and the MLP's.
SHAPES = {"qnn": "≤ 1 and falling", "mlp": "rises strongly"}

#: A negative-curvature share below this counts as "no negative curvature".
NEGLIGIBLE_SHARE = 0.01
#: ``|tr B| / tr A`` below this counts as "Term B does not enter the trace".
ZERO_TERM_B = 1e-8

_BY = ["config", "alpha"]


#: The statistics of a trace-ratio curve with an interval, as the tables name them.
RATIO_STATISTICS = {
    "top_ratio": "mean ratio at the largest α",
    "min_step": "smallest change of the mean ratio between consecutive α",
    "max_ratio": "largest mean ratio over the noisy α",
    "max_step": "largest change of the mean ratio between consecutive α",
}


def ratio_statistics(means: np.ndarray) -> dict[str, np.ndarray]:
    """The :data:`RATIO_STATISTICS` of run-mean trace curves.

    :param means: ``(..., alphas)`` run-mean traces, the clean (α = 0) trace first.
    :return: name -> array of the leading shape.
    """
    means = np.asarray(means, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = means[..., 1:] / means[..., :1]
    steps = np.diff(ratios, axis=-1)
    if steps.shape[-1] == 0:  # one noisy α: no change between α values
        steps = np.full((*ratios.shape[:-1], 1), np.nan)
    return {
        "top_ratio": ratios[..., -1],
        "min_step": np.min(steps, axis=-1),
        "max_ratio": np.max(ratios, axis=-1),
        "max_step": np.max(steps, axis=-1),
    }


def run_matrix(frame: pd.DataFrame, column: str, by: str | list[str] = "alpha") -> pd.DataFrame:
    """``(runs, by)`` table of ``column`` (NaN where a run is missing, e.g. dropped as dead).

    :param frame: curvature records of one curve.
    :param column: the value, e.g. ``"trace"``.
    :param by: the columns of the table (default the α values, increasing).
    :return: the table.
    """
    return frame.pivot_table(index="run", columns=by, values=column, dropna=False).sort_index(
        axis=1
    )


def ratio_intervals(table: pd.DataFrame) -> dict[str, Interval]:
    """The :data:`RATIO_STATISTICS` of one curve, each with its bootstrap interval over runs.

    :param table: :func:`run_matrix` of the traces (clean α first; dead runs left out).
    :return: name -> interval.
    """
    return mean_intervals(ratio_statistics, table.to_numpy(float))[0]


def shape_tests(
    kind: str,
    values: list[float],
    intervals: dict[str, Interval],
    runs: int,
    sizes: str,
) -> list[ThresholdTest]:
    """Claim 6's shape as threshold tests: ``"mlp"`` rises at every step and reaches the strong
    rise (:data:`STRONG_RISE`); any other kind (the QNN's shape) stays at or below the ceiling
    (:data:`QNN_RATIO_CEILING`) and falls.

    :param kind: ``"mlp"`` for the MLP's shape, anything else for the QNN's.
    :param values: the mean ratios at the noisy α (point estimates).
    :param intervals: :func:`ratio_intervals` of the curve.
    :param runs: runs per α.
    :param sizes: the sets the traces are measured on.
    :return: two tests (their ``passes`` are the shape's parts on the point estimates).

    Example:
        >>> iv = {"max_ratio": Interval(0.6, 0.5, 1.1), "max_step": Interval(-0.1, -0.2, -0.05)}
        >>> [t.state for t in shape_tests("qnn", [0.6, 0.5], iv, 5, "")]
        ['inconclusive', 'passes']
    """
    steps = np.diff(values)
    if kind == "mlp":
        parts = [
            ("min_step", (0.0,), bool(np.all(steps > 0))),
            ("top_ratio", (STRONG_RISE,), bool(values[-1] >= STRONG_RISE)),
        ]
    else:
        parts = [
            ("max_ratio", (QNN_RATIO_CEILING,), bool(all(v <= QNN_RATIO_CEILING for v in values))),
            ("max_step", (0.0,), bool(np.all(steps < 0))),
        ]
    return [
        ThresholdTest(RATIO_STATISTICS[n], intervals[n], t, ok, runs=runs, sizes=sizes)
        for n, t, ok in parts
    ]


def max_interval(table: pd.DataFrame) -> Interval:
    """The largest value of a ``(runs, columns)`` table over every run and column, with its
    bootstrap interval over runs (the runs resampled, the maximum retaken).

    :param table: e.g. :func:`run_matrix` with several columns.
    :return: the interval.

    Example:
        >>> t = pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, np.nan]})
        >>> str(max_interval(t))
        '3.000 [2.000, 3.000]'
    """
    matrix = table.to_numpy(float)
    picks = bootstrap_picks(matrix.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        samples = np.nanmax(np.where(np.isnan(matrix), -np.inf, matrix)[picks], axis=(1, 2))
    return percentile_interval(float(np.nanmax(matrix)), samples)


def mean_interval(table: pd.DataFrame, statistic) -> Interval:
    """A statistic of a table's run means (one per column), with its bootstrap interval over
    runs (every column resampled with the same runs).

    :param table: ``(runs, columns)``.
    :param statistic: called with the ``(..., columns)`` run means, returns ``(...)``.
    :return: the interval.

    Example:
        >>> t = pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, 2.0]})
        >>> mean_interval(t, lambda m: m[..., 0] - m[..., 1]).estimate
        0.0
    """
    return mean_intervals(lambda m: {"": statistic(m)}, table.to_numpy(float))[0][""]


def sizes_text(runs: int, hessian_samples: int | None) -> str:
    """The runs and Hessian samples behind a curvature number, as evidence text.

    Example:
        >>> sizes_text(5, 100), sizes_text(1, None)
        ('5 runs per α; Hessian on 100 samples', '1 run per α')
    """
    text = f"{runs} run{'s' if runs != 1 else ''} per α"
    return text + (f"; Hessian on {hessian_samples} samples" if hessian_samples else "")


def shape_checks(
    readings: pd.DataFrame, min_noisy_alphas: int = 3, hessian_samples: int | None = None
) -> pd.DataFrame:
    """Both claim-6 shapes on every (scope, model, definition), without dead runs.

    :param readings: :func:`readings_frame` (or :func:`records_frame`) output.
    :return: one row per (scope, model, definition): ``means`` (α → mean ratio), ``means_all``
        (with dead runs), ``dead``, ``clean_trace``, ``mlp_like`` (rises strongly) and
        ``qnn_like`` (≤ 1 and falling), each ``True``/``False``/``None`` on the point
        estimates; ``runs`` (per α) and ``mlp_tests`` / ``qnn_tests``, each shape's threshold
        tests on the run-bootstrap intervals (:func:`ratio_intervals`; empty
        where not judged).
    """
    alive = trace_ratios(readings, include_dead=False)
    by = ["scope", "model", "definition"]
    alive_parts = dict(list(alive.groupby(by)))
    rows = []
    for (scope, model, definition), part in trace_ratios(readings, include_dead=True).groupby(by):
        mine = alive_parts.get((scope, model, definition), alive.iloc[:0])
        means = mean_by_alpha(mine[mine["alpha"] > 0], "ratio")
        values = [means[a] for a in sorted(means)]
        judged = len(values) >= min_noisy_alphas and bool(np.all(np.isfinite(values)))
        runs = int(part.groupby("alpha")["run"].nunique().min())
        intervals = ratio_intervals(run_matrix(mine, "trace")) if len(values) else {}
        sizes = sizes_text(runs, hessian_samples)
        tests = {k: shape_tests(k, values, intervals, runs, sizes) if judged else []
                 for k in ("mlp", "qnn")}  # fmt: skip
        rows.append(
            {
                "scope": scope,
                "model": model,
                "definition": definition,
                "means": means,
                "means_all": mean_by_alpha(part[part["alpha"] > 0], "ratio"),
                "dead": int(part["dead"].astype(bool).sum()),
                "clean_trace": float(mine[mine["alpha"] == 0.0]["trace"].mean()),
                **{f"{k}_like": all(t.passes for t in tests[k]) if judged else None for k in tests},
                "runs": runs,
                **{f"{k}_tests": tests[k] for k in tests},
            }
        )
    columns = ["scope", "model", "definition", "means", "means_all", "dead", "clean_trace"]
    tail = ["mlp_like", "qnn_like", "runs", "mlp_tests", "qnn_tests"]
    return pd.DataFrame(rows, columns=[*columns, *tail])


def claim6_verdicts(
    records: pd.DataFrame, min_noisy_alphas: int = 3, hessian_samples: int | None = None
) -> list[Verdict]:
    """Claim 6 for the paper's models in every scope and trace definition, with core flags.

    The MLP is judged on "rises strongly", the QNN on "≤ 1 and falling", both without dead runs
    (as the authors plotted); the evidence gives the ratios with dead runs too. Core: the
    real-Hessian verdicts of :data:`CORE_SCOPES`.

    :return: the verdicts, filed (core flag and scorecard name on each).
    """
    checks = shape_checks(readings_frame(records), min_noisy_alphas, hessian_samples)
    checks = checks[checks["model"].isin(MODEL_KINDS)]
    order = {s: i for i, s in enumerate(SCOPES.values())}
    checks = checks.sort_values(
        ["scope", "model", "definition"], key=lambda c: c.map(order) if c.name == "scope" else c
    )
    out = []
    for row in checks.itertuples():
        evidence = (
            f"{DEFINITIONS[row.definition]}: mean ratio {fmt_series(row.means)} "
            f"(clean mean tr {row.clean_trace:.3g})"
        )
        if row.dead:
            evidence += f"; with the {row.dead} dead run(s): {fmt_series(row.means_all)}"
        if row.model == "mlp":
            claim = f"6 ({row.scope}): MLP trace ratio rises strongly with α"
            ok, tests = row.mlp_like, row.mlp_tests
        else:
            tail = "" if row.definition == "real" else ", complexified angles"
            claim = f"6 ({row.scope}{tail}): QNN trace ratio ≤ 1 and falling with α"
            ok, tests = row.qnn_like, row.qnn_tests
        if tests:
            evidence += "; " + "; ".join(f"{t.name} {t.value.text()}" for t in tests)
        core = row.scope in CORE_SCOPES and row.definition == "real"
        name = f"{LABELS[row.model]}, {SCOPE_NAMES.get(row.scope, row.scope)}"
        if row.definition != "real":
            name += f", {DEFINITIONS[row.definition]}"
        measured = Measured(evidence, tuple(tests), ok is not None,
                            sizes_text(row.runs, hessian_samples))  # fmt: skip
        check = f"{row.model}-trace-ratio/{row.scope}/{row.definition}"
        out.append(filed(check, 6, "curvature", core, name, claim, measured))
    return out


def _si_checks(
    records: pd.DataFrame, min_noisy_alphas: int, hessian_samples: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`shape_checks` of the ``si`` models, and of the gradient-trained controls."""
    scoped = with_scope(records).query("scope == 'si'")
    checks = shape_checks(scoped, min_noisy_alphas, hessian_samples)
    return checks, checks[~checks["model"].isin(MODEL_KINDS)]


def controls_verdict(
    records: pd.DataFrame, min_noisy_alphas: int = 3, hessian_samples: int | None = None
) -> Verdict | None:
    """Whether the QNN's trace-ratio shape is QNN-specific in the ``si`` configuration: the QNN
    shows it and no gradient-trained control does (the same check, the same thresholds), under
    the uncertainty rule (three-valued: the QNN's tests and not any control's).

    :return: the verdict, or ``None`` without controls in the records.
    """
    checks, controls = _si_checks(records, min_noisy_alphas, hessian_samples)
    qnn = checks[checks["model"] == "qnn"]
    if controls.empty or qnn.empty:
        return None
    sharing = [m for m, ok in zip(controls["model"], controls["qnn_like"], strict=True) if ok]
    judged = qnn["qnn_like"].iloc[0] is not None and controls["qnn_like"].notna().all()
    ok = bool(qnn["qnn_like"].iloc[0]) and not sharing
    shows = [outcome_of(qnn["qnn_tests"].iloc[0])]
    shows += [tri_not(outcome_of(ts)) for ts in controls["qnn_tests"]]
    tests = [
        ThresholdTest(f"{m}: {t.name}", t.value, t.thresholds, t.passes, t.runs, t.sizes)
        for m, ts in zip(checks["model"], checks["qnn_tests"], strict=True)
        if m != "mlp"
        for t in ts
    ]
    ratios = "; ".join(f"{r.model}: {fmt_series(r.means)}" for r in checks.itertuples()
                       if r.model != "mlp")  # fmt: skip
    evidence = (
        f"mean ratio (real Hessian, without dead runs) {ratios}; sharing the QNN's shape: "
        f"{', '.join(sharing) or 'none'}"
    )
    sizes = sizes_text(int(checks["runs"].min()), hessian_samples)
    measured = Measured(evidence, tuple(tests), judged, sizes, point=ok, outcome=tri_all(shows))
    return judge(CONTROLS_ROW, measured)


#: Claim 6's controls check (its measure: :func:`controls_verdict`'s numbers).
CONTROLS_ROW = CheckRow(
    "controls-trace-ratio/si",
    6,
    "curvature",
    False,
    "gradient-trained controls do not share the QNN's shape",
    "6 (si, controls): only the QNN's trace ratio stays ≤ 1 and falls with α",
    lambda measured: measured,
)


def controls_table(records: pd.DataFrame, min_noisy_alphas: int = 3) -> pd.DataFrame:
    """The ``si`` models' mean trace ratios (real Hessian, without dead runs) and both claim-6
    shapes, the MLP and the QNN first, then the controls.

    :return: one row per model: ``α = …`` columns, ``≤ 1 and falling`` and ``rises strongly``,
        each ``yes`` / ``no`` under the uncertainty rule (:func:`outcome_of`), ``?`` where a
        threshold lies inside its run-bootstrap interval, ``None`` where not judged.
    """
    checks, _ = _si_checks(records, min_noisy_alphas)
    rows = []
    for r in checks.itertuples():
        row = {"model": r.model, **{f"α = {a:g}": v for a, v in sorted(r.means.items())}}
        row["dead runs"] = r.dead
        for k, column in SHAPES.items():
            tests = getattr(r, f"{k}_tests")
            row[column] = None if getattr(r, f"{k}_like") is None else yes_no(outcome_of(tests))
        rows.append(row)
    order = {m: i for i, m in enumerate(MODEL_KINDS)}
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values("model", key=lambda m: m.map(lambda k: order.get(k, 9)), kind="stable")


def curvature_sharing(records: pd.DataFrame, min_noisy_alphas: int = 3) -> str | None:
    """Which gradient-trained controls share the QNN's claim-6 shape (``si``, real Hessian,
    the QNN check with the QNN's thresholds), and which the MLP's, as text for the scorecard.

    :return: the text, or ``None`` without controls in the records.
    """
    _, controls = _si_checks(records, min_noisy_alphas)
    if controls.empty:
        return None
    if controls["qnn_like"].isna().any():
        return "trace ratio (MNIST, SI configuration): not evaluated at this profile"
    models = list(controls["model"])
    qnn_like = listed(zip(models, map(outcome_of, controls["qnn_tests"]), strict=True))
    mlp_like = listed(zip(models, map(outcome_of, controls["mlp_tests"]), strict=True))
    return (
        f"trace ratio ≤ {QNN_RATIO_CEILING:g} and falling (MNIST, SI configuration): "
        f"{qnn_like}; rising ≥ {STRONG_RISE:g}× like the MLP's claim: {mlp_like}"
    )


def controls_open_text(records: pd.DataFrame, min_noisy_alphas: int = 3) -> str:
    """Which controls' claim-6 shapes (``si``, real Hessian) are inconclusive at this scale —
    marked ``?`` in :func:`controls_table` and :func:`curvature_sharing` — with the tests whose
    threshold lies inside the run-bootstrap interval.

    :return: Markdown text (``""`` without judged controls).
    """
    _, controls = _si_checks(records, min_noisy_alphas)
    controls = controls[controls["qnn_like"].notna()]
    if controls.empty:
        return ""
    parts = [
        f"{r.model} ({shape}: " + "; ".join(f"{t.name} {t.against}" for t in open_tests(tests))
        + ")"
        for r in controls.itertuples()
        for shape, tests in ((v, getattr(r, f"{k}_tests")) for k, v in SHAPES.items())
        if outcome_of(tests) is None
    ]  # fmt: skip
    return open_note(
        "a threshold lies inside the run-bootstrap interval of the number it judges, "
        f"{INTERVAL_LEVEL:.0%}", parts, f"No control's trace-ratio shape is {INCONCLUSIVE_LABEL}."
    )  # fmt: skip


def claim_verdicts(
    records: pd.DataFrame, min_noisy_alphas: int = 3, hessian_samples: int | None = None
) -> list[Verdict]:
    """Every verdict of the chapter, filed for the scorecard: claim 6
    (:func:`claim6_verdicts`, then :func:`controls_verdict`) and the numerical side of claim 7
    on the first reading (:func:`claim7_verdicts`); with fewer than ``min_noisy_alphas`` noisy
    α values (the smoke profile) the trend verdicts are "not evaluated".

    :return: the verdicts in chapter order.
    """
    out = claim6_verdicts(records, min_noisy_alphas, hessian_samples)
    control = controls_verdict(records, min_noisy_alphas, hessian_samples)
    out += [] if control is None else [control]
    return out + claim7_verdicts(first_reading(records), min_noisy_alphas, hessian_samples)


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
    """A trained-model claim-7 check: beyond the paper, in the curvature chapter (its scorecard
    name: the claim without the ``7 (…)`` prefix)."""
    name = claim.removeprefix("7 (").replace("): ", ": ", 1)
    return CheckRow(check, 7, "curvature", False, name, claim, measure)


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
