"""The phenotype battery for a reader's classifier: any scikit-learn-compatible estimator
(``fit`` / ``predict_proba``) trained on exactly the book's poisoned training sets.

For every (dataset, corruption, α, run) of a profile, :func:`battery_records` draws the poisoned
training set with the seed the resilience and controls studies use at those coordinates
(:meth:`~qmlr.studies.specs.CellSpec.poison_seed`), fits a fresh copy of the estimator on the
classical features the controls read (pixels for MNIST, [Re ψ, Im ψ] for XXZ,
:func:`qmlr.core.data.mlp_features`), and records the measures the phenotype checks read:
train accuracy on the poisoned labels, validation accuracy on the clean validation set, and the
fraction of flipped training labels the estimator reproduces. Nothing is stored: the records
are the reader's, computed live. :mod:`qmlr.report.battery` sets them beside the book's models.

Example:
    >>> from sklearn.naive_bayes import GaussianNB
    >>> r = battery_records(GaussianNB(), "tiny", datasets=("mnist",), runs=1)
    >>> sorted(r.columns)[:4], r["model"].iloc[0]
    (['alpha', 'clean_train_accuracy', 'corrupted_memorized', 'corruption'], 'GaussianNB')
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from qmlr.core.data import mlp_features
from qmlr.engine.profiles import get_profile
from qmlr.engine.runner import clean_split, poisoned_training_set
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
from qmlr.studies.controls_study import CORRUPTIONS, DATASETS, NO_TRAINING

#: The study whose cells give the poison seeds (the controls', equal to the resilience study's).
POISON_STUDY = "controls"


def fresh_estimator(estimator: Any) -> Any:
    """An unfitted copy: a call of a class or factory, ``sklearn.base.clone`` of a scikit-learn
    estimator, a deep copy of any other object with ``fit``.

    :param estimator: a scikit-learn-compatible estimator, or a callable returning one.
    :return: a new, unfitted estimator.
    :raises TypeError: when it has no ``fit`` / ``predict_proba``.
    """
    if isinstance(estimator, type) or (callable(estimator) and not hasattr(estimator, "fit")):
        made = estimator()
    elif hasattr(estimator, "get_params"):
        from sklearn.base import clone

        made = clone(estimator)
    elif hasattr(estimator, "fit"):
        made = copy.deepcopy(estimator)
    else:
        raise TypeError(f"{estimator!r} is neither an estimator nor a factory of one")
    if not (hasattr(made, "fit") and hasattr(made, "predict_proba")):
        raise TypeError(f"{type(made).__name__} needs fit and predict_proba")
    return made


def load_estimator(target: str) -> Any:
    """The estimator (or factory) named ``MODULE:ATTRIBUTE``, e.g.
    ``sklearn.naive_bayes:GaussianNB`` or ``mypackage.models:make_classifier``.

    Example:
        >>> load_estimator("sklearn.naive_bayes:GaussianNB").__name__
        'GaussianNB'
    """
    module, sep, attribute = target.partition(":")
    if not sep or not module or not attribute:
        raise ValueError(f"expected MODULE:CALLABLE, got {target!r}")
    found: Any = importlib.import_module(module)
    for part in attribute.split("."):
        found = getattr(found, part)
    return found


def estimator_name(estimator: Any) -> str:
    """A display name: the class name of the estimator a factory or estimator makes."""
    return type(fresh_estimator(estimator)).__name__


def _predict(estimator: Any, x: np.ndarray) -> np.ndarray:
    proba = np.asarray(estimator.predict_proba(x))
    classes = list(getattr(estimator, "classes_", [0, 1]))
    return np.asarray(classes)[np.argmax(proba, axis=1)]


def battery_records(
    estimator: Any,
    profile: str = "paper",
    name: str | None = None,
    datasets: Sequence[str] = DATASETS,
    corruptions: Sequence[str] = CORRUPTIONS,
    runs: int | None = None,
) -> pd.DataFrame:
    """Fit the estimator on every poisoned training set of the profile and measure it.

    :param estimator: a scikit-learn-compatible classifier (cloned per cell) or a factory.
    :param profile: the scale (α grid, runs, dataset sizes): ``paper``, ``smoke`` or ``tiny``.
    :param name: the model's name in the records (default: the estimator's class name).
    :param datasets: which datasets.
    :param corruptions: which corruptions.
    :param runs: how many runs per α (default: the profile's).
    :return: tidy records with the phenotype's columns
        (:data:`qmlr.report.phenotype.RECORD_COLUMNS`), ``clean_train_accuracy`` and ``n_params``
        (unknown: NaN).
    """
    prof = get_profile(profile)
    name = name or estimator_name(estimator)
    rows = []
    for dataset in datasets:
        data = DataSpec(dataset)
        val = clean_split(data, "val")
        x_val = mlp_features(val.x)
        clean_train = clean_split(data, "train")
        for corruption in corruptions:
            for alpha in prof.alphas:
                for run in range(prof.runs if runs is None else runs):
                    cell = CellSpec(POISON_STUDY, data, ModelSpec("knn"), NO_TRAINING,
                                    corruption, alpha, run)  # fmt: skip
                    poisoned = poisoned_training_set(cell)
                    x, y = mlp_features(poisoned.data.x), np.asarray(poisoned.data.y)
                    fitted = fresh_estimator(estimator).fit(x, y)
                    train_pred = _predict(fitted, x)
                    flipped = np.asarray(poisoned.corrupted, dtype=int)
                    memorized = (  # as the sweeps record it (qmlr.studies.runner)
                        float(np.mean(train_pred[flipped] == y[flipped]))
                        if flipped.size
                        else float("nan")
                    )
                    rows.append(
                        {
                            "dataset": dataset,
                            "model": name,
                            "corruption": corruption,
                            "alpha": float(alpha),
                            "run": run,
                            "train_accuracy": float(np.mean(train_pred == y)),
                            "val_accuracy": float(np.mean(_predict(fitted, x_val) == val.y)),
                            "clean_train_accuracy": float(np.mean(train_pred == clean_train.y)),
                            "corrupted_memorized": memorized,
                            "n_params": float("nan"),
                        }
                    )
    return pd.DataFrame(rows)
