"""Tests of qmlr.report.sources and qmlr.report.ablations: every divergence gets a row, both
readings go through the chapters' own verdict functions, missing readings say so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qmlr.report import ablations as A
from qmlr.report import sources as S
from qmlr.report.analysis import curve_row, curve_summary, qnn_claim
from qmlr.report.reproducibility import divergence_table

ALPHAS = np.round(np.arange(10) * 0.1, 1)


def sweep(dataset: str, model: str, val, train=None, runs: int = 3) -> pd.DataFrame:
    """Synthetic label-flipping records: given mean curves plus tiny per-run offsets."""
    train = 1 - ALPHAS if train is None else train
    rows = []
    for run in range(runs):
        for a, v, t in zip(ALPHAS, val, train, strict=True):
            rows.append(
                dict(dataset=dataset, model=model, corruption="label_flip", alpha=a, run=run,
                     val_accuracy=v + 0.001 * run, train_accuracy=t, model_label=model)
            )  # fmt: skip
    return pd.DataFrame(rows)


PLATEAU = np.where(ALPHAS < 0.5, 0.98, 0.1)  # a QNN-like curve: plateau, drop at 0.5
DECAY = 1.0 - 0.9 * ALPHAS  # an MLP-like curve


def empty_readings(**kw) -> A.Readings:
    blank = pd.DataFrame(columns=["dataset", "model", "corruption", "alpha", "run"])
    fields = dict(resilience=blank, normalization=blank, encoding=blank,
                  unlearning=pd.DataFrame(columns=["dataset", "model", "setting", "method"]),
                  curvature=pd.DataFrame(),
                  profile="paper")  # fmt: skip
    fields.update(kw)
    return A.Readings(**fields)


def test_every_divergence_of_the_list_has_a_row_and_metadata():
    topics = list(divergence_table()["topic"])
    table = S.sources_table(empty_readings())
    assert list(dict.fromkeys(table["divergence"])) == [*topics, *S.EXTRA_TOPICS]
    for topic in [*topics, *S.EXTRA_TOPICS]:
        assert topic in S.FIGURES and topic in S.PUBLISHED and topic in S.BOOK_FOLLOWS
    assert list(table.columns) == S.COLUMNS
    unmeasured = table[table["claim"] == "—"]
    assert (unmeasured[f"verdict, {S.SI_READING}"] == S.NOT_MEASURED).all()
    markdown = S.sources_markdown(table)
    assert markdown.count("**") >= 2 * len(topics)


def test_normalization_rows_use_the_qnn_verdict_on_each_reading():
    res = pd.concat([sweep("mnist", "qnn", PLATEAU), sweep("mnist", "mlp", DECAY, np.ones(10))])
    per_column = pd.concat(
        [sweep("mnist", "qnn", DECAY), sweep("mnist", "mlp", DECAY, np.ones(10))]
    )
    readings = empty_readings(resilience=res, normalization=per_column)
    rows = A.measured("MNIST normalization", readings)
    assert len(rows) == 2
    qnn = rows[1]
    summary = curve_summary(res, ["dataset", "model", "corruption"])
    expected = qnn_claim(curve_row(summary, dataset="mnist", model="qnn"), "MNIST 1 vs 9", "paper")
    assert qnn.si_verdict == expected and expected.label == "reproduced"
    assert qnn.code_verdict.label == "not reproduced"
    np.testing.assert_allclose(qnn.si, expected_alpha_c(PLATEAU), atol=1e-3)
    table = S.sources_table(readings, topics=["MNIST normalization"])
    changed = S.verdict_changes(table)
    assert list(changed["claim"]) == [qnn.claim]
    assert table.iloc[1]["change"] == f"{qnn.code - qnn.si:+.3f}"


def expected_alpha_c(curve) -> float:
    from qmlr.report.analysis import critical_alpha

    return critical_alpha(ALPHAS, curve + 0.001)  # mean of runs 0, 1, 2 offsets


def test_encoding_rows_read_the_13_qubit_records_and_alpha_03():
    res = sweep("xxz", "qnn", PLATEAU)
    enc = sweep("xxz", "qnn-reim", DECAY)
    rows = A.encoding_comparisons(res, enc, "paper")
    np.testing.assert_allclose(rows[0].si, 0.98 + 0.001)
    np.testing.assert_allclose(rows[0].code, 1.0 - 0.9 * 0.3 + 0.001)
    assert rows[1].code_verdict.label == "not reproduced"
    missing = A.encoding_comparisons(res, enc.iloc[0:0], "paper")
    assert missing[1].code_verdict is None and missing[1].row()[S.CODE_READING] == S.NOT_MEASURED


def curvature_records() -> pd.DataFrame:
    """Synthetic curvature records: SI and the authors' pipeline (as it ran, and the first
    reading), MLP ratios rising, QNN ratios falling; the complexified QNN trace rising."""
    rows = []
    scopes = (("si", "class-balanced", "poisoned"), ("authors-code", "train-unbalanced", "clean"),
              ("authors-code", "class-balanced", "poisoned"))  # fmt: skip
    for config, flips, labels in scopes:
        for model, ratios in (("mlp", (1.0, 3.0, 30.0, 300.0)), ("qnn", (1.0, 0.8, 0.5, 0.2))):
            for a, r in zip((0.0, 0.2, 0.3, 0.4), ratios, strict=True):
                for run in range(3):
                    rows.append(dict(config=config, flips=flips, hessian_labels=labels,
                                     model=model, alpha=a, run=run, dead=False,
                                     trace=r * (2.0 if labels == "clean" else 1.0),
                                     trace_complexified=1 / r if model == "qnn" else np.nan,
                                     trace_residual=0.0, trace_gauss_newton=1.0,
                                     negative_share_slq=0.0, negative_share_exact=0.0,
                                     trace_residual_flipped=-1.0))  # fmt: skip
    return pd.DataFrame(rows)


def test_curvature_rows_read_the_chapters_scopes_and_definitions():
    records = curvature_records()
    config = A.scope_comparisons(records, "Hessian models, split and samples")
    assert [c.si_verdict.label for c in config] == ["reproduced", "reproduced"]
    np.testing.assert_allclose([c.si for c in config], [300.0, 0.2])
    np.testing.assert_allclose([c.code for c in config], [300.0, 0.2])
    dead = A.dead_run_comparisons(records)[0]
    assert dead.si == dead.code  # no dead runs: both readings agree
    (definition,) = A.scope_comparisons(records, "QNN Hessian definition")
    np.testing.assert_allclose([definition.si, definition.code], [0.2, 5.0])
    assert definition.si_verdict.label == "reproduced"
    assert definition.code_verdict.label == "not reproduced"
    labels = A.scope_comparisons(records, "Hessian flips and labels")
    assert len(labels) == 2 and all(c.code_verdict is not None for c in labels)
    assert A.measured("QNN Hessian definition", empty_readings(curvature=records))


@pytest.mark.parametrize(
    "value, verdict, text", [(0.5, None, "0.500"), (np.nan, None, "not measured")]
)
def test_comparison_cells(value, verdict, text):
    c = A.Comparison("c", "h", value, value, verdict, verdict)
    assert c.row()[S.SI_READING] == text


def test_mlp_row_reads_the_code_mlp_records():
    res = sweep("mnist", "mlp", DECAY, np.ones(10))
    code = sweep("mnist", "mlp", PLATEAU, np.ones(10))
    readings = empty_readings(resilience=res, code_mlp=code)
    (row,) = A.measured("MNIST MLP of the α sweep (Fig. 2c)", readings)
    assert row.si_verdict.label == "reproduced" and row.code_verdict.label == "not reproduced"
    np.testing.assert_allclose(row.si, -0.9, atol=1e-9)
    assert A.measured("MNIST MLP of the α sweep (Fig. 2c)", empty_readings(resilience=res)) == []


def test_reading_records_carry_encoding_and_normalization():
    from qmlr.core.train import TrainConfig
    from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
    from qmlr.engine.store import CellResult
    from qmlr.studies.readings import reading_records

    train = TrainConfig(1, 8, 0.1)
    xxz, mnist = DataSpec("xxz"), DataSpec("mnist", normalization="per-column")
    models = [(xxz, ModelSpec("qnn-reim", depth=1)), (xxz, ModelSpec("qnn", depth=1)),
              (mnist, ModelSpec("mlp", hidden=(2,)))]  # fmt: skip
    specs = [CellSpec("demo", d, m, train, "label_flip", 0.1, 0) for d, m in models]
    metrics = {"train_accuracy": 0.5, "val_accuracy": 0.5}
    frame = reading_records([CellResult(s, metrics, {}) for s in specs]).set_index("model")
    assert frame.loc["qnn-reim", "encoding"] == "reim-13q"
    assert frame.loc["qnn", "encoding"] == "complex-12q"
    assert frame.loc["mlp", "normalization"] == "per-column" and frame.loc["mlp", "encoding"] == ""
    assert frame.loc["qnn", "normalization"] == ""
