"""Folders on a real dask.distributed LocalCluster (two worker processes): failures, resume, the command line."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("dask")
pytest.importorskip("distributed")
tifffile = pytest.importorskip("tifffile")

import seglab  # noqa: E402
import seglab.tiling  # noqa: E402
from seglab.cli import main  # noqa: E402
from seglab.run import expand_inputs, output_stems, prepare  # noqa: E402
from seglab.tiling.batch import local_cluster, run_batch  # noqa: E402


@pytest.fixture(scope="module")
def client():
    client, described = local_cluster(2, memory_limit=2 * 2**30)
    assert "2 local worker processes" in described and "2.0 GiB each" in described
    yield client
    client.close()


def make_folder(folder: Path, n: int = 6) -> list[Path]:
    folder.mkdir()
    rng = np.random.default_rng(2)
    paths = []
    for i in range(n):
        img = rng.normal(50, 8, (40, 50)).clip(0, 255).astype(np.uint8)
        img[5 + i : 20 + i, 10:30] = 220
        tifffile.imwrite(folder / f"im{i}.tif", img)
        paths.append(folder / f"im{i}.tif")
    return paths


def test_a_folder_with_a_corrupt_file_runs_on_two_workers_and_lists_the_failure(tmp_path, client):
    paths = make_folder(tmp_path / "in")
    (tmp_path / "in" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    files, _ = expand_inputs([str(tmp_path / "in")])
    job = prepare("otsu", outputs="labels,json")
    report = run_batch(job, files, output_stems(files), tmp_path / "out", client=client)
    assert [f for f, _ in report.failures] == [str(tmp_path / "in" / "corrupt.png")]
    assert "corrupt" in report.failures[0][1]
    assert len(report.done) == len(paths)
    for path in paths:
        labels = seglab.io.read_labels(tmp_path / "out" / f"{path.stem}.labels.png")
        assert np.array_equal(labels, seglab.segment(tifffile.imread(path), "otsu").labels)
    workers = client.run(os.getpid)
    assert len(set(workers.values())) == 2 and os.getpid() not in workers.values()


def test_a_half_done_batch_resumes_making_only_the_missing_outputs(tmp_path, client):
    paths = make_folder(tmp_path / "in")
    job = prepare("otsu", outputs="labels,json")
    stems = output_stems(paths)
    first = run_batch(job, paths[:3], stems[:3], tmp_path / "out", client=client)
    assert len(first.done) == 3
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").iterdir()}
    report = run_batch(job, paths, stems, tmp_path / "out", client=client)
    assert report.skipped == [str(p) for p in paths[:3]]
    assert [d for d, _ in report.done] == [str(p) for p in paths[3:]]
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").iterdir()}
    assert {k: after[k] for k in before} == before  # the done outputs were not touched
    assert sorted(set(after) - set(before)) == sorted(f"im{i}{s}" for i in (3, 4, 5) for s in (".json", ".labels.png"))
    other = prepare("otsu", {"nbins": 64}, outputs="labels,json")  # other parameters: not done, and not replaced
    refused = run_batch(other, paths[:1], stems[:1], tmp_path / "out", client=client)
    assert "already exists" in refused.failures[0][1]


def test_command_line_workers_and_tile_size(tmp_path, capsys):
    make_folder(tmp_path / "in", n=3)
    (tmp_path / "in" / "bad.tif").write_bytes(b"II*\x00garbage")
    code = main(["segment", "otsu", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--workers", "2"])
    err = capsys.readouterr().err
    assert code == 1 and "3 of 4 inputs segmented; 1 failed" in err and "memory limit" in err
    code = main(["segment", "otsu", str(tmp_path / "in" / "im0.tif"), "-o", str(tmp_path / "tiled"),
                 "--tile-size", "16", "--as", "instance", "--label-format", "zarr"])
    assert code == 0
    import zarr

    labels = np.asarray(zarr.open_array(str(tmp_path / "tiled" / "im0.labels.zarr"), mode="r"))
    image = tifffile.imread(tmp_path / "in" / "im0.tif")
    assert np.array_equal(labels, seglab.to_instance(seglab.segment(image, "otsu")).labels)
    assert main(["segment", "otsu", str(tmp_path / "in"), "-o", str(tmp_path / "x"), "--scheduler",
                 "tcp://127.0.0.1:9"]) == 2
    assert "no dask scheduler answers" in capsys.readouterr().err


def test_a_tiled_run_on_the_cluster_equals_untiled(tmp_path, client):
    path = make_folder(tmp_path / "in", n=1)[0]
    image = tifffile.imread(path)
    result = seglab.tiling.run(path, "otsu", tile_size=16, as_task="instance", out=tmp_path / "x.zarr",
                               scheduler=client)
    assert np.array_equal(np.asarray(result.labels), seglab.to_instance(seglab.segment(image, "otsu")).labels)
    in_memory = seglab.tiling.run(image, "sauvola", tile_size=16, window_size=9, out=tmp_path / "s.tif",
                                  scheduler=client)  # an array input travels to the workers once
    assert np.array_equal(np.asarray(in_memory.labels), seglab.segment(image, "sauvola", window_size=9).labels)
    with pytest.raises(seglab.InvalidParameterError, match="every worker can reach"):
        seglab.tiling.run(image, "otsu", tile_size=16, scheduler=client)


def test_local_workers_run_opencv_single_threaded(client):
    import cv2

    assert set(client.run(cv2.getNumThreads).values()) == {1}


def test_quiet_tiled_runs_print_only_the_summary(tmp_path, capsys):
    from seglab.cli import main

    img = np.zeros((64, 64), np.uint8)
    img[16:48, 16:48] = 200
    tifffile.imwrite(tmp_path / "in.tif", img)
    assert main(["segment", "otsu", str(tmp_path / "in.tif"), "-o", str(tmp_path / "out"), "--tile-size", "32",
                 "-q"]) == 0
    assert capsys.readouterr().out == ""
