"""Bad instance training data: one clear error each, naming the file and the entry."""

import pytest

torch = pytest.importorskip("torch")

import json

import imageio.v3 as iio
import numpy as np

import seglab
from seglab.core.errors import InvalidImageError, InvalidParameterError

from .instances_scenes import write_coco_set, write_label_set


def _train(method, root, tmp_path, **options):
    return seglab.train(method, root, tmp_path / "out.pt", epochs=1, steps_per_epoch=1, progress=False, **options)


def _edit(root, change):
    path = root / "annotations.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture
def coco(tmp_path):
    return write_coco_set(tmp_path / "coco", 2, size=48)


def test_a_coco_image_missing_from_the_images_folder(coco, tmp_path):
    (coco / "images" / "c01.png").unlink()
    with pytest.raises(InvalidImageError, match=r"annotations\.json: image 2 \('c01\.png'\) is not in .*images"):
        _train("mask_rcnn", coco, tmp_path)


def test_an_annotation_of_an_unknown_category(coco, tmp_path):
    _edit(coco, lambda d: d["annotations"][2].update(category_id=99))
    with pytest.raises(InvalidImageError, match=r"annotations\.json: annotation 3 has category_id 99, which is not "
                                                r"in 'categories' \(ids \[7\]\)"):
        _train("mask_rcnn", coco, tmp_path)


def test_an_annotation_of_an_unknown_image(coco, tmp_path):
    _edit(coco, lambda d: d["annotations"][0].update(image_id=12))
    with pytest.raises(InvalidImageError, match=r"annotation 1 names image_id 12, which is not in 'images'"):
        _train("unet_instances", coco, tmp_path)


def test_a_polygon_outside_its_image(coco, tmp_path):
    def shift(doc):
        doc["annotations"][0]["segmentation"] = [[40.0, 40.0, 70.0, 40.0, 70.0, 60.0]]

    _edit(coco, shift)
    with pytest.raises(InvalidImageError, match=r"annotations\.json: annotation 1 has a polygon outside its image 1 "
                                                r"\(48x48\)"):
        _train("mask_rcnn", coco, tmp_path)


def test_an_rle_of_another_size(coco, tmp_path):
    _edit(coco, lambda d: d["annotations"][1].update(segmentation={"size": [10, 10], "counts": [100]}))
    with pytest.raises(InvalidImageError, match=r"annotation 2: an RLE has size \[10, 10\] but its image is"):
        _train("mask_rcnn", coco, tmp_path)


def test_an_empty_annotation_file(coco, tmp_path):
    (coco / "annotations.json").write_text("")
    with pytest.raises(InvalidImageError, match=r"annotations\.json is empty; expected a COCO instance file"):
        _train("mask_rcnn", coco, tmp_path)


def test_a_coco_file_without_annotations_holds_no_objects(coco, tmp_path):
    _edit(coco, lambda d: d.update(annotations=[]))
    with pytest.raises(InvalidParameterError, match=r"coco: the 2 labelled image\(s\) hold no object at all"):
        _train("mask_rcnn", coco, tmp_path)


def test_a_label_image_whose_size_differs_from_its_image(tmp_path):
    root = write_label_set(tmp_path / "d", 2, size=48)
    iio.imwrite(root / "labels" / "d01.png", np.zeros((40, 48), np.uint16))
    with pytest.raises(InvalidImageError, match=r"labels/d01\.png has size \(40, 48\) but its image .*images/d01\.png "
                                                r"has \(48, 48\)"):
        _train("unet_instances", root, tmp_path)


def test_a_label_set_without_any_object(tmp_path):
    root = write_label_set(tmp_path / "d", 2, size=48)
    for k in range(2):
        iio.imwrite(root / "labels" / f"d{k:02d}.png", np.zeros((48, 48), np.uint16))
    with pytest.raises(InvalidParameterError, match=r"d: the 2 labelled image\(s\) hold no object at all"):
        _train("mask_rcnn", root, tmp_path)


def test_unet_instances_refuses_several_classes_and_semantic_options(coco, tmp_path):
    _edit(coco, lambda d: d["categories"].append({"id": 8, "name": "cell"}))
    with pytest.raises(InvalidParameterError, match="unet_instances finds objects of one class; the data have 2"):
        _train("unet_instances", coco, tmp_path)
    from seglab.cli import main

    code = main(["train", "mask_rcnn", "--data", str(coco), "--out", str(tmp_path / "x.pt"), "--label-map", "255=1"])
    assert code == 2


def test_seglab_train_trains_an_instance_method_from_the_command_line(tmp_path):
    from seglab.cli import main

    root = write_label_set(tmp_path / "d", 2, size=48)
    out = tmp_path / "u.pt"
    code = main(["train", "unet_instances", "--data", str(root), "--out", str(out), "--classes", "nucleus",
                 "--config", '{"base_width": 4, "depth": 2, "diameter": 14}', "--epochs", "1",
                 "--steps-per-epoch", "1", "--crop-size", "32", "--batch-size", "1", "--threads", "1", "-q"])
    assert code == 0 and out.is_file()
    from seglab.deep._torch.checkpoint import read_checkpoint

    raw = read_checkpoint(out)
    assert raw["config"]["object_class"] == "nucleus"
    assert raw["provenance"]["command"].startswith("seglab train unet_instances --data")
