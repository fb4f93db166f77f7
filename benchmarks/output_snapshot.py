"""Save every classical method's outputs on fixed inputs, or compare them with a saved snapshot.

Used around a speed change: ``save`` before it, ``compare`` after, and every
label image, score map and JSON-able ``meta`` entry must be equal (or the
difference is reported, method by method). Inputs: the anchors' camera,
astronaut and coins (scikit-image's, as ``../shared/bench-anchors/inputs.py``
builds them), a 2048² camera upscale, and small random images.

    .venv/bin/python benchmarks/output_snapshot.py save /tmp/before.npz
    .venv/bin/python benchmarks/output_snapshot.py compare /tmp/before.npz [--only canny,otsu]
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings

import cv2
import numpy as np
from skimage import data

import seglab
from seglab.postprocess import connected_components


def _inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    camera = data.camera()
    return {
        "camera": camera,
        "camera2048": cv2.resize(camera, (2048, 2048), interpolation=cv2.INTER_LINEAR),
        "astronaut": data.astronaut(),
        "coins": data.coins(),
        "noise": rng.integers(0, 256, (61, 47), dtype=np.uint8),
        "float": rng.random((40, 50)).astype(np.float32),
    }


#: Extra settings beyond the defaults: (method, params, inputs).
_SETTINGS = [
    ("threshold", {"value": 100}, None),
    ("canny", {"sigma": 0.0, "low_threshold": 100.0, "high_threshold": 200.0}, None),
    ("canny", {"sigma": 1.0, "low_threshold": 25.5, "high_threshold": 51.0}, None),
    ("sobel", {"low_threshold": 8.0, "high_threshold": 16.0}, None),
    ("region_growing", {"seeds": [(40, 40)], "tolerance": 10, "criterion": "seed"}, ("camera", "camera2048")),
    ("region_growing", {"auto_seeds": "grid", "spacing": 16, "tolerance": 12}, ("camera", "noise", "float")),
    ("watershed", {"threshold_method": "otsu", "sigma": 0.0, "fg_fraction": 0.7, "fill_holes": False,
                   "watershed_line": True}, ("coins", "camera")),
    ("gabor", {"num_classes": 4, "frequencies": (0.25, 0.125), "rng": 0}, ("camera", "noise")),
    ("hsv_range", {"ranges": [(0.0, 40.0, 48 / 255, 1.0, 80 / 255, 1.0)]}, ("astronaut",)),
]


def _runs(only: set[str] | None):
    images = _inputs()
    for spec in seglab.list_methods(available_only=True):
        if spec.family == "deep" or (only and spec.name not in only):
            continue
        params = dict(spec.example_params)
        if spec.stochastic:
            params["rng"] = 0
        for name, image in images.items():
            if name == "camera2048" and spec.name not in ("otsu", "threshold", "canny", "watershed"):
                continue
            yield f"{spec.name}|default|{name}", spec.name, params, image
    for method, params, names in _SETTINGS:
        if only and method not in only:
            continue
        for name in names or ("camera", "coins", "camera2048"):
            yield f"{method}|{json.dumps(params, sort_keys=True)}|{name}", method, params, images[name]
    if not only or "connected_components" in only:
        rng = np.random.default_rng(1)
        for k in (2, 3, 12):
            lab = rng.integers(-1, k, (97, 131)).astype(np.int32)
            for conn in (4, 8):
                for bg in (0, None):
                    yield f"connected_components|k={k},c={conn},bg={bg}", "cc", {"connectivity": conn,
                                                                            "background": bg}, lab


def _outputs(method: str, params: dict, image: np.ndarray) -> dict[str, np.ndarray | str]:
    if method == "cc":
        c = connected_components(image, **params)
        return {"labels": c.ids, "source": c.source}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            seg = seglab.segment(image, method, **params)
        except Exception as exc:  # a refusal is an output too
            return {"error": f"{type(exc).__name__}: {exc}"}
    out: dict[str, np.ndarray | str] = {"labels": seg.labels,
                                        "meta": json.dumps(seg.meta, sort_keys=True, default=str),
                                        "segments": json.dumps({k: v.to_json() for k, v in seg.segments.items()})}
    if seg.scores is not None:
        out["scores"] = seg.scores
    return out


def save(path: str, only: set[str] | None) -> None:
    arrays = {}
    for key, method, params, image in _runs(only):
        for part, value in _outputs(method, params, image).items():
            arrays[f"{key}#{part}"] = np.asarray(value)
        print(key, flush=True)
    np.savez_compressed(path, **arrays)


def compare(path: str, only: set[str] | None, ignore: set[str]) -> int:
    saved = np.load(path)
    bad = 0
    for key, method, params, image in _runs(only):
        for part, value in _outputs(method, params, image).items():
            name = f"{key}#{part}"
            if part in ignore:
                continue
            if name not in saved:
                print(f"NEW   {name}")
                continue
            if not np.array_equal(saved[name], np.asarray(value)):
                bad += 1
                print(f"DIFF  {name}")
    print("equal" if bad == 0 else f"{bad} outputs differ")
    return 1 if bad else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=("save", "compare"))
    ap.add_argument("path")
    ap.add_argument("--only", default="", help="comma list of method names (connected_components included)")
    ap.add_argument("--ignore", default="", help="comma list of output parts not compared (e.g. scores)")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else None
    if args.action == "save":
        save(args.path, only)
    else:
        sys.exit(compare(args.path, only, set(filter(None, args.ignore.split(",")))))


if __name__ == "__main__":
    main()
