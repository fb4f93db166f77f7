"""Edge-based segmenters and the Gabor bank against the performance anchors.

Groups: ``seglab`` (ours), ``ref`` (reference pipelines built from scikit-image,
scipy and OpenCV where bench-anchors has no task: Sobel/Scharr hysteresis, LoG,
the scikit-image edge-and-fill gallery pipeline) and ``alt`` (the Gabor bank
computed by FFT and by 2-D ``cv2.filter2D``, the alternatives to our separable
1-D passes). Run from the repository root, everything in one invocation::

    .venv/bin/python ../shared/bench-anchors/run.py --extra-cases benchmarks/cases_edges_texture.py \\
        --groups opencv,skimage,seglab,ref,alt \\
        --cases '^(opencv\\.canny|skimage\\.canny|opencv\\.gabor_bank|seglab\\.(canny|sobel|scharr|log|gabor).*|ref\\..*|alt\\..*)$' \\
        --tiers 512,2048 --out /tmp/edges.json
    .venv/bin/python benchmarks/cases_edges_texture.py /tmp/edges.json   # markdown table of medians and ratios

"Edge map only" cases time the public helpers that return the boolean edge
map (what the anchors return); "full" cases time ``seglab.segment`` (edge map,
closing, enclosed regions, int32 instance labels, the edge map in ``scores``).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

try:  # provided by bench-anchors/run.py (its folder is on sys.path); absent for the table printer
    from harness import Case
    from inputs import sized
except ImportError:  # pragma: no cover - only the __main__ table printer runs without the harness
    Case = sized = None

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness loads this file by path
from seglab_case import segment_case as _segment  # noqa: E402

CANNY = {"sigma": 1.0, "low_threshold": 25.5, "high_threshold": 51.0}  # = skimage.feature.canny defaults on uint8
GRADIENT = {"low_threshold": 8.0, "high_threshold": 16.0}  # image units per pixel
LOG = {"sigma": 2.0}
# The anchors' bank: 4 orientations x (sigma 2, lambda 4), (sigma 4, lambda 8), i.e. sigma = 0.5 / f.
GABOR_FREQUENCIES = (0.25, 0.125)
GABOR_BANDWIDTH = math.log2((0.5 * math.pi / math.sqrt(math.log(2) / 2) + 1)
                            / (0.5 * math.pi / math.sqrt(math.log(2) / 2) - 1))  # sigma * f = 0.5


def _canny_edges(**params):
    def make(inp):
        from seglab.classical.edges import canny_edges

        image = inp.data
        return lambda: canny_edges(image, **params)[0]

    return make


def _gradient_edges(operator):
    def make(inp):
        from seglab.classical.edges import gradient_magnitude, hysteresis

        image = inp.data
        return lambda: hysteresis(gradient_magnitude(image, operator=operator), GRADIENT["low_threshold"],
                                  GRADIENT["high_threshold"], connectivity=4)

    return make


def _log_edges(inp):
    from seglab.classical.edges import log_zero_crossings

    image = inp.data
    return lambda: log_zero_crossings(image, **LOG)[0]


def _gabor_energy(inp):
    from seglab.classical.texture import gabor_energy

    image = inp.data
    return lambda: gabor_energy(image, frequencies=GABOR_FREQUENCIES, n_orientations=4, bandwidth=GABOR_BANDWIDTH)


# ------------------------------------------------------------------ references


def _ref_skimage_gradient(operator):
    def make(inp):
        from skimage import filters

        image = inp.data
        grad = filters.sobel if operator == "sobel" else filters.scharr
        # skimage works on image / 255 and its magnitude is ours * sqrt(2): same edges, its units.
        scale = math.sqrt(2) / 255
        lo, hi = GRADIENT["low_threshold"] * scale, GRADIENT["high_threshold"] * scale
        return lambda: filters.apply_hysteresis_threshold(grad(image), lo, hi)

    return make


def _ref_opencv_sobel_floor(inp):
    import cv2

    image = inp.data

    def run():
        f = image.astype(np.float32)
        gx = cv2.Sobel(f, -1, 1, 0, ksize=3, scale=1 / 8)
        gy = cv2.Sobel(f, -1, 0, 1, ksize=3, scale=1 / 8)
        return cv2.magnitude(gx, gy) > GRADIENT["high_threshold"]

    return run


def _ref_scipy_log_floor(inp):
    from scipy import ndimage as ndi

    image = inp.data
    return lambda: ndi.gaussian_laplace(image.astype(np.float32), LOG["sigma"])


def _ref_skimage_canny_fill(inp):
    """scikit-image gallery 'Comparing edge-based and region-based segmentation', edge-based part."""
    from scipy import ndimage as ndi
    from skimage import feature, measure, morphology

    image = inp.data

    def run():
        filled = ndi.binary_fill_holes(feature.canny(image))
        return measure.label(morphology.remove_small_objects(filled, max_size=15))

    return run


def _gabor_kernels():
    from seglab.classical.texture import gabor_sigma

    out = []
    for f in GABOR_FREQUENCIES:
        sigma = gabor_sigma(f, GABOR_BANDWIDTH)
        half = math.ceil(3 * sigma)
        y, x = np.mgrid[-half : half + 1, -half : half + 1]
        env = np.exp(-(x**2 + y**2) / (2 * sigma**2)) / (2 * np.pi * sigma**2)
        for j in range(4):
            t = j * np.pi / 4
            out.append(env * np.exp(2j * np.pi * f * (x * np.cos(t) + y * np.sin(t))))
    return out


def _alt_filter2d(inp):
    import cv2

    image = inp.data
    kernels = [(np.float32(k.real), np.float32(k.imag)) for k in _gabor_kernels()]

    def run():
        f = image.astype(np.float32)
        return [cv2.magnitude(cv2.filter2D(f, -1, kr, borderType=cv2.BORDER_REFLECT),
                              cv2.filter2D(f, -1, ki, borderType=cv2.BORDER_REFLECT)) for kr, ki in kernels]

    return run


def _alt_fft(inp):
    import cv2
    from scipy import fft

    image = inp.data
    kernels = _gabor_kernels()
    pad = max(k.shape[0] for k in kernels) // 2
    h, w = image.shape
    shape = (fft.next_fast_len(h + 2 * pad), fft.next_fast_len(w + 2 * pad))
    spectra = []
    for k in kernels:  # kernel spectra are set up once, outside the clock
        padded = np.zeros(shape, np.complex64)
        r = k.shape[0] // 2
        padded[: k.shape[0], : k.shape[1]] = k
        spectra.append(fft.fft2(np.roll(padded, (-r, -r), (0, 1))))

    def run():
        f = cv2.copyMakeBorder(image.astype(np.float32), pad, pad, pad, pad, cv2.BORDER_REFLECT)
        spec = fft.fft2(f, s=shape, workers=-1)
        return [np.abs(fft.ifft2(spec * s, workers=-1)[pad : pad + h, pad : pad + w]) for s in spectra]

    return run


def _n_instances(seg):
    return {"n_instances": int(seg.labels.max())}


def _edge_fraction(edges):
    return {"edge_fraction": float(np.mean(edges))}


if Case is not None:
    GRAY = sized("gray")
    CASES = [
        # Canny: edge map only (same task as the anchors) and the full segmentation.
        Case("seglab.canny_edges_sigma1", "edges.canny", "seglab", "seglab", GRAY, _canny_edges(**CANNY),
             {"call": "canny_edges(image, sigma=1, low=25.5, high=51)"}, extra=_edge_fraction,
             note="edge map only; = skimage.feature.canny defaults on uint8 (blur + cv2.Canny L2)"),
        Case("seglab.canny_edges_sigma0", "edges.canny", "seglab", "seglab", GRAY,
             _canny_edges(sigma=0.0, low_threshold=100.0, high_threshold=200.0),
             {"call": "canny_edges(image, sigma=0, low=100, high=200)"}, extra=_edge_fraction,
             note="edge map only; cv2.Canny(image, 100, 200, L2gradient=True), no blur (as opencv.canny)"),
        Case("seglab.canny_full", "segment.canny_fill", "seglab", "seglab", GRAY, _segment("canny", **CANNY),
             {"call": "seglab.segment(image, 'canny', sigma=1, low=25.5, high=51)"}, extra=_n_instances,
             note="edges + closing r=2 + enclosed regions + int32 instances + scores"),
        Case("ref.skimage_canny_fill", "segment.canny_fill", "skimage", "ref", GRAY, _ref_skimage_canny_fill,
             {"steps": "feature.canny, ndi.binary_fill_holes, remove_small_objects(max_size=15), measure.label"},
             note="scikit-image gallery edge-based segmentation"),
        # Sobel / Scharr hysteresis.
        Case("seglab.sobel_edges", "edges.sobel_hysteresis", "seglab", "seglab", GRAY, _gradient_edges("sobel"),
             {"call": "hysteresis(gradient_magnitude(image), 8, 16, connectivity=4)"}, extra=_edge_fraction,
             note="edge map only"),
        Case("ref.skimage_sobel_hysteresis", "edges.sobel_hysteresis", "skimage", "ref", GRAY,
             _ref_skimage_gradient("sobel"), {"steps": "filters.sobel, apply_hysteresis_threshold"},
             extra=_edge_fraction, note="same edge map"),
        Case("ref.opencv_sobel_floor", "edges.sobel_hysteresis", "opencv", "ref", GRAY, _ref_opencv_sobel_floor,
             {"steps": "2 cv2.Sobel float32, cv2.magnitude, > high"},
             note="floor: OpenCV has no hysteresis; a plain threshold of the magnitude"),
        Case("seglab.sobel_full", "segment.sobel_fill", "seglab", "seglab", GRAY, _segment("sobel", **GRADIENT),
             {"call": "seglab.segment(image, 'sobel', low=8, high=16)"}, extra=_n_instances),
        Case("seglab.scharr_edges", "edges.scharr_hysteresis", "seglab", "seglab", GRAY,
             _gradient_edges("scharr"), {"call": "hysteresis(gradient_magnitude(image, 'scharr'), 8, 16, 4)"},
             extra=_edge_fraction, note="edge map only"),
        Case("ref.skimage_scharr_hysteresis", "edges.scharr_hysteresis", "skimage", "ref", GRAY,
             _ref_skimage_gradient("scharr"), {"steps": "filters.scharr, apply_hysteresis_threshold"},
             extra=_edge_fraction, note="same edge map"),
        Case("seglab.scharr_full", "segment.scharr_fill", "seglab", "seglab", GRAY,
             _segment("scharr", **GRADIENT), {"call": "seglab.segment(image, 'scharr', low=8, high=16)"},
             extra=_n_instances),
        # Marr-Hildreth.
        Case("seglab.log_edges", "edges.log_zero_crossing", "seglab", "seglab", GRAY, _log_edges,
             {"call": "log_zero_crossings(image, sigma=2)"}, extra=_edge_fraction,
             note="edge map only, automatic threshold"),
        Case("ref.scipy_gaussian_laplace", "edges.log_zero_crossing", "scipy", "ref", GRAY, _ref_scipy_log_floor,
             {"call": "ndi.gaussian_laplace(image.astype(float32), 2)"},
             note="floor: the LoG filter alone, no zero crossings"),
        Case("seglab.log_full", "segment.log_fill", "seglab", "seglab", GRAY, _segment("log_zero_crossing", **LOG),
             {"call": "seglab.segment(image, 'log_zero_crossing', sigma=2)"}, extra=_n_instances),
        # Gabor bank (the anchors' 4 x 2 bank) and the full texture segmentation.
        Case("seglab.gabor_bank", "filter.gabor_bank_4x2", "seglab", "seglab", GRAY, _gabor_energy,
             {"call": "gabor_energy(image, frequencies=(0.25, 0.125), n_orientations=4, bandwidth=1.137)"},
             note="8 complex responses -> magnitudes (the anchors: 8 real responses, OpenCV)"),
        Case("alt.gabor_bank_filter2d", "filter.gabor_bank_4x2", "seglab-alt", "alt", GRAY, _alt_filter2d,
             {"impl": "16 cv2.filter2D (real, imag) + cv2.magnitude"}, note="alternative rejected"),
        Case("alt.gabor_bank_fft", "filter.gabor_bank_4x2", "seglab-alt", "alt", GRAY, _alt_fft,
             {"impl": "scipy.fft complex64: 1 fft2 + 8 ifft2, workers=-1"}, note="alternative rejected"),
        Case("seglab.gabor_full", "segment.gabor", "seglab", "seglab", GRAY,
             _segment("gabor", num_classes=4, frequencies=GABOR_FREQUENCIES, bandwidth=GABOR_BANDWIDTH, rng=0),
             {"call": "seglab.segment(image, 'gabor', num_classes=4, frequencies=(0.25, 0.125), rng=0)"}),
    ]


def table(path: str) -> str:
    """Markdown table: per task, input and thread mode, every case's median and its ratio to ours."""
    import json

    with open(path) as f:
        rows = json.load(f)["results"]
    lines = ["| task | input | threads | case | median | ours / this |", "|---|---|---|---|---|---|"]
    key = lambda r: (r["task"], int(r["input"].split("-")[-1]), r["mode"])  # noqa: E731
    groups: dict = {}
    for r in sorted(rows, key=key):
        groups.setdefault(key(r), []).append(r)
    for (task, size, mode), members in groups.items():
        ours = [r for r in members if r["library"] == "seglab"]
        for r in sorted(members, key=lambda r: (r["library"] != "seglab", r["median_s"])):
            ratio = ", ".join(f"{o['median_s'] / r['median_s']:.2f}x" for o in ours) if r not in ours else "–"
            med = r["median_s"]
            shown = f"{med * 1e3:.2f} ms" if med < 1 else f"{med:.2f} s"
            lines.append(f"| {task} | {size} | {mode} | `{r['case']}` | {shown} (n={r['n']}) | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(sys.argv[1]))
