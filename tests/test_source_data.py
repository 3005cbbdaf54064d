"""Source data of figures (qmlr.report.source_data): the numbers drawn, written and linked."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from qmlr.report import source_data as SD
from qmlr.report.plots import band


def test_frame_holds_lines_bands_points_bars_and_images() -> None:
    fig, (a, b) = plt.subplots(1, 2)
    band(a, [0.0, 0.5, 1.0], [1.0, 0.8, 0.2], [0.1, 0.1, 0.1], label="QNN", color="tab:blue")
    a.scatter([0.2], [0.3], label="runs")
    a.set_title("MNIST")
    b.bar([0, 1], [3.0, 4.0])
    b.imshow(np.arange(4.0).reshape(2, 2))
    frame = SD.figure_frame(fig)
    plt.close(fig)
    assert list(frame.columns) == list(SD.COLUMNS)
    line = frame[(frame["series"] == "QNN") & (frame["element"] == "line")]
    assert line[["x", "y"]].to_numpy().tolist() == [[0.0, 1.0], [0.5, 0.8], [1.0, 0.2]]
    outline = frame[frame["series"] == "QNN band"]
    assert outline["y"].max() == pytest.approx(1.1) and outline["y"].min() == pytest.approx(0.1)
    assert frame[frame["element"] == "points"]["y"].tolist() == [0.3]
    assert sorted(frame[frame["element"] == "bar"]["y"]) == [3.0, 4.0]
    assert frame[frame["element"] == "cell"]["y"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert set(frame["panel"]) == {"MNIST", "panel 2"}


def test_show_figure_writes_the_csv_and_the_link_needs_it(tmp_path, monkeypatch) -> None:
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    with pytest.raises(FileNotFoundError):
        SD.source_data_link("fig-x", "smoke", tmp_path)
    fig, ax = plt.subplots(figsize=(12, 3))
    ax.plot([0, 1], [2, 3], label="MLP")
    SD.show_figure(fig, "fig-x", "smoke", tmp_path)
    assert fig.get_size_inches()[0] == pytest.approx(SD.MAX_WIDTH_IN)
    data = pd.read_csv(tmp_path / "fig-x.smoke.csv")
    assert data["y"].tolist() == [2, 3]
    SD.source_data_link("fig-x", "smoke", tmp_path)
    assert "{download}`fig-x.smoke.csv" in shown[-1].data


def test_a_figure_without_numbers_has_no_source_data(tmp_path) -> None:
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="plots no numbers"):
        SD.write_source_data(SD.figure_frame(fig), "fig-empty", "smoke", tmp_path)
    plt.close(fig)
