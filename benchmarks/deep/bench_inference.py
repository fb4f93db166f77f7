"""Speed of the deep engine: predict vs a bare forward, onnxruntime vs PyTorch, 4096x4096 tiles, training.

For each model (random weights; speed does not depend on them): parameters;
ms per 512x512 image through ``predict`` (BatchNorm folded into the
convolutions, as ``seglab.segment`` loads models) and through a bare
``torch.no_grad()`` forward of a separate copy of the same network on a
pre-normalised NCHW tensor (what a user of the module alone would write),
called alternately in one process so machine load hits both alike (median of
the per-round ratios); the same for ``predict`` on the onnxruntime backend
against ``predict`` on PyTorch; training images per second (batch 4 of 256x256
crops, forward + backward + AdamW step). Then one 4096x4096 image through
tiled ``predict`` (tiles 512, overlap 0.25, batch 4) in a fresh process, with
its peak resident memory above the process's size before the call.

Usage::

    python benchmarks/deep/bench_inference.py --rounds 5 -o docs/bench/deep.md
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from seglab.deep._torch.models import build_model
from seglab.deep._torch.models.base import fuse_batchnorm
from seglab.deep._torch.predict import predict
from seglab.deep._torch.train import cpu_model_and_flags
from seglab.deep._torch.preprocess import prepare

GRAY = {"kind": "percentile", "low": 1.0, "high": 99.8}
RGB = {"kind": "scale", "max": 255.0, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
#: name -> (arch, config, in_channels, num_classes)
CASES = {
    "cnn": ("cnn", {}, 1, 2),
    "unet w16 (shipped membrane)": ("unet", {"base_width": 16}, 1, 2),
    "unet w64 (paper)": ("unet", {"base_width": 64}, 1, 2),
    "fcn resnet50": ("fcn", {"backbone": "resnet50"}, 3, 11),
    "segnet (VGG-16 widths)": ("segnet", {}, 3, 11),
    "deeplab mobilenet_v3_large": ("deeplab", {"backbone": "mobilenet_v3_large"}, 3, 11),
    "deeplab resnet50": ("deeplab", {"backbone": "resnet50"}, 3, 11),
    "vit_seg (ViT-Tiny/16, mask decoder)": ("vit_seg", {}, 3, 11),
}


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def image_for(channels: int, size: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (size, size) if channels == 1 else (size, size, 3), dtype=np.uint8)


def bench_model(name: str, rounds: int, onnx: bool) -> dict:
    arch, config, channels, classes = CASES[name]
    torch.manual_seed(0)
    model = build_model(arch, in_channels=channels, num_classes=classes, **config).eval()
    bare = copy.deepcopy(model)
    fuse_batchnorm(model)  # as seglab.segment loads a model for inference
    norm = GRAY if channels == 1 else RGB
    image = image_for(channels, 512)
    x = torch.from_numpy(prepare(image, in_channels=channels, normalization=norm))[None]

    def forward() -> None:
        with torch.no_grad():
            bare.net(x)

    def ours() -> None:
        predict(model, image, normalization=norm, device="cpu")

    ours(), forward()  # warm-up
    pairs = [(timed(ours), timed(forward)) for _ in range(rounds)]
    row = {
        "model": name, "params_M": sum(p.numel() for p in model.parameters()) / 1e6,
        "predict_ms": 1000 * statistics.median(p for p, _ in pairs),
        "forward_ms": 1000 * statistics.median(f for _, f in pairs),
        "predict_over_forward": statistics.median(p / f for p, f in pairs),
    }

    def ours_bf16() -> None:
        predict(model, image, normalization=norm, device="cpu", precision="bfloat16")

    ours_bf16()
    pairs = [(timed(ours_bf16), timed(ours)) for _ in range(rounds)]
    row["bf16_ms"] = 1000 * statistics.median(b for b, _ in pairs)
    row["bf16_over_float32"] = statistics.median(b / p for b, p in pairs)
    if onnx:
        from seglab.deep._torch.export import OnnxModel, export_onnx

        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            onnx_model = OnnxModel(export_onnx(model, Path(tmp) / "m.onnx", normalization=norm))
            row["onnx_export_s"] = time.perf_counter() - t0

            def ort() -> None:
                predict(onnx_model, image, normalization=norm)

            ort()
            pairs = [(timed(ort), timed(ours)) for _ in range(rounds)]
        row["onnxruntime_ms"] = 1000 * statistics.median(o for o, _ in pairs)
        row["onnxruntime_over_pytorch"] = statistics.median(o / p for o, p in pairs)
    net = build_model(arch, in_channels=channels, num_classes=classes, **config).to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(net.parameters())
    batch = torch.randn(4, channels, 256, 256).to(memory_format=torch.channels_last)
    target = torch.randint(0, classes, (4, 256, 256))

    def step() -> None:
        loss = torch.nn.functional.cross_entropy(net(batch), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    step()
    row["train_images_per_s"] = 4 / statistics.median(timed(step) for _ in range(max(2, rounds // 2)))
    return row


def tiled_child(size: int) -> None:
    """Run in a fresh process: one size x size image through tiled predict; print JSON."""
    model = build_model("unet", in_channels=1, num_classes=2, base_width=16).eval()
    fuse_batchnorm(model)
    image = image_for(1, size)
    predict(model, image[:512, :512], normalization=GRAY, device="cpu")  # warm-up at tile size
    before = status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # Linux: reset the peak (VmHWM) to the current size
    seconds = timed(lambda: predict(model, image, normalization=GRAY, tile_size=512, overlap=0.25, batch_size=4,
                                    device="cpu"))
    peak = status_kib("VmHWM")
    print(json.dumps({"size": size, "seconds": seconds, "rss_before_MiB": before / 1024,
                      "peak_rss_MiB": peak / 1024, "peak_above_before_MiB": (peak - before) / 1024}))


def status_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in KiB."""
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(field + ":"))
    return int(line.split()[1])


def _cpu_name() -> str:
    """The CPU's model name, with AMX-BF16 / AVX-512 BF16 noted when present (what makes bfloat16 fast)."""
    name, flags = cpu_model_and_flags()
    units = [u for u, flag in (("AMX-BF16", "amx_bf16"), ("AVX-512 BF16", "avx512_bf16")) if flag in flags]
    return name + (f" ({', '.join(units)})" if units else " (no AMX or AVX-512 BF16)")


def fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--models", nargs="*", default=list(CASES))
    parser.add_argument("--no-onnx", action="store_true")
    parser.add_argument("--tiled-size", type=int, default=4096)
    parser.add_argument("--tiled-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("-o", "--output", default="docs/bench/deep.md")
    args = parser.parse_args()
    if args.tiled_child:
        tiled_child(args.tiled_child)
        return
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows = []
    for name in args.models:
        rows.append(bench_model(name, args.rounds, not args.no_onnx))
        print(json.dumps(rows[-1]), flush=True)
    child = subprocess.run([sys.executable, __file__, "--tiled-child", str(args.tiled_size)], check=True,
                           capture_output=True, text=True)
    tiled = json.loads(child.stdout.strip().splitlines()[-1])
    print(json.dumps(tiled))
    cols = ["model", "params_M", "predict_ms", "forward_ms", "predict_over_forward", "bf16_ms", "bf16_over_float32",
            "onnxruntime_ms", "onnxruntime_over_pytorch", "onnx_export_s", "train_images_per_s"]
    cols = [c for c in cols if any(c in r for r in rows)]
    lines = [
        "# Deep engine speed (CPU)",
        "",
        f"Generated by `python benchmarks/deep/bench_inference.py --rounds {args.rounds}` on {started}: "
        f"{_cpu_name()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads. Absolute times on this shared machine are rough; "
        "each ratio is the median over rounds of alternating calls in one process.",
        "",
        "- `predict_ms`: `seglab.deep._torch.predict.predict` on a 512x512 uint8 image, untiled, BatchNorm folded "
        "into the convolutions as `seglab.segment` loads models (normalisation, "
        "reflection padding, channels-last, `inference_mode`, softmax, argmax).",
        "- `forward_ms`: a bare `torch.no_grad()` forward of a copy of the same network on the pre-normalised "
        "NCHW tensor (logits only). `predict_over_forward` < 1 means predict is faster (channels-last).",
        "- `bf16_ms`: the same `predict` with `precision=\"bfloat16\"` (bfloat16 autocast of the forward pass); "
        "`bf16_over_float32` is its time over float32 `predict`'s, alternating. Fast only on CPUs with AMX or "
        "AVX-512 BF16 units (the processor line above says which CPU this was).",
        "- `onnxruntime_ms`: the same `predict` with the onnxruntime backend (CPU provider); "
        "`onnxruntime_over_pytorch` is its time over PyTorch `predict`'s.",
        "- `train_images_per_s`: batch 4 of 256x256, forward + backward + AdamW step, channels-last.",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    for r in rows:
        lines.append("| " + " | ".join(r[c] if c == "model" else fmt(r[c]) if c in r else "" for c in cols) + " |")
    lines += [
        "",
        f"Tiled inference, `unet` w16 on one {tiled['size']}x{tiled['size']} uint8 image (tiles 512, overlap 0.25, "
        f"batch 4, Gaussian blending): {tiled['seconds']:.1f} s; peak resident memory {tiled['peak_rss_MiB']:.0f} MiB, "
        f"{tiled['peak_above_before_MiB']:.0f} MiB above the process before the call (input, normalised copy, "
        "probability and weight accumulators, tiles).",
        "",
    ]
    Path(args.output).write_text("\n".join(lines), encoding="utf-8")
    out_json = Path(__file__).parent / "results" / "inference.json"
    out_json.write_text(json.dumps({"rows": rows, "tiled": tiled, "started": started}, indent=2) + "\n")


if __name__ == "__main__":
    main()
