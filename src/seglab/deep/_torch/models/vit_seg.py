"""A Vision-Transformer segmenter (Strudel et al., "Segmenter", ICCV 2021).

The encoder is torchvision's ``VisionTransformer`` (patch embedding, class
token, transformer blocks, final LayerNorm) with its position embeddings
interpolated to any grid of patches. The decoder is Segmenter's mask
transformer (class embeddings attend jointly with the patch tokens; masks are
scalar products of normalised patch and class embeddings) or its linear
decoder (a 1x1 projection of the patch tokens). Masks at the patch grid are
upsampled bilinearly to the input size.
"""

from __future__ import annotations

import math
import os

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models.vision_transformer import EncoderBlock, VisionTransformer

from ....core.errors import InvalidParameterError
from .backbones import adapt_first_conv, check_choice, load_local_weights
from .base import EncoderDecoder, SegmentationModel

__all__ = ["vit_seg"]

Tokens = tuple[Tensor, tuple[int, int]]


class ViTEncoder(nn.Module):
    def __init__(self, vit: VisionTransformer) -> None:
        super().__init__()
        self.vit = vit

    def _position_embedding(self, h: int, w: int) -> Tensor:
        pos = self.vit.encoder.pos_embedding
        side = math.isqrt(pos.shape[1] - 1)
        grid = pos[:, 1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(h, w), mode="bicubic", align_corners=False)
        return torch.cat([pos[:, :1], grid.flatten(2).transpose(1, 2)], dim=1)

    def forward(self, x: Tensor) -> Tokens:
        x = self.vit.conv_proj(x)
        n, _, h, w = x.shape
        x = torch.cat([self.vit.class_token.expand(n, -1, -1), x.flatten(2).transpose(1, 2)], dim=1)
        x = x + self._position_embedding(h, w)
        encoder = self.vit.encoder
        x = encoder.ln(encoder.layers(encoder.dropout(x)))
        return x[:, 1:], (h, w)


class LinearDecoder(nn.Module):
    def __init__(self, dim: int, num_classes: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, num_classes)

    def forward(self, tokens: Tokens) -> Tensor:
        x, (h, w) = tokens
        return self.proj(x).transpose(1, 2).reshape(x.shape[0], -1, h, w)


class MaskTransformer(nn.Module):
    def __init__(self, dim: int, num_classes: int, num_layers: int, num_heads: int, mlp_dim: int) -> None:
        super().__init__()
        self.class_embedding = nn.Parameter(torch.randn(1, num_classes, dim) * dim**-0.5)
        self.blocks = nn.Sequential(*(EncoderBlock(num_heads, dim, mlp_dim, 0.0, 0.0) for _ in range(num_layers)))
        self.norm = nn.LayerNorm(dim)
        self.proj_patch = nn.Linear(dim, dim, bias=False)
        self.proj_class = nn.Linear(dim, dim, bias=False)
        self.mask_norm = nn.LayerNorm(num_classes)

    def forward(self, tokens: Tokens) -> Tensor:
        x, (h, w) = tokens
        k = self.class_embedding.shape[1]
        x = self.norm(self.blocks(torch.cat([x, self.class_embedding.expand(x.shape[0], -1, -1)], dim=1)))
        patches = F.normalize(self.proj_patch(x[:, :-k]), dim=-1)
        classes = F.normalize(self.proj_class(x[:, -k:]), dim=-1)
        masks = self.mask_norm(patches @ classes.transpose(1, 2))
        return masks.transpose(1, 2).reshape(x.shape[0], k, h, w)


def vit_seg(*, in_channels: int, num_classes: int, patch_size: int = 16, hidden_dim: int = 192,
            num_layers: int = 12, num_heads: int = 3, mlp_dim: int = 768, image_size: int = 224,
            decoder: str = "mask", decoder_layers: int = 2,
            backbone_weights: str | os.PathLike[str] | None = None) -> SegmentationModel:
    """Segmenter: a ViT encoder (defaults: ViT-Tiny/16) and a mask-transformer or linear decoder.

    Parameters
    ----------
    in_channels, num_classes : int
    patch_size, hidden_dim, num_layers, num_heads, mlp_dim : int
        torchvision ``VisionTransformer`` arguments (ViT-B/16: 16, 768, 12, 12, 3072). The
        output stride is `patch_size`.
    image_size : int
        Side of the square image the position embeddings are stored for; any other size
        is served by bicubic interpolation of the embedding grid.
    decoder : {"mask", "linear"}
    decoder_layers : int
        Transformer blocks of the mask decoder.
    backbone_weights : path, optional
        A local torchvision ViT state-dict file (e.g. ``vit_b_16``'s; never downloaded).

    Examples
    --------
    >>> model = vit_seg(in_channels=1, num_classes=3, patch_size=8, hidden_dim=16, num_layers=1, num_heads=2,
    ...                 mlp_dim=32, image_size=32)
    >>> tuple(model(torch.zeros(1, 1, 20, 36)).shape)
    (1, 3, 20, 36)
    """
    check_choice("decoder", decoder, ["mask", "linear"])
    if image_size % patch_size or hidden_dim % num_heads:
        raise InvalidParameterError(
            f"vit_seg: image_size ({image_size}) must be a multiple of patch_size ({patch_size}) and "
            f"hidden_dim ({hidden_dim}) a multiple of num_heads ({num_heads})."
        )
    vit = VisionTransformer(image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim)
    if backbone_weights is not None:
        load_local_weights(vit, backbone_weights)
    vit.conv_proj = adapt_first_conv(vit.conv_proj, in_channels)
    vit.heads = nn.Identity()
    head: nn.Module = (MaskTransformer(hidden_dim, num_classes, decoder_layers, num_heads, 4 * hidden_dim)
                       if decoder == "mask" else LinearDecoder(hidden_dim, num_classes))
    net = EncoderDecoder(ViTEncoder(vit), head, nn.Identity())
    config = {"arch": "vit_seg", "in_channels": in_channels, "num_classes": num_classes, "patch_size": patch_size,
              "hidden_dim": hidden_dim, "num_layers": num_layers, "num_heads": num_heads, "mlp_dim": mlp_dim,
              "image_size": image_size, "decoder": decoder, "decoder_layers": decoder_layers}
    return SegmentationModel(net, config=config, output_stride=patch_size)
