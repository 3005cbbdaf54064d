"""The book's derived values: what is expensive to derive from the cells, stored sealed.

Each entry of :data:`DERIVATIONS` is a :class:`~qmlr.engine.derived.Derivation` whose value is
computed by the *same* function the chapters call, so a stored value and a live one cannot
differ but for the cells or the code, and a change to either makes the stored file stale
(refused, recomputed; :mod:`qmlr.engine.derived`). ``python -m qmlr derive`` writes them
(``results/derived/paper/`` for the committed results); ``python -m qmlr reproduce`` does too.

- ``phase-demo``: the resilience chapter's demonstration that the QNN is blind to the global
  phase of the XXZ states and the MLP is not (:func:`qmlr.studies.phase.phase_demo`: two
  models trained twice, no study cell read);
- ``checks``: every chapter's verdicts as scorecard checks
  (:func:`qmlr.report.scorecard.collect_checks`), which the book's first page tabulates;
- ``sources``: the sources chapter's table of both readings of every divergence
  (:func:`qmlr.report.sources.profile_table`);
- ``unlearning-summary``: the summary of every unlearning series
  (:func:`qmlr.report.unlearning.profile_summary`), which three chapters show;
- ``battery-demo``: the controls chapter's reader's model, Gaussian naive Bayes, through the
  phenotype battery (:func:`qmlr.report.battery.run_battery`: 200 fits on the paper's poisons);
- ``seed-audit``: every recorded seed of the profile's results recomputed from its spec
  (:func:`qmlr.report.reproducibility.seed_audit`);
- ``analytic-discrepancy``: the symbolic Hessians of SI §I against autograd and finite
  differences (:func:`qmlr.report.analytic.discrepancy_table`; no cell read);
- ``analytic-identities``: every SI §I identity proven with sympy
  (:func:`qmlr.report.analytic.identity_table`; no cell read);
- ``circuit-gates``: the gate list of the MNIST QNN's tensorcircuit-ng circuit at the paper's
  depth (:func:`qmlr.report.draw.circuit_gates`), which the methods chapter draws;
- ``phenotype``: the phenotype table of the MLP, the QNN and every control
  (:func:`qmlr.report.scorecard.load_phenotype`), which the front page and the controls chapter
  show;
- ``mechanism-finding``: the front page's sentence on where the resilience comes from
  (:func:`qmlr.report.mechanism.finding_sentence`).

Example:
    >>> [d.name for d in DERIVATIONS][:4]
    ['phase-demo', 'checks', 'sources', 'unlearning-summary']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qmlr.core.data import N_QUBITS
from qmlr.engine.derived import Derivation, derived_value
from qmlr.engine.loading import store_for
from qmlr.engine.profiles import get_profile
from qmlr.report import ablations, draw, reproducibility, scorecard, sources
from qmlr.report import mechanism as M
from qmlr.report import phenotype as P
from qmlr.report import unlearning as UR
from qmlr.report.battery import run_battery
from qmlr.studies.battery import load_estimator
from qmlr.studies.experiments import PAPER_QNN_DEPTH
from qmlr.studies.mechanism_study import STUDY_NAMES as MECHANISM_STUDIES
from qmlr.studies.phase import PHASE_DEMO
from qmlr.studies.registry import STUDIES


def _checks(profile: str, results_dir: str | Path | None) -> Any:
    return scorecard.collect_checks(profile, results_dir)


#: Every check of every chapter (the scorecard's input); it reads the cells of every study but
#: the mechanism studies, whose predictions are judged in their own chapter and no scorecard check
#: reads (so their cells, still being computed, leave the stored checks fresh).
CHECKS = Derivation("checks", tuple(sorted(set(STUDIES) - set(MECHANISM_STUDIES))), _checks)
#: The sources chapter's table: both readings of every divergence, with the verdicts they give.
SOURCES = Derivation("sources", ablations.READ_STUDIES, sources.profile_table)
#: The unlearning and forgetting chapters' (and the intro's) summary of every unlearning series.
UNLEARNING_SUMMARY = Derivation("unlearning-summary", ("unlearning",), UR.profile_summary)
#: The reader's model of the controls chapter's battery demonstration, and its name there.
DEMO_ESTIMATOR, DEMO_NAME = "sklearn.naive_bayes:GaussianNB", "Gaussian naive Bayes"


def _battery_demo(profile: str, results_dir: str | Path | None) -> Any:
    records = P.load_records(profile, results_dir)
    return run_battery(
        load_estimator(DEMO_ESTIMATOR)(),
        profile,
        name=DEMO_NAME,
        book_records=records,
        book_table=P.phenotype_table(records),
    )


def _seed_audit(profile: str, results_dir: str | Path | None) -> Any:
    root = store_for(profile, results_dir).root
    return reproducibility.seed_audit(results_dir=root, limit=get_profile(profile).audit_limit)


def _discrepancy(profile: str, results_dir: str | Path | None) -> Any:
    from qmlr.report import analytic  # sympy: loaded only where the table is computed

    return analytic.discrepancy_table(profile)


#: The controls chapter's reader's model beside the book's (it reads the phenotype's studies).
BATTERY_DEMO = Derivation("battery-demo", P.RECORD_STUDIES, _battery_demo)
#: The reproducibility chapter's seed audit of every study's result files.
SEED_AUDIT = Derivation("seed-audit", tuple(reproducibility.STUDIES), _seed_audit)
#: The analytic chapter's comparison of the symbolic Hessians with two numeric references.
ANALYTIC_DISCREPANCY = Derivation("analytic-discrepancy", (), _discrepancy)


def _identities(profile: str, results_dir: str | Path | None) -> Any:
    from qmlr.report import analytic  # sympy: loaded only where the proof runs

    return analytic.identity_table()


#: The analytic chapter's proof that the SI's printed derivatives equal sympy's.
ANALYTIC_IDENTITIES = Derivation("analytic-identities", (), _identities)


def _circuit_gates(profile: str, results_dir: str | Path | None) -> Any:
    from qmlr.core import qnn  # tensorcircuit and torch: loaded only where the circuit is built

    depth, n_qubits = PAPER_QNN_DEPTH["mnist"], N_QUBITS["mnist"]
    return draw.circuit_gates(qnn.reference_circuit(draw.parameter_indices(depth, n_qubits)))


#: The methods chapter's circuit: the MNIST QNN's gates at the paper's depth, as tensorcircuit-ng
#: applies them (no cell read).
CIRCUIT_GATES = Derivation("circuit-gates", (), _circuit_gates)
#: The phenotype table of the front page and the controls chapter (its bootstrap intervals).
PHENOTYPE = Derivation("phenotype", P.RECORD_STUDIES, scorecard.load_phenotype)


def _finding(profile: str, results_dir: str | Path | None) -> Any:
    return M.finding_sentence(profile)


#: The front page's mechanism sentence: the mechanism studies' cells judged against the
#: predictions committed before them (results/mechanism-predictions, sealed once; not a cell).
MECHANISM_FINDING = Derivation("mechanism-finding", MECHANISM_STUDIES, _finding)
#: The derivations ``python -m qmlr derive`` writes, in order. A file's code digests cover the
#: modules its computing function's module imports (:func:`qmlr.engine.derived.code_digests`):
#: the phase demo's (:data:`qmlr.studies.phase.PHASE_DEMO`) no report module, so a change to the
#: verdicts' code leaves it fresh.
DERIVATIONS: tuple[Derivation, ...] = (
    PHASE_DEMO,
    CHECKS,
    SOURCES,
    UNLEARNING_SUMMARY,
    BATTERY_DEMO,
    SEED_AUDIT,
    ANALYTIC_DISCREPANCY,
    ANALYTIC_IDENTITIES,
    CIRCUIT_GATES,
    PHENOTYPE,
    MECHANISM_FINDING,
)


def stored_checks(profile: str, results_dir: str | Path | None = None) -> list[Any]:
    """:func:`qmlr.report.scorecard.collect_checks`, read from its derived file when fresh.

    :param profile: the profile.
    :param results_dir: results folder override.
    :return: the checks, ordered by claim.
    """
    return derived_value(CHECKS, profile, results_dir)


def stored_phase_demo(profile: str) -> dict[str, Any]:
    """:func:`qmlr.studies.phase.phase_demo`, read from its derived file when fresh.

    :param profile: the profile.
    :return: ``{"qnn": {phase: History}, "mlp": {phase: History}}``.
    """
    return derived_value(PHASE_DEMO, profile)


def stored_sources_table(profile: str) -> Any:
    """:func:`qmlr.report.sources.profile_table`, read from its derived file when fresh.

    :param profile: the profile.
    :return: the sources chapter's table.
    """
    return derived_value(SOURCES, profile)


def stored_unlearning_summary(profile: str) -> Any:
    """:func:`qmlr.report.unlearning.profile_summary`, read from its derived file when fresh.

    :param profile: the profile.
    :return: :func:`qmlr.report.unlearning.summary_table` of the profile's unlearning records.
    """
    return derived_value(UNLEARNING_SUMMARY, profile)


def stored_battery_demo(profile: str) -> Any:
    """The controls chapter's :func:`qmlr.report.battery.run_battery` of Gaussian naive Bayes,
    read from its derived file when fresh.

    :param profile: the profile.
    :return: the :class:`qmlr.report.battery.Battery`.
    """
    return derived_value(BATTERY_DEMO, profile)


def stored_seed_audit(profile: str) -> Any:
    """:func:`qmlr.report.reproducibility.seed_audit` of the profile's results (the first
    ``audit_limit`` files of each study), read from its derived file when fresh.

    :param profile: the profile.
    :return: one row per study.
    """
    return derived_value(SEED_AUDIT, profile)


def stored_discrepancy_table(profile: str) -> Any:
    """:func:`qmlr.report.analytic.discrepancy_table`, read from its derived file when fresh.

    :param profile: the profile.
    :return: one row per (model, reference).
    """
    return derived_value(ANALYTIC_DISCREPANCY, profile)


def stored_identity_table(profile: str) -> Any:
    """:func:`qmlr.report.analytic.identity_table`, read from its derived file when fresh.

    :param profile: the profile.
    :return: one row per identity.
    """
    return derived_value(ANALYTIC_IDENTITIES, profile)


def stored_circuit_gates(profile: str) -> Any:
    """The MNIST QNN's gates at the paper's depth (:func:`qmlr.report.draw.circuit_gates` of
    :func:`qmlr.core.qnn.reference_circuit`), read from its derived file when fresh.

    :param profile: the profile.
    :return: the :class:`qmlr.report.draw.Gate` list.
    """
    return derived_value(CIRCUIT_GATES, profile)


def stored_phenotype(profile: str) -> Any:
    """:func:`qmlr.report.scorecard.load_phenotype`, read from its derived file when fresh.

    :param profile: the profile.
    :return: the phenotype table.
    """
    return derived_value(PHENOTYPE, profile)


def stored_mechanism_finding(profile: str) -> str:
    """:func:`qmlr.report.mechanism.finding_sentence`, read from its derived file when fresh.

    :param profile: the profile.
    :return: one sentence.
    """
    return derived_value(MECHANISM_FINDING, profile)
