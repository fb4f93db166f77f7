"""One name per concept across every method: the parameter vocabulary of seglab.

Each entry says what the name means and which schema kinds it may have. A
name chosen here follows the best-known library for the concept
(scikit-learn/torchvision for counts and seeds, scikit-image for image
parameters). :data:`RETIRED` lists names that are no longer used for a
concept, with the name that replaced them; a method may still accept them
for one release (with a DeprecationWarning), never declare them.
``tests/test_vocabulary.py`` holds every registered method to this table,
and ``docs/architecture.md`` shows it.

Examples
--------
>>> VOCABULARY["window_size"].meaning
'side of a square window centred on the pixel, in pixels (odd)'
>>> RETIRED["block_size"]
'window_size'
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Term", "VOCABULARY", "RETIRED", "markdown_table"]


class Term(NamedTuple):
    """What a parameter name means and the schema kinds it may have."""

    meaning: str
    kinds: tuple[str, ...]


_NUM = ("int", "float")

#: Every parameter name a built-in method may declare.
VOCABULARY: dict[str, Term] = {
    # images, masks, seeds
    "markers": Term("label image of seeds: every positive label is one seed region", ("array",)),
    "seeds": Term("seed points, (row, col) pairs", ("points",)),
    "auto_seeds": Term("how seeds are found when none are given", ("choice",)),
    "auto_markers": Term("how markers are found when none are given", ("choice",)),
    "spacing": Term("grid step of automatic seeds, in pixels", ("int",)),
    # polarity, thresholds
    "polarity": Term("whether objects are brighter or darker than the background ('auto': the minority side)",
                     ("choice",)),
    "value": Term("a fixed threshold, in image units", ("float",)),
    "threshold": Term("a threshold on a filter response, in its units", ("float",)),
    "low_threshold": Term("the lower hysteresis threshold, in gradient units", ("float",)),
    "high_threshold": Term("the upper hysteresis threshold, in gradient units", ("float",)),
    "threshold_method": Term("how the foreground is thresholded", ("choice",)),
    "offset": Term("a constant added to a local threshold, in image units", _NUM),
    "nbins": Term("number of histogram bins", ("int",)),
    "k": Term("weight of the local standard deviation (Niblack, Sauvola)", _NUM),
    "r": Term("dynamic range of the standard deviation (Sauvola), in image units", _NUM),
    "method": Term("which variant of the algorithm", ("choice",)),
    # windows and scales
    "window_size": Term("side of a square window centred on the pixel, in pixels (odd)", ("int",)),
    "window_periods": Term("smoothing scale in periods of a filter's frequency", _NUM),
    "sigma": Term("Gaussian standard deviation, in pixels", _NUM),
    "close_radius": Term("radius of a morphological closing, in pixels", ("int",)),
    "min_size": Term("smallest segment kept, in pixels", ("int",)),
    "min_block": Term("smallest quadtree block side, in pixels", ("int",)),
    "connectivity": Term("pixel adjacency: 4 or 8", ("choice", "int")),
    "h": Term("minimal dynamic of a peak (h-maxima), in the relief's units", _NUM),
    "fg_fraction": Term("fraction of the largest distance that is sure foreground", _NUM),
    "compactness": Term("weight of compactness in a watershed", _NUM),
    "watershed_line": Term("keep a one-pixel line between touching regions", ("bool",)),
    "fill_holes": Term("fill holes of the foreground", ("bool",)),
    "clear_border": Term("drop the regions that touch the image border", ("bool",)),
    "relief": Term("what a watershed floods", ("choice",)),
    # distances and convergence
    "tolerance": Term("largest accepted distance to a reference, in image (or colour-space) units", _NUM),
    "merge_tolerance": Term("largest distance between region means that still merges them, in image units",
                            _NUM),
    "tol": Term("convergence tolerance of an iteration (as scikit-learn's tol)", _NUM),
    "max_iter": Term("largest number of iterations", ("int",)),
    "criterion": Term("what a region's reference is", ("choice",)),
    "predicate": Term("the homogeneity test of a block", ("choice",)),
    # classes and clustering
    "num_classes": Term("number of classes (or clusters) the result distinguishes", ("int",)),
    "n_init": Term("number of k-means restarts", ("int",)),
    "init": Term("initial centres or memberships", ("choice", "array")),
    "m": Term("fuzzifier of fuzzy c-means (> 1)", _NUM),
    "spatial_weight": Term("weight of pixel position next to colour when clustering", _NUM),
    "n_components": Term("principal components kept", ("int",)),
    "color_space": Term("colour space distances are measured in", ("choice",)),
    "rng": Term("seed or numpy Generator of a stochastic method", ("rng",)),
    # colour and texture
    "ranges": Term("HSV ranges or preset names", ("json",)),
    "references": Term("reference colours", ("json",)),
    "reference_space": Term("colour space the reference colours are given in", ("choice",)),
    "metric": Term("colour difference formula", ("choice",)),
    "frequencies": Term("filter frequencies, in cycles per pixel", ("json",)),
    "n_orientations": Term("number of filter orientations", ("int",)),
    "bandwidth": Term("filter bandwidth, in octaves", _NUM),
    # models (the standard parameters of core.params.STANDARD_PARAMS, plus their inference options)
    "weights": Term("a shipped weights name or a checkpoint path", ("str",)),
    "device": Term("where a network runs", ("choice",)),
    "precision": Term("arithmetic of a network's forward pass (float32, or bfloat16/float16 autocast)", ("choice",)),
    "batch_size": Term("tiles per forward pass", ("int",)),
    "tile_size": Term("side of the square tiles of sliding-window inference", ("int",)),
    "overlap": Term("fraction of a tile shared with its neighbour", ("float",)),
    "backend": Term("what runs a trained network: PyTorch or onnxruntime", ("choice",)),
    "tta": Term("test-time augmentation: average the predictions of flipped and turned copies", ("bool",)),
    "input_range": Term("low and high of each input channel (a flat list) used instead of the per-image percentiles of a network's normalisation", ("json",)),
    "return_scores": Term("keep per-class probabilities in Segmentation.scores", ("bool",)),
    "score_threshold": Term("smallest detection score kept", ("float",)),
    "nms_threshold": Term("IoU above which overlapping detections are suppressed", ("float",)),
    "max_detections": Term("largest number of detections kept per image", ("int",)),
    "diameter": Term("typical object diameter, in pixels (None: measured)", _NUM),
    "foreground_threshold": Term("probability above which a pixel belongs to an object", ("float",)),
    "seed_threshold": Term("probability above which a pixel seeds an object of a watershed", ("float",)),
}

#: Names retired for a concept -> the name that replaced them.
RETIRED: dict[str, str] = {
    "block_size": "window_size",
    "dark_foreground": "polarity",
    "objects": "polarity",
    "n_classes": "num_classes",
    "n_clusters": "num_classes",
    "classes": "num_classes",
    "merge_tol": "merge_tolerance",
    "seed": "rng",
    "random_state": "rng",
    "n_iter": "max_iter",
    "iterations": "max_iter",
}


def markdown_table() -> str:
    """The vocabulary as a Markdown table (docs/architecture.md shows it).

    Examples
    --------
    >>> markdown_table().splitlines()[0]
    '| name | meaning | kinds |'
    """
    rows = ["| name | meaning | kinds |", "|---|---|---|"]
    rows += [f"| `{name}` | {t.meaning} | {', '.join(t.kinds)} |" for name, t in sorted(VOCABULARY.items())]
    rows += ["", "Retired names (accepted for one release with a DeprecationWarning, never declared):", ""]
    rows += [f"- `{old}` -> `{new}`" for old, new in sorted(RETIRED.items())]
    return "\n".join(rows)
