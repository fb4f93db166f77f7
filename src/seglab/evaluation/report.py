"""Result tables (terminal, Markdown, CSV, JSON) and plots (matplotlib, optional).

Numbers are shown with 4 significant digits; NaN (undefined, e.g. the precision
of an image without predictions) is shown as ``-`` and written as JSON
``null`` / an empty CSV cell. Plots need the ``eval`` extra
(``pip install "seglab[eval]"``); matplotlib is imported only inside the
plotting functions, through :func:`seglab.core.optional.require`, and drawn
without pyplot (no global state, no display needed).

Examples
--------
>>> rows = [{"image": "a", "mean_iou": 0.5}, {"image": "b", "mean_iou": float("nan")}]
>>> print(csv_text(rows, ["image", "mean_iou"]), end="")
image,mean_iou
a,0.5
b,
>>> print(markdown_table(rows, ["image", "mean_iou"]))
| image | mean_iou |
|---|---|
| a | 0.5 |
| b | - |
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "SUMMARY_COLUMNS",
    "IMAGE_COLUMNS",
    "fmt",
    "columns_of",
    "markdown_table",
    "csv_text",
    "print_table",
    "confusion_png",
    "per_image_png",
]

#: The data-set figures shown in tables, per task, in this order (others go to JSON only).
SUMMARY_COLUMNS: dict[str, tuple[str, ...]] = {
    "semantic": ("mean_iou", "pixel_accuracy", "mean_dice", "fw_iou", "pixel_error", "rand_error_fg", "voi_fg",
                 "volume_mean_dice"),
    "instance": ("dsb_score", "f1@0.5", "precision@0.5", "recall@0.5", "mean_matched_iou", "ap", "ap50", "ap75",
                 "n_true", "n_pred"),
    "panoptic": ("pq", "sq", "rq", "pq_things", "pq_stuff"),
    "partition": ("boundary_ods", "boundary_ois", "boundary_ap", "covering_ods", "covering_ois", "covering_best",
                  "pri_ods", "pri_ois", "voi_ods", "voi_ois"),
}
#: The per-image scores shown in tables, per task.
IMAGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "semantic": ("pixel_accuracy", "mean_iou", "mean_dice", "pixel_error", "rand_error_fg", "voi_fg"),
    "instance": ("dsb_score", "f1@0.5", "precision@0.5", "recall@0.5", "mean_matched_iou", "n_true", "n_pred"),
    "panoptic": ("pq", "sq", "rq"),
    "partition": ("boundary_f", "covering", "pri", "voi", "settings", "annotators"),
}


def fmt(value: Any) -> str:
    """A table cell: 4 significant digits for floats, ``-`` for NaN/None.

    Examples
    --------
    >>> fmt(0.123456), fmt(12345.678), fmt(3), fmt(float("nan")), fmt(None), fmt("x")
    ('0.1235', '1.235e+04', '3', '-', '-', 'x')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)


def columns_of(rows: Sequence[Mapping[str, Any]], preferred: Sequence[str]) -> list[str]:
    """The `preferred` columns that some row has, in that order.

    Examples
    --------
    >>> columns_of([{"a": 1}, {"c": 2}], ["c", "b", "a"])
    ['c', 'a']
    """
    present = {k for row in rows for k in row}
    return [c for c in preferred if c in present]


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A GitHub Markdown table of `rows` (missing cells are empty)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(fmt(row[c]) if c in row else "" for c in columns) + " |")
    return "\n".join(lines)


def csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """CSV of `rows` with full precision (``repr`` of floats); NaN/None are empty cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        cells = []
        for c in columns:
            v = row.get(c)
            if v is None or (isinstance(v, float) and math.isnan(v)):
                cells.append("")
            else:
                cells.append(repr(float(v)) if isinstance(v, (float, np.floating)) else str(v))
        writer.writerow(cells)
    return buffer.getvalue()


def print_table(title: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
                footer: Mapping[str, Any] | None = None) -> None:
    """Print a rich table on stdout; `footer` (e.g. the data-set figures) is the last row, in bold.

    Examples
    --------
    >>> print_table("t", [{"image": "a", "x": 1.0}], ["image", "x"])
    t
    ┏━━━━━━━┳━━━┓
    ┃ image ┃ x ┃
    ┡━━━━━━━╇━━━┩
    │ a     │ 1 │
    └───────┴───┘
    """
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for i, c in enumerate(columns):
        if i == 0:
            table.add_column(c, justify="left", overflow="fold", max_width=32)
        else:
            table.add_column(c, justify="right", min_width=min(len(c), 9))
    for row in rows:
        table.add_row(*(fmt(row.get(c)) for c in columns))
    if footer is not None:
        table.add_section()
        table.add_row(*(fmt(footer.get(c)) for c in columns), style="bold")
    Console(width=max(100, 34 + 12 * len(columns))).print(table)


def _figure(width: float, height: float) -> Any:
    from ..core.optional import require

    require("matplotlib", extra="eval")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def confusion_png(matrix: NDArray[np.integer], *, title: str = "confusion matrix") -> bytes:
    """PNG of a confusion matrix, each row normalised to the fraction of its true pixels.

    Raises
    ------
    MissingDependencyError
        matplotlib is not installed (``pip install "seglab[eval]"``).

    Examples
    --------
    >>> confusion_png(np.array([[5, 1], [0, 4]]))[:4]
    b'\\x89PNG'
    """
    cm = np.asarray(matrix, np.float64)
    totals = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)
    k = cm.shape[0]
    side = min(3 + 0.45 * k, 14)
    fig = _figure(side + 1, side)
    ax = fig.add_subplot()
    im = ax.imshow(share, vmin=0, vmax=1, cmap="Blues")
    fig.colorbar(im, ax=ax, label="fraction of the true class")
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    ticks = np.arange(k) if k <= 30 else np.linspace(0, k - 1, 10).round().astype(int)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    if k <= 12:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, f"{share[i, j]:.2f}", ha="center", va="center",
                        color="white" if share[i, j] > 0.5 else "black", fontsize=8)
    return _png(fig)


def per_image_png(names: Sequence[str], values: Sequence[float], *, metric: str, title: str = "") -> bytes:
    """PNG bar chart of one score per image (in the given order), with the mean as a line.

    Raises
    ------
    MissingDependencyError
        matplotlib is not installed (``pip install "seglab[eval]"``).

    Examples
    --------
    >>> per_image_png(["a", "b"], [0.5, 1.0], metric="mean_iou")[:4]
    b'\\x89PNG'
    """
    vals = np.array([np.nan if v is None else float(v) for v in values])
    fig = _figure(min(4 + 0.25 * len(vals), 20), 4)
    ax = fig.add_subplot()
    x = np.arange(len(vals))
    ax.bar(x, np.nan_to_num(vals), color="tab:blue")
    if np.isfinite(vals).any():
        ax.axhline(float(np.nanmean(vals)), color="tab:red", linestyle="--", label=f"mean over images {np.nanmean(vals):.4g}")
        ax.legend(loc="best")
    ax.set(ylabel=metric, title=title or f"{metric} per image")
    if len(vals) <= 40:
        ax.set_xticks(x, [n[:16] for n in names], rotation=60, ha="right", fontsize=7)
    else:
        ax.set_xlabel(f"{len(vals)} images, in name order")
    return _png(fig)
