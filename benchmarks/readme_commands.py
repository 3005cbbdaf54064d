"""Time the phases of the README's two commands, ``make book`` and ``make test``, on this machine.

Prints one table: the install (optional, into a throw-away virtual environment), each chapter's
execution at a profile (papermill, one fresh kernel per chapter, as ``jb build`` runs them), and
the test suite's total and slowest test files (``pytest --nbval -n 2 --dist loadfile
--durations=0``, or a log of such a run). The machine (CPU model, cores, load average) heads the
table, since every figure depends on it; a chapter's CPU time (its kernel's, user + system)
says what it costs where the wall time is inflated by other work on the machine.

Usage::

    python benchmarks/readme_commands.py                      # chapters at the paper profile
    python benchmarks/readme_commands.py --install --suite    # all three phases
    python benchmarks/readme_commands.py --chapters intro resilience --cells 5
    python benchmarks/readme_commands.py --no-chapters --suite-log pytest.log

Example (the table's formatting):
    >>> print(table([("chapter intro", 1.234, 0.9)]).splitlines()[-1])
    | chapter intro | 1.2 | 0.9 |
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: One line of pytest's ``--durations`` report: seconds, phase, test id.
DURATION_LINE = re.compile(r"^\s*([0-9.]+)s\s+(setup|call|teardown)\s+(\S+)")


def machine() -> str:
    """The CPU model, the number of cores and the load average of this machine.

    :return: one line, e.g. ``"Intel Xeon ..., 2 cores, load 0.5 0.4 0.3"``.
    """
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{model}, {os.cpu_count()} cores, load {load}"


def table(rows: list[tuple]) -> str:
    """A markdown table of phases, their wall times and, where measured, their CPU times.

    :param rows: ``(phase, wall seconds)`` or ``(phase, wall seconds, CPU seconds)``.
    :return: the table's text.
    """
    lines = ["| phase | wall time (s) | CPU time (s) |", "|---|---:|---:|"]
    for name, seconds, *cpu in rows:
        lines.append(f"| {name} | {seconds:.1f} | {f'{cpu[0]:.1f}' if cpu else ''} |")
    return "\n".join(lines)


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished child processes.

    :return: the seconds so far.
    """
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_install() -> float:
    """Seconds to create a virtual environment and ``pip install -e ".[dev]"`` into it.

    :return: wall seconds (the environment is deleted afterwards).
    """
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True, cwd=ROOT)
        return time.perf_counter() - start


def time_chapters(
    names: list[str], profile: str, cells: int
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """Execute each chapter with papermill in a fresh kernel and time it.

    :param names: chapter stems.
    :param profile: the ``profile`` parameter injected into every chapter.
    :param cells: how many of each chapter's slowest cells to report.
    :return: ``(chapter rows of (name, wall s, the kernel's CPU s), slowest-cell rows of
        (name, wall s))``.
    """
    import nbformat

    from qmlr.tools.book import run_chapter

    rows, slow_cells = [], []
    with tempfile.TemporaryDirectory() as out:
        for name in names:
            start, cpu = time.perf_counter(), children_cpu()
            target = run_chapter(name, {"profile": profile}, output_dir=Path(out))
            wall = time.perf_counter() - start
            rows.append((f"chapter {name}", wall, children_cpu() - cpu))
            notebook = nbformat.read(target, as_version=4)
            durations = [
                (i, c.metadata.get("papermill", {}).get("duration") or 0.0)
                for i, c in enumerate(notebook.cells)
                if c.cell_type == "code"
            ]
            for i, seconds in sorted(durations, key=lambda d: -d[1])[:cells]:
                slow_cells.append((f"{name} cell {i}", seconds))
    return rows, slow_cells


def suite_files(log: str, top: int) -> tuple[list[tuple[str, float]], float | None]:
    """The slowest test files of a pytest run, from its ``--durations=0`` report.

    :param log: the run's output.
    :param top: how many files to keep.
    :return: ``(rows of (file, summed seconds), the run's wall seconds or None)``.
    """
    per_file: dict[str, float] = defaultdict(float)
    for line in log.splitlines():
        match = DURATION_LINE.match(line)
        if match:
            per_file[match.group(3).split("::")[0]] += float(match.group(1))
    wall = re.findall(r" in ([0-9.]+)s", log)
    rows = sorted(per_file.items(), key=lambda kv: -kv[1])[:top]
    return [(f"tests {name}", s) for name, s in rows], (float(wall[-1]) if wall else None)


def run_suite() -> str:
    """Run the README's test command with a full durations report and return its output.

    :return: pytest's combined output.
    """
    cmd = [sys.executable, "-m", "pytest", "--nbval", "-n", "2", "--dist", "loadfile"]
    cmd += ["--durations=0", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    return done.stdout + done.stderr


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, time the chosen phases and print the table.

    :param argv: command-line arguments (default: ``sys.argv[1:]``).
    """
    from qmlr.tools.book import chapter_names

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--install", action="store_true", help="time a fresh install too")
    parser.add_argument("--profile", default="paper", help="the chapters' profile")
    parser.add_argument("--chapters", nargs="*", help="chapters to time (default: all)")
    parser.add_argument("--no-chapters", action="store_true", help="time no chapter")
    parser.add_argument("--cells", type=int, default=0, help="slowest cells per chapter to list")
    parser.add_argument("--suite", action="store_true", help="run the test suite and time it")
    parser.add_argument("--suite-log", help="read a pytest --durations=0 log instead")
    parser.add_argument("--files", type=int, default=10, help="slowest test files to list")
    args = parser.parse_args(argv)

    rows: list[tuple[str, float]] = []
    if args.install:
        rows.append(("install (venv + pip install -e .[dev])", time_install()))
    cell_rows: list[tuple[str, float]] = []
    if not args.no_chapters:
        chapter_rows, cell_rows = time_chapters(
            args.chapters or chapter_names(), args.profile, args.cells
        )
        rows += chapter_rows
        total = [sum(r[i] for r in chapter_rows) for i in (1, 2)]
        rows.append((f"all chapters ({args.profile})", *total))
    log = Path(args.suite_log).read_text() if args.suite_log else None
    if args.suite and log is None:
        start, cpu = time.perf_counter(), children_cpu()
        log = run_suite()
        rows.append(("test suite (make test)", time.perf_counter() - start, children_cpu() - cpu))
    if log is not None:
        files, wall = suite_files(log, args.files)
        if wall is not None and not args.suite:
            rows.append(("test suite (from the log)", wall))
        rows += files
    print(f"machine: {machine()}; python {platform.python_version()}\n")
    print(table(rows + cell_rows))


if __name__ == "__main__":
    main()
