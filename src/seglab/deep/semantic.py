"""The semantic networks as registered methods: cnn, unet, fcn, segnet, deeplab, vit_seg.

Torch-free fronts (DESIGN §2.5): each is called like every other method,
``seglab.segment(image, "unet", weights="membrane")``, and needs the
``torch`` extra only when it runs. ``weights`` is a shipped name (``seglab
info METHOD`` lists them) or a checkpoint that ``seglab train`` wrote; the
checkpoint carries the architecture, the class names and the input
normalisation, which is applied inside (images go in, in their own units).

Examples
--------
>>> import seglab
>>> spec = seglab.get_method("unet")
>>> spec.family, spec.tiling, spec.requires, [p.name for p in spec.params()][:3]
('deep', 'model', ('torch',), ['weights', 'device', 'batch_size'])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from numpy.typing import ArrayLike, NDArray

from ..core.params import BatchSize, Device, Overlap, Precision, TileSize, WeightsName
from ..core.registry import register
from ..core.types import Segmentation
from .inference import fit_input_range, run_semantic
from .runtime import model_check
from .weights import shipped

__all__ = ["ARCHITECTURES"]

#: Registered name -> what the network is (first docstring line, then the paper's idea).
ARCHITECTURES: dict[str, tuple[str, str]] = {
    "cnn": ("A simple convolutional encoder-decoder network (the tutorial's CNN).",
            "A few convolution and pooling stages, then upsampling back to the input size."),
    "unet": ("U-Net: a four-level encoder-decoder with skip connections (Ronneberger et al., 2015).",
             "Each decoder level concatenates the encoder features of its scale; the base width sets the size."),
    "fcn": ("FCN-8s: a fully convolutional network fusing scores at strides 8, 16 and 32 (Long et al., 2015).",
            "A ResNet backbone; coarse class scores are upsampled and summed with finer ones."),
    "segnet": ("SegNet: an encoder-decoder that unpools with the stored max-pooling indices (Badrinarayanan et al.).",
               "The decoder places features back where the encoder's maxima were, keeping boundaries sharp."),
    "deeplab": ("DeepLabv3+: an atrous backbone, atrous spatial pyramid pooling and a decoder (Chen et al., 2018).",
                "Dilated convolutions keep resolution; ASPP pools context at several rates; the decoder adds "
                "low-level features back."),
    "vit_seg": ("A Vision-Transformer segmenter (SETR/Segmenter style): patches, a transformer encoder, upsampling.",
                "Position embeddings are interpolated, so any image size works."),
}

_DOC = '''{summary}

    {idea} Inference pads the image to the network's stride and crops back, and
    with `tile_size` runs overlapping windows whose probabilities are blended
    with a Gaussian window, so any image size works.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray
        In its own units (uint8, uint16, float); the checkpoint's normalisation
        is applied inside. A gray image given to an RGB network is replicated,
        an RGB image given to a gray network becomes BT.601 luma.
    weights : str, optional
        A shipped weights name (``seglab info {name}`` lists them) or the path of
        a checkpoint written by ``seglab train {name}`` (an ``.onnx`` file with
        ``backend="onnxruntime"``). Required: networks start from random weights.
    device : {{"auto", "cpu", "cuda"}}
        Where the network runs; "auto" takes a GPU when one is present.
    batch_size : int
        Tiles per forward pass.
    tile_size : int, optional
        Side of the sliding windows; None runs the whole image at once.
    overlap : float
        Fraction of a window shared with its neighbour.
    precision : {{"auto", "float32", "bfloat16", "float16"}}
        Arithmetic of the forward pass: "auto" is float16 autocast on CUDA and
        float32 on a CPU; "bfloat16" autocasts on either (on a CPU with AMX or
        AVX-512 BF16 units about twice as fast as float32, a few labels in
        10,000 differ; slower on CPUs without them); "float16" autocasts on CUDA.
    tta : bool
        Test-time augmentation: average the predictions of the flips and
        90-degree turns of the image (8 times the work).
    return_scores : bool
        Keep the per-class probabilities in ``Segmentation.scores``.
    backend : {{"torch", "onnxruntime"}}
        Run the PyTorch checkpoint, or an exported ONNX model with onnxruntime.
    input_range : list of float, optional
        A flat list, low and high for each input channel of the network
        (``[low, high]`` for one, ``[l1, h1, l2, h2, l3, h3]`` for three), in
        the image's units: used instead of the percentiles that weights with a percentile
        normalisation measure on each image (so that frames of a video, or the
        windows of a tiled run, are normalised alike). A tiled run
        (``seglab.tiling.run``, ``--tile-size``) measures it once on a sample
        of the whole image.
    mask : (H, W) ndarray of bool, optional
        Pixels outside get label 0.

    Returns
    -------
    Segmentation
        Semantic class ids; ``classes`` from the weights; ``scores`` (K, H, W)
        with `return_scores`; ``meta["weights"]``.

    Raises
    ------
    InvalidParameterError
        No weights, unknown weights, or weights of another architecture.
    MissingDependencyError
        torch is not installed: ``pip install "seglab[torch]"``.

    Examples
    --------
    Train, then segment a folder (``seglab train {name} --help`` lists the options):

    >>> seglab.train("{name}", "my_data", "my_{name}.pt", epochs=50)  # doctest: +SKIP
    >>> seg = seglab.segment(image, "{name}", weights="my_{name}.pt", tile_size=512)  # doctest: +SKIP
'''


def _front(name: str) -> Callable[..., Segmentation]:
    """The registered front function of the architecture `name` (one signature for all of them)."""

    def front(
        image: ArrayLike,
        /,
        *,
        weights: WeightsName = None,
        device: Device = "auto",
        batch_size: BatchSize = 4,
        tile_size: TileSize = None,
        overlap: Overlap = 0.25,
        precision: Precision = "auto",
        tta: bool = False,
        return_scores: bool = False,
        backend: Literal["torch", "onnxruntime"] = "torch",
        input_range: list[float] | None = None,
        mask: ArrayLike | None = None,
    ) -> Segmentation:
        return run_semantic(name, image, known=spec_weights, weights=weights, device=device, precision=precision,
                            batch_size=batch_size, tile_size=tile_size, overlap=overlap, tta=tta,
                            return_scores=return_scores, backend=backend, input_range=input_range)

    def fit(sample: NDArray[Any], /, *, weights: str | None = None, backend: str = "torch",
            input_range: list[float] | None = None, **_: Any) -> dict[str, Any]:
        """Tiled runs: the input range of the whole image, from a sample of its pixels (see `input_range`)."""
        if input_range is not None:
            return {}
        return fit_input_range(name, sample, known=spec_weights, weights=weights, backend=backend)

    summary, idea = ARCHITECTURES[name]
    front.__name__ = front.__qualname__ = name
    front.__doc__ = _DOC.format(summary=summary, idea=idea, name=name)
    spec_weights = {w.name: w for w in shipped(name)}
    example = {"weights": next(iter(spec_weights))} if spec_weights else {}
    return register(name, family="deep", task="semantic", input="any", tiling="model", requires=("torch",),
                    fit=fit, weights=tuple(spec_weights.values()), example_params=example, check=model_check(name, spec_weights))(front)


for _name in ARCHITECTURES:
    _front(_name)
