"""The result type (:mod:`seglab.core.types`)."""

from __future__ import annotations

import numpy as np
import pytest

import seglab


def test_segmentation_is_frozen():
    seg = seglab.segment(np.eye(4), "otsu")
    with pytest.raises(AttributeError):
        seg.task = "instance"
    with pytest.raises(TypeError):
        seglab.Segmentation(labels=np.zeros((2, 2)), task="semantic")
