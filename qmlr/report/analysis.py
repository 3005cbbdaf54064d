"""Summaries of sweep records: curves, critical noise ratios, plateaus, slopes, claim verdicts.

Everything here is a pure function of a tidy records table (one row per trained model, as
written by :func:`qmlr.studies.store.export_records`), so the chapters' numbers and verdicts are computed,
never typed.

Example:
    >>> import numpy as np
    >>> critical_alpha(np.array([0.0, 0.4, 0.6]), np.array([1.0, 0.9, 0.3]))
    0.5333333333333333
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from qmlr.studies.profiles import get_profile

#: A model "holds" a plateau while its mean validation accuracy stays within this of α = 0.
PLATEAU_TOLERANCE = 0.05
#: Train accuracy at or above this counts as memorizing the (corrupted) training labels.
MEMORIZATION_LEVEL = 0.95
#: A lowest train accuracy this close to :data:`MEMORIZATION_LEVEL` is reported as borderline:
#: float-rounding-level changes to training (another Adam kernel) move it by about 0.02.
BORDERLINE_MARGIN = 0.03
#: Claim 1's "continuous compromise": a mean validation slope steeper than this per unit α over
#: α ≤ :data:`SLOPE_MAX_ALPHA` ...
DECAY_SLOPE = -0.2
#: ... and a plateau (:data:`PLATEAU_TOLERANCE`) that ends before this α.
DECAY_PLATEAU_BEFORE = 0.3
#: The α range the validation slope is fitted over.
SLOPE_MAX_ALPHA = 0.5
#: Claim 2: the QNN's plateau must reach at least this α ...
QNN_PLATEAU_MIN = 0.3
#: ... its critical α (validation accuracy crossing 0.5) must lie in this window ...
ALPHA_C_WINDOW = (0.4, 0.6)
#: ... and its train accuracy stay within this of 1 − α below α = 0.5 (no memorization).
TRAIN_FOLLOWS_TOLERANCE = 0.1
#: α_c is where the run-mean validation accuracy falls to this level (chance for two classes).
CROSSING_LEVEL = 0.5
#: The resilience chapter calls the XXZ MLP's memorization phase-dependent when its lowest
#: train accuracy under the two phase conventions differs by more than this.
PHASE_MEMORIZATION_GAP = 0.2


def curves(
    records: pd.DataFrame,
    by: Sequence[str],
    metrics: Sequence[str] = ("train_accuracy", "val_accuracy"),
) -> pd.DataFrame:
    """Mean and standard deviation over runs of each metric, per group and α.

    :param records: tidy records with an ``alpha`` column.
    :param by: grouping columns, e.g. ``["dataset", "model", "corruption"]``.
    :param metrics: metric columns.
    :return: a frame indexed by ``(*by, alpha)`` with columns ``<metric>_mean``, ``<metric>_std``,
        ``runs``.
    """
    grouped = records.groupby([*by, "alpha"], sort=True)
    out = pd.DataFrame({"runs": grouped.size()})
    for m in metrics:
        out[f"{m}_mean"] = grouped[m].mean()
        out[f"{m}_std"] = grouped[m].std(ddof=0)
    return out


def critical_alpha(
    alphas: np.ndarray, accuracy: np.ndarray, threshold: float = CROSSING_LEVEL
) -> float:
    """First α at which the accuracy curve falls to ``threshold`` (linear interpolation).

    :param alphas: increasing noise ratios.
    :param accuracy: accuracy at each α.
    :param threshold: level that defines the transition.
    :return: the crossing α, or ``nan`` if the curve never reaches the threshold.
    """
    alphas, accuracy = np.asarray(alphas, float), np.asarray(accuracy, float)
    if accuracy[0] <= threshold:
        return float(alphas[0])
    for i in range(1, len(alphas)):
        if accuracy[i] <= threshold:
            a0, a1, v0, v1 = alphas[i - 1], alphas[i], accuracy[i - 1], accuracy[i]
            return float(a0 + (v0 - threshold) * (a1 - a0) / (v0 - v1))
    return float("nan")


@dataclass(frozen=True)
class Interval:
    """A point estimate with a bootstrap percentile interval."""

    estimate: float
    low: float
    high: float

    def __str__(self) -> str:
        if np.isnan(self.estimate):
            return "none"
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}]"


def bootstrap_critical_alpha(
    alphas: np.ndarray,
    runs: np.ndarray,
    n_boot: int = 2000,
    seed: int = 0,
    threshold: float = CROSSING_LEVEL,
) -> Interval:
    """α_c of the run-averaged curve, with a 95% bootstrap interval over runs.

    :param alphas: noise ratios, shape (A,).
    :param runs: validation accuracy per run, shape (R, A).
    :param n_boot: bootstrap resamples of the runs.
    :param seed: seed of the resampling.
    :param threshold: transition level.
    :return: the estimate and its interval (``nan`` where curves never cross).
    """
    runs = np.asarray(runs, float)
    estimate = critical_alpha(alphas, runs.mean(axis=0), threshold)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, runs.shape[0], size=(n_boot, runs.shape[0]))
    samples = np.array([critical_alpha(alphas, runs[p].mean(axis=0), threshold) for p in picks])
    samples = samples[~np.isnan(samples)]
    if samples.size == 0:
        return Interval(estimate, float("nan"), float("nan"))
    low, high = np.percentile(samples, [2.5, 97.5])
    return Interval(estimate, float(low), float(high))


def plateau_end(
    alphas: np.ndarray, accuracy: np.ndarray, tolerance: float = PLATEAU_TOLERANCE
) -> float:
    """Largest α up to which the curve stays within ``tolerance`` of its α = 0 value."""
    alphas, accuracy = np.asarray(alphas, float), np.asarray(accuracy, float)
    ok = accuracy >= accuracy[0] - tolerance
    end = alphas[0]
    for a, good in zip(alphas, ok, strict=True):
        if not good:
            break
        end = a
    return float(end)


def slope(alphas: np.ndarray, accuracy: np.ndarray, max_alpha: float = SLOPE_MAX_ALPHA) -> float:
    """Least-squares slope of accuracy vs α over ``α <= max_alpha``; NaN when fewer than two
    grid points lie there (a coarse profile's grid), since no slope is defined.

    Example:
        >>> round(slope(np.array([0.0, 0.2, 0.6]), np.array([1.0, 0.9, 0.4])), 6)
        -0.5
        >>> slope(np.array([0.0, 0.6]), np.array([1.0, 0.4]))
        nan
    """
    alphas, accuracy = np.asarray(alphas, float), np.asarray(accuracy, float)
    keep = alphas <= max_alpha + 1e-9
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(alphas[keep], accuracy[keep], 1)[0])


def run_matrix(
    records: pd.DataFrame, metric: str = "val_accuracy"
) -> tuple[np.ndarray, np.ndarray]:
    """(alphas, runs x alphas matrix) of one curve's records."""
    table = records.pivot_table(index="run", columns="alpha", values=metric)
    return table.columns.to_numpy(float), table.to_numpy(float)


def curve_summary(records: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Per curve: clean accuracy, plateau end, α_c with bootstrap interval, slope, memorization.

    :param records: tidy records.
    :param by: columns that identify one curve, e.g. ``["dataset", "model", "corruption"]``.
    :return: one row per curve.
    """
    rows = []
    for key, group in records.groupby(list(by), sort=True):
        alphas, val = run_matrix(group, "val_accuracy")
        _, train = run_matrix(group, "train_accuracy")
        mean_val, mean_train = val.mean(axis=0), train.mean(axis=0)
        ac = bootstrap_critical_alpha(alphas, val)
        below = alphas < 0.5
        rows.append(
            {
                **dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)),
                "clean_val": float(mean_val[0]),
                "plateau_end": plateau_end(alphas, mean_val),
                "alpha_c": ac.estimate,
                "alpha_c_low": ac.low,
                "alpha_c_high": ac.high,
                "val_slope": slope(alphas, mean_val),
                "min_train": float(mean_train.min()),
                "train_minus_1_minus_alpha": float(
                    np.max(np.abs(mean_train[below] - (1 - alphas[below])))
                ),
                "val_area": float(np.trapezoid(mean_val, alphas)),
                "runs": int(val.shape[0]),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Verdict:
    """A claim, the measured evidence, whether it reproduced, and where it is filed.

    The identity fields say which check this is, independently of its wording or of its
    position in a list: the scorecard and the chapters look verdicts up by :attr:`check`
    (:func:`by_check`).

    :param claim: what the paper claims, as tested.
    :param evidence: the measured numbers the verdict rests on.
    :param reproduced: ``True``, ``False``, or ``None`` (not evaluated at this scale).
    :param partly: with ``reproduced=False``: the claim holds in part of the tested cases.
    :param check: a stable id, unique in the book (e.g. ``"qnn-plateau/mnist"``).
    :param claim_no: the paper's claim it is filed under in the scorecard, 1–7.
    :param chapter: label of the chapter that makes it (a key of
        :data:`qmlr.report.scorecard.CHAPTERS`).
    :param core: ``True`` if it tests the claim as the paper states it, in the paper's setting.
    :param name: a short name for the scorecard.

    Example:
        >>> v = Verdict("c", "e", False, partly=True, check="demo", claim_no=2)
        >>> v.label, by_check([v])["demo"].claim_no
        ('partly reproduced', 2)
    """

    claim: str
    evidence: str
    reproduced: bool | None
    partly: bool = False
    check: str = ""
    claim_no: int | None = None
    chapter: str = ""
    core: bool = False
    name: str = ""

    @property
    def label(self) -> str:
        """``reproduced``, ``partly reproduced``, ``not reproduced`` or ``not evaluated``."""
        if self.reproduced is None:
            return "not evaluated"
        if self.reproduced:
            return "reproduced"
        return "partly reproduced" if self.partly else "not reproduced"

    def filed(self, check: str, claim_no: int, chapter: str, core: bool, name: str) -> Verdict:
        """This verdict with its identity (see the class's parameters)."""
        return replace(self, check=check, claim_no=claim_no, chapter=chapter, core=core, name=name)


def by_check(verdicts: Sequence[Verdict]) -> dict[str, Verdict]:
    """The verdicts keyed by their stable :attr:`Verdict.check` id.

    :param verdicts: verdicts that all carry an id.
    :return: id -> verdict.
    :raises ValueError: for a verdict without an id or an id given twice.
    """
    found: dict[str, Verdict] = {}
    for v in verdicts:
        if not v.check:
            raise ValueError(f"verdict without a check id: {v.claim!r}")
        if v.check in found:
            raise ValueError(f"check id {v.check!r} given twice")
        found[v.check] = v
    return found


def claims_table(verdicts: Sequence[Verdict]) -> pd.DataFrame:
    """The verdicts as a display table."""
    return pd.DataFrame(
        {
            "claim": [v.claim for v in verdicts],
            "measured evidence": [v.evidence for v in verdicts],
            "verdict": [v.label for v in verdicts],
        }
    )


def memorizes_and_decays(row: pd.Series) -> tuple[bool, bool]:
    """Claim 1 for one MLP curve: (train ≥ 0.95 at every α, validation decays from α = 0)."""
    memorizes = row["min_train"] >= MEMORIZATION_LEVEL
    decays = row["val_slope"] < DECAY_SLOPE and row["plateau_end"] < DECAY_PLATEAU_BEFORE
    return bool(memorizes), bool(decays)


def plateau_and_transition(row: pd.Series) -> tuple[bool, bool, bool]:
    """Claim 2 for one QNN curve: (plateau to α ≥ :data:`QNN_PLATEAU_MIN`, α_c in
    :data:`ALPHA_C_WINDOW`, train within :data:`TRAIN_FOLLOWS_TOLERANCE` of 1 − α)."""
    plateau = row["plateau_end"] >= QNN_PLATEAU_MIN
    low, high = ALPHA_C_WINDOW
    transition = low <= row["alpha_c"] <= high if not np.isnan(row["alpha_c"]) else False
    no_memorization = row["train_minus_1_minus_alpha"] <= TRAIN_FOLLOWS_TOLERANCE
    return bool(plateau), bool(transition), bool(no_memorization)


DATASET_NAMES = {"mnist": "MNIST 1 vs 9", "xxz": "XXZ"}


def _judge(profile: str, ok: bool) -> bool | None:
    return bool(ok) if get_profile(profile).judged else None


def curve_row(summary: pd.DataFrame, **where) -> pd.Series:
    """The single row of ``summary`` matching ``where`` (column=value pairs)."""
    mask = np.ones(len(summary), dtype=bool)
    for k, v in where.items():
        mask &= (summary[k] == v).to_numpy()
    rows = summary[mask]
    if len(rows) != 1:
        raise ValueError(f"expected one curve for {where}, found {len(rows)}")
    return rows.iloc[0]


def mlp_claim(row: pd.Series, name: str, profile: str) -> Verdict:
    """Claim 1 for one MLP label-flipping curve (memorization + continuous compromise)."""
    memorizes, decays = memorizes_and_decays(row)
    status = "memorizes" if memorizes else "does not memorize"
    if abs(row["min_train"] - MEMORIZATION_LEVEL) < BORDERLINE_MARGIN:
        status += f", borderline: within {BORDERLINE_MARGIN} of the {MEMORIZATION_LEVEL} threshold"
    evidence = (
        f"{name}: lowest mean train accuracy {row['min_train']:.3f} ({status}); validation slope "
        f"{row['val_slope']:+.2f} per unit α over α ≤ {SLOPE_MAX_ALPHA}, within "
        f"{PLATEAU_TOLERANCE} of clean up to "
        f"α = {row['plateau_end']:.1f}"
    )
    return Verdict(
        f"{name}, MLP, label flipping: train ≈ 1 at every α, validation falls steadily from α = 0",
        evidence,
        _judge(profile, memorizes and decays),
    )


def qnn_claim(row: pd.Series, name: str, profile: str) -> Verdict:
    """Claim 2 for one QNN label-flipping curve (plateau, transition near 0.5, no memorization)."""
    plateau, transition, no_mem = plateau_and_transition(row)
    evidence = (
        f"{name}: validation within {PLATEAU_TOLERANCE} of clean ({row['clean_val']:.3f}) up to "
        f"α = {row['plateau_end']:.1f}; α_c = {row['alpha_c']:.3f} "
        f"[{row['alpha_c_low']:.3f}, {row['alpha_c_high']:.3f}]; "
        "largest deviation of train accuracy from 1 − α below α = 0.5: "
        f"{row['train_minus_1_minus_alpha']:.3f}"
    )
    return Verdict(
        f"{name}, QNN, label flipping: plateau up to α ≈ 0.4, sharp drop near α ≈ 0.5, "
        "train ≈ 1 − α",
        evidence,
        _judge(profile, plateau and transition and no_mem),
    )


def corruption_claim(summary: pd.DataFrame, dataset: str, profile: str) -> Verdict:
    """Claim 3: feature randomization hurts both models less than label flipping."""
    name = DATASET_NAMES[dataset]
    parts, ok = [], True
    for model in ("mlp", "qnn"):
        flip = curve_row(summary, dataset=dataset, model=model, corruption="label_flip")["val_area"]
        feat = curve_row(summary, dataset=dataset, model=model, corruption="feature_random")[
            "val_area"
        ]
        ok &= feat > flip
        parts.append(
            f"{model.upper()} area under validation curve {feat:.3f} (features) "
            f"vs {flip:.3f} (labels)"
        )
    return Verdict(
        f"{name}: feature randomization hurts both models far less than label flipping",
        f"{name}: " + "; ".join(parts),
        _judge(profile, ok),
    )


def resilience_verdicts(summary: pd.DataFrame, profile: str) -> list[Verdict]:
    """Claims 1–3 for every dataset of a resilience summary (:func:`curve_summary` by
    dataset, model, corruption)."""
    verdicts = []
    for dataset in sorted(summary["dataset"].unique()):
        name = DATASET_NAMES[dataset]
        flips = {
            model: curve_row(summary, dataset=dataset, model=model, corruption="label_flip")
            for model in ("mlp", "qnn")
        }
        verdicts += [
            mlp_claim(flips["mlp"], name, profile).filed(
                f"mlp-memorizes-decays/{dataset}", 1, "resilience", True, name
            ),
            qnn_claim(flips["qnn"], name, profile).filed(
                f"qnn-plateau-transition/{dataset}", 2, "resilience", True, name
            ),
            corruption_claim(summary, dataset, profile).filed(
                f"features-milder/{dataset}", 3, "resilience", True, name
            ),
        ]
    return verdicts


def capacity_verdict(summary: pd.DataFrame, profile: str) -> Verdict:
    """Claim 4: every MLP width decays continuously, every QNN depth shows plateau + transition.

    :param summary: :func:`curve_summary` of the capacity study by model and ``model_label``.
    """
    mlps = summary[summary["model"] == "mlp"]
    qnns = summary[summary["model"] == "qnn"]
    mlp_ok = [all(memorizes_and_decays(r)[1:]) for _, r in mlps.iterrows()]
    qnn_ok = [all(plateau_and_transition(r)[:2]) for _, r in qnns.iterrows()]
    evidence = (
        f"{sum(mlp_ok)}/{len(mlp_ok)} MLP widths decay from α = 0 (slopes "
        + ", ".join(f"{r['val_slope']:+.2f}" for _, r in mlps.iterrows())
        + f"); {sum(qnn_ok)}/{len(qnn_ok)} QNN depths show plateau + transition (α_c "
        + ", ".join(f"{r['alpha_c']:.2f}" for _, r in qnns.iterrows())
        + ")"
    )
    return Verdict(
        "Capacity (Fig. S1): every MLP decays continuously, "
        "every QNN depth has plateau + transition",
        evidence,
        _judge(profile, all(mlp_ok) and all(qnn_ok)),
    )


def mlp_decay_verdict(summary: pd.DataFrame, claim: str, profile: str) -> Verdict:
    """Whether every MLP curve of ``summary`` decays continuously from α = 0 (claim 4's MLP half).

    :param summary: :func:`curve_summary` rows of MLP curves (with ``model_label``).
    :param claim: the claim's wording.
    :param profile: the profile the curves came from.
    """
    decays = [memorizes_and_decays(r)[1] for _, r in summary.iterrows()]
    evidence = (
        f"{sum(decays)}/{len(decays)} MLP widths decay from α = 0 (slopes "
        + ", ".join(f"{r['model_label']}: {r['val_slope']:+.2f}" for _, r in summary.iterrows())
        + ")"
    )
    return Verdict(claim, evidence, _judge(profile, all(decays)))


#: Claim 4 beyond the paper: the capacity sweep's MLP widths again, with canonical XXZ phases.
CANONICAL_CAPACITY_CLAIM = (
    "Beyond the paper: every MLP width, trained on canonical-phase XXZ states, decays continuously"
)


def capacity_verdicts(
    summary: pd.DataFrame, canonical_summary: pd.DataFrame, profile: str
) -> list[Verdict]:
    """Claim 4 (:func:`capacity_verdict`) and its canonical-phase check
    (:func:`mlp_decay_verdict` with :data:`CANONICAL_CAPACITY_CLAIM`), as the capacity chapter
    tables them.

    :param summary: :func:`curve_summary` of the capacity study by model and ``model_label``.
    :param canonical_summary: the same for the canonical-phase MLPs of the phase-sensitivity
        study (label flipping).
    :param profile: the profile the curves came from.
    :return: ``[claim 4, canonical-phase MLP decay]``.
    """
    return [
        capacity_verdict(summary, profile).filed(
            "capacity-sweep", 4, "capacity", True, "Fig. S1 widths and depths"
        ),
        mlp_decay_verdict(canonical_summary, CANONICAL_CAPACITY_CLAIM, profile).filed(
            "capacity-canonical-phases", 4, "capacity", False, "MLP widths, canonical XXZ phases"
        ),
    ]
