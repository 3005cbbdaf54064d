"""The curvature study's verdicts, tables and findings (claim 6 and the trained-model side of
claim 7), all pure functions of :func:`qmlr.studies.curvature_study.records_frame`.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"config": ["si"] * 2, "model": ["mlp"] * 2, "alpha": [0.0, 0.2],
    ...                       "trace": [2.0, 6.0], "dead": [False, False]})
    >>> trace_ratios(frame)["ratio"].tolist()
    [1.0, 3.0]
"""

from __future__ import annotations

import numpy as np

from qmlr.report.analysis import Verdict
from qmlr.studies.curvature_study import (
    AUTHORS_TRAIN_FRACTION,
    CONFIG_NAMES,
    N_QUBITS,
    Profile,
    curvature_specs,
    n_parameters,
)

#: Display names of the models.
LABELS = {"mlp": "MLP", "qnn": "QNN"}

#: The MLP's trace ratio counts as rising "strongly" (the paper: about two orders of magnitude)
#: when it reaches at least this at the largest α.
STRONG_RISE = 10.0
#: A negative-curvature share below this counts as "no negative curvature".
NEGLIGIBLE_SHARE = 0.01
#: ``|tr B| / tr A`` below this counts as "Term B does not enter the trace".
ZERO_TERM_B = 1e-8


def trace_ratios(records, include_dead: bool = True):
    """Each run's ``trace / mean trace of the clean runs`` of its configuration and model.

    :param records: :func:`records_frame` output.
    :param include_dead: keep dead runs (in numerator and clean mean); ``False`` drops them.
    :return: a copy of the (filtered) records with a ``ratio`` column.
    """
    frame = records if include_dead else records[~records["dead"].astype(bool)]
    frame = frame.copy()
    clean = frame[frame["alpha"] == 0.0].groupby(["config", "model"])["trace"].mean()
    base = frame.set_index(["config", "model"]).index.map(clean.to_dict())
    frame["ratio"] = frame["trace"].to_numpy(float) / np.asarray(base, dtype=float)
    return frame


def ratio_table(records, include_dead: bool = True):
    """Trace ratio per configuration, model and noisy α: mean, std, median, min, max over runs,
    with the numbers of runs and of dead runs.

    :param records: :func:`records_frame` output.
    :param include_dead: see :func:`trace_ratios`.
    :return: a frame indexed by (config, model, alpha).
    """
    frame = trace_ratios(records, include_dead)
    noisy = frame[frame["alpha"] > 0]
    grouped = noisy.groupby(["config", "model", "alpha"])
    out = grouped["ratio"].agg(["mean", "std", "median", "min", "max"])
    out["std"] = grouped["ratio"].std(ddof=0)
    out["runs"] = grouped.size()
    dead = records[records["alpha"] > 0].groupby(["config", "model", "alpha"])["dead"].sum()
    out["dead (all runs)"] = dead.reindex(out.index).fillna(0).astype(int)
    return out


def summary_table(records):
    """Means over runs per configuration, model and α of the curvature measurements."""
    cols = {
        "trace": "mean",
        "lam_max": "mean",
        "lam_min": "mean",
        "negative_share_slq": "mean",
        "negative_share_exact": "mean",
        "negative_mass_slq": "mean",
        "negative_mass_exact": "mean",
        "trace_gauss_newton": "mean",
        "trace_residual": "mean",
        "trace_residual_flipped": "mean",
        "val_accuracy": "mean",
        "train_accuracy": "mean",
        "dead": "sum",
        "run": "count",
    }
    out = records.groupby(["config", "model", "alpha"]).agg(cols)
    return out.rename(columns={"run": "runs", "dead": "dead runs"})


def _mean_by_alpha(frame, column: str) -> dict[float, float]:
    return {float(a): float(v) for a, v in frame.groupby("alpha")[column].mean().items()}


def _fmt_series(values: dict[float, float], digits: int = 3) -> str:
    return ", ".join(f"α={a:g}: {v:.{digits}g}" for a, v in sorted(values.items()))


def claim_verdicts(records, min_noisy_alphas: int = 3) -> list:
    """Verdicts on claim 6 and the numerical side of claim 7, per configuration.

    Claim 6 is judged on the runs without dead MLPs (as the authors plotted); the evidence
    gives the ratios with dead runs too. With fewer than ``min_noisy_alphas`` noisy α values
    (the smoke profile) the trend verdicts are "not evaluated".

    :param records: :func:`records_frame` output.
    :param min_noisy_alphas: noisy α values needed to judge a trend.
    :return: a list of :class:`qmlr.report.analysis.Verdict`.
    """
    verdicts = []
    alive = trace_ratios(records, include_dead=False)
    every = trace_ratios(records, include_dead=True)
    for config in sorted(records["config"].unique()):
        for kind in ("mlp", "qnn"):
            sel = (alive["config"] == config) & (alive["model"] == kind) & (alive["alpha"] > 0)
            means = _mean_by_alpha(alive[sel], "ratio")
            sel_all = (every["config"] == config) & (every["model"] == kind) & (every["alpha"] > 0)
            means_all = _mean_by_alpha(every[sel_all], "ratio")
            n_dead = int(
                records[(records["config"] == config) & (records["model"] == kind)]["dead"].sum()
            )
            alphas = sorted(means)
            values = [means[a] for a in alphas]
            judged = len(alphas) >= min_noisy_alphas and all(np.isfinite(values))
            clean = alive[(alive["config"] == config) & (alive["model"] == kind)]
            clean_trace = float(clean[clean["alpha"] == 0.0]["trace"].mean())
            evidence = f"mean ratio {_fmt_series(means)} (clean mean tr H {clean_trace:.3g})"
            if n_dead:
                evidence += f"; with the {n_dead} dead run(s): {_fmt_series(means_all)}"
            if kind == "mlp":
                claim = f"6 ({config}): MLP trace ratio rises strongly with α"
                ok = bool(np.all(np.diff(values) > 0) and values[-1] >= STRONG_RISE)
            else:
                claim = f"6 ({config}): QNN trace ratio ≤ 1 and falling with α"
                ok = bool(all(v <= 1.0 for v in values) and np.all(np.diff(values) < 0))
            verdicts.append(
                Verdict(claim, evidence, ok if judged else None).filed(
                    f"{kind}-trace-ratio/{config}",
                    6,
                    "curvature",
                    True,
                    f"{kind.upper()}, {CONFIG_NAMES.get(config, config)} configuration",
                )
            )
    mlp = records[records["model"] == "mlp"]
    if len(mlp):
        rel = (mlp["trace_residual"].abs() / mlp["trace_gauss_newton"].abs()).max()
        verdicts.append(
            Verdict(
                "7 (trained MLP): Term B does not enter the trace, tr H = Σ p(1−p)|∇z|²/N ≥ 0",
                f"max |tr H − tr A| / tr A over {len(mlp)} MLPs = {rel:.1e}",
                bool(rel < ZERO_TERM_B),
            ).filed(
                "mlp-term-b-zero",
                7,
                "curvature",
                False,
                "trained MLP: Term B does not enter the trace, tr H = Σ p(1−p)|∇z|²/N ≥ 0",
            )
        )
        share = mlp.groupby("config")["negative_share_slq"].agg(["mean", "max"])
        text = "; ".join(
            f"{c}: mean {r['mean']:.2%}, max {r['max']:.2%}" for c, r in share.iterrows()
        )
        verdicts.append(
            Verdict(
                "7 (trained MLP): no negative curvature (H ⪰ 0, as for the one-neuron MLP)",
                f"negative-curvature share (SLQ) {text}; threshold {NEGLIGIBLE_SHARE:.0%}",
                bool(share["max"].max() < NEGLIGIBLE_SHARE),
            ).filed(
                "mlp-no-negative-curvature",
                7,
                "curvature",
                False,
                "trained MLP: no negative curvature (H ⪰ 0, as for the one-neuron MLP)",
            )
        )
    qnn = records[(records["model"] == "qnn") & (records["alpha"] > 0)]
    if len(qnn):
        per = qnn.groupby(["config", "alpha"])["trace_residual_flipped"].mean()
        text = "; ".join(
            f"{c}: {_fmt_series({a: v for (cc, a), v in per.items() if cc == c})}"
            for c in sorted(qnn["config"].unique())
        )
        verdicts.append(
            Verdict(
                "7 (trained QNN): Term B of the mislabeled samples is negative",
                f"mean tr B over flipped samples {text}",
                bool((per < 0).all()),
            ).filed(
                "qnn-term-b-flipped-negative",
                7,
                "curvature",
                False,
                "trained QNN: Term B of the mislabeled samples is negative",
            )
        )
    qnn_all = records[records["model"] == "qnn"]
    if len(qnn_all):
        rows, ok, judged = [], True, True
        for config in sorted(qnn_all["config"].unique()):
            q = _mean_by_alpha(qnn_all[qnn_all["config"] == config], "negative_share_exact")
            m = _mean_by_alpha(mlp[mlp["config"] == config], "negative_share_slq")
            rows.append(f"{config}: QNN {_fmt_series(q, 2)} vs MLP {_fmt_series(m, 2)}")
            vals = [q[a] for a in sorted(q)]
            judged &= len(vals) - 1 >= min_noisy_alphas
            ok &= bool(vals[-1] > vals[0] and all(q[a] > m.get(a, np.inf) for a in q))
        verdicts.append(
            Verdict(
                "7 (trained QNN): more negative curvature than the MLP, growing with label noise",
                "negative-curvature share " + "; ".join(rows),
                ok if judged else None,
            ).filed(
                "qnn-more-negative-curvature",
                7,
                "curvature",
                False,
                "trained QNN: more negative curvature than the MLP, growing with label noise",
            )
        )
    return verdicts


def findings(records) -> list[str]:
    """Data-driven sentences for the chapter's discussion (Markdown bullets, numbers computed).

    :param records: :func:`records_frame` output.
    :return: one string per finding.
    """
    out = []
    alive = trace_ratios(records, include_dead=False)
    top = float(records["alpha"].max())
    for config in sorted(records["config"].unique()):
        parts = []
        for kind in ("mlp", "qnn"):
            sel = alive[(alive["config"] == config) & (alive["model"] == kind)]
            at_top = sel[sel["alpha"] == top]["ratio"]
            if len(at_top):
                parts.append(
                    f"{LABELS[kind]} ratio at α = {top:g}: mean {at_top.mean():.3g}, runs "
                    f"{at_top.min():.3g} … {at_top.max():.3g}"
                )
        if parts:
            out.append(f"**{config}** (without dead runs): " + "; ".join(parts) + ".")
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
    for config in sorted(qnn["config"].unique()):
        q = qnn[qnn["config"] == config]
        flipped = q["trace_residual_flipped"]
        clean_b = q["trace_residual"] - flipped
        out.append(
            f"**{config} QNN, Term B:** over the noisy runs the mislabeled samples contribute "
            f"tr B = {flipped.mean():.3g} on average ({int((flipped < 0).sum())} of {len(q)} "
            f"runs negative), the clean samples {clean_b.mean():.3g}; the Gauss–Newton part "
            f"is {q['trace_gauss_newton'].mean():.3g}."
        )
    n_dead = int(records["dead"].astype(bool).sum())
    if n_dead:
        every = trace_ratios(records, include_dead=True)
        diff = []
        for (config, kind), _ in records[records["dead"].astype(bool)].groupby(["config", "model"]):
            a = every[(every["config"] == config) & (every["model"] == kind)]
            b = alive[(alive["config"] == config) & (alive["model"] == kind)]
            ma = a[a["alpha"] == top]["ratio"].mean()
            mb = b[b["alpha"] == top]["ratio"].mean()
            diff.append(f"{config} {LABELS[kind]}: {ma:.3g} with, {mb:.3g} without")
        out.append(f"**Dead runs:** {n_dead}; mean ratio at α = {top:g} " + "; ".join(diff) + ".")
    else:
        out.append("**Dead runs:** none in this profile.")
    return out


def methods_table(profile: Profile):
    """One row per (configuration, model): what is trained, how, and where the Hessian is taken."""
    import pandas as pd

    rows, seen = [], set()
    for spec in curvature_specs(profile):
        if (spec.config, spec.model.kind) in seen:
            continue
        seen.add((spec.config, spec.model.kind))
        if spec.model.kind == "mlp":
            arch = f"MLP 1024 → {' → '.join(map(str, spec.model.hidden))} → 1, ReLU"
        elif spec.config == "si":
            arch = f"QNN, {N_QUBITS} qubits, depth {spec.model.depth}: RX-RY-RX + RZZ ring"
        else:
            arch = f"QNN, {N_QUBITS} qubits, depth {spec.model.depth}: RX-RY + CNOT ring"
        split = (
            "all 500 (250 + 250)"
            if spec.config == "si"
            else f"{AUTHORS_TRAIN_FRACTION:.0%} of 500 (seeded random split)"
        )
        where = "training set" if spec.config == "si" else "held-out 30 %"
        rows.append(
            {
                "configuration": spec.config,
                "model": arch,
                "parameters": n_parameters(spec),
                "epochs / batch / lr": f"{spec.train.epochs} / {spec.train.batch_size} / "
                f"{spec.train.lr:g}",
                "trained on": split,
                "Hessian on": f"{spec.hessian_samples} random samples of the {where}",
                "α": ", ".join(f"{a:g}" for a in profile.curvature_alphas),
                "runs": profile.curvature_runs,
            }
        )
    return pd.DataFrame(rows)
