"""The book as a tool: a reader's classifier through the phenotype battery, beside the book's
models.

:func:`run_battery` trains any scikit-learn-compatible classifier (``fit`` / ``predict_proba``)
on the book's own poisoned training sets (:func:`qmlr.studies.battery.battery_records`), measures
it as the controls chapter measures every model (:func:`qmlr.report.phenotype.phenotype_table`)
and returns it beside the QNN, the MLP and the classical controls: :func:`battery_markdown`
tables the measures and the phenotype per dataset, :func:`battery_figure` draws the validation
curves and the memorized fraction under label flipping. The same call runs from the command
line::

    python -m qmlr battery sklearn.naive_bayes:GaussianNB --profile paper --out battery/

Example:
    >>> from sklearn.naive_bayes import GaussianNB
    >>> no_book = pd.DataFrame(columns=[*P.RECORD_COLUMNS, "n_params"])  # the book's: load_records
    >>> b = run_battery(GaussianNB(), "tiny", datasets=("mnist",), runs=2, book_records=no_book)
    >>> b.name, list(b.table["model"]), b.phenotype("mnist") in ("QNN", "MLP", "neither")
    ('GaussianNB', ['GaussianNB', 'GaussianNB'], True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from qmlr.report import analysis, plots
from qmlr.report import phenotype as P
from qmlr.report.markdown import frame_markdown
from qmlr.report.sharing import marked
from qmlr.studies.battery import battery_records, estimator_name
from qmlr.studies.controls_study import CORRUPTIONS, DATASETS

#: Colour of the reader's model in :func:`battery_figure` (the book's models keep theirs).
READER_COLOR = "gold"


@dataclass(frozen=True)
class Battery:
    """A reader's model measured beside the book's.

    :param name: the reader's model's name (its ``model`` in the records and tables).
    :param records: the reader's model's records (:func:`battery_records`).
    :param book_records: the book's records (MLP, QNN, controls) at the same profile.
    :param table: :func:`qmlr.report.phenotype.phenotype_table` of all of them.
    :param profile: the profile.
    """

    name: str
    records: pd.DataFrame
    book_records: pd.DataFrame
    table: pd.DataFrame
    profile: str

    @property
    def datasets(self) -> list[str]:
        """The datasets the reader's model ran on."""
        return sorted(self.records["dataset"].unique())

    def phenotype(self, dataset: str) -> str:
        """The reader's model's phenotype on ``dataset`` (``QNN``, ``MLP`` or ``neither``,
        marked ``?`` where a threshold lies inside its run-bootstrap interval)."""
        checks = P.phenotype_checks(self.table)
        kind = P.phenotype_of(checks, dataset, self.name)
        return marked(kind, P.phenotype_outcome(checks, dataset, self.name))


def run_battery(
    estimator: Any,
    profile: str = "paper",
    name: str | None = None,
    datasets: Sequence[str] = DATASETS,
    corruptions: Sequence[str] = CORRUPTIONS,
    runs: int | None = None,
    book_records: pd.DataFrame | None = None,
    book_table: pd.DataFrame | None = None,
) -> Battery:
    """Run the phenotype battery on a reader's classifier, beside the book's models.

    :param estimator: a scikit-learn-compatible classifier or a factory of one.
    :param profile: ``paper`` (the book's committed models; the reader's model is trained on
        the paper-scale poisons), ``smoke`` or ``tiny``.
    :param name: the model's name (default: the estimator's class name; must differ from the
        book's model kinds).
    :param datasets: which datasets; ``corruptions``: which corruptions (label flipping is
        needed for the phenotype).
    :param runs: runs per α (default: the profile's).
    :param book_records: the book's records (default :func:`qmlr.report.phenotype.load_records`).
    :param book_table: their phenotype table, when already computed (saves its bootstrap).
    :return: the :class:`Battery`.
    """
    name = name or estimator_name(estimator)
    if name in P.MODEL_NAMES:
        raise ValueError(f"{name!r} is one of the book's models; pass another name")
    records = battery_records(estimator, profile, name, datasets, corruptions, runs)
    book = P.load_records(profile) if book_records is None else book_records
    book = book[book["dataset"].isin(datasets) & book["corruption"].isin(corruptions)]
    if book_table is None:
        table = P.phenotype_table(pd.concat([book, records], ignore_index=True))
    else:
        mine = book_table[book_table["dataset"].isin(datasets)
                          & book_table["corruption"].isin(corruptions)]  # fmt: skip
        table = pd.concat([mine, P.phenotype_table(records)], ignore_index=True)
    return Battery(name, records, book, table, profile)


def battery_markdown(battery: Battery) -> str:
    """Per dataset, the label-flipping measures and phenotype of every model with the reader's
    last (:func:`qmlr.report.phenotype.display_table`), as numbered MyST tables
    ``tab-battery-<dataset>``.

    :param battery: :func:`run_battery` output.
    :return: MyST markdown.
    """
    parts = []
    for dataset in battery.datasets:
        shown = P.display_table(battery.table, dataset)
        caption = (
            f"{analysis.DATASET_NAMES.get(dataset, dataset)}, label flipping (profile "
            f"`{battery.profile}`): the reader's model *{battery.name}* (last row) measured "
            "beside the book's models on the same poisons; its phenotype is "
            f"**{battery.phenotype(dataset)}**."
        )
        parts.append(frame_markdown(shown, caption, f"tab-battery-{dataset}"))
    return "\n".join(parts)


def battery_figure(battery: Battery) -> Any:
    """Label flipping, one column per dataset: validation accuracy (top) and the fraction of
    flipped training labels reproduced (bottom) against α for the MLP and the QNN (thick), the
    controls (thin, dashed) and the reader's model (gold, thick); means ± one std over runs.

    :param battery: :func:`run_battery` output.
    :return: the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    metrics = ("val_accuracy", "corrupted_memorized")
    by = ["dataset", "model", "corruption"]
    book = analysis.curves(battery.book_records, by, metrics=metrics)
    mine = analysis.curves(battery.records, by, metrics=metrics)
    datasets = battery.datasets
    fig, axes = plt.subplots(2, len(datasets), figsize=(5 * len(datasets), 7), sharex=True,
                             squeeze=False, constrained_layout=True)  # fmt: skip
    models = P.model_order(list(battery.book_records["model"].unique()))
    for j, dataset in enumerate(datasets):
        for i, metric in enumerate(metrics):
            ax = axes[i][j]
            plots.phenotype_panels([[ax]], book, [dataset], ["label_flip"], models,
                                   names=P.MODEL_NAMES, metric=metric)  # fmt: skip
            curve = mine.xs((dataset, battery.name, "label_flip"), level=by)
            plots.band(ax, curve.index.to_numpy(float), curve[f"{metric}_mean"],
                       curve[f"{metric}_std"], label=battery.name, color=READER_COLOR,
                       alpha=0.15, linewidth=2.6, zorder=4)  # fmt: skip
            if i == 0:
                ax.set_xlabel("")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2 * len(datasets), fontsize=9)
    return fig
