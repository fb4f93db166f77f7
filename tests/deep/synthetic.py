"""Tiny architecture settings and synthetic shapes scenes (made here; no external data, no torch)."""

from __future__ import annotations

import numpy as np

#: Small settings of every architecture, all CPU-cheap; MAIN holds one case per architecture.
TINY: dict[str, tuple[str, dict]] = {
    "cnn": ("cnn", {"width": 8, "depth": 2}),
    "unet": ("unet", {"base_width": 8, "depth": 3}),
    "fcn": ("fcn", {"backbone": "resnet18"}),
    "segnet": ("segnet", {"base_width": 8, "depth": 3}),
    "deeplab": ("deeplab", {"backbone": "resnet18", "decoder_channels": 32}),
    "deeplab_mobilenet": ("deeplab", {"backbone": "mobilenet_v3_large", "width_mult": 0.5, "decoder_channels": 32}),
    "vit_seg": ("vit_seg", {"patch_size": 8, "hidden_dim": 32, "num_layers": 2, "num_heads": 2, "mlp_dim": 64,
                            "image_size": 64}),
    "vit_seg_linear": ("vit_seg", {"patch_size": 8, "hidden_dim": 32, "num_layers": 2, "num_heads": 2, "mlp_dim": 64,
                                   "image_size": 64, "decoder": "linear"}),
}


MAIN = ["cnn", "unet", "fcn", "segnet", "deeplab", "vit_seg"]

#: Keywords of a training that takes about a second: a tiny cnn, two steps of two 32² crops per epoch.
FAST_TRAINING = {"crop_size": 32, "batch_size": 2, "steps_per_epoch": 2, "progress": False, "num_threads": 1,
                 "model_config": {"width": 4, "depth": 2}}


def shapes(size: int = 64, *, seed: int, channels: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A uint8 image of bright disks and rectangles on a dark noisy background, and its 0/1 mask."""
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[:size, :size]
    mask = np.zeros((size, size), bool)
    for _ in range(int(rng.integers(1, 4))):
        if rng.random() < 0.5:
            r0, c0 = rng.integers(8, size - 8, 2)
            radius = rng.integers(size // 10, size // 4)
            mask |= (rr - r0) ** 2 + (cc - c0) ** 2 < radius**2
        else:
            r0, c0 = rng.integers(0, size - size // 4, 2)
            h, w = rng.integers(size // 8, size // 3, 2)
            mask[r0 : r0 + h, c0 : c0 + w] = True
    image = np.where(mask, 170.0, 70.0) + rng.normal(0, 20, mask.shape)
    image = np.clip(image, 0, 255).astype(np.uint8)
    if channels == 3:
        image = np.dstack([image, image // 2 + 40, 255 - image])
    return image, mask.astype(np.int32)
