"""mask_rcnn: trains on a COCO set (polygons and RLE) with its loss falling, COCO output, tiled detections merged."""

import pytest

torch = pytest.importorskip("torch")

import csv

import numpy as np

import seglab
from seglab.core.errors import InvalidParameterError
from seglab.deep._torch.instances import predict as predict_module
from seglab.deep._torch.instances.checkpoint import load_instance_checkpoint
from seglab.deep._torch.instances.models import build_instance_model
from seglab.deep._torch.instances.predict import predict_instances
from seglab.deep._torch.instances.tiles import windows
from seglab.io.coco import write_coco

from .instances_scenes import touching_discs, write_coco_set

TINY = {"fpn_channels": 32, "box_features": 64, "diameter": 14}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = write_coco_set(tmp_path_factory.mktemp("coco"), 4)
    out = tmp_path_factory.mktemp("run") / "rcnn.pt"
    return seglab.train("mask_rcnn", root, out, model_config=TINY, crop_size=64, batch_size=2, epochs=4,
                        steps_per_epoch=3, lr=1e-3, progress=False, num_threads=1, seed=0)


def test_mask_rcnn_trains_on_coco_polygons_and_rle_with_its_loss_falling(trained):
    rows = list(csv.DictReader(trained.log.read_text().splitlines()))
    losses = [float(r["loss"]) for r in rows]
    assert len(losses) == 4 and losses[-1] < 0.8 * losses[0], losses


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools on numpy 2
def test_its_output_is_an_instance_segmentation_that_pycocotools_reads(trained, tmp_path):
    from pycocotools.coco import COCO

    image, _ = touching_discs(64, seed=7)
    seg = seglab.segment(image, "mask_rcnn", weights=str(trained.best), diameter=14.0, score_threshold=0.0)
    assert seg.task == "instance" and seg.classes == ("background", "nucleus") and seg.num_segments > 0
    scores = [s.score for s in seg.segments.values()]
    assert all(s.class_id == 1 for s in seg.segments.values()) and scores == sorted(scores, reverse=True)
    path = write_coco(tmp_path / "pred.coco.json", seg, file_name="pred.png")
    coco = COCO(str(path))
    anns = coco.loadAnns(coco.getAnnIds())
    assert len(anns) == seg.num_segments
    for ann in anns:
        label = ann["seglab_label"]
        assert ann["score"] == pytest.approx(seg.segments[label].score) and ann["category_id"] == 1
        np.testing.assert_array_equal(coco.annToMask(ann).astype(bool), seg.labels == label)


def test_bfloat16_precision_runs_the_detector_in_bfloat16(trained):
    image, _ = touching_discs(64, seed=7)
    model = load_instance_checkpoint(trained.best, arch="mask_rcnn").model
    first = next(m for m in model.net.backbone.modules() if isinstance(m, torch.nn.Conv2d))
    seen = []
    first.register_forward_hook(lambda module, inputs, output: seen.append(output.dtype))
    kwargs = {"diameter": 14.0, "score_threshold": 0.0}
    fp32 = predict_instances(model, image, **kwargs)
    bf16 = predict_instances(model, image, precision="bfloat16", **kwargs)
    assert seen == [torch.float32, torch.bfloat16]
    assert bf16.labels.shape == image.shape and bf16.scores.dtype == np.float32 and fp32.labels.max() > 0
    with pytest.raises(InvalidParameterError, match="float16.*CUDA only"):
        predict_instances(model, image, precision="float16", **kwargs)


def _components_detector(model, batch, *, score_threshold, nms_threshold, max_detections, dtype=None):
    """A stand-in for the network: every bright blob of a window is one detection (its box and 28 x 28 mask)."""
    import cv2
    from scipy import ndimage as ndi

    out = []
    for x in batch:
        lab, _ = ndi.label(x[0].numpy() > 0.5)
        boxes, masks = [], []
        for i, box in enumerate(ndi.find_objects(lab), start=1):
            boxes.append([box[1].start, box[0].start, box[1].stop - 1, box[0].stop - 1])
            masks.append(cv2.resize((lab[box] == i).astype(np.float32), (28, 28), interpolation=cv2.INTER_LINEAR))
        n = len(boxes)
        out.append({"boxes": torch.tensor(boxes, dtype=torch.float64).reshape(-1, 4),
                    "scores": torch.linspace(0.9, 0.5, n), "labels": torch.ones(n, dtype=torch.int64),
                    "masks": torch.from_numpy(np.stack(masks) if masks else np.zeros((0, 28, 28), np.float32))[:, None]})
    return out


def test_tiled_detections_merge_into_the_untiled_objects(monkeypatch):
    monkeypatch.setattr(predict_module, "detect", _components_detector)
    model = build_instance_model("mask_rcnn", **TINY)
    _, labels = touching_discs(200, seed=8)
    blobs = np.where(labels > 0, 200, 20).astype(np.uint8)  # the detector sees each pair as one blob
    whole = predict_instances(model, blobs, diameter=14.0)
    tiled = predict_instances(model, blobs, diameter=14.0, tile_size=96, overlap=0.5, batch_size=3)
    from scipy import ndimage as ndi

    assert whole.labels.max() == tiled.labels.max() == ndi.label(labels > 0)[1]
    pairs = np.unique(np.stack([whole.labels.ravel(), tiled.labels.ravel()]), axis=1)
    assert pairs.shape[1] == whole.labels.max() + 1  # one tiled id per whole id, and the reverse: equal up to ids


def test_each_object_belongs_to_the_window_whose_core_holds_its_centre():
    cores = windows(250, 100, 0.25)
    assert [start for start, _, _ in cores] == [0, 75, 150]
    lows, highs = [lo for _, lo, _ in cores], [hi for _, _, hi in cores]
    assert lows[1:] == highs[:-1] and lows[0] == 0 and highs[-1] == float("inf")
    for start, lo, hi in cores:  # a core lies inside its window, away from inner edges by half the overlap
        assert start <= max(lo, start) and min(hi, 250) <= start + 100


def test_the_resnet50_variant_is_torchvisions_maskrcnn_resnet50_fpn_with_group_norm():
    from torchvision.models.detection import maskrcnn_resnet50_fpn

    ours = build_instance_model("mask_rcnn", backbone="resnet50", stages=4, fpn_channels=256, box_features=1024)
    theirs = maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=2)
    count = {name: sum(p.numel() for p in m.parameters()) for name, m in (("ours", ours.net), ("theirs", theirs))}
    # conv1 takes one channel, not three; the mask head's four convolutions have GroupNorm (2 x 256) instead of a bias
    assert count["theirs"] - count["ours"] == 64 * 7 * 7 * 2 - 4 * 256
    assert [type(m).__name__ for m in ours.net.backbone.body.layer1[0].modules()].count("GroupNorm") == 4
