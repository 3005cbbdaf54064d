"""The Methods chapter as data: every setup table generated from a profile's specs.

Each function reads the specs the studies actually compute
(:func:`qmlr.studies.registry.study_cells`
for every registered study) — plus, where a size or a count is needed, the datasets themselves —
and returns a :class:`pandas.DataFrame`. No hyperparameter is typed here: change a profile or a
study module and the tables change with it. Corruption counts are measured by running
:func:`qmlr.core.corrupt.corrupt` on the training sets.

Example:
    >>> from qmlr.report.methods import training_table
    >>> row = training_table("paper").query("study == 'resilience' and data == 'XXZ'")
    >>> row[["models", "epochs", "batch", "lr"]].values.tolist()[0]
    ['MLP [64, 16]', 400, 32, 0.01]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from qmlr.core.corrupt import corrupt, corruption_count
from qmlr.core.data import Dataset, mlp_features
from qmlr.core.kinds import LOGIT_SCALE, RXRY_ANGLES, layer_sizes
from qmlr.core.unlearn_catalog import METHOD_LABELS, METHODS, method_weights
from qmlr.engine.runner import clean_split, model_size
from qmlr.engine.specs import CellSpec, DataSpec
from qmlr.report.analysis import DATASET_NAMES
from qmlr.report.curvature_tables import SCOPES, methods_table
from qmlr.report.plots import CORRUPTION_NAMES
from qmlr.studies.curvature_specs import N_QUBITS as CURVATURE_QUBITS
from qmlr.studies.experiments import Profile, get_profile
from qmlr.studies.registry import STUDIES, study_cells

#: Study → the chapters that read its results (book labels), in reading order.
STUDY_CHAPTERS = {
    "resilience": ("resilience",),
    "phase-sensitivity": ("resilience", "capacity"),
    "capacity": ("capacity",),
    "unlearning": ("unlearning", "forgetting"),
    "curvature": ("curvature",),
}

#: What one spec of each kind computes.
SPEC_MEANING = {
    "sweep-cell": "one trained model",
    "unlearning-run": "one poisoned model, then every unlearning method from it",
    "curvature-run": "one trained model and its Hessian",
}

ANSATZ_NAMES = {
    "rx-ry-rx+rzz-ring": "RX·RY·RX on each qubit + RZZ ring",
    "rx-ry+cnot-ring": "RX·RY on each qubit + CNOT ring",
}

#: Column names of the unlearning weights (fields of the :mod:`qmlr.core.unlearn` methods).
WEIGHT_COLUMNS = {
    "ce": "λ_ce",
    "kl": "λ_kl",
    "fo": "λ_fo",
    "beta": "β",
    "gamma": "γ",
    "alpha": "α (SCRUB)",
    "temperature": "T",
    "max_steps": "max-steps",
}

_DASH = "—"


def all_specs(profile: str | Profile) -> dict[str, list[Any]]:
    """Every registered study's specs at ``profile``, in the book's reading order.

    :param profile: ``"paper"``, ``"smoke"`` or a :class:`~qmlr.studies.experiments.Profile`.
    :return: study name → list of specs.

    Example:
        >>> {k: len(v) for k, v in all_specs("paper").items()}["unlearning"]
        110
    """
    prof = get_profile(profile)
    order = [s for s in STUDY_CHAPTERS if s in STUDIES]
    order += sorted(set(STUDIES) - set(order))
    return {study: study_cells(study, prof) for study in order}


def cell_of(spec: Any) -> CellSpec:
    """The sweep cell behind a spec: itself, or the ``cell()`` of an unlearning/curvature spec.

    It carries the spec's dataset, corruption, α, run, model and base training.

    :param spec: any registered spec.
    :return: a :class:`~qmlr.engine.specs.CellSpec`.
    """
    return spec if isinstance(spec, CellSpec) else spec.cell()


def format_grid(values: Iterable[float]) -> str:
    """Sorted unique values as text; an evenly spaced run of five or more is abbreviated.

    :param values: numbers, e.g. the α of some specs.
    :return: e.g. ``"0, 0.1, …, 0.9"`` or ``"0, 0.2, 0.3, 0.4"``.

    Example:
        >>> format_grid([0.2, 0.0, 0.1, 0.3, 0.4]), format_grid([0.3])
        ('0, 0.1, …, 0.4', '0.3')
    """
    grid = sorted({round(float(v), 10) for v in values})
    steps = np.diff(grid)
    if len(grid) >= 5 and np.allclose(steps, steps[0]):
        return f"{grid[0]:g}, {grid[1]:g}, …, {grid[-1]:g}"
    return ", ".join(f"{v:g}" for v in grid)


def _join(items: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(items))


def _data_label(data: DataSpec) -> str:
    name = DATASET_NAMES.get(data.name, data.name)
    return f"{name} ({data.phase} phase)" if data.name == "xxz" and data.phase != "random" else name


def load_splits(names: Sequence[str] = ("mnist", "xxz")) -> dict[str, dict[str, Dataset]]:
    """The clean train and validation splits the studies use
    (:func:`qmlr.engine.runner.clean_split`).

    :param names: dataset names.
    :return: name → ``{"train": Dataset, "val": Dataset}`` (XXZ with random global phases).

    Example:
        >>> len(load_splits(["mnist"])["mnist"]["train"])
        500
    """
    return {n: {s: clean_split(DataSpec(n), s) for s in ("train", "val")} for n in names}


def as_myst_table(frame: pd.DataFrame, caption: str) -> str:
    """A DataFrame as an unnamed MyST ``table`` directive (numbered, captioned, not a target).

    :param frame: the table.
    :param caption: its caption.
    :return: MyST markdown, to be shown with ``IPython.display.Markdown``.

    Example:
        >>> print(as_myst_table(pd.DataFrame({"a": [1]}), "Demo."))
        :::{table} Demo.
        <BLANKLINE>
        |   a |
        |----:|
        |   1 |
        :::
    """
    body = frame.to_markdown(index=False, floatfmt="g")
    return f":::{{table}} {caption}\n\n{body}\n:::"


# --------------------------------------------------------------------------------------------
# studies and data
# --------------------------------------------------------------------------------------------


def studies_table(profile: str | Profile) -> pd.DataFrame:
    """One row per study: what a spec computes, how many there are, and what they cover.

    :param profile: the profile.
    :return: columns ``study``, ``one spec``, ``specs``, ``datasets``, ``models``,
        ``corruptions``, ``α``, ``runs``, ``chapters``.

    Example:
        >>> int(studies_table("paper").set_index("study").loc["resilience", "specs"])
        400
    """
    rows = []
    for study, specs in all_specs(profile).items():
        cells = [cell_of(s) for s in specs]
        rows.append(
            {
                "study": study,
                "one spec": _join(SPEC_MEANING.get(s.kind, s.kind) for s in specs),
                "specs": len(specs),
                "datasets": _join(_data_label(c.data) for c in cells),
                "models": _join(c.model.label for c in cells),
                "corruptions": _join(CORRUPTION_NAMES[c.corruption] for c in cells),
                "α": format_grid(c.alpha for c in cells),
                "runs": len({c.run for c in cells}),
                "chapters": ", ".join(f"{{ref}}`{c}`" for c in STUDY_CHAPTERS.get(study, ())),
            }
        )
    return pd.DataFrame(rows)


def _classes(ds: Dataset) -> tuple[str, str]:
    if "digits" in ds.meta:
        return tuple(f"digit {d}" for d in ds.meta["digits"])  # type: ignore[return-value]
    if "deltas" in ds.meta:
        deltas = np.asarray(ds.meta["deltas"])
        return tuple(  # type: ignore[return-value]
            f"Δ ∈ [{deltas[ds.y == k].min():.2f}, {deltas[ds.y == k].max():.2f}]" for k in (0, 1)
        )
    return ("label 0", "label 1")


def _counts(ds: Dataset) -> str:
    return f"{len(ds)} ({int(np.sum(ds.y == 0))} + {int(np.sum(ds.y == 1))})"


def data_table(splits: Mapping[str, Mapping[str, Dataset]], profile: str | Profile) -> pd.DataFrame:
    """One row per dataset the profile's specs use: classes, sizes and how each model reads it.

    :param splits: dataset name → ``{"train": Dataset, "val": Dataset}`` (:func:`load_splits`).
    :param profile: the profile (selects the datasets and lists the XXZ phase conventions).
    :return: columns ``dataset``, ``label 0``, ``label 1``, ``train``, ``validation`` (total and
        per class), ``vector``, ``qubits`` (QNN: amplitude encoding), ``MLP inputs``,
        ``global phases``.

    Example:
        >>> int(data_table(load_splits(), "paper").set_index("dataset").loc["XXZ", "qubits"])
        12
    """
    cells = [cell_of(s) for specs in all_specs(profile).values() for s in specs]
    rows = []
    for name in dict.fromkeys(c.data.name for c in cells):
        train, val = splits[name]["train"], splits[name]["val"]
        dim, raw = train.x.shape[1], int(train.meta["raw_dim"])
        kind = "complex" if np.iscomplexobj(train.x) else "real"
        padded = f", {raw} zero-padded" if raw < dim else ""
        mlp_in = mlp_features(train.x[:1]).shape[1]
        phases = sorted({c.data.phase for c in cells if c.data.name == name})
        label0, label1 = _classes(train)
        rows.append(
            {
                "dataset": DATASET_NAMES.get(name, name),
                "label 0": label0,
                "label 1": label1,
                "train": _counts(train),
                "validation": _counts(val),
                "vector": f"{dim} {kind}, unit L2{padded}",
                "qubits": int(round(math.log2(dim))),
                "MLP inputs": f"{mlp_in}" + (" (Re, Im)" if kind == "complex" else ""),
                "global phases": ", ".join(phases) if name == "xxz" else _DASH,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# corruptions
# --------------------------------------------------------------------------------------------


def corruption_counts(
    train: Mapping[str, Dataset], profile: str | Profile, seed: int = 0
) -> pd.DataFrame:
    """How many training rows each corruption changes, measured by running it.

    For every (dataset, corruption, α) that some spec of the profile uses, the clean training set
    is corrupted with :func:`qmlr.core.corrupt.corrupt` and the changed rows are counted (labels
    that differ for label flipping, feature rows that differ for feature randomization), per class.

    :param train: dataset name → clean, class-sorted training set.
    :param profile: the profile.
    :param seed: seed of the draw (the counts do not depend on it).
    :return: tidy frame with columns ``dataset``, ``corruption``, ``alpha``, ``N``,
        ``changed``, ``class 0``, ``class 1``, ``studies``.

    Example:
        >>> counts = corruption_counts({"xxz": load_splits(["xxz"])["xxz"]["train"]}, "paper")
        >>> counts.query("alpha == 0.5")[["corruption", "changed"]].values.tolist()
        [['label_flip', 40], ['feature_random', 42]]
    """
    used: dict[tuple[str, str, float], list[str]] = {}
    for study, specs in all_specs(profile).items():
        for spec in specs:
            c = cell_of(spec)
            if c.data.name in train:
                used.setdefault((c.data.name, c.corruption, c.alpha), []).append(study)
    names = list(train)

    def order(item: tuple[tuple[str, str, float], list[str]]) -> tuple[int, float, bool]:
        (name, kind, alpha), _ = item
        return names.index(name), alpha, kind != "label_flip"

    rows = []
    for (name, kind, alpha), studies in sorted(used.items(), key=order):
        ds = train[name]
        out = corrupt(ds, kind, alpha, np.random.default_rng(seed)).data
        if kind == "label_flip":
            changed = out.y != ds.y
        else:
            changed = np.any(out.x != ds.x, axis=1)
        rows.append(
            {
                "dataset": name,
                "corruption": kind,
                "alpha": alpha,
                "N": len(ds),
                "changed": int(changed.sum()),
                "class 0": int(np.sum(changed & (ds.y == 0))),
                "class 1": int(np.sum(changed & (ds.y == 1))),
                "studies": _join(studies),
            }
        )
    return pd.DataFrame(rows)


def corruption_table(counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`corruption_counts` as a display table: one row per α, one column per (dataset,
    corruption), cells ``"changed (class 0 + class 1)"``; ``—`` where no spec uses the pair.

    :param counts: the tidy counts.
    :return: the wide table, first column ``α``.
    """
    frame = counts.assign(
        column=[
            f"{DATASET_NAMES.get(d, d)} (N = {n}), {CORRUPTION_NAMES[k]}"
            for d, n, k in zip(counts["dataset"], counts["N"], counts["corruption"], strict=True)
        ],
        cell=[
            f"{n} ({a} + {b})"
            for n, a, b in zip(counts["changed"], counts["class 0"], counts["class 1"], strict=True)
        ],
    )
    wide = frame.pivot(index="alpha", columns="column", values="cell")
    wide = wide[list(dict.fromkeys(frame["column"]))].fillna(_DASH)
    wide.index = [f"{a:g}" for a in wide.index]
    return wide.rename_axis("α").reset_index()


# --------------------------------------------------------------------------------------------
# models and training
# --------------------------------------------------------------------------------------------


def model_table(train: Mapping[str, Dataset], profile: str | Profile) -> pd.DataFrame:
    """One row per distinct paper model (MLP, QNN) the profile trains, with its parameter count.

    Parameters are counted on the model itself, built as the study builds it (one member).

    :param train: dataset name → training set (fixes the MLP's input width).
    :param profile: the profile.
    :return: columns ``dataset``, ``model``, ``architecture``, ``parameters``, ``output``,
        ``precision``, ``studies``.

    Example:
        >>> table = model_table({k: v["train"] for k, v in load_splits().items()}, "paper")
        >>> table.query("model == 'QNN depth 6' and precision == 'single'")["parameters"].tolist()
        [240, 288]
    """
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for study, specs in all_specs(profile).items():
        for spec in specs:
            c = cell_of(spec)
            if c.model.kind not in ("mlp", "qnn"):
                continue  # the classical controls are described by their own study
            m = c.model
            ansatz = (getattr(spec, "ansatz", "") or "rx-ry-rx+rzz-ring") if m.kind == "qnn" else ""
            key = (c.data.name, m.kind, m.hidden, m.depth, ansatz, m.precision)
            if key in found:
                found[key]["studies"].append(study)
                continue
            x = train[c.data.name].x
            if m.kind == "mlp":
                width = mlp_features(x[:1]).shape[1]
                arch = " → ".join(map(str, layer_sizes(width, m.hidden))) + ", ReLU"
                output = "logit"
            else:
                width = x.shape[1]
                n_qubits = int(round(math.log2(width)))
                arch = f"{n_qubits} qubits × depth {m.depth}: {ANSATZ_NAMES.get(ansatz, ansatz)}"
                output = f"logit {LOGIT_SCALE:g}·⟨Z⟩ of qubit {n_qubits - 1}"
            found[key] = {
                "dataset": DATASET_NAMES.get(c.data.name, c.data.name),
                "model": m.label,
                "architecture": arch,
                "parameters": _parameters(ansatz, m, c.data),
                "output": output,
                "precision": m.precision,
                "studies": [study],
            }
    rows = [{**r, "studies": _join(r["studies"])} for r in found.values()]
    return pd.DataFrame(rows)


def _parameters(ansatz: str, model: Any, data: DataSpec) -> int:
    """Trained parameters of one model: the authors' Hessian QNN (its RX-RY ansatz, kind
    ``qnn-rxry``) has :data:`~qmlr.core.kinds.RXRY_ANGLES` per qubit of the curvature study and
    layer; any other is counted by :func:`qmlr.engine.runner.model_size`."""
    if ansatz == "rx-ry+cnot-ring":
        return RXRY_ANGLES * model.depth * CURVATURE_QUBITS
    return model_size(model, data)


def training_table(profile: str | Profile) -> pd.DataFrame:
    """The (base) training hyperparameters of every study, as its specs hold them.

    Rows group specs of one study (curvature: one configuration), dataset, model kind and
    training configuration; ``models`` lists the architectures that share them.

    :param profile: the profile.
    :return: columns ``study``, ``data``, ``models``, ``epochs``, ``batch``, ``lr``,
        ``precision``, ``α``, ``runs``, ``specs``.

    Example:
        >>> t = training_table("paper").set_index(["study", "data", "models"])
        >>> int(t.loc[("resilience", "MNIST 1 vs 9", "QNN depth 6"), "batch"])
        256
    """
    groups: dict[tuple[Any, ...], list[tuple[Any, CellSpec]]] = {}
    for study, specs in all_specs(profile).items():
        for spec in specs:
            c = cell_of(spec)
            variant = f"{study} ({spec.config})" if spec.kind == "curvature-run" else study
            key = (variant, c.data, c.model.kind, c.train, c.model.precision)
            groups.setdefault(key, []).append((spec, c))
    rows = []
    for (study, data, _, train, precision), members in groups.items():
        cells = [c for _, c in members]
        rows.append(
            {
                "study": study,
                "data": _data_label(data),
                "models": _join(c.model.label for c in cells),
                "epochs": train.epochs,
                "batch": train.batch_size,
                "lr": train.lr,
                "precision": precision,
                "α": format_grid(c.alpha for c in cells),
                "runs": len({c.run for c in cells}),
                "specs": len(members),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# unlearning and curvature
# --------------------------------------------------------------------------------------------


def unlearning_methods_table(profile: str | Profile) -> pd.DataFrame:
    """The unlearning methods the profile's runs use, with their loss weights.

    Weights are the fields of :func:`qmlr.core.unlearn_catalog.method_weights` — those of the
    methods :func:`qmlr.studies.unlearning_study` runs with. A weight a method does not have is
    ``—``.

    :param profile: the profile.
    :return: columns ``method``, ``starts from``, ``uses D_f``, then one per weight
        (:data:`WEIGHT_COLUMNS`).

    Example:
        >>> t = unlearning_methods_table("paper").set_index("method")
        >>> t.loc["Scrub (paper)", ["λ_ce", "λ_kl", "λ_fo"]].tolist()
        [1.0, 0.0, 0.2]
    """
    used = {m for s in all_specs(profile).get("unlearning", []) for m in s.methods}
    rows = []
    for name in [m for m in METHODS if m in used]:
        method = method_weights(name)
        weights = asdict(method)  # type: ignore[call-overload]
        row: dict[str, Any] = {
            "method": METHOD_LABELS[name],
            "starts from": "fresh initialization" if method.fresh_init else "poisoned model",
            "uses D_f": "yes" if method.uses_forget or method.max_steps else "no",
        }
        row.update({WEIGHT_COLUMNS.get(k, k): v for k, v in weights.items()})
        rows.append(row)
    frame = pd.DataFrame(rows, dtype=object)
    order = ["method", "starts from", "uses D_f"]
    order += [c for c in WEIGHT_COLUMNS.values() if c in frame.columns]
    order += [c for c in frame.columns if c not in order]
    frame = frame[order]
    return frame.where(frame.notna(), _DASH)


def unlearning_settings_table(train: Mapping[str, Dataset], profile: str | Profile) -> pd.DataFrame:
    """One row per unlearning series: forget/retain sizes and the unlearning loop's settings.

    The forget-set size is :func:`qmlr.core.corrupt.corruption_count` of the training set at the
    series' α; the retain set is the rest.

    :param train: dataset name → training set.
    :param profile: the profile.
    :return: columns ``data``, ``model``, ``setting``, ``α``, ``flipped-sample weight`` (in
        the base training's loss; above 1 for the memorizing QNN), ``forget set D_f``,
        ``retain set D_r``, ``steps``, ``lr``, ``batch``, ``updates per step``, ``runs``.

    Example:
        >>> train = {k: v["train"] for k, v in load_splits().items()}
        >>> t = unlearning_settings_table(train, "paper")
        >>> t[["forget set D_f", "retain set D_r"]].drop_duplicates().values.tolist()
        [[150, 350], [24, 58]]
    """
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for spec in all_specs(profile).get("unlearning", []):
        key = (spec.data, spec.model, spec.setting, spec.alpha, spec.unlearn, spec.forget_weight)
        groups.setdefault(key, []).append(spec)
    rows = []
    for (data, model, setting, alpha, config, weight), specs in groups.items():
        n = len(train[data.name])
        forget = corruption_count(n, alpha, "label_flip")
        retain = n - forget
        batch = retain if config.batch_size is None else min(config.batch_size, retain)
        rows.append(
            {
                "data": _data_label(data),
                "model": model.label,
                "setting": setting,
                "α": alpha,
                "flipped-sample weight": weight,
                "forget set D_f": forget,
                "retain set D_r": retain,
                "steps": config.steps,
                "lr": config.lr,
                "batch": "full" if config.batch_size is None else config.batch_size,
                "updates per step": -(-retain // batch),
                "runs": len({s.run for s in specs}),
            }
        )
    return pd.DataFrame(rows)


def curvature_table(profile: str | Profile) -> pd.DataFrame:
    """The curvature configurations (:func:`qmlr.report.curvature_tables.methods_table`) with the
    precision and the spectral-density settings of their specs.

    :param profile: the profile.
    :return: one row per (scope, model).

    Example:
        >>> curvature_table("paper")["SLQ probes × steps"].unique().tolist()
        ['16 × 80']
    """
    prof = get_profile(profile)
    first: dict[tuple[str, str], Any] = {}
    for spec in all_specs(prof).get("curvature", []):
        scope = SCOPES[(spec.config, spec.flips, spec.hessian_labels)]
        first.setdefault((scope, spec.model.kind), spec)
    table = methods_table(prof)
    specs = list(first.values())
    if len(specs) != len(table):
        raise ValueError("the curvature methods table and the specs disagree")
    return table.assign(
        precision=[s.model.precision for s in specs],
        **{"SLQ probes × steps": [f"{s.slq_probes} × {s.slq_steps}" for s in specs]},
    )


def key_sentences(
    profile: str,
    studies: pd.DataFrame,
    models: pd.DataFrame,
    settings: pd.DataFrame,
    curvature: pd.DataFrame,
) -> list[str]:
    """The Methods chapter's key result, counted from its own tables.

    :param profile: the profile's name.
    :param studies: :func:`studies_table`.
    :param models: :func:`model_table`.
    :param settings: :func:`unlearning_settings_table`.
    :param curvature: :func:`curvature_table`.
    :return: sentences for :func:`qmlr.report.keyresult.glue_key_result`.

    Example:
        >>> one = pd.DataFrame({"specs": [3], "scope": ["si"]})
        >>> key_sentences("paper", one, one, one, one)[0].split(":")[0]
        'At profile `paper`, 1 study computes 3 specs'
    """
    n = len(studies)
    return [
        f"At profile `{profile}`, {n} stud{'y computes' if n == 1 else 'ies compute'} "
        f"{int(studies['specs'].sum()):,} specs: {len(models)} distinct models, "
        f"{len(settings)} unlearning series and {len(curvature)} curvature models in "
        f"{curvature['scope'].nunique()} configurations.",
        "Every setting in the tables below is read from those specs, and every size and count "
        "is measured on the data, so the page cannot drift from what the studies run.",
    ]
