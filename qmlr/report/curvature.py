"""The curvature study's verdicts and findings (claim 6 and the trained-model side of claim 7),
all pure functions of :func:`qmlr.studies.curvature_study.records_frame`; the series, ratios
and tables they read are in :mod:`qmlr.report.curvature_tables` (re-exported here).

Example:
    >>> STRONG_RISE, QNN_RATIO_CEILING
    (10.0, 1.0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qmlr.report.analysis import Verdict
from qmlr.report.checks import CheckRow, Measured, filed, judge
from qmlr.report.curvature_claim7 import (  # noqa: F401 (re-exported for the chapters)
    NEGLIGIBLE_SHARE,
    ZERO_TERM_B,
    claim7_verdicts,
)
from qmlr.report.curvature_intervals import (
    ratio_intervals,
    run_matrix,
    shape_tests,
    sizes_text,
)
from qmlr.report.curvature_tables import (  # noqa: F401 (re-exported for the chapters)
    CORE_SCOPES,
    DEFINITIONS,
    LABELS,
    SCOPE_NAMES,
    SCOPE_TEXT,
    SCOPES,
    first_reading,
    fmt_series,
    mean_by_alpha,
    methods_table,
    ratio_table,
    readings_frame,
    readings_table,
    summary_table,
    trace_ratios,
    with_scope,
)
from qmlr.report.sharing import listed, open_note, yes_no
from qmlr.report.uncertainty import (
    INCONCLUSIVE_LABEL,
    INTERVAL_LEVEL,
    ThresholdTest,
    open_tests,
    outcome_of,
    tri_all,
    tri_not,
)
from qmlr.studies.curvature_study import FLIPS, HESSIAN_LABELS, MODEL_KINDS

#: The MLP's trace ratio counts as rising "strongly" (the paper: about two orders of magnitude)
#: when it reaches at least this at the largest α.
STRONG_RISE = 10.0
#: The QNN's trace ratio must stay at or below this at every noisy α (the paper: "≤ 1").
QNN_RATIO_CEILING = 1.0
#: Relative agreement required between the complexified trace by its definition and by the
#: identity of :mod:`qmlr.core.complexified` (both exact; rounding only).
COMPLEXIFIED_AGREEMENT = 1e-8


def shape_checks(
    readings: pd.DataFrame, min_noisy_alphas: int = 3, hessian_samples: int | None = None
) -> pd.DataFrame:
    """Both claim-6 shapes on every (scope, model, definition), without dead runs.

    :param readings: :func:`readings_frame` (or :func:`records_frame`) output.
    :param min_noisy_alphas: noisy α values needed to judge a trend (else ``None``).
    :param hessian_samples: samples each Hessian is taken on, for the tests' set sizes.
    :return: one row per (scope, model, definition): ``means`` (α → mean ratio), ``means_all``
        (with dead runs), ``dead``, ``clean_trace``, ``mlp_like`` (rises strongly) and
        ``qnn_like`` (≤ 1 and falling), each ``True``/``False``/``None`` on the point
        estimates; ``runs`` (per α) and ``mlp_tests`` / ``qnn_tests``, each shape's threshold
        tests on the run-bootstrap intervals (:mod:`qmlr.report.curvature_intervals`; empty
        where not judged).
    """
    alive = trace_ratios(readings, include_dead=False)
    every = trace_ratios(readings, include_dead=True)
    rows = []
    for (scope, model, definition), part in every.groupby(["scope", "model", "definition"]):
        mine = alive[
            (alive["scope"] == scope)
            & (alive["model"] == model)
            & (alive["definition"] == definition)
        ]
        means = mean_by_alpha(mine[mine["alpha"] > 0], "ratio")
        values = [means[a] for a in sorted(means)]
        judged = len(values) >= min_noisy_alphas and bool(np.all(np.isfinite(values)))
        runs = int(part.groupby("alpha")["run"].nunique().min())
        intervals = ratio_intervals(run_matrix(mine, "trace")) if len(values) else {}
        shape, sizes = (STRONG_RISE, QNN_RATIO_CEILING), sizes_text(runs, hessian_samples)
        tests = {k: shape_tests(k, values, intervals, shape, runs, sizes) if judged else []
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

    :param records: :func:`records_frame` output.
    :param min_noisy_alphas: noisy α values needed to judge a trend.
    :param hessian_samples: samples each Hessian is taken on (stated in the evidence).
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


def controls_verdict(
    records: pd.DataFrame, min_noisy_alphas: int = 3, hessian_samples: int | None = None
) -> Verdict | None:
    """Whether the QNN's trace-ratio shape is QNN-specific in the ``si`` configuration: the QNN
    shows it and no gradient-trained control does (the same check, the same thresholds), under
    the uncertainty rule (three-valued: the QNN's tests and not any control's).

    :param records: :func:`records_frame` output.
    :param min_noisy_alphas: see :func:`shape_checks`.
    :param hessian_samples: samples each Hessian is taken on (stated in the evidence).
    :return: the verdict, or ``None`` without controls in the records.
    """
    scoped = with_scope(records).query("scope == 'si'")
    checks = shape_checks(scoped, min_noisy_alphas, hessian_samples)
    controls = checks[~checks["model"].isin(MODEL_KINDS)]
    qnn = checks[checks["model"] == "qnn"]
    if controls.empty or qnn.empty:
        return None
    sharing = [m for m, ok in zip(controls["model"], controls["qnn_like"], strict=True) if ok]
    judged = qnn["qnn_like"].iloc[0] is not None and controls["qnn_like"].notna().all()
    evidence = "; ".join(
        f"{r.model}: {fmt_series(r.means)}" for r in checks.itertuples() if r.model != "mlp"
    )
    ok = bool(qnn["qnn_like"].iloc[0]) and not sharing
    shows = [outcome_of(qnn["qnn_tests"].iloc[0])]
    shows += [tri_not(outcome_of(ts)) for ts in controls["qnn_tests"]]
    tests = [
        ThresholdTest(f"{m}: {t.name}", t.value, t.thresholds, t.passes, t.runs, t.sizes)
        for m, ts in zip(checks["model"], checks["qnn_tests"], strict=True)
        if m != "mlp"
        for t in ts
    ]
    evidence = (
        f"mean ratio (real Hessian, without dead runs) {evidence}; sharing the QNN's shape: "
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

    :param records: :func:`records_frame` output.
    :param min_noisy_alphas: see :func:`shape_checks`.
    :return: one row per model: ``α = …`` columns, ``≤ 1 and falling`` and ``rises strongly``,
        each ``yes`` / ``no`` under the uncertainty rule (:func:`outcome_of`), ``?`` where a
        threshold lies inside its run-bootstrap interval, ``None`` where not judged.
    """
    checks = shape_checks(with_scope(records).query("scope == 'si'"), min_noisy_alphas)
    rows = []
    for r in checks.itertuples():
        row = {"model": r.model, **{f"α = {a:g}": v for a, v in sorted(r.means.items())}}
        row["dead runs"] = r.dead
        for column, point, tests in (
            ("≤ 1 and falling", r.qnn_like, r.qnn_tests),
            ("rises strongly", r.mlp_like, r.mlp_tests),
        ):
            row[column] = None if point is None else yes_no(outcome_of(tests))
        rows.append(row)
    order = {m: i for i, m in enumerate(MODEL_KINDS)}
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values("model", key=lambda m: m.map(lambda k: order.get(k, 9)), kind="stable")


def curvature_sharing(records: pd.DataFrame, min_noisy_alphas: int = 3) -> str | None:
    """Which gradient-trained controls share the QNN's claim-6 shape (``si``, real Hessian,
    the QNN check with the QNN's thresholds), and which the MLP's, as text for the scorecard.

    :param records: :func:`records_frame` output.
    :param min_noisy_alphas: see :func:`shape_checks`.
    :return: the text, or ``None`` without controls in the records.
    """
    checks = shape_checks(with_scope(records).query("scope == 'si'"), min_noisy_alphas)
    controls = checks[~checks["model"].isin(MODEL_KINDS)]
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

    :param records: :func:`records_frame` output.
    :param min_noisy_alphas: see :func:`shape_checks`.
    :return: Markdown text (``""`` without judged controls).
    """
    checks = shape_checks(with_scope(records).query("scope == 'si'"), min_noisy_alphas)
    controls = checks[~checks["model"].isin(MODEL_KINDS) & checks["qnn_like"].notna()]
    if controls.empty:
        return ""
    parts = [
        f"{r.model} ({shape}: " + "; ".join(f"{t.name} {t.against}" for t in open_tests(tests))
        + ")"
        for r in controls.itertuples()
        for shape, tests in (("≤ 1 and falling", r.qnn_tests), ("rises strongly", r.mlp_tests))
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
    (:func:`claim6_verdicts`, core on the real Hessian of :data:`CORE_SCOPES`; then
    :func:`controls_verdict`) and the numerical side of claim 7 on the first reading (beyond
    the paper's figure).

    With fewer than ``min_noisy_alphas`` noisy α values (the smoke profile) the trend verdicts
    are "not evaluated". Every number a verdict compares with a threshold carries its bootstrap
    interval over runs, under the rule of :mod:`qmlr.report.uncertainty`.

    :param records: :func:`records_frame` output.
    :param min_noisy_alphas: noisy α values needed to judge a trend.
    :param hessian_samples: samples each Hessian is taken on (the profile's
        ``hessian_samples``), stated in the evidence.
    :return: the verdicts in chapter order.
    """
    out = claim6_verdicts(records, min_noisy_alphas, hessian_samples)
    control = controls_verdict(records, min_noisy_alphas, hessian_samples)
    out += [] if control is None else [control]
    return out + claim7_verdicts(first_reading(records), min_noisy_alphas, hessian_samples)


def findings(records: pd.DataFrame) -> list[str]:
    """Data-driven sentences for the chapter's discussion (Markdown bullets, numbers computed).

    :param records: :func:`records_frame` output.
    :return: one string per finding.
    """
    out = []
    everything = records
    records = first_reading(records)
    alive = trace_ratios(records, include_dead=False)
    top = float(records["alpha"].max())
    for scope in sorted(records["scope"].unique()):
        parts = []
        for kind in ("mlp", "qnn"):
            sel = alive[(alive["scope"] == scope) & (alive["model"] == kind)]
            at_top = sel[sel["alpha"] == top]["ratio"]
            if len(at_top):
                parts.append(
                    f"{LABELS[kind]} ratio at α = {top:g}: mean {at_top.mean():.3g}, runs "
                    f"{at_top.min():.3g} … {at_top.max():.3g}"
                )
        if parts:
            out.append(f"**{scope}** (without dead runs): " + "; ".join(parts) + ".")
    mlp = records[records["model"] == "mlp"]
    if len(mlp):
        share = mlp["negative_share_slq"]
        negative = int((mlp["lam_min"] < 0).sum())
        rel = (mlp["trace_residual"].abs() / mlp["trace_gauss_newton"].abs()).max()
        out.append(
            f"**MLP curvature:** {negative} of {len(mlp)} MLP Hessians have λ_min < 0; the "
            f"negative share is {share.mean():.2%} on average (max {share.max():.2%}), while "
            f"Term B's share of the trace is at rounding level (max |tr B| / tr A = {rel:.0e})."
        )
    qnn = records[(records["model"] == "qnn") & (records["alpha"] > 0)]
    for scope in sorted(qnn["scope"].unique()):
        q = qnn[qnn["scope"] == scope]
        flipped = q["trace_residual_flipped"]
        clean_b = q["trace_residual"] - flipped
        out.append(
            f"**{scope} QNN, Term B:** over the noisy runs the mislabeled samples contribute "
            f"tr B = {flipped.mean():.3g} on average ({int((flipped < 0).sum())} of {len(q)} "
            f"runs negative), the clean samples {clean_b.mean():.3g}; the Gauss–Newton part "
            f"is {q['trace_gauss_newton'].mean():.3g}."
        )
    n_dead = int(records["dead"].astype(bool).sum())
    if n_dead:
        every = trace_ratios(records, include_dead=True)
        diff = []
        for (scope, kind), _ in records[records["dead"].astype(bool)].groupby(["scope", "model"]):
            a = every[(every["scope"] == scope) & (every["model"] == kind)]
            b = alive[(alive["scope"] == scope) & (alive["model"] == kind)]
            ma = a[a["alpha"] == top]["ratio"].mean()
            mb = b[b["alpha"] == top]["ratio"].mean()
            diff.append(f"{scope} {LABELS[kind]}: {ma:.3g} with, {mb:.3g} without")
        out.append(f"**Dead runs:** {n_dead}; mean ratio at α = {top:g} " + "; ".join(diff) + ".")
    else:
        out.append("**Dead runs:** none in this profile.")
    return out + reading_findings(everything)


def reading_findings(records: pd.DataFrame) -> list[str]:
    """Sentences on the later series: each reading of the ``authors-code`` QNN at the largest
    α, the agreement of the two complexified-trace computations, and the controls' ratios.

    :param records: :func:`records_frame` output.
    :return: Markdown strings (empty without those series).
    """
    out = []
    readings = trace_ratios(readings_frame(records), include_dead=False)
    top = float(readings["alpha"].max())
    q = readings[(readings["model"] == "qnn") & (readings["config"] == "authors-code")]
    at_top = q[q["alpha"] == top].groupby(["scope", "definition"])["ratio"].mean()
    if len(at_top) > 1:
        parts = [f"{scope} ({definition}): {v:.3g}" for (scope, definition), v in at_top.items()]
        out.append(
            f"**authors-code QNN, every reading:** mean ratio at α = {top:g} — "
            + "; ".join(parts)
            + "."
        )
    if "trace_complexified_direct" in records:
        both = records[records["trace_complexified_direct"].notna()]
        if len(both):
            rel = (
                (both["trace_complexified_direct"] - both["trace_complexified"]).abs()
                / both["trace_complexified_direct"].abs()
            ).max()
            out.append(
                f"**Complexified trace, two ways:** by its definition ({len(both)} runs, 2P "
                f"Hessian-vector products) and by the identity of the chapter agree to {rel:.1e} "
                f"(relative; required {COMPLEXIFIED_AGREEMENT:.0e})."
            )
    if "trace_poisoned_labels" in records:
        cross = _reread_agreement(records)
        if cross is not None:
            out.append(cross)
    controls = readings[~readings["model"].isin(MODEL_KINDS) & (readings["alpha"] == top)]
    if len(controls):
        means = controls.groupby("model")["ratio"].mean()
        out.append(
            f"**Controls (si):** mean ratio at α = {top:g} — "
            + "; ".join(f"{m}: {v:.3g}" for m, v in means.items())
            + "."
        )
    return out


def _reread_agreement(records: pd.DataFrame) -> str | None:
    """How closely the clean-label cells' real trace with the carried labels matches the first
    reading's trace of the same (retrained) model."""
    frame = with_scope(records)
    again = frame[frame["trace_poisoned_labels"].notna()]
    first = frame[frame["scope"] == SCOPES[("authors-code", FLIPS[0], HESSIAN_LABELS[0])]]
    merged = again.merge(first, on=["model", "alpha", "run"], suffixes=("", "_first"))
    if merged.empty:
        return None
    diff = (merged["trace_poisoned_labels"] - merged["trace_first"]).abs().max()
    return (
        f"**Same models, both labels:** retrained from the same seeds, the QNNs of the "
        f"class-balanced series reproduce the first reading's trace with the carried labels to "
        f"{diff:.1e} (absolute, {len(merged)} runs)."
    )
