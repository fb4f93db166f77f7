"""The run service (:mod:`seglab.run.service`): checked jobs, segmenting, encoding, writing together, resuming."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import seglab
from seglab.core.errors import InvalidParameterError, MissingDependencyError, UnknownParameterError
from seglab.io import read_labels
from seglab.run import Job, encode, outputs_complete, prepare, process_file, run_file, segment_image


@pytest.fixture
def image() -> np.ndarray:
    img = np.full((30, 40), 20, np.uint8)
    img[5:15, 5:15] = 200
    img[18:26, 20:35] = 180
    return img


def test_prepare_parses_text_and_checks_it_once(image):
    job = prepare("adaptive", text={"window_size": "7", "polarity": "dark", "offset": "2.5"})
    assert job.params == {"window_size": 7, "polarity": "dark", "offset": 2.5}
    direct = seglab.segment(image, "adaptive", window_size=7, polarity="dark", offset=2.5)
    np.testing.assert_array_equal(segment_image(job, image).labels, direct.labels)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"text": {"window_size": "4"}}, "window_size: must be odd"),
    ({"text": {"window_size": "x"}}, "window_size: expected an integer"),
    ({"text": {"windowsize": "5"}}, "Did you mean 'window_size'"),
    ({"outputs": "labels,coco"}, "the coco output lists segments, but adaptive is a semantic method"),
    ({"outputs": "lables"}, "Did you mean 'labels'"),
    ({"things": ["foreground"]}, "things chooses the object classes"),
    ({"as_task": "panoptics"}, "as_task='panoptics': choose one of semantic, instance, panoptic"),
])
def test_prepare_refuses_what_is_wrong_for_every_image(kwargs, message):
    with pytest.raises((InvalidParameterError, UnknownParameterError), match=message):
        prepare("adaptive", **kwargs)


def test_a_missing_optional_package_stops_before_any_work(monkeypatch):
    from seglab.core import registry

    spec = seglab.get_method("otsu")
    monkeypatch.setattr(registry, "is_installed", lambda module: False)
    needs = registry.MethodSpec(**{**spec.__dict__, "requires": ("torch",)})
    with pytest.raises(MissingDependencyError, match=r'pip install "seglab\[torch\]"'):
        prepare(needs)


def test_as_task_converts_and_coco_then_lists_the_objects(image):
    job = prepare("otsu", outputs="labels,coco", as_task="instance")
    outcome = run_file(job, _png(image))
    assert outcome.seg.task == "instance" and outcome.seg.num_segments == 2
    files = encode(job, outcome, "x")
    assert sorted(files) == ["x.coco.json", "x.labels.png"]
    assert len(json.loads(files["x.coco.json"])["annotations"]) == 2


def test_process_file_writes_every_output_and_resume_sees_it(tmp_path, image):
    source = _png(image, tmp_path / "in.png")
    job = prepare("otsu", outputs="labels,json,overlay,csv")
    out = tmp_path / "out"
    out.mkdir()
    assert not outputs_complete(job, out, "in")
    outcome, written = process_file(job, source, out, "in")
    assert sorted(p.name for p in written) == ["in.json", "in.labels.png", "in.overlay.png", "in.regions.csv"]
    np.testing.assert_array_equal(read_labels(out / "in.labels.png"), seglab.segment(image, "otsu").labels)
    assert outputs_complete(job, out, "in")
    assert not outputs_complete(prepare("otsu", {"nbins": 64}, outputs="labels,json,overlay,csv"), out, "in")
    assert not outputs_complete(prepare("otsu", outputs="labels,json,coco", as_task="instance"), out, "in")
    (out / "in.overlay.png").unlink()
    assert not outputs_complete(job, out, "in")
    with pytest.raises(FileExistsError):
        process_file(job, source, out, "in")  # refused before any work: the other outputs exist


def test_mask_from_a_file_or_an_array(tmp_path, image):
    mask = np.zeros(image.shape, np.uint8)
    mask[:, :20] = 255
    job = prepare("threshold", {"value": 100}, mask=_png(mask, tmp_path / "m.png"))
    labels = segment_image(job, image).labels
    assert labels[:, 20:].max() == 0 and np.array_equal(labels[:, :20], (image > 100)[:, :20])


def test_job_task_follows_the_conversion():
    assert Job(seglab.get_method("otsu")).task == "semantic"
    assert prepare("otsu", as_task="panoptic", outputs="panoptic").task == "panoptic"


def _png(array: np.ndarray, path=None):
    import tempfile
    from pathlib import Path

    path = path or Path(tempfile.mkdtemp()) / "x.png"
    Image.fromarray(array).save(path)
    return path
