"""The figure cache: a kept figure is shown only under the key of everything it was drawn from."""

from __future__ import annotations

import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from qmlr.engine import reads  # noqa: E402
from qmlr.report import figure_cache as FC  # noqa: E402
from qmlr.report import source_data as SD  # noqa: E402

CELLS = ['profile = "smoke"', "fig = draw()"]


@pytest.fixture()
def kernel(monkeypatch, tmp_path):
    monkeypatch.setattr(FC, "_REUSED", {"code": {}, "files": {}})
    """A fake kernel: its executed cells are ``CELLS`` (a list the test may change), and the
    smoke profile's results folder is ``tmp_path``."""
    cells = list(CELLS)
    monkeypatch.setattr(FC, "executed_cells", lambda: list(cells))
    monkeypatch.setenv("QMLR_LIVE_RESULTS", str(tmp_path))
    return cells, tmp_path / "smoke"


def test_the_key_is_stable_and_follows_every_input(kernel) -> None:
    cells, store = kernel
    cell_file = store / "demo" / "cells" / "a.json"
    cell_file.parent.mkdir(parents=True)
    # written by another process, so this one has not opened it yet
    subprocess.run(["sh", "-c", f"echo '{{}}' > {cell_file}"], check=True)
    before = FC.figure_key("smoke")
    assert before == FC.figure_key("smoke")
    cell_file.read_text()  # the kernel reads a result: it enters the key
    read = FC.figure_key("smoke")
    assert read != before
    cell_file.write_text('{"x": 2}')  # the result changes
    assert FC.figure_key("smoke") not in (before, read)
    subprocess.run(["sh", "-c", f"echo '{{}}' > {cell_file}"], check=True)
    assert FC.figure_key("smoke") == read
    cells.append("ax.set_title('other')")  # another cell ran
    assert FC.figure_key("smoke") != read


def test_reading_a_kept_figure_leaves_the_key_alone(kernel) -> None:
    key = FC.figure_key("smoke")
    FC.store_png("fig-a", "smoke", key, b"\x89PNG a")
    assert FC.cached_png("fig-a", "smoke", key) == b"\x89PNG a"
    assert FC.figure_key("smoke") == key


def test_papermills_profile_cell_is_not_part_of_the_key(kernel) -> None:
    cells, _ = kernel
    key = FC.figure_key("smoke")
    cells.insert(1, '# Parameters\nprofile = "smoke"\n')
    assert FC.figure_key("smoke") == key
    cells[1] = '# Parameters\nprofile = "smoke"\nseed = 3\n'
    assert FC.figure_key("smoke") != key


def test_a_damaged_or_foreign_figure_is_not_shown(kernel) -> None:
    FC.store_png("fig-a", "smoke", "k", b"\x89PNG a")
    path = FC.figure_path("fig-a", "smoke")
    assert FC.cached_png("fig-a", "smoke", "other key") is None
    assert FC.cached_png("fig-a", "smoke", None) is None
    path.write_bytes(b"\x89PNG edited")
    assert FC.cached_png("fig-a", "smoke", "k") is None
    path.with_suffix(".json").write_text("{not json")
    assert FC.cached_png("fig-a", "smoke", "k") is None


def test_an_unwritable_folder_only_skips_keeping(kernel, capsys) -> None:
    _, store = kernel
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text("a file where the results folder should be")  # no folder can go there
    FC.store_png("fig-a", "smoke", "k", b"\x89PNG a")
    assert "not kept" in capsys.readouterr().err
    assert FC.cached_png("fig-a", "smoke", "k") is None


def test_show_figure_draws_once_per_key(kernel, monkeypatch, tmp_path) -> None:
    drawn: list[int] = []
    shown: list[bytes] = []
    real_png = SD.figure_png
    monkeypatch.setattr(SD, "figure_png", lambda fig: drawn.append(1) or real_png(fig))
    monkeypatch.setattr("IPython.display.display", lambda image: shown.append(image.data))

    def show() -> None:
        fig, ax = plt.subplots(figsize=(2, 1.5), dpi=40)
        ax.plot([0, 1], [1, 0], label="QNN")
        SD.show_figure(fig, "fig-demo", "smoke", tmp_path / "data")

    show()
    show()
    assert len(drawn) == 1 and shown[0] == shown[1] and shown[0][:4] == b"\x89PNG"
    assert Path(tmp_path / "data" / "fig-demo.smoke.csv").is_file()  # source data both times
    kernel[0].append("# another cell")
    show()
    assert len(drawn) == 2


def test_show_drawn_reuses_a_figure_until_what_its_drawing_read_changes(
    kernel, monkeypatch, tmp_path
) -> None:
    _, store = kernel
    source = store / "demo" / "cells" / "a.json"
    source.parent.mkdir(parents=True)
    subprocess.run(["sh", "-c", f"echo '[0, 1]' > {source}"], check=True)
    calls: list[int] = []
    shown: list[bytes] = []
    monkeypatch.setattr("IPython.display.display", lambda image: shown.append(image.data))

    def draw():
        calls.append(1)
        ys = [float(v) for v in source.read_text().strip("[]\n").split(",")]  # read while drawing
        fig, ax = plt.subplots(figsize=(2, 1.5), dpi=40)
        ax.plot([0, 1], ys, label="QNN")
        return fig

    csv = tmp_path / "data" / "fig-drawn.smoke.csv"
    fresh_kernel = set(reads._OPENED)
    SD.show_drawn(draw, "fig-drawn", "smoke", tmp_path / "data")
    after_drawing = FC.figure_key("smoke")
    first_csv = csv.read_bytes()
    csv.unlink()
    reads._OPENED.intersection_update(fresh_kernel)  # a new kernel: the drawing's read unseen
    SD.show_drawn(draw, "fig-drawn", "smoke", tmp_path / "data")
    assert len(calls) == 1 and shown[0] == shown[1]
    assert csv.read_bytes() == first_csv  # the kept source data, written again
    assert FC.figure_key("smoke") == after_drawing  # the next figure's key as if it had drawn
    subprocess.run(["sh", "-c", f"echo '[1, 0]' > {source}"], check=True)  # the input changes
    SD.show_drawn(draw, "fig-drawn", "smoke", tmp_path / "data")
    assert len(calls) == 2 and csv.read_bytes() != first_csv


def test_added_inputs_are_what_a_drawing_read_after_the_key(kernel) -> None:
    _, store = kernel
    store.mkdir(parents=True)
    before = FC.kernel_inputs("smoke")
    late = store / "late.json"
    subprocess.run(["sh", "-c", f"echo '{{}}' > {late}"], check=True)
    late.read_text()
    added = FC.added_inputs(before, FC.kernel_inputs("smoke"))
    assert added["files"]["store"] == {"late.json": FC.source_digest(late)}
    assert FC.unchanged(added, "smoke")
    subprocess.run(["sh", "-c", f"echo '[]' > {late}"], check=True)
    assert not FC.unchanged(added, "smoke")
