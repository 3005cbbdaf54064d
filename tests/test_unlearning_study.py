"""The unlearning study: specs, one run end to end, store round trip, records, verdicts."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd
import pytest
import torch
from unlearning_rows import unlearning_row

import qmlr.studies.unlearning_study as U
from qmlr.core import train
from qmlr.core.train import TrainConfig, accuracy
from qmlr.core.unlearn import METHODS, METRICS, fresh_like
from qmlr.engine.agreement import agree
from qmlr.engine.runner import poisoned_training_set
from qmlr.engine.specs import DataSpec, ModelSpec
from qmlr.engine.store import ResultStore
from qmlr.report import unlearning as UR
from qmlr.report import unlearning_checks as UC
from qmlr.report import unlearning_tables as UT
from qmlr.report.checks import judge_all
from qmlr.studies.experiments import Profile, get_profile
from qmlr.studies.registry import STUDIES, study_cells

TINY = Profile("tiny", (0.3,), runs=1, epoch_scale=0.01)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small models: torch's thread pool only adds overhead (restored afterwards)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def mlp_spec(steps: int = 50, run: int = 0) -> U.UnlearningSpec:
    """The MNIST MLP at the SI's unlearning setting, its base training scaled down."""
    return U.make_spec(U.Series("mnist", "mlp", "si"), TINY, run=run, steps=steps)


def small_qnn_spec(setting: str, lr: float, batch: int | None) -> U.UnlearningSpec:
    """A depth-1 XXZ QNN: the QNN code path at a fraction of the paper model's cost."""
    return U.UnlearningSpec(
        study=U.STUDY,
        data=DataSpec("xxz"),
        model=ModelSpec("qnn", depth=1),
        train=TrainConfig(epochs=2, batch_size=32, lr=0.03),
        unlearn=U.UnlearnConfig(steps=2, lr=lr, batch_size=batch),
        setting=setting,
    )


@functools.cache
def mlp_result():
    return U.compute_spec(mlp_spec())


def test_paper_specs_cover_every_series_and_setting():
    specs = [s for s in U.unlearning_specs(get_profile("paper")) if s.forget_weight == 1.0]
    specs = [s for s in specs if s.model.kind in ("mlp", "qnn")]
    assert len(specs) == len(U.PAPER_SERIES) * 5 == 35
    assert len({s.key() for s in specs}) == 35
    assert all(s.unlearn.steps == 50 and s.alpha == 0.3 for s in specs)
    by = {(s.data.name, s.data.phase, s.model.kind, s.setting): s for s in specs}
    assert by[("mnist", "random", "qnn", "paper-figure")].unlearn == U.UnlearnConfig(50, 0.005, 256)
    assert by[("xxz", "random", "qnn", "paper-figure")].unlearn == U.UnlearnConfig(50, 0.005)
    assert by[("mnist", "random", "qnn", "si")].unlearn == U.UnlearnConfig(50, 0.001)
    assert by[("mnist", "random", "mlp", "si")].unlearn == U.UnlearnConfig(50, 0.001)
    assert by[("xxz", "canonical", "mlp", "si")].unlearn == U.UnlearnConfig(50, 0.01)
    assert by[("xxz", "random", "qnn", "si")].train == TrainConfig(200, 32, 0.03)
    # the two QNN settings share their base models: 25 base trainings for 35 specs
    assert len(U.plan_groups(specs)) == 25
    assert U.plan_groups(specs)[0][0].data.name == "mnist"  # the costly MNIST QNN first
    assert "unlearning" in STUDIES
    every = U.unlearning_specs(get_profile("paper"))
    assert len(every) == len(U.SERIES) * 5
    assert [s.key() for s in study_cells("unlearning", "paper")] == [s.key() for s in every]
    smoke = U.unlearning_specs(get_profile("smoke"))
    prof = get_profile("smoke")
    assert all(s.unlearn.steps == prof.unlearning_steps for s in smoke)
    assert len(smoke) == len(U.SERIES) * prof.unlearning_runs


def test_poison_equals_the_resilience_sweeps_at_alpha_03():
    spec = U.make_spec(U.Series("xxz", "qnn", "paper-figure"), get_profile("paper"), run=2)
    sweep = [
        c
        for c in study_cells("resilience", "paper")
        if c.data == spec.data
        and c.model == spec.model
        and c.corruption == "label_flip"
        and c.alpha == 0.3
        and c.run == 2
    ]
    assert len(sweep) == 1
    assert sweep[0].poison_seed() == spec.cell().poison_seed()
    assert sweep[0].model_seed() == spec.cell().model_seed()
    np.testing.assert_array_equal(
        poisoned_training_set(sweep[0]).corrupted, poisoned_training_set(spec.cell()).corrupted
    )
    assert spec.retrain_seed() not in (spec.cell().model_seed(), spec.order_seed())


def test_one_run_has_every_method_with_51_point_curves():
    result = mlp_result()
    m = result.metrics
    assert (m["n_retain"], m["n_forget"]) == (350, 150)
    assert set(m["curves"]) == set(METHODS)
    for curves in m["curves"].values():
        assert set(curves) == set(METRICS)
        assert all(len(c) == 51 for c in curves.values())
        assert all(0.0 <= v <= 1.0 for v in curves["forget_accuracy"])
    assert m["method_params"]["scrub"] == {"method": "scrub", "ce": 1.0, "kl": 0.0, "fo": 0.2}
    for name in ("finetune", "scrub", "grad_asc", "scrub_kurmanji"):  # step 0 = the teacher
        assert m["curves"][name]["val_accuracy"][0] == m["base_val_accuracy"]
        assert m["curves"][name]["forget_accuracy"][0] == m["base_forget_accuracy"]
    assert m["updates_per_step"] == 1
    assert result.provenance["base_shared_by"] == 1


def test_retrain_starts_from_a_fresh_initialization():
    spec = mlp_spec()
    base = U.train_base(spec)
    curves = mlp_result().metrics["curves"]
    fresh = fresh_like(base.model, [spec.retrain_seed()])
    assert curves["retrain"]["val_accuracy"][0] == float(accuracy(fresh, *base.val)[0])
    assert curves["retrain"]["forget_accuracy"][0] == float(accuracy(fresh, *base.forget)[0])
    assert not torch.equal(fresh.weights[0], base.model.weights[0])
    step0 = [curves["retrain"][m][0] for m in METRICS]
    assert step0 != [curves["finetune"][m][0] for m in METRICS]


def test_recompute_is_deterministic_and_independent_of_grouping():
    again = U.compute_spec(mlp_spec())
    assert again.metrics == mlp_result().metrics
    a = small_qnn_spec("paper-figure", 0.005, 20)
    b = small_qnn_spec("si", 0.01, None)
    together = U.compute_group([a, b])
    alone = U.compute_spec(b)
    assert together[1].metrics == alone.metrics
    assert together[0].metrics["updates_per_step"] == 3  # 58 retain samples in batches of 20
    assert together[0].provenance["base_shared_by"] == 2
    with pytest.raises(ValueError, match="share"):
        U.compute_group([a, mlp_spec()])


def test_smoke_sized_study_end_to_end_in_a_store(tmp_path):
    from qmlr.studies.study import run_study_specs

    specs = [
        U.make_spec(s, TINY, run, steps=2) for s in U.SERIES if s.kind == "mlp" for run in range(2)
    ]
    store = ResultStore(tmp_path)
    results = run_study_specs("unlearning", specs, store, n_jobs=1, progress=False)
    assert len(store.keys("unlearning")) == len(specs) == 6
    loaded = store.load(specs[0])
    assert loaded.spec == specs[0]  # spec round trip through the sealed JSON file
    assert loaded.metrics == results[0].metrics
    assert U.UnlearningSpec.from_dict(specs[0].to_dict()) == specs[0]
    path = U.export(results, tmp_path / "unlearning")
    records = pd.read_csv(path, keep_default_na=False)
    assert len(records) == 6 * len(METHODS) * 3
    assert set(records["method"]) == set(METHODS)
    assert set(records["role"]) == {"main", "sensitivity"}
    assert set(records["phase"]) == {"", "random", "canonical"}
    stats = UR.curve_stats(U.records_frame(results))
    assert (stats["runs"] == 2).all()
    summary = UR.summary_table(U.records_frame(results))
    assert len(summary) == 3 * len(METHODS)
    assert not UC.evaluable(summary)
    verdicts = judge_all(UC.UNLEARNING_ROWS, summary) + judge_all(UC.FORGETTING_ROWS, summary)
    assert all(v.reproduced is None for v in verdicts)
    assert any("not evaluated at this scale" in v.evidence for v in verdicts)
    table = UT.display_summary(summary, "xxz")
    assert len(table) == 2 * len(METHODS)


def test_base_model_equals_the_resilience_sweeps_cell(tmp_path):
    import dataclasses

    from qmlr.engine.runner import train_group

    result = mlp_result()
    store = ResultStore(tmp_path)
    assert UT.sweep_cross_check([result], store).empty
    cell = dataclasses.replace(result.spec.cell(), study="resilience")
    store.save(train_group([cell])[0])
    check = UT.sweep_cross_check([result], store)
    assert len(check) == 1
    row = check.iloc[0]
    assert row["base val. acc."] == row["sweep val. acc."]
    assert row["base train acc."] == row["sweep train acc."]


def synthetic_records(mlp_lags: bool, runs: int = 3, steps: int = 50) -> pd.DataFrame:
    """Records where Retrain ends at 0.95; the MLP's approximate methods stay at 0.80 (or
    reach 0.95 at step 5) with forgetting accuracy 0.6 (or 0.0); the QNN's reach it at step 3."""
    rows = []
    step = np.arange(steps + 1)
    for model in ("mlp", "qnn"):
        for method in METHODS:
            if method == "retrain":
                val = np.minimum(0.5 + 0.1 * step, 0.95)
                forget = np.maximum(0.5 - 0.1 * step, 0.0)
            elif model == "mlp" and mlp_lags:
                val, forget = np.full(step.size, 0.80), np.full(step.size, 0.6)
            else:
                reach = 5 if model == "mlp" else 3
                val = np.where(step >= reach, 0.95, 0.80)
                forget = np.where(step >= reach, 0.0, 0.5)
            for run in range(runs):
                rows += [
                    unlearning_row(model, method, run, s, val, forget, retain_accuracy=val[s],
                                   train_accuracy=val[s], forget_loss=1.0)
                    for s in step
                ]  # fmt: skip
    return pd.DataFrame(rows)


def test_summary_and_verdicts_on_synthetic_curves():
    summary = UR.summary_table(synthetic_records(mlp_lags=True))
    assert UC.evaluable(summary)
    row = summary[(summary["model"] == "qnn") & (summary["method"] == "finetune")].iloc[0]
    assert row["steps_to_retrain"] == 3 and row["retrain_val_final"] == pytest.approx(0.95)
    assert row["forget_area_mean"] == pytest.approx(UR.forgetting_area([0.5] * 3 + [0.0] * 48))
    mlp = summary[(summary["model"] == "mlp") & (summary["method"] == "scrub")].iloc[0]
    assert mlp["steps_to_retrain"] is None or pd.isna(mlp["steps_to_retrain"])
    assert UC.verdict("lag", summary, "mlp", "si").reproduced is True
    assert UC.verdict("quick", summary, "qnn", "paper-figure").reproduced is True
    assert UC.verdict("stubborn", summary, "mlp", "si").reproduced is True
    assert UC.verdict("easier", summary).reproduced is True
    fast = UC.verdict("fast", summary, "qnn", "paper-figure")
    assert fast.reproduced is True  # Retrain ≤ 0.1 at step 5, the others at step 3
    caught_up = UR.summary_table(synthetic_records(mlp_lags=False))
    assert UC.verdict("lag", caught_up, "mlp", "si").reproduced is False
    assert UC.verdict("stubborn", caught_up, "mlp", "si").reproduced is False
    few = UR.summary_table(synthetic_records(mlp_lags=True, runs=2))
    assert UC.verdict("lag", few, "mlp", "si").reproduced is None
    # a series without results gives "no results", not an error
    assert UC.verdict("lag", summary, "mlp", "si", phase="canonical").evidence == "no results"


def test_helpers():
    assert UR.steps_to_reach([0.1, 0.5, 0.93], 0.95, 0.02) == 2
    assert UR.steps_to_reach([0.1, 0.5], 0.95, 0.02) is None
    assert UR.forgetting_area([1.0, 1.0, 1.0]) == 1.0
    assert UR.forgetting_area([0.0, 1.0]) == 0.5
    table = UT.settings_table(get_profile("paper"))
    assert len(table) == len(U.SERIES)
    assert set(table["updates per step"]) == {1, 2}
    assert len(UT.method_table()) == len(METHODS)


def test_bad_specs_are_refused():
    spec = mlp_spec()
    with pytest.raises(ValueError, match="alpha"):
        dataclasses.replace(spec, alpha=0.0)
    with pytest.raises(ValueError, match="unknown unlearning method"):
        dataclasses.replace(spec, methods=("retrain", "sparse"))
    with pytest.raises(ValueError, match="distinct"):
        dataclasses.replace(spec, methods=("retrain", "retrain"))
    with pytest.raises(ValueError, match="run"):
        dataclasses.replace(spec, run=-1)
    for bad in (dict(steps=-1, lr=0.1), dict(steps=1, lr=0.0), dict(steps=1, lr=0.1, batch_size=0)):
        with pytest.raises(ValueError, match="unlearning config"):
            U.UnlearnConfig(**bad)


#: Seeds the pick of the committed run that is recomputed (change it to try another run).
RECOMPUTE_PICK_SEED = 11


def test_a_committed_paper_run_recomputes_to_the_same_curves():
    """Pick a committed paper-scale MLP run (seeded) and recompute it from its recorded spec
    (base training, then all five methods) with its recorded thread count: every curve comes out
    identical on the CPU fingerprint that computed it, within the cross-CPU tolerance elsewhere."""
    store = ResultStore()
    committed = [
        s
        for s in U.unlearning_specs(get_profile("paper"))
        if s.model.kind == "mlp" and store.has(s)
    ]
    if not committed:
        pytest.skip("no committed paper-scale unlearning results in results/ yet")
    spec = committed[np.random.default_rng(RECOMPUTE_PICK_SEED).integers(len(committed))]
    stored = store.load(spec)
    before = torch.get_num_threads()
    torch.set_num_threads(int(stored.provenance.get("torch_threads", before)))
    try:
        fresh = U.compute_spec(spec)
    finally:
        torch.set_num_threads(before)
    agreement = agree(stored, fresh)
    print(agreement)  # says which check ran: bit-identical or cross-CPU tolerance
    assert agreement.ok, f"committed unlearning run {spec.key()}: {agreement}"


def test_reaching_retrain_counts_only_from_a_start_below_it():
    """A QNN whose approximate methods sit at Retrain's level from step 0 has nothing to reach:
    the quick verdict fails and says so; the same curves reached at step 3 pass."""
    records = synthetic_records(mlp_lags=True)
    starts = (records["model"] == "qnn") & (records["method"] != "retrain")
    assert UC.verdict("quick", UR.summary_table(records), "qnn", "paper-figure").reproduced is True
    records.loc[starts, "val_accuracy"] = 0.95
    summary = UR.summary_table(records)
    row = summary[(summary["model"] == "qnn") & (summary["method"] == "finetune")].iloc[0]
    assert row["steps_to_retrain"] == 0 and UR.starts_at_retrain(row["steps_to_retrain"])
    verdict = UC.verdict("quick", summary, "qnn", "paper-figure")
    assert verdict.reproduced is False
    assert verdict.evidence.count(UR.STARTS_AT_RETRAIN) == len(U.APPROXIMATE)
    shown = UT.display_summary(summary, "mnist")
    assert (shown["steps to Retrain − 0.02"] == UR.STARTS_AT_RETRAIN).sum() == len(U.METHODS) - 1
    # the MLP verdicts are unchanged by the QNN's start
    assert UC.verdict("lag", summary, "mlp", "si").reproduced is True


# --------------------------------------------------------------------------------------------
# The extension series: a memorizing QNN and the gradient-trained controls
# --------------------------------------------------------------------------------------------


def test_every_committed_unlearning_cell_keeps_its_key():
    """The new spec field is left out of the JSON form at its default: each committed cell's
    spec rebuilds to the key it was filed under, and the paper series still make those keys."""
    import json

    from qmlr.engine.store import DEFAULT_RESULTS_DIR
    from qmlr.studies.registry import spec_from_dict

    files = sorted((DEFAULT_RESULTS_DIR / "unlearning" / "cells").glob("*.json"))
    if not files:
        pytest.skip("no committed unlearning results")
    committed = set()
    for f in files:
        blob = json.loads(f.read_text())
        spec = spec_from_dict(blob["kind"], blob["spec"])
        assert spec.key() == blob["key"] == f.stem
        assert spec.to_dict() == blob["spec"]
        committed.add(spec.key())
    paper = {
        U.make_spec(s, get_profile("paper"), run).key() for s in U.PAPER_SERIES for run in range(5)
    }
    assert paper <= committed


def test_forget_weight_is_part_of_the_spec_only_when_set():
    plain = mlp_spec()
    assert "forget_weight" not in plain.to_dict()
    heavy = dataclasses.replace(plain, forget_weight=4)
    assert heavy.to_dict()["forget_weight"] == 4.0
    assert U.UnlearningSpec.from_dict(heavy.to_dict()) == heavy
    assert heavy.key() != plain.key() and heavy.base_key() != plain.base_key()
    assert (plain.model_name, heavy.model_name) == ("mlp", "mlp-memorizing")
    assert heavy.cell() == plain.cell()  # the same poison and seeds
    with pytest.raises(ValueError, match="forget_weight"):
        dataclasses.replace(plain, forget_weight=0.0)


def test_memorizing_training_upweights_exactly_the_flipped_samples(monkeypatch):
    spec = dataclasses_replace(small_qnn_spec("si", 0.01, None), forget_weight=8.0)
    seen = {}
    real_fit = train.fit  # train_base imports it when called (the study loads without torch)

    def spy(model, x, y, *args, **kwargs):  # the kinds' own fits call it too, unweighted
        if "sample_weight" in kwargs:
            seen["weight"], seen["y"] = kwargs["sample_weight"], y
        return real_fit(model, x, y, *args, **kwargs)

    monkeypatch.setattr(train, "fit", spy)
    base = U.train_base(spec)
    flipped = poisoned_training_set(spec.cell()).corrupted
    expected = np.ones(len(seen["y"][0]))
    expected[flipped] = 8.0
    np.testing.assert_allclose(seen["weight"][0].numpy(), expected)
    np.testing.assert_allclose(base.sample_weight, expected)
    assert (seen["weight"][0] == 8.0).sum() == base.forget[1].shape[1] == len(flipped) > 0
    seen.clear()
    U.train_base(small_qnn_spec("si", 0.01, None))  # a plain spec: its kind's fit, no weights
    assert seen == {}


def test_sample_weights_weight_the_training_loss():
    from qmlr.core.train import per_member_bce

    logits = torch.tensor([[2.0, -1.0, 0.5]])
    labels = torch.tensor([[0, 0, 1]])
    single = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, labels.float(), reduction="none"
    )
    weights = torch.tensor([[3.0, 1.0, 1.0]])
    np.testing.assert_allclose(
        per_member_bce(logits, labels, weights).numpy(), (single * weights).mean(-1).numpy()
    )
    np.testing.assert_allclose(
        per_member_bce(logits, labels, torch.ones(1, 3)).numpy(),
        per_member_bce(logits, labels).numpy(),
    )


def test_memorization_weights():
    from qmlr.studies.memorizing import FORGET_WEIGHT, FORGET_WEIGHT_GRID, forget_weights

    assert all(w in FORGET_WEIGHT_GRID for w in FORGET_WEIGHT.values())
    np.testing.assert_allclose(forget_weights(4, [0, 2], 2.5), [2.5, 1.0, 2.5, 1.0])
    with pytest.raises(ValueError, match="positive"):
        forget_weights(4, [0], 0.0)
    assert {s.role for s in U.MEMORIZING_SERIES} == {"memorizing"}
    assert all(s.forget_weight == FORGET_WEIGHT[s.dataset] for s in U.MEMORIZING_SERIES)


@pytest.mark.parametrize("kind", U.UNLEARNED_CONTROLS)
def test_controls_are_unlearned_from_their_poisoned_models(kind):
    from qmlr.studies.controls_study import control_model, control_training

    series = U.Series("xxz", kind, "si", role="control")
    spec = U.make_spec(series, TINY, run=0, steps=1)
    assert spec.model == control_model("xxz", kind)
    assert spec.train == control_training("xxz", kind, TINY)
    assert spec.unlearn == U.UnlearnConfig(1, 0.01)  # the "si" setting of both paper models
    assert spec.cell().poison_seed() == U.make_spec(U.PAPER_SERIES[1], TINY, 0).cell().poison_seed()
    result = U.compute_spec(spec)
    curves = result.metrics["curves"]
    assert set(curves) == set(METHODS)
    assert curves["finetune"]["val_accuracy"][0] == result.metrics["base_val_accuracy"]
    frame = U.records_frame([result])
    assert set(frame["model"]) == {kind} and set(frame["role"]) == {"control"}


def test_fresh_controls_keep_their_architecture():
    from qmlr.core.models.bounded import BoundedMLP
    from qmlr.core.models.small import ProjectedMLP

    bounded = BoundedMLP(3, (4,), seeds=(0,))
    fresh = fresh_like(bounded, [1])
    assert isinstance(fresh, BoundedMLP) and fresh.mlp.hidden == (4,)
    assert not torch.equal(fresh.mlp.weights[0], bounded.mlp.weights[0])
    means, directions = torch.randn(1, 5), torch.randn(1, 5, 2)
    small = ProjectedMLP(means, directions, (3,), seeds=(0,))
    fresh = fresh_like(small, [1])
    assert isinstance(fresh, ProjectedMLP)
    assert torch.equal(fresh.directions, small.directions)  # the fixed map is kept
    assert not torch.equal(fresh.mlp.weights[0], small.mlp.weights[0])


def dataclasses_replace(spec: U.UnlearningSpec, **changes) -> U.UnlearningSpec:
    import dataclasses

    return dataclasses.replace(spec, **changes)


def test_amenability_counts_steps_only_from_a_start_below_retrain():
    records = synthetic_records(mlp_lags=True)
    mlp, qnn = U.Series("mnist", "mlp", "si"), U.Series("mnist", "qnn", "paper-figure")
    summary = UR.summary_table(records)
    table = UT.amenability_table(summary, [mlp, qnn, U.Series("xxz", "qnn", "si")])
    assert table["series"].tolist() == [mlp.label, qnn.label]  # no results: skipped
    assert table["parameters"].tolist() == [16473, 240]
    assert table["Finetune"].tolist() == ["never in 50", "3"]
    assert "within 10 steps: Finetune 3, Scrub (paper) 3" in UT.describe_amenability(summary, qnn)
    assert "later or never: Finetune never in 50" in UT.describe_amenability(summary, mlp)
    at_level = records.copy()
    at_level.loc[(at_level["model"] == "qnn") & (at_level["step"] == 0), "val_accuracy"] = 0.95
    summary = UR.summary_table(at_level)
    assert UT.amenability_table(summary, [qnn])["Finetune"].tolist() == [UR.STARTS_AT_RETRAIN]
    assert "not tested" in UT.describe_amenability(summary, qnn)


def test_a_controls_base_model_is_trained_by_its_own_fit():
    """The weight-decay MLP's base model is trained with its weight decay (its kind's fit, not a
    plain one): the same weights as the kind's fit, other weights than plain Adam's."""
    from qmlr.core.models import get_kind
    from qmlr.core.train import fit
    from qmlr.engine.runner import build_model, model_inputs

    spec = U.make_spec(U.Series("xxz", "mlp-weight-decay", "si", role="control"), TINY, run=0)
    base = U.train_base(spec)
    poisoned = poisoned_training_set(spec.cell())
    x = model_inputs(poisoned.data.x, spec.model)[None]
    y = torch.as_tensor(poisoned.data.y)[None]
    seeds = [spec.cell().model_seed()]
    kind = get_kind("mlp-weight-decay")
    assert not kind.fits_plainly and get_kind("mlp").fits_plainly
    by_kind, _ = kind.fit(spec.model, spec.data, spec.train, x, y, seeds)
    plain = build_model(spec.model, spec.data, x.shape[-1], seeds)
    fit(plain, x, y, spec.train, seeds)
    for b, k, p in zip(*(m.parameters() for m in (base.model, by_kind, plain)), strict=True):
        np.testing.assert_allclose(b.detach(), k.detach())
        assert not np.allclose(b.detach(), p.detach())
