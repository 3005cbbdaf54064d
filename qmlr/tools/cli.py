"""Command line: ``python -m qmlr {book,reproduce,derive,bench,battery} ...``.

Example::

    python -m qmlr book list
    python -m qmlr book run analytic-curvature -p profile smoke
    python -m qmlr reproduce --profile paper resilience capacity
    python -m qmlr reproduce --profile paper --backend dask --scheduler tcp://HOST:8786
    python -m qmlr derive --profile paper
    python -m qmlr bench
    python -m qmlr battery sklearn.naive_bayes:GaussianNB --out battery/
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qmlr.engine.cluster import BACKENDS, MissingExtraError, check_backend
from qmlr.engine.profiles import PROFILES
from qmlr.tools.book import chapter_names, run_chapter


def _literal(text: str) -> Any:
    """Parse a parameter value as a Python literal, falling back to the plain string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _book(args: argparse.Namespace) -> int:
    if args.book_command == "list":
        print("\n".join(chapter_names()))
        return 0
    params = {name: _literal(value) for name, value in (args.parameter or [])}
    out = run_chapter(args.chapter, params, output_dir=Path(args.output_dir))
    print(f"executed notebook: {out}")
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    # Imported here, not above: they import torch and every study, and `python -m qmlr --help`
    # and `python -m qmlr book ...` need neither (a fraction of a second instead of seconds).
    # Allowed by tests/test_layers.py (LAZY_IMPORTS).
    from qmlr.studies.registry import STUDIES
    from qmlr.studies.study import reproduce

    studies = args.studies or sorted(STUDIES)
    for study in studies:
        if study not in STUDIES:
            raise ValueError(f"unknown study {study!r}; choose from {sorted(STUDIES)}")
    check_backend(args.backend, args.scheduler)
    for study in studies:
        start = time.perf_counter()
        summary = reproduce(
            study,
            args.profile,
            n_jobs=args.jobs,
            results_dir=args.results,
            backend=args.backend,
            scheduler=args.scheduler,
        )
        print(f"{study}: {summary} ({time.perf_counter() - start:.1f} s)")
    if PROFILES[args.profile].stored:  # the derived files read every study: refresh them
        _derive(argparse.Namespace(profile=args.profile, results=args.results))
    return 0


def _derive(args: argparse.Namespace) -> int:
    """Write the book's sealed derived files (:data:`qmlr.report.stored.DERIVATIONS`)."""
    from qmlr.engine.derived import relative_to_repo, write_derived
    from qmlr.report.stored import DERIVATIONS

    for derivation in DERIVATIONS:
        start = time.perf_counter()
        path = write_derived(derivation, args.profile, args.results)
        print(f"{derivation.name}: {relative_to_repo(path)} ({time.perf_counter() - start:.1f} s)")
    return 0


def _bench(args: argparse.Namespace) -> int:
    """Run ``benchmarks/bench_qnn.py`` of the checkout this package lives in."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "benchmarks" / "bench_qnn.py").is_file():
        raise FileNotFoundError(
            f"the benchmark lives in the repository's benchmarks/ folder, not found under {root}; "
            "run it from a checkout (pip install -e .)"
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from benchmarks.bench_qnn import main as bench_main

    return bench_main(quick=args.quick)


def _battery(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from qmlr.report import phenotype as P
    from qmlr.report.battery import battery_figure, run_battery
    from qmlr.studies.battery import load_estimator

    estimator = load_estimator(args.estimator)
    datasets = tuple(args.dataset or ("mnist", "xxz"))
    battery = run_battery(
        estimator, args.profile, name=args.name, datasets=datasets, runs=args.runs
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    battery.records.to_csv(out / "records.csv", index=False)
    for dataset in battery.datasets:
        shown = P.display_table(battery.table, dataset)
        shown.to_csv(out / f"measures-{dataset}.csv", index=False)
        print(f"\n{dataset}, label flipping (profile {args.profile}):")
        print(shown.to_string(index=False))
        print(f"{battery.name}'s phenotype on {dataset}: {battery.phenotype(dataset)}")
    battery_figure(battery).savefig(out / "battery.png", dpi=120, bbox_inches="tight")
    print(f"\nwrote {out}/records.csv, measures-<dataset>.csv and battery.png")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m qmlr``."""
    parser = argparse.ArgumentParser(prog="python -m qmlr", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    book = sub.add_parser("book", help="list or execute the book's chapters (papermill)")
    book_sub = book.add_subparsers(dest="book_command", required=True)
    book_sub.add_parser("list", help="list the chapters")
    run = book_sub.add_parser("run", help="execute a chapter with parameters")
    run.add_argument("chapter", help="chapter name, e.g. analytic-curvature")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="set a chapter parameter (repeatable), e.g. -p profile smoke",
    )
    run.add_argument(
        "-o", "--output-dir", default="_build/papermill", help="where executed notebooks go"
    )
    book.set_defaults(func=_book)

    rep = sub.add_parser("reproduce", help="compute the studies' results into results/")
    rep.add_argument("studies", nargs="*", help="studies to compute (default: all)")
    rep.add_argument("--profile", choices=tuple(PROFILES), default="paper")
    rep.add_argument("--jobs", type=int, default=2, help="local worker processes (loky backend)")
    rep.add_argument("--results", default=None, help="results folder (default depends on profile)")
    rep.add_argument(
        "--backend",
        choices=BACKENDS,
        default="loky",
        help="where groups run: local worker processes (loky) or a Dask cluster (dask)",
    )
    rep.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="address of a running Dask scheduler (with --backend dask)",
    )
    rep.set_defaults(func=_reproduce)

    der = sub.add_parser(
        "derive", help="store the values derived from the results (results/derived/), sealed"
    )
    der.add_argument("--profile", choices=tuple(PROFILES), default="paper")
    der.add_argument("--results", default=None, help="results folder (default depends on profile)")
    der.set_defaults(func=_derive)

    bench = sub.add_parser("bench", help="QNN training-step benchmark against tensorcircuit-ng")
    bench.add_argument("--quick", action="store_true", help="fewer repeats")
    bench.set_defaults(func=_bench)

    bat = sub.add_parser(
        "battery",
        help="run the phenotype battery on your scikit-learn-compatible classifier",
        description="Train MODULE:CALLABLE (an estimator with fit/predict_proba, or a factory "
        "of one) on the book's poisoned training sets and measure its phenotype beside the "
        "QNN, the MLP and the classical controls.",
    )
    bat.add_argument("estimator", metavar="MODULE:CALLABLE")
    bat.add_argument("--profile", choices=tuple(PROFILES), default="paper")
    bat.add_argument("--name", default=None, help="the model's name (default: its class name)")
    bat.add_argument(
        "--dataset", action="append", choices=("mnist", "xxz"), help="repeatable (default: both)"
    )
    bat.add_argument("--runs", type=int, default=None, help="runs per α (default: the profile's)")
    bat.add_argument("--out", default="battery", help="folder for the tables and the figure")
    bat.set_defaults(func=_battery)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, ConnectionError, MissingExtraError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
