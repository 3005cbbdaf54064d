"""The curvature study's series and tables: scopes, trace readings, ratios, summaries.

A *scope* (:data:`SCOPES`) names one series of trained models — configuration, how labels were
flipped, which labels the Hessian samples carry — and a *definition* says which trace is read:
``real`` (the ``P × P`` Hessian over the parameters) or ``complexified`` (the ``2P × 2P``
Hessian over the real and imaginary parts of the QNN's angles, as the authors' code computed;
:mod:`qmlr.core.complexified`). Every ratio divides by the mean clean (α = 0) trace of the
same scope, model and definition. The chapter's findings are sentences of these numbers; the
checks are in :mod:`qmlr.report.curvature`.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"config": ["si"] * 2, "model": ["mlp"] * 2, "alpha": [0.0, 0.2],
    ...                       "trace": [2.0, 6.0], "dead": [False, False]})
    >>> trace_ratios(frame)["ratio"].tolist()
    [1.0, 3.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qmlr.engine.profiles import Profile
from qmlr.studies.curvature_study import (
    AUTHORS_TRAIN_FRACTION,
    FLIPS,
    HESSIAN_LABELS,
    MODEL_KINDS,
    N_QUBITS,
    curvature_specs,
    n_parameters,
)

#: Display names of the paper's models.
LABELS = {"mlp": "MLP", "qnn": "QNN"}

#: The series of the study, by (configuration, flips, Hessian labels): their scope names.
SCOPES = {
    ("si", "class-balanced", "poisoned"): "si",
    ("authors-code", "train-unbalanced", "clean"): "authors-code",
    ("authors-code", "class-balanced", "clean"): "authors-code, balanced flips",
    ("authors-code", "class-balanced", "poisoned"): "authors-code, balanced flips, flipped labels",
}
#: What each scope is, for tables and prose.
SCOPE_TEXT = {
    "si": "SI models; class-balanced flips of all 500; Hessian on 100 training samples with the "
    "labels they carry",
    "authors-code": "authors' code as it ran: random flips of the 70 % training part only; "
    "Hessian on 100 held-out samples with clean labels",
    "authors-code, balanced flips": "authors' models, class-balanced flips of all 500 before the "
    "split; Hessian on 100 held-out samples with clean labels",
    "authors-code, balanced flips, flipped labels": "the first reading: class-balanced flips of "
    "all 500 before the split; Hessian on 100 held-out samples with the labels they carry",
}
#: Names of the scopes on the scorecard.
SCOPE_NAMES = {
    "si": "SI configuration",
    "authors-code": "authors'-code configuration as it ran",
    "authors-code, balanced flips": "authors'-code models, balanced flips, clean Hessian labels",
    "authors-code, balanced flips, flipped labels": "authors'-code models, balanced flips, "
    "flipped Hessian labels (first reading)",
}
#: Scopes whose claim-6 verdicts are core (the SI's models; the authors' pipeline as it ran).
CORE_SCOPES = ("si", "authors-code")
#: Relative agreement required between the complexified trace by its definition and by the
#: identity of :mod:`qmlr.core.complexified` (both exact; rounding only).
COMPLEXIFIED_AGREEMENT = 1e-8
#: Trace definitions.
DEFINITIONS = {"real": "real Hessian, P × P", "complexified": "complexified angles, 2P × 2P"}


def with_scope(records: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``records`` with ``flips``, ``hessian_labels`` (defaults where missing),
    ``definition`` (``real`` where missing) and ``scope`` columns."""
    frame = records.copy()
    defaults = {"flips": FLIPS[0], "hessian_labels": HESSIAN_LABELS[0], "definition": "real"}
    for column, default in defaults.items():
        if column not in frame:
            frame[column] = default
    keys = zip(frame["config"], frame["flips"], frame["hessian_labels"], strict=True)
    frame["scope"] = [SCOPES.get(k, ", ".join(k)) for k in keys]
    return frame


def first_reading(records: pd.DataFrame) -> pd.DataFrame:
    """The paper's models with class-balanced flips and poisoned Hessian labels (the first
    computation of the study)."""
    frame = with_scope(records)
    keep = (
        (frame["flips"] == FLIPS[0])
        & (frame["hessian_labels"] == HESSIAN_LABELS[0])
        & frame["model"].isin(MODEL_KINDS)
    )
    return frame[keep]


def readings_frame(records: pd.DataFrame) -> pd.DataFrame:
    """Every trace reading as one row: the records' real traces, the complexified traces, and
    the complexified traces with the labels the samples carry that the clean-label cells also
    measured (a ``definition`` column says which).

    :param records: :func:`~qmlr.studies.curvature_study.records_frame` output.
    :return: ``with_scope`` columns plus ``definition``; ``trace`` holds the reading.
    """
    frame = with_scope(records.drop(columns=["definition"], errors="ignore"))
    parts = [frame.assign(definition="real")]
    if "trace_complexified" in frame:
        cx = frame[frame["trace_complexified"].notna()]
        parts.append(cx.assign(definition="complexified", trace=cx["trace_complexified"]))
    if "trace_complexified_poisoned_labels" in frame:
        carried = frame["trace_complexified_poisoned_labels"].notna()
        other = frame[carried & (frame["flips"] == FLIPS[0])]  # held-out flips exist only here
        other = other.assign(
            definition="complexified",
            hessian_labels="poisoned",
            trace=other["trace_complexified_poisoned_labels"],
        )
        parts.append(with_scope(other.drop(columns=["scope"])))
    return pd.concat(parts, ignore_index=True)


def trace_ratios(records: pd.DataFrame, include_dead: bool = True) -> pd.DataFrame:
    """Each run's ``trace / mean trace of the clean runs`` of its scope, model and definition.

    :param records: :func:`records_frame` or :func:`readings_frame` output.
    :param include_dead: keep dead runs (in numerator and clean mean); ``False`` drops them.
    :return: a copy of the (filtered) records with ``scope``, ``definition`` and ``ratio``.
    """
    frame = with_scope(records if include_dead else records[~records["dead"].astype(bool)])
    group = ["scope", "model", "definition"]
    clean = frame[frame["alpha"] == 0.0].groupby(group)["trace"].mean()
    base = frame.set_index(group).index.map(clean.to_dict())
    frame["ratio"] = frame["trace"].to_numpy(float) / np.asarray(base, dtype=float)
    return frame


def ratio_table(records: pd.DataFrame, include_dead: bool = True) -> pd.DataFrame:
    """Trace ratio per scope, model, definition and noisy α: mean, std, median, min, max over
    runs, with the numbers of runs and of dead runs.

    :param records: :func:`records_frame` or :func:`readings_frame` output.
    :param include_dead: see :func:`trace_ratios`.
    :return: a frame indexed by (scope, model, definition, alpha).
    """
    frame = trace_ratios(records, include_dead)
    index = ["scope", "model", "definition", "alpha"]
    noisy = frame[frame["alpha"] > 0]
    grouped = noisy.groupby(index)
    out = grouped["ratio"].agg(["mean", "std", "median", "min", "max"])
    out["std"] = grouped["ratio"].std(ddof=0)
    out["runs"] = grouped.size()
    every = with_scope(records)
    dead = every[every["alpha"] > 0].groupby(index)["dead"].sum()
    out["dead (all runs)"] = dead.reindex(out.index).fillna(0).astype(int)
    return out


def summary_table(records: pd.DataFrame) -> pd.DataFrame:
    """Means over runs per scope, model and α of the curvature measurements."""
    means = ["trace", "lam_max", "lam_min", "negative_share_slq", "negative_share_exact"]
    means += ["negative_mass_slq", "negative_mass_exact", "trace_gauss_newton", "trace_residual"]
    means += ["trace_residual_flipped", "val_accuracy", "train_accuracy"]
    cols = dict.fromkeys(means, "mean") | {"dead": "sum", "run": "count"}
    out = with_scope(records).groupby(["scope", "model", "alpha"]).agg(cols)
    return out.rename(columns={"run": "runs", "dead": "dead runs"})


def methods_table(profile: Profile) -> pd.DataFrame:
    """One row per scope and model: what is trained, how, and where the Hessian is taken."""
    rows, seen = [], set()
    for spec in curvature_specs(profile):
        scope = SCOPES[(spec.config, spec.flips, spec.hessian_labels)]
        if (scope, spec.model.kind) in seen:
            continue
        seen.add((scope, spec.model.kind))
        if spec.model.kind == "mlp":
            arch = f"MLP 1024 → {' → '.join(map(str, spec.model.hidden))} → 1, ReLU"
        elif spec.model.kind == "qnn":
            gates = "RX-RY-RX + RZZ" if spec.config == "si" else "RX-RY + CNOT"
            arch = f"QNN, {N_QUBITS} qubits, depth {spec.model.depth}: {gates} ring"
        else:
            arch = f"control: {spec.model.label}"
        split = (
            "all 500 (250 + 250)"
            if spec.config == "si"
            else f"{AUTHORS_TRAIN_FRACTION:.0%} of 500 (seeded random split)"
        )
        where = "training set" if spec.config == "si" else "held-out 30 %"
        rows.append(
            {
                "scope": scope,
                "configuration": spec.config,
                "model": arch,
                "parameters": n_parameters(spec),
                "epochs / batch / lr": f"{spec.train.epochs} / {spec.train.batch_size} / "
                f"{spec.train.lr:g}",
                "flips": spec.flips,
                "trained on": split,
                "Hessian on": f"{spec.hessian_samples} random samples of the {where}, "
                f"{spec.hessian_labels} labels",
                "α": ", ".join(f"{a:g}" for a in profile.curvature_alphas),
                "runs": profile.curvature_runs,
            }
        )
    return pd.DataFrame(rows)


def authors_readings(records: pd.DataFrame, model: str) -> pd.DataFrame:
    """:func:`trace_ratios` (without dead runs) of one ``authors-code`` model in every reading
    of :func:`readings_frame`."""
    ratios = trace_ratios(readings_frame(records), include_dead=False)
    return ratios[(ratios["config"] == "authors-code") & (ratios["model"] == model)]


def readings_table(records: pd.DataFrame, model: str = "qnn") -> pd.DataFrame:
    """Mean trace ratio (without dead runs) of one ``authors-code`` model in every reading —
    flips × Hessian labels × trace definition — per noisy α, with the clean mean trace.

    :param records: :func:`~qmlr.studies.curvature_study.records_frame` output.
    :param model: ``"qnn"`` or ``"mlp"``.
    :return: a frame indexed by (flips, hessian_labels, definition).
    """
    sel = authors_readings(records, model)
    index = ["flips", "hessian_labels", "definition"]
    if sel.empty:
        return pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=index))
    table = sel[sel["alpha"] > 0].pivot_table(
        index=index, columns="alpha", values="ratio", aggfunc="mean"
    )
    table.columns = [f"α = {a:g}" for a in table.columns]
    table.insert(0, "clean mean tr", sel[sel["alpha"] == 0.0].groupby(index)["trace"].mean())
    return table


def mean_by_alpha(frame: pd.DataFrame, column: str) -> dict[float, float]:
    """Mean of ``column`` per α, as ``{α: mean}``.

    Example:
        >>> mean_by_alpha(pd.DataFrame({"alpha": [0.0, 0.0, 0.2], "x": [1.0, 3.0, 5.0]}), "x")
        {0.0: 2.0, 0.2: 5.0}
    """
    return {float(a): float(v) for a, v in frame.groupby("alpha")[column].mean().items()}


def fmt_series(values: dict[float, float], digits: int = 3) -> str:
    """``{α: value}`` as text, e.g. ``"α=0.2: 1.5, α=0.4: 3"``.

    Example:
        >>> fmt_series({0.4: 3.0, 0.2: 1.5})
        'α=0.2: 1.5, α=0.4: 3'
    """
    return ", ".join(f"α={a:g}: {v:.{digits}g}" for a, v in sorted(values.items()))


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

    def ratios_at_top(frame: pd.DataFrame, scope: str, kind: str) -> pd.Series:
        sel = (frame["scope"] == scope) & (frame["model"] == kind) & (frame["alpha"] == top)
        return frame[sel]["ratio"]

    for scope in sorted(records["scope"].unique()):
        parts = []
        for kind in ("mlp", "qnn"):
            at_top = ratios_at_top(alive, scope, kind)
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
            ma = ratios_at_top(every, scope, kind).mean()
            mb = ratios_at_top(alive, scope, kind).mean()
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
