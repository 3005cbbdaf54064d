"""Source data for every figure: the numbers a matplotlib figure plots, as a CSV beside it.

A chapter shows a figure with :func:`show_drawn` (a function that draws it; the drawing is
skipped where :mod:`qmlr.report.figure_cache` kept the figure from the same inputs) or
:func:`show_figure` (a drawn figure), and, in the next cell, :func:`source_data_link`: the figure,
and under it a link to a CSV of exactly the numbers drawn — read off the figure's own artists
(:func:`figure_frame`), so the file cannot disagree with the picture. The CSV is
written at execution time under ``book/_data/`` (git-ignored; the chapters execute with
``book/`` as working directory) with the profile in its name, and linked with Sphinx's
``{download}`` role, which copies it into the built site (``_build/html/_downloads/``). A smoke
run of a chapter (nbval, papermill) therefore never overwrites the paper-scale data the site
links.

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0.0, 0.5], [1.0, 0.25], label="QNN"); _ = ax.set_title("MNIST")
    >>> figure_frame(fig)[["panel", "series", "element", "x", "y"]].to_dict("records")[1]
    {'panel': 'MNIST', 'series': 'QNN', 'element': 'line', 'x': 0.5, 'y': 0.25}
    >>> plt.close(fig)
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qmlr.report import figure_cache

#: Folder (relative to the chapters' working directory, ``book/``) the CSVs are written to.
DATA_DIR = "_data"
#: The columns of every source-data CSV.
COLUMNS = ("panel", "series", "element", "point", "x", "y")
#: Widest figure (inches) and smallest font (points) shown: the book's text column is about
#: 667 px wide at a 1300 px window, so a figure at most 7.5 in wide is shrunk to at least
#: 667/(72·7.5) px per point, and 9 pt text stays at ≥ 11.1 px, about 70 % of the 16 px body.
MAX_WIDTH_IN = 7.5
MIN_FONT_PT = 9.0


def _panel_name(ax: Any, index: int) -> str:
    title = ax.get_title() or ax.get_title(loc="left")
    parts = [p for p in (title, ax.get_ylabel()) if p]
    return " — ".join(parts) if parts else f"panel {index + 1}"


def _rows(panel: str, series: str, element: str, xy: np.ndarray) -> list[dict[str, Any]]:
    xy = np.ma.filled(np.ma.asarray(xy, dtype=float), np.nan).reshape(-1, 2)
    return [
        {"panel": panel, "series": series, "element": element, "point": i, "x": x, "y": y}
        for i, (x, y) in enumerate(xy.tolist())
    ]


def _series(artist: Any, fallback: str) -> str:
    label = str(artist.get_label() or "")
    return fallback if not label or label.startswith("_") else label


def _axes_rows(ax: Any, panel: str) -> list[dict[str, Any]]:
    from matplotlib.collections import PathCollection, PolyCollection
    from matplotlib.colors import to_hex
    from matplotlib.patches import Rectangle

    rows: list[dict[str, Any]] = []
    for k, line in enumerate(ax.get_lines()):
        xy = np.column_stack([line.get_xdata(orig=False), line.get_ydata(orig=False)])
        rows += _rows(panel, _series(line, f"line {k + 1}"), "line", xy)
    colours = {to_hex(line.get_color()): _series(line, "") for line in ax.get_lines()}
    for k, coll in enumerate(ax.collections):
        face = coll.get_facecolor()
        owner = colours.get(to_hex(face[0])) if len(face) else None
        name = _series(coll, f"{owner} band" if owner else f"collection {k + 1}")
        if isinstance(coll, PathCollection):
            rows += _rows(panel, name, "points", coll.get_offsets())
        elif isinstance(coll, PolyCollection):
            for path in coll.get_paths():
                rows += _rows(panel, name, "band outline", path.vertices)
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    for k, bar in enumerate(bars):
        x, y = bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height()
        rows += _rows(panel, _series(bar, "bars"), "bar", np.array([[x, y]]))
        rows[-1]["point"] = k
    for image in ax.images:
        values = np.asarray(image.get_array(), dtype=float)
        for (i, j), value in np.ndenumerate(values):
            rows.append({"panel": panel, "series": _series(image, "image"), "element": "cell",
                         "point": i * values.shape[1] + j, "x": j, "y": value})  # fmt: skip
    return rows


def figure_frame(fig: Any) -> pd.DataFrame:
    """Every number a matplotlib figure plots, one row per drawn point.

    Lines give their points, scatter plots their offsets, ``fill_between`` bands the vertices of
    their outline (lower edge left to right, then upper edge back), bars their centre and top,
    images each cell (``x`` its column, ``y`` its value). Colour bars are skipped.

    :param fig: a matplotlib figure.
    :return: columns :data:`COLUMNS`: the panel (axes title), the series (legend label), the
        element kind, the point's index within its series, and x, y.
    """
    rows: list[dict[str, Any]] = []
    for index, ax in enumerate(fig.axes):
        if ax.get_label() == "<colorbar>":
            continue
        rows += _axes_rows(ax, _panel_name(ax, index))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def write_source_data(
    frame: pd.DataFrame, name: str, profile: str, directory: str | Path = DATA_DIR
) -> Path:
    """Write a figure's numbers as ``<directory>/<name>.<profile>.csv``.

    :param frame: e.g. :func:`figure_frame` of the figure.
    :param name: the figure's label (``fig-controls``).
    :param profile: the profile the numbers come from (in the file name).
    :param directory: the folder, created if missing.
    :return: the file's path.
    :raises ValueError: for an empty frame (a figure without data has no source data).
    """
    if frame.empty:
        raise ValueError(f"figure {name!r} plots no numbers")
    path = data_path(name, profile, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, float_format="%.6g")
    return path


def source_data_markdown(path: Path) -> str:
    """The MyST line under a figure linking its CSV (``{download}`` copies it into the site).

    Example:
        >>> source_data_markdown(Path("_data/fig-a.paper.csv"))[:64]
        'Source data: {download}`fig-a.paper.csv <_data/fig-a.paper.csv>`'
    """
    return (
        f"Source data: {{download}}`{path.name} <{path.as_posix()}>` (CSV of the numbers plotted)."
    )


def fit_to_column(fig: Any, max_width: float = MAX_WIDTH_IN, min_font: float = MIN_FONT_PT) -> None:
    """Make a figure's text readable in the text column: shrink a figure wider than
    ``max_width`` inches (aspect kept, layout redone), and raise text below ``min_font`` points.

    :param fig: a matplotlib figure (changed in place).
    :param max_width: the widest figure, in inches.
    :param min_font: the smallest font size, in points.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots(figsize=(12, 4)); _ = ax.set_title("t", fontsize=6)
        >>> fit_to_column(fig); fig.get_size_inches().round(2).tolist(), ax.title.get_fontsize()
        ([7.5, 2.5], 9.0)
        >>> plt.close(fig)
    """
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        if text.get_fontsize() < min_font:
            text.set_fontsize(min_font)
    width, height = fig.get_size_inches()
    if width > max_width:
        fig.set_size_inches(max_width, height * max_width / width)
    if fig.get_layout_engine() is None:
        fig.tight_layout()


def data_path(name: str, profile: str, directory: str | Path = DATA_DIR) -> Path:
    """Where :func:`write_source_data` puts the figure ``name``'s numbers at ``profile``.

    Example:
        >>> data_path("fig-a", "paper").as_posix()
        '_data/fig-a.paper.csv'
    """
    return Path(directory) / f"{name}.{profile}.csv"


def figure_png(fig: Any) -> bytes:
    """The figure as PNG bytes at its own size and resolution. Its layout already fits the
    canvas (:func:`fit_to_column`), so the whole canvas is drawn once, without the second
    drawing pass a tight bounding box costs (the notebook's default: about 40 % of a chapter's
    execution time).

    :param fig: a matplotlib figure.
    :return: the PNG file's bytes.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
        >>> figure_png(fig)[:4], plt.close(fig)
        (b'\\x89PNG', None)
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    return buffer.getvalue()


def show_figure(fig: Any, name: str, profile: str, directory: str | Path = DATA_DIR) -> None:
    """Write a figure's source data (:func:`write_source_data`), then display the figure fitted to
    the text column (:func:`fit_to_column`) and close it. A figure drawn before from the same
    inputs is shown from :mod:`qmlr.report.figure_cache` without drawing it again.

    Call it as the last line of a figure cell (``mystnb: figure: {name: ...}``) in place of the
    bare ``fig``, and :func:`source_data_link` in the next cell: myst-nb wraps *every* output of
    a figure cell in the figure, so the link needs a cell of its own.

    :param fig: the matplotlib figure.
    :param name: its label.
    :param profile: the chapter's profile.
    :param directory: where the CSV goes.
    """
    from IPython.display import Image, display

    display(Image(drawn_png(lambda: fig, name, profile, directory)))
    _close(fig)


def display_figure(fig: Any, name: str, profile: str) -> None:
    """Display a figure fitted to the text column (:func:`fit_to_column`) and close it, shown from
    :mod:`qmlr.report.figure_cache` where it was drawn before from the same inputs. For a figure
    without numbers to share (a diagram); :func:`show_figure` otherwise.

    :param fig: the matplotlib figure.
    :param name: its label.
    :param profile: the chapter's profile.
    """
    from IPython.display import Image, display

    display(Image(drawn_png(lambda: fig, name, profile, directory=None)))
    _close(fig)


def _close(fig: Any) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)


def drawn_png(
    draw: Callable[[], Any], name: str, profile: str, directory: str | Path | None = DATA_DIR
) -> bytes:
    """The PNG of the figure ``draw()`` returns, fitted to the text column, with its source data
    written (:func:`write_source_data`); ``draw`` is not called where the figure was kept from
    the same inputs: what the kernel read and ran before (the key of
    :mod:`qmlr.report.figure_cache`) and what the drawing itself read (recorded while it ran,
    checked again on reuse). The source data is kept with it.

    :param draw: makes the figure (its arguments are fixed by the cells executed before, which
        the key holds; whatever else it reads is recorded).
    :param name: its label.
    :param profile: the chapter's profile.
    :param directory: where the CSV goes; ``None`` for a figure without source data (a diagram).
    :return: the PNG's bytes.
    """
    before = figure_cache.kernel_inputs(profile)
    key = figure_cache.figure_key(profile, inputs=before)
    kept = figure_cache.kept_figure(name, profile, key)
    if kept is not None and (directory is None or "csv" in kept):
        if directory is not None:
            path = data_path(name, profile, directory)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(kept["csv"])
        return kept["png"]
    fig = draw()
    csv = None
    if directory is not None:
        csv = write_source_data(figure_frame(fig), name, profile, directory).read_bytes()
    fit_to_column(fig)
    png = figure_png(fig)
    _close(fig)
    if key is not None:
        read = figure_cache.added_inputs(before, figure_cache.kernel_inputs(profile))
        figure_cache.store_png(name, profile, key, png, csv=csv, drawing_read=read)
    return png


def show_drawn(
    draw: Callable[[], Any], name: str, profile: str, directory: str | Path = DATA_DIR
) -> None:
    """Display :func:`drawn_png`: the figure ``draw()`` returns, drawn only where it was not kept
    from the same inputs. For a figure cell whose drawing reads or computes much; a cell that
    needs the figure's objects afterwards draws it itself and calls :func:`show_figure`.

    :param draw: makes the figure.
    :param name: its label.
    :param profile: the chapter's profile.
    :param directory: where the CSV goes.
    """
    from IPython.display import Image, display

    display(Image(drawn_png(draw, name, profile, directory)))


def source_data_link(name: str, profile: str, directory: str | Path = DATA_DIR) -> None:
    """Display the link to the figure ``name``'s source data, written by :func:`show_figure`.

    :param name: the figure's label.
    :param profile: the chapter's profile.
    :param directory: where the CSV was written.
    :raises FileNotFoundError: when the figure's CSV was not written.
    """
    from IPython.display import Markdown, display

    path = data_path(name, profile, directory)
    if not path.is_file():
        raise FileNotFoundError(f"no source data {path} for figure {name!r}: draw it first")
    display(Markdown(source_data_markdown(path)))
