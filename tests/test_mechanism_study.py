"""The mechanism studies: grids, spec round trips, keys of existing specs, the driver's order,
the prediction rule on planned models."""

from __future__ import annotations

import math

import pytest

from qmlr.engine.profiles import get_profile
from qmlr.engine.specs import ModelSpec, json_form
from qmlr.studies import mechanism_predictions as P
from qmlr.studies.mechanism_runs import ordered_groups, run_cost
from qmlr.studies.mechanism_study import STUDY_NAMES, depth_of
from qmlr.studies.registry import STUDIES, spec_from_dict, study_cells


def test_paper_grids():
    paper = get_profile("paper")
    assert set(STUDY_NAMES) <= set(STUDIES)
    depth = study_cells("qnn-depth", "paper")
    assert {c.model.depth for c in depth if c.data.name == "mnist"} == {1, 3, 6, 12, 24, 48}
    assert {c.alpha for c in depth} == set(paper.mechanism_alphas)
    scales = {c.model.scale for c in study_cells("readout-scale", "paper")}
    assert scales == set(paper.mechanism_scales) and max(scales) / min(scales) >= 50
    kinds = {c.model.kind for c in study_cells("lipschitz-controls", "paper")}
    assert kinds == {"mlp-spectral", "quadratic-form"}
    assert {c.model.kind for c in study_cells("separable-qnn", "paper")} == {"qnn-separable"}
    assert depth_of("xxz", 8.0) == 8 * 4


@pytest.mark.parametrize("study", STUDY_NAMES)
def test_specs_round_trip_and_keys_are_unique(study):
    cells = study_cells(study, "smoke")
    assert len({c.key() for c in cells}) == len(cells)
    for cell in cells:
        assert spec_from_dict(cell.kind, cell.to_dict()) == cell


def test_scale_field_keeps_existing_keys_and_is_refused_where_meaningless():
    cell = study_cells("resilience", "smoke")[0]
    assert "scale" not in cell.to_dict()["model"]  # the paper's scale: key unchanged
    scaled = ModelSpec("qnn", depth=4, scale=25)
    assert json_form(scaled)["scale"] == 25.0 and scaled.label == "QNN depth 4, s = 25"
    with pytest.raises(ValueError, match="logit scale"):
        ModelSpec("mlp", hidden=(4,), scale=2.0)


def test_driver_runs_the_cheapest_groups_first():
    costs = [run_cost(g) for _, g in ordered_groups("tiny")]
    assert costs == sorted(costs)
    assert {s for s, _ in ordered_groups("tiny")} == set(STUDY_NAMES)


def test_prediction_rule_on_planned_models():
    assert P.lipschitz_of(ModelSpec("qnn", depth=2, scale=25.0)) == 50.0
    assert math.isinf(P.lipschitz_of(ModelSpec("mlp", hidden=(4,))))
    assert P.metric_of(ModelSpec("qnn-separable", depth=1)) == "phase"
    models = P.planned_models("tiny")
    assert {s for s, _, _ in models} == set(P.STUDIES)


def test_stored_predictions_cover_every_paper_model():
    stored = P.load_predictions("paper")["predictions"]
    keys = {(r["study"], r["dataset"], r["model_label"]) for r in stored}
    planned = {(s, d.name, m.label) for s, d, m in P.planned_models("paper")}
    assert keys == planned
    assert all(
        r["predicts_memorization"] == (r["ceiling_flip"] >= P.DECISION_LEVEL) for r in stored
    )
