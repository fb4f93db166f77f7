"""Video frames read as images: the frame asked for, RGB order, gray videos, pages, errors; the command line."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from seglab.cli import main
from seglab.core.errors import InvalidImageError
from seglab.io import read_image, read_labels


def write_video(path, frames_bgr, fourcc="FFV1"):
    """A lossless video (FFV1 in AVI) of the given BGR frames, or a skip when this OpenCV cannot write one."""
    height, width = frames_bgr[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 5, (width, height))
    if not writer.isOpened():
        pytest.skip(f"this OpenCV build cannot write {fourcc} video")
    for frame in frames_bgr:
        writer.write(frame)
    writer.release()
    return path


def coloured_frames(n=5, shape=(24, 32)):
    """Frame k: red k * 40, green 7, blue 200 - k (in BGR order, as OpenCV writes them)."""
    return [np.dstack([np.full(shape, value, np.uint8) for value in (200 - k, 7, 40 * k)]) for k in range(n)]


def test_the_frame_asked_for_comes_back_exactly_in_rgb_order(tmp_path):
    path = write_video(tmp_path / "clip.avi", coloured_frames())
    for k in (0, 3, 4, 1):  # seeking backwards too
        frame = read_image(path, page=k)
        assert frame.shape == (24, 32, 3) and frame.dtype == np.uint8
        assert frame[0, 0].tolist() == [40 * k, 7, 200 - k] and (frame == frame[0, 0]).all()


def test_a_gray_video_reads_gray_and_a_single_frame_needs_no_page(tmp_path):
    gray = [np.dstack([np.full((10, 12), v, np.uint8)] * 3) for v in (30, 90)]
    assert read_image(write_video(tmp_path / "gray.avi", gray), page=1).tolist() == np.full((10, 12), 90).tolist()
    single = read_image(write_video(tmp_path / "one.avi", coloured_frames(1)))
    assert single.shape == (24, 32, 3)


def test_pages_and_broken_videos_get_one_clear_error(tmp_path):
    path = write_video(tmp_path / "clip.avi", coloured_frames())
    with pytest.raises(InvalidImageError, match=r"clip.avi: the file has 5 pages \(a video of 5 frames of 32 x 24\); "
                                                r"seglab reads one 2-D image at a time: choose a page with page=N"):
        read_image(path)
    with pytest.raises(InvalidImageError, match="page 5 does not exist; the file has 5 pages"):
        read_image(path, page=5)
    (tmp_path / "cut.avi").write_bytes(path.read_bytes()[:300])
    with pytest.raises(InvalidImageError, match=r"cut.avi: OpenCV cannot decode this video .* `ffmpeg -i IN"):
        read_image(tmp_path / "cut.avi", page=0)
    with pytest.raises(InvalidImageError, match="a label image must have one channel"):
        read_labels(path, page=0)


def test_the_command_line_segments_a_frame_and_expands_folders_to_medical_and_video_files(tmp_path, capsys):
    nibabel = pytest.importorskip("nibabel")
    folder = tmp_path / "in"
    folder.mkdir()
    write_video(folder / "clip.avi", coloured_frames(1))
    nibabel.save(nibabel.Nifti1Image(np.tile(np.arange(16, dtype=np.uint8), (8, 1)), np.eye(4)), folder / "s.nii.gz")
    (folder / "notes.txt").write_text("not an image")
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(folder), "-o", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir() if p.name.endswith(".labels.png")) == ["clip.labels.png",
                                                                                       "s.labels.png"]
    many = write_video(tmp_path / "many.avi", coloured_frames())
    assert main(["segment", "otsu", str(many), "-o", str(tmp_path / "o2"), "--page", "3", "--quiet"]) == 0
    assert main(["segment", "otsu", str(many), "-o", str(tmp_path / "o3"), "--quiet"]) == 1
    assert "choose a page with page=N (command line: --page N)" in capsys.readouterr().err


def test_several_pages_are_inputs_of_their_own(tmp_path, capsys):
    """--page all / 0,2-3: one set of outputs per frame, each equal to segmenting that frame; missing pages named."""
    import seglab

    ramp = (np.indices((24, 32)).sum(0) * 4).astype(np.uint8)  # a different Otsu split in every frame
    path = write_video(tmp_path / "clip.avi", [np.dstack([ramp + np.uint8(10 * k)] * 3) for k in range(4)])
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(path), "-o", str(out), "--page", "all", "--quiet"]) == 0
    for k in range(4):
        expected = seglab.segment(read_image(path, page=k), "otsu").labels
        np.testing.assert_array_equal(read_labels(out / f"clip.p{k:04d}.labels.png"), expected)
    assert main(["segment", "otsu", str(path), "-o", str(out), "--page", "all", "--skip-existing"]) == 0
    assert "clip.avi page 3: outputs complete, skipped" in capsys.readouterr().out
    assert main(["segment", "otsu", str(path), "-o", str(tmp_path / "o2"), "--page", "3,5-7,1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "clip.avi: pages 5-7 do not exist; the file has 4 pages, 0 to 3." in err and "2 of 3 inputs" in err
    assert sorted(p.name for p in (tmp_path / "o2").glob("*.labels.png")) == ["clip.p0001.labels.png",
                                                                              "clip.p0003.labels.png"]
    assert main(["segment", "otsu", str(path), "-o", str(tmp_path / "o3"), "--page", "all", "--tile-size", "64"]) == 2
    assert main(["segment", "otsu", str(path), "-o", str(tmp_path / "o3"), "--page", "2-1"]) == 2
    assert "numbers and ranges such as 0,4,10-19, or all; got '2-1'" in capsys.readouterr().err


def test_frames_read_in_order_equal_frames_read_each_on_its_own_and_a_rewritten_file_is_read_again(tmp_path):
    """Reading on from the last frame skips the seek (a kept capture); the frames must not change for it."""
    path = write_video(tmp_path / "clip.avi", coloured_frames(6))
    in_order = [read_image(path, page=k) for k in range(6)]
    alone = [read_image(path, page=k) for k in (5, 2, 0, 4, 1, 3)]  # a seek before each
    for k, frame in zip((5, 2, 0, 4, 1, 3), alone):
        np.testing.assert_array_equal(frame, in_order[k])
        assert frame[0, 0].tolist() == [40 * k, 7, 200 - k]
    write_video(path, [np.full((8, 8, 3), 99, np.uint8)] * 2)  # the same name, other frames
    assert read_image(path, page=1).tolist() == np.full((8, 8), 99).tolist()
