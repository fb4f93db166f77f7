"""Lazy inputs (TIFF, OME-TIFF, zarr, OME-Zarr, dask), label stores, and one clear error per bad input."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

pytest.importorskip("dask")
zarr = pytest.importorskip("zarr")
tifffile = pytest.importorskip("tifffile")

import seglab  # noqa: E402
import seglab.tiling  # noqa: E402
from seglab.tiling.stores import OutputStoreError  # noqa: E402


@pytest.fixture
def image() -> np.ndarray:
    rng = np.random.default_rng(5)
    img = rng.normal(60, 10, (210, 190)).clip(0, 255).astype(np.uint8)
    img[40:120, 50:170] = 200
    return img


def reference(img: np.ndarray) -> np.ndarray:
    return seglab.segment(img, "otsu").labels


@pytest.mark.parametrize("layout", ["tiled", "striped", "ome"])
def test_tiff_inputs_are_read_lazily_and_give_the_untiled_result(tmp_path, image, layout):
    path = tmp_path / ("in.ome.tif" if layout == "ome" else "in.tif")
    kw = {"tile": (64, 64)} if layout in ("tiled", "ome") else {"rowsperstrip": 7}
    tifffile.imwrite(path, image, ome=layout == "ome", photometric="minisblack", **kw)
    result = seglab.tiling.run(path, "otsu", tile_size=97)
    assert np.array_equal(np.asarray(result.labels), reference(image))


def test_rgb_tiff_and_dask_array_inputs(tmp_path, image):
    import dask.array as da

    rgb = np.stack([image, image // 2, 255 - image], axis=2)
    tifffile.imwrite(tmp_path / "rgb.tif", rgb, tile=(64, 64), photometric="rgb")
    whole = seglab.segment(rgb, "hsv_range", ranges=["blue"]).labels
    assert np.array_equal(np.asarray(seglab.tiling.run(tmp_path / "rgb.tif", "hsv_range", tile_size=97,
                                                       ranges=["blue"]).labels), whole)
    lazy = da.from_array(image, chunks=50)
    assert np.array_equal(np.asarray(seglab.tiling.run(lazy, "otsu", tile_size=97).labels), reference(image))


def test_zarr_and_ome_zarr_inputs_and_outputs(tmp_path, image):
    zarr.create_array(str(tmp_path / "in.zarr"), data=image, chunks=(50, 50))
    out = tmp_path / "labels.ome.zarr"
    result = seglab.tiling.run(tmp_path / "in.zarr", "otsu", tile_size=97, out=out)
    assert np.array_equal(np.asarray(result.labels), reference(image))
    group = zarr.open_group(str(out), mode="r")
    assert group.attrs["multiscales"][0]["datasets"][0]["path"] == "0"
    assert group.attrs["seglab"]["complete"] and group["0"].chunks == (97, 97)
    # an OME-Zarr image (t, c, y, x with t = c = 1) is an input too
    again = seglab.tiling.run(out, "threshold", tile_size=130, value=0, out=tmp_path / "again.zarr")
    assert np.array_equal(np.asarray(again.labels), reference(image))


def test_tiff_output_is_tiled_bigtiff_with_the_labels(tmp_path, image):
    out = tmp_path / "x.labels.tif"
    seglab.tiling.run(image, "otsu", tile_size=97, out=out, as_task="instance")
    with tifffile.TiffFile(out) as tif:
        page = tif.pages[0]
        assert tif.is_bigtiff and page.is_tiled and page.dtype == np.int32 and page.tilewidth % 16 == 0
        assert np.array_equal(page.asarray(), seglab.to_instance(seglab.segment(image, "otsu")).labels)
    assert not list(tmp_path.glob(".*"))  # no work files left


def test_an_existing_store_of_the_same_run_is_reused_and_one_of_another_run_refused(tmp_path, image):
    out = tmp_path / "x.zarr"
    seglab.tiling.run(image, "otsu", tile_size=97, out=out)
    stamp = os.path.getmtime(out / "zarr.json")
    again = seglab.tiling.run(image, "otsu", tile_size=97, out=out)
    assert os.path.getmtime(out / "zarr.json") == stamp and np.array_equal(np.asarray(again.labels), reference(image))
    with pytest.raises(OutputStoreError, match="another run.*params.*overwrite=True"):
        seglab.tiling.run(image, "otsu", tile_size=97, out=out, nbins=64)
    zarr.create_array(str(tmp_path / "other.zarr"), data=np.ones((4, 4)))
    with pytest.raises(OutputStoreError, match="did not write"):
        seglab.tiling.run(image, "otsu", tile_size=97, out=tmp_path / "other.zarr")
    replaced = seglab.tiling.run(image, "otsu", tile_size=97, out=tmp_path / "other.zarr", overwrite=True)
    assert replaced.labels.shape == image.shape


def test_a_store_without_write_permission_is_one_clear_error(tmp_path, image):
    with pytest.raises(OutputStoreError, match="permission denied"):
        seglab.tiling.run(image, "otsu", tile_size=97, out="/sys/seglab-labels.zarr")  # read-only even for root
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(OutputStoreError, match="permission denied"):
            seglab.tiling.run(image, "otsu", tile_size=97, out=locked / "x.zarr")


def test_a_tile_smaller_than_the_halo_is_refused(image):
    with pytest.raises(seglab.InvalidParameterError, match="tile_size 97 is smaller than the 100 pixels"):
        seglab.tiling.run(image, "sauvola", tile_size=97, window_size=201)


def test_a_tiff_whose_pages_differ_in_size_is_refused_unless_a_page_is_chosen(tmp_path, image):
    path = tmp_path / "pages.tif"
    with tifffile.TiffWriter(path) as tif:
        tif.write(image, photometric="minisblack")
        tif.write(image[:50, :60], photometric="minisblack")
    with pytest.raises(seglab.InvalidImageError, match="pages differ in size.*page=N"):
        seglab.tiling.run(path, "otsu", tile_size=97)
    assert seglab.tiling.run(path, "otsu", tile_size=97, page=1).labels.shape == (50, 60)


def test_a_scheduler_that_does_not_answer_fails_within_seconds(tmp_path, image):
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match="no dask scheduler answers at tcp://127.0.0.1:9"):
        seglab.tiling.run(image, "otsu", tile_size=97, out=tmp_path / "x.zarr", scheduler="tcp://127.0.0.1:9")
    assert time.perf_counter() - start < 15 and not (tmp_path / "x.zarr").exists()


def test_methods_without_a_usable_declaration_are_refused(image):
    from seglab.core.registry import MethodSpec

    spec = seglab.get_method("otsu")
    broken = MethodSpec(name="broken", fn=spec.fn, family="threshold", task="semantic", input="gray",
                        tiling="global")
    with pytest.raises(seglab.InvalidParameterError, match="without fit/apply"):
        seglab.tiling.run(image, broken, tile_size=97)
    with pytest.raises(seglab.InvalidParameterError, match="panoptic"):
        seglab.tiling.run(image, "otsu", tile_size=97, as_task="panoptic")


def test_overwrite_never_deletes_a_folder_that_is_not_a_zarr_store(tmp_path, image):
    folder = tmp_path / "mine.zarr"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(OutputStoreError, match="not a zarr store"):
        seglab.tiling.run(image, "otsu", tile_size=97, out=folder, overwrite=True)
    assert (folder / "notes.txt").read_text() == "keep me"


def test_progress_reports_every_tile_task(image):
    seen = []
    seglab.tiling.run(image, "sauvola", tile_size=97, window_size=15, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (6, 6) and [d for d, _ in seen] == list(range(1, 7))  # 3 x 2 tiles


def test_a_tile_larger_than_the_image_allocates_only_the_image(tmp_path):
    # zarr allocates whole chunks: a tile side of 100,000 on a 64 x 64 image asked for 37 GiB
    img = np.zeros((64, 64), np.uint8)
    img[16:48, 16:48] = 200
    tifffile.imwrite(tmp_path / "small.tif", img)
    result = seglab.tiling.run(tmp_path / "small.tif", "otsu", tile_size=100_000)
    np.testing.assert_array_equal(result.labels, seglab.segment(img, "otsu").labels)


def test_tiled_runs_say_where_bad_pixels_are_and_name_a_truncated_tiff(tmp_path):
    img = np.zeros((64, 64), np.float32)
    img[40, 50] = np.nan
    tifffile.imwrite(tmp_path / "nan.tif", img)
    with pytest.raises(seglab.InvalidImageError, match=r"\(1 of 256 pixels are not finite\).*found in the tile of rows "
                                                r"32-47, columns 48-63"):
        seglab.tiling.run(tmp_path / "nan.tif", "otsu", tile_size=16)
    mask = np.ones((64, 64), bool)
    mask[40, 50] = False  # outside the mask a NaN is filled, as untiled
    tiled = seglab.tiling.run(tmp_path / "nan.tif", "otsu", tile_size=16, mask=mask).labels
    np.testing.assert_array_equal(tiled, seglab.segment(img, "otsu", mask=mask).labels)
    whole = (tmp_path / "nan.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(seglab.InvalidImageError, match=r"cut.tif: the TIFF is (truncated or corrupt|cannot be read)"):
        seglab.tiling.run(tmp_path / "cut.tif", "otsu", tile_size=16)


@pytest.mark.parametrize("suffix", [".zarr", ".ome.zarr"])
def test_an_interrupted_run_leaves_no_store_and_an_unfinished_one_is_redone(tmp_path, monkeypatch, suffix):
    from seglab.tiling import engine
    from seglab.tiling.stores import create_store

    img = np.zeros((64, 64), np.uint8)
    img[16:48, 16:48] = 200
    tifffile.imwrite(tmp_path / "in.tif", img)
    out = tmp_path / f"labels{suffix}"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(engine, "_compute", interrupted)
        with pytest.raises(KeyboardInterrupt):
            seglab.tiling.run(tmp_path / "in.tif", "otsu", tile_size=16, out=out)
    assert not out.exists()  # no half-written store
    # a store left by a process killed before it could clean up: marked unfinished, so the same run redoes it
    first = seglab.tiling.run(tmp_path / "in.tif", "otsu", tile_size=16, out=tmp_path / f"ref{suffix}")
    record = {k: v for k, v in zarr.open(str(tmp_path / f"ref{suffix}"), mode="r").attrs["seglab"].items()}
    create_store(out, shape=(64, 64), tile_size=16, record={**record, "input": str(tmp_path / "in.tif")})
    again = seglab.tiling.run(tmp_path / "in.tif", "otsu", tile_size=16, out=out)
    np.testing.assert_array_equal(np.asarray(again.labels), np.asarray(first.labels))
