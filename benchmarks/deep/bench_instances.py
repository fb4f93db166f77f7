"""Speed of the instance methods: ms per 512x512 image, our predict path against a bare forward, training speed.

For ``unet_instances`` and, when ``--rcnn`` names its weights, ``mask_rcnn``
(trained checkpoints: the U-Net's speed does not depend on its weights, but
Mask R-CNN's does, as its heads run per detection):

- ms per 512x512 DSB2018 stage-1 test image (the centre crops of its 640x512
  images) through :func:`seglab.segment`, with the objects' diameter given
  (one pass) and measured (two or three passes), and with the diameter given
  and ``precision="bfloat16"`` (fast on CPUs with AMX or AVX-512 BF16 units);
- our predict path (``seglab.segment`` with the diameter given so that the
  zoom is 1: the image in its own units is normalised, run, and turned into
  labels; seglab folds BatchNorm into the convolutions when it loads a model
  for inference) against a bare forward of the same network, loaded from the
  same checkpoint as a user would (eval mode, unfolded; channels-last, as
  seglab runs it), on a pre-normalised
  tensor (torchvision's ``MaskRCNN.forward`` in eval mode, masks pasted into
  full-size images as torchvision does; for the U-Net the network and a
  softmax), called alternately in one process so that machine load hits both
  alike: the median of the per-round ratios;
- training images (crops) per second, forward + backward + AdamW step, at the
  crop size and batch of the shipped run (bfloat16 autocast).

Usage::

    .venv/bin/python benchmarks/deep/bench_instances.py --unet nuclei --rcnn /work/runs/mask_rcnn/nuclei.pt \\
        --data ../shared/data --rounds 5 -o benchmarks/deep/results/bench_instances.json --markdown docs/bench/instances.md
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import seglab
from seglab.deep._torch.instances.checkpoint import load_instance_checkpoint
from seglab.deep._torch.instances.data import InstanceSample
from seglab.deep._torch.instances.images import gray_input
from seglab.deep._torch.instances.train import InstanceAugmentation, _Crops, _prepare
from seglab.deep.inference import weights_path
from seglab.io import read_image, read_labels

#: method -> (crop size, batch) of the training runs
TRAINING = {"unet_instances": (256, 4), "mask_rcnn": (192, 2)}


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _images(data: Path, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    root = data / "dsb2018_stage1_test"
    out = []
    for path in sorted((root / "images").glob("*.png")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = read_image(path)
        if image.shape[:2] == (512, 640):
            out.append((image[:, 64:576], read_labels(root / "labels" / path.name)[:, 64:576]))
        if len(out) == count:
            break
    return out


def _bare(method: str, model, x: torch.Tensor):
    if method == "mask_rcnn":
        model.net.eval()
        return lambda: model.net([x[0]])
    return lambda: torch.softmax(model.net(x), dim=1)


def bench(method: str, weights: str, images, rounds: int) -> dict:
    spec = seglab.get_method(method)
    path = weights_path(method, weights, spec.weights)
    model = load_instance_checkpoint(path, arch=method).model.eval()  # as a user loads it: no BatchNorm folding,
    model.to(memory_format=torch.channels_last)  # but in the faster memory layout that seglab also uses
    diameter = float(model.config["diameter"])  # zoom 1: the image as it is
    per_image = {"given": [], "measured": [], "bfloat16": []}
    for image, _ in images:
        seglab.segment(image, method, weights=weights, diameter=diameter)  # warm-up
        given = functools.partial(seglab.segment, image, method, weights=weights, diameter=diameter)
        measured = functools.partial(seglab.segment, image, method, weights=weights)
        per_image["given"].append(statistics.median(timed(given) for _ in range(rounds)))
        per_image["measured"].append(statistics.median(timed(measured) for _ in range(rounds)))
        bf16 = functools.partial(given, precision="bfloat16")
        bf16()
        per_image["bfloat16"].append(statistics.median(timed(bf16) for _ in range(rounds)))
    image = images[0][0]
    x = torch.from_numpy(gray_input(image)[0])[None, None].contiguous(memory_format=torch.channels_last)
    bare = _bare(method, model, x)
    ratios, ours_t, bare_t = [], [], []
    with torch.inference_mode():
        bare()
        for _ in range(rounds * 2):
            b = timed(bare)
            o = timed(lambda: seglab.segment(image, method, weights=weights, diameter=diameter))
            ratios.append(o / b)
            ours_t.append(o)
            bare_t.append(b)
    crop, batch = TRAINING[method]
    samples = [InstanceSample(f"i{k}", Path(f"i{k}"), "", im, lab.astype(np.int32),
                              np.minimum(np.bincount(lab.ravel().astype(np.int64)), 1))
               for k, (im, lab) in enumerate(images)]
    train_model = load_instance_checkpoint(path, arch=method).model  # a copy of its own: training changes it
    unet = method == "unet_instances"
    crops = _Crops(_prepare(samples, diameter=diameter, boundary_width=2 if unet else None), crop,
                   InstanceAugmentation())
    optimizer = torch.optim.AdamW(train_model.parameters(), lr=1e-5)
    rng = np.random.default_rng(0)
    train_model.train()

    def step() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            if unet:
                x, target = crops.unet_batch(rng, batch)
                loss = torch.nn.functional.cross_entropy(train_model.net(x).float(), target, ignore_index=-100)
            else:
                ims, targets = crops.rcnn_batch(rng, batch)
                loss = sum(v.float() for v in train_model.net(ims, targets).values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    step()
    steps = [timed(step) for _ in range(rounds * 2)]
    return {
        "method": method, "weights": weights,
        "parameters": sum(p.numel() for p in model.parameters()),
        "ms_per_512_image_diameter_given": 1000 * statistics.median(per_image["given"]),
        "ms_per_512_image_diameter_measured": 1000 * statistics.median(per_image["measured"]),
        "ms_per_512_image_bfloat16": 1000 * statistics.median(per_image["bfloat16"]),
        "ms_ours": 1000 * statistics.median(ours_t), "ms_bare_forward": 1000 * statistics.median(bare_t),
        "ratio_ours_to_bare": statistics.median(ratios),
        "training_crops_per_second": batch / statistics.median(steps), "training_crop": crop, "training_batch": batch,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unet", required=True, help="unet_instances weights (name or checkpoint)")
    parser.add_argument("--rcnn", help="mask_rcnn weights (name or checkpoint); left out: unet_instances only")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--markdown", type=Path, help="also write the table as a Markdown page")
    args = parser.parse_args()
    images = _images(args.data, args.images)
    rows = [bench("unet_instances", args.unet, images, args.rounds)]
    if args.rcnn:
        rows.append(bench("mask_rcnn", args.rcnn, images, args.rounds))
    for r in rows:
        print(json.dumps(r), flush=True)
    doc = {"rows": rows, "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
           "machine": platform.platform(), "load_average": os.getloadavg(),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(doc, indent=1) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(doc))


def markdown(doc: dict) -> str:
    """The benchmark as a Markdown page (docs/bench/instances.md)."""
    lines = [
        "# Instance methods: speed",
        "",
        "Made by `benchmarks/deep/bench_instances.py` (its docstring says what each column measures) on "
        f"{doc['date']}: {doc['cpu_count']} CPU cores (load average "
        f"{', '.join(f'{v:.1f}' for v in doc['load_average'])} at the end), {doc['torch_threads']} PyTorch threads; "
        "medians. Images: 512x512 centre crops of the DSB2018 stage-1 test images of 640x512.",
        "",
        "| method | parameters | ms / 512² image, diameter given | ms / 512² image, diameter measured | "
        "ms / 512² image, diameter given, bfloat16 | ours ms | bare forward ms | ours / bare | training crops / s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in doc["rows"]:
        lines.append(
            f"| {r['method']} (`{Path(r['weights']).name}`) | {r['parameters'] / 1e6:.2f} M | "
            f"{r['ms_per_512_image_diameter_given']:.0f} | {r['ms_per_512_image_diameter_measured']:.0f} | "
            f"{r['ms_per_512_image_bfloat16']:.0f} | "
            f"{r['ms_ours']:.0f} | {r['ms_bare_forward']:.0f} | {r['ratio_ours_to_bare']:.2f} | "
            f"{r['training_crops_per_second']:.2f} ({r['training_crop']}², batch {r['training_batch']}) |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
