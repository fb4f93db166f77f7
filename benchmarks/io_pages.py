"""Every page of a video, a gzipped NIfTI volume and a multi-frame DICOM read one at a time, against the bare library.

``seglab segment --page all`` reads page 0, 1, 2, ... with :func:`seglab.read_image`. The anchor is what a
user would write with the library itself: OpenCV reading the video through, nibabel loading the volume once
and slicing it, pydicom decoding the frames of one dataset. Both sides return every page; the inputs are made
here (a 640x480 MPEG-4 video of 300 frames, a 256x256x120 int16 .nii.gz, a 200-frame 256x256 CT DICOM), since
no data set ships them. Medians of ``--rounds`` alternating rounds; ratio = ours / anchor.

    .venv/bin/python benchmarks/io_pages.py [--rounds 3] [--out docs/bench/io_pages.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from seglab.io import count_pages, read_image


def make_video(path: Path, frames: int = 300) -> Path:
    base = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (640, 480))
    for k in range(frames):
        writer.write(np.roll(base, k, axis=1))
    writer.release()
    return path


def make_nifti(path: Path) -> Path:
    import nibabel

    volume = np.random.default_rng(0).integers(-1000, 2000, (256, 256, 120)).astype(np.int16)
    nibabel.save(nibabel.Nifti1Image(volume, np.eye(4)), path)
    return path


def make_dicom(path: Path, frames: int = 200) -> Path:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = CTImageStorage, generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.Rows = ds.Columns = 256
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.NumberOfFrames = 1, "MONOCHROME2", frames
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    ds.PixelData = np.random.default_rng(0).integers(0, 4000, (frames, 256, 256)).astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def ours(path: Path) -> list[np.ndarray]:
    return [read_image(path, page=k) for k in range(count_pages(path))]


def anchor_video(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(np.ascontiguousarray(frame[..., ::-1]))
    capture.release()
    return frames


def anchor_nifti(path: Path) -> list[np.ndarray]:
    import nibabel

    volume = np.asanyarray(nibabel.load(path).dataobj)
    return [np.ascontiguousarray(volume[:, :, k]) for k in range(volume.shape[2])]


def anchor_dicom(path: Path) -> list[np.ndarray]:
    import pydicom

    ds = pydicom.dcmread(path)
    stored = ds.pixel_array
    return [stored[k].astype(np.int32) * int(ds.RescaleSlope) + int(ds.RescaleIntercept) for k in range(len(stored))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs/bench/io_pages.md")
    args = parser.parse_args()
    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("video, MPEG-4, 300 frames of 640x480", make_video(Path(tmp) / "clip.mp4"), anchor_video,
                  "cv2.VideoCapture read through"),
                 ("NIfTI .nii.gz, 120 slices of 256x256 int16", make_nifti(Path(tmp) / "vol.nii.gz"), anchor_nifti,
                  "nibabel: load once, slice"),
                 ("DICOM, 200 frames of 256x256 CT", make_dicom(Path(tmp) / "ct.dcm"), anchor_dicom,
                  "pydicom: dcmread, pixel_array, rescale")]
        for name, path, anchor, how in cases:
            mine, theirs = ours(path), anchor(path)
            same = len(mine) == len(theirs) and all(np.array_equal(a, b) for a, b in zip(mine, theirs))
            times: dict[str, list[float]] = {"ours": [], "anchor": []}
            for r in range(args.rounds):
                for side in (("ours", "anchor") if r % 2 == 0 else ("anchor", "ours")):
                    start = time.perf_counter()
                    (ours if side == "ours" else anchor)(path)
                    times[side].append(time.perf_counter() - start)
            o, a = statistics.median(times["ours"]), statistics.median(times["anchor"])
            rows.append(f"| {name} | {o:.2f} s | {a:.2f} s | {o / a:.2f}x | {how} | {same} |")
            print(rows[-1], flush=True)
    text = "\n".join([
        "# Reading every page of multi-page files (`benchmarks/io_pages.py`)", "",
        "Each page read by `seglab.read_image(path, page=k)` in order (as `seglab segment --page all` does) against",
        "the bare library reading them all; medians of alternating rounds.", "",
        "```bash", ".venv/bin/python benchmarks/io_pages.py --rounds 3", "```", "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; run "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average {load_before[0]:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end (above 0.5 or so, other work shared the cores).", "",
        "| file | ours | anchor | ratio | anchor | pages equal |", "|---|---|---|---|---|---|", *rows, ""])
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
