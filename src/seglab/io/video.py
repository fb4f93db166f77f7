"""Frames of a video file read as images, one frame a page (OpenCV's FFmpeg backend: AVI, MP4, MOV, MKV, WebM).

A video is recognised by its container's signature, not its name. Frames
come as RGB ``(H, W, 3)`` uint8, or gray ``(H, W)`` when the three channels
are equal (a gray video). Frames read in order are decoded one after the
other (the last video read stays open); any other frame is sought. Lossy
codecs change pixel values, so a video suits images to segment, not label
images.

Examples
--------
>>> is_video(b"RIFF\\x00\\x00\\x00\\x00AVI LIST"), is_video(b"\\x00\\x00\\x00\\x1cftypavif")
(True, False)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .guards import KeptOpen, check_fits_in_memory, check_pixels, choose_page, fail

__all__ = ["is_video", "read_video_frame", "video_frames", "VIDEO_SUFFIXES"]

#: File name suffixes of the video containers (the command line picks them up when it expands a folder).
VIDEO_SUFFIXES = (".avi", ".mp4", ".m4v", ".mov", ".mkv", ".webm")
#: ISO base media brands of still images (HEIF, AVIF), which share MP4's ``ftyp`` box.
_STILL_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")
_UNDECODABLE = ("OpenCV cannot decode this video (its container or codec); convert it, e.g. "
                "`ffmpeg -i IN -c:v ffv1 OUT.avi` (lossless), or extract its frames as PNG.")


def is_video(head: bytes) -> bool:
    """Whether a file starting with `head` is an AVI, an ISO media file (MP4, MOV) or a Matroska/WebM video."""
    if head[:4] == b"RIFF":
        return head[8:12] == b"AVI "
    if head[4:8] == b"ftyp":
        return head[8:12] not in _STILL_BRANDS
    return head[:4] == b"\x1a\x45\xdf\xa3"


class _Capture:
    """An open video, where it stands (the frame its next read gives), and its frames, width and height."""

    def __init__(self, p: Path) -> None:
        import cv2

        self.capture = cv2.VideoCapture(str(p))
        if not self.capture.isOpened():
            self.capture.release()
            raise fail(p, _UNDECODABLE)
        self.next = 0
        self.info = (int(self.capture.get(cv2.CAP_PROP_FRAME_COUNT)), int(self.capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                     int(self.capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))


#: The video of the last frame read, kept open: reading every frame of a 300-frame MPEG-4 video one page at a time
#: took 30 times as long with a seek before each (11.7 against 0.39 s).
_KEPT = KeptOpen(close=lambda kept: kept.capture.release())


def video_frames(p: Path) -> int:
    """The number of frames a video announces (its pages)."""
    with _KEPT.lock:
        return max(0, _KEPT.get(p, _Capture).info[0])


def read_video_frame(p: Path, page: int | None, max_pixels: int | None) -> NDArray[np.uint8]:
    """Frame `page` of the video `p` (required when it has more than one), RGB or gray.

    Frames read in order (``page=0, 1, 2, ...``, as ``seglab segment --page
    all`` does) are decoded one after the other, without seeking.
    """
    import cv2

    with _KEPT.lock:
        video = _KEPT.get(p, _Capture)
        frames, width, height = video.info
        if frames <= 0:
            raise fail(p, "the video does not tell how many frames it holds; extract its frames as PNG "
                          "(e.g. `ffmpeg -i IN frame%05d.png`).")
        index = choose_page(p, page, frames, f" (a video of {frames} frames of {width} x {height})")
        check_pixels(p, height, width, max_pixels)
        check_fits_in_memory(p, (height, width, 3), 2.0 * height * width * 3)
        if index != video.next:
            video.capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = video.capture.read()
        if ok and frame is not None:
            video.next = index + 1
        else:
            _KEPT.drop()
    if not ok or frame is None:
        raise fail(p, f"frame {index} could not be decoded: the video is truncated or corrupt, or holds fewer "
                      f"frames than the {frames} it announces; re-encode it.")
    if frame.ndim == 2:
        return frame
    rgb = frame[..., 2::-1]  # BGR(A) -> RGB
    if (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all():
        return np.ascontiguousarray(rgb[..., 0])
    return np.ascontiguousarray(rgb)
