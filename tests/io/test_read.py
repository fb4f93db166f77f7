"""Reading images and label images (:mod:`seglab.io.read`): formats, dtypes, pages, bad files."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image

from seglab import InvalidImageError, InvalidParameterError
from seglab.io import ImageConversionWarning, read_image, read_labels

RNG = np.random.default_rng(7)


def raw_png(path, arr: np.ndarray, color_type: int) -> None:
    """Write a PNG by hand (no filter, one IDAT): gray 0, RGB 2, gray+alpha 4, RGBA 6."""
    depth = 16 if arr.dtype == np.uint16 else 8
    h, w = arr.shape[:2]
    big_endian = arr.astype(">u2" if depth == 16 else "u1")
    scanlines = b"".join(b"\x00" + big_endian[r].tobytes() for r in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(scanlines))
                     + chunk(b"IEND", b""))


def _bad_files(tmp_path):
    good = tmp_path / "good.png"
    raw_png(good, RNG.integers(0, 255, (64, 64)).astype(np.uint8), 0)
    data = good.read_bytes()
    (tmp_path / "truncated.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "header_only.png").write_bytes(data[:40])
    (tmp_path / "text.png").write_text("this is not an image\n")
    (tmp_path / "zero_bytes.png").write_bytes(b"")
    (tmp_path / "folder.png").mkdir()
    with pytest.warns(UserWarning):  # tifffile warns that empty TIFFs are nonconformant
        tifffile.imwrite(tmp_path / "empty.tif", np.zeros((0, 0), np.uint8))
    tifffile.imwrite(tmp_path / "volume.tif", np.zeros((2, 16, 16, 3), np.uint8), volumetric=True,
                     tile=(16, 16), photometric="rgb")
    tifffile.imwrite(tmp_path / "five.tif", np.zeros((4, 5, 5), np.uint8), photometric="minisblack",
                     planarconfig="contig")
    tiff = tmp_path / "big.tif"
    tifffile.imwrite(tiff, RNG.integers(0, 65535, (100, 100)).astype(np.uint16))
    (tmp_path / "truncated.tif").write_bytes(tiff.read_bytes()[:9000])
    return {
        "missing.png": "no such file",
        "folder.png": "is a folder",
        "zero_bytes.png": r"the file is empty \(0 bytes\)",
        "text.png": r"is not an image seglab can read .*looks like text \(starts with 'this is not an i'\)",
        "truncated.png": "the PNG data is truncated or corrupt",
        "header_only.png": "the PNG data is truncated or corrupt",
        "empty.tif": "the image is empty",
        "volume.tif": r"holds an array of shape \(2, 16, 16, 3\); seglab reads 2-D",
        "five.tif": r"holds an array of shape \(4, 5, 5\)",
        "truncated.tif": "the TIFF is truncated or corrupt",
    }


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_png_gray_8_and_16_bit(tmp_path, dtype):
    arr = RNG.integers(0, np.iinfo(dtype).max, (7, 9), endpoint=True).astype(dtype)
    raw_png(tmp_path / "g.png", arr, 0)
    out = read_image(tmp_path / "g.png")
    assert out.dtype == dtype and np.array_equal(out, arr)


def test_png_16_bit_rgb_keeps_16_bits(tmp_path):
    # Pillow alone would cut these to 8 bits; the reader must not.
    arr = RNG.integers(0, 65535, (5, 6, 3), endpoint=True).astype(np.uint16)
    raw_png(tmp_path / "c.png", arr, 2)
    out = read_image(tmp_path / "c.png")
    assert out.dtype == np.uint16 and np.array_equal(out, arr)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_rgba_drops_alpha_with_a_warning(tmp_path, dtype):
    arr = RNG.integers(0, np.iinfo(dtype).max, (4, 5, 4), endpoint=True).astype(dtype)
    raw_png(tmp_path / "a.png", arr, 6)
    with pytest.warns(ImageConversionWarning, match="alpha channel was dropped"):
        out = read_image(tmp_path / "a.png")
    assert out.dtype == dtype and np.array_equal(out, arr[..., :3])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_gray_alpha_png_gives_gray(tmp_path, dtype):
    arr = RNG.integers(0, np.iinfo(dtype).max, (4, 5, 2), endpoint=True).astype(dtype)
    raw_png(tmp_path / "la.png", arr, 4)
    with pytest.warns(ImageConversionWarning):
        out = read_image(tmp_path / "la.png")
    assert out.dtype == dtype and np.array_equal(out, arr[..., 0])


def test_bmp_rgb_and_gray(tmp_path):
    rgb = RNG.integers(0, 255, (6, 7, 3), endpoint=True).astype(np.uint8)
    gray = rgb[..., 1].copy()
    Image.fromarray(rgb).save(tmp_path / "c.bmp")
    cv2.imwrite(str(tmp_path / "g.bmp"), gray)
    assert np.array_equal(read_image(tmp_path / "c.bmp"), rgb)
    assert np.array_equal(read_image(tmp_path / "g.bmp"), gray)


def test_jpeg_gray_and_rgb(tmp_path):
    # JPEG is lossy: smooth content must come back close to what was written, in RGB order.
    rr, cc = np.mgrid[:32, :32]
    rgb = np.dstack([rr * 4, cc * 4, np.full_like(rr, 200)]).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "c.jpg", quality=95)
    Image.fromarray(rgb[..., 0]).save(tmp_path / "g.jpg", quality=95)
    out = read_image(tmp_path / "c.jpg")
    assert out.shape == (32, 32, 3) and out.dtype == np.uint8
    assert np.abs(out.astype(int) - rgb).max() <= 8
    assert read_image(tmp_path / "g.jpg").shape == (32, 32)


def test_cmyk_jpeg_is_converted_to_rgb_with_a_warning(tmp_path):
    Image.new("CMYK", (4, 4), (0, 255, 255, 0)).save(tmp_path / "k.jpg")  # pure red in CMYK
    with pytest.warns(ImageConversionWarning, match="CMYK to RGB"):
        out = read_image(tmp_path / "k.jpg")
    assert out.shape == (4, 4, 3) and out[0, 0, 0] > 200 and out[0, 0, 1:].max() < 60


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.float32, np.float64])
def test_tiff_keeps_dtype_and_values(tmp_path, dtype):
    arr = (RNG.normal(0, 1000, (6, 8))).astype(dtype) if np.dtype(dtype).kind == "f" else (
        RNG.integers(0, 5000, (6, 8)).astype(dtype))
    tifffile.imwrite(tmp_path / "a.tif", arr)
    out = read_image(tmp_path / "a.tif")
    assert out.dtype == dtype and np.array_equal(out, arr)


def test_tiff_rgb_contig_and_planar(tmp_path):
    rgb = RNG.integers(0, 65535, (5, 6, 3)).astype(np.uint16)
    tifffile.imwrite(tmp_path / "c.tif", rgb, photometric="rgb")
    tifffile.imwrite(tmp_path / "p.tif", np.moveaxis(rgb, -1, 0), photometric="rgb", planarconfig="separate")
    assert np.array_equal(read_image(tmp_path / "c.tif"), rgb)
    assert np.array_equal(read_image(tmp_path / "p.tif"), rgb)


def test_multipage_tiff_needs_an_explicit_page(tmp_path):
    stack = RNG.integers(0, 255, (5, 4, 6)).astype(np.uint8)
    path = tmp_path / "stack.tif"
    tifffile.imwrite(path, stack, photometric="minisblack")
    with pytest.raises(InvalidImageError, match=r"stack.tif: the file has 5 pages.*page=N.*--page N"):
        read_image(path)
    for page in (0, 3, 4):
        assert np.array_equal(read_image(path, page=page), stack[page])
    with pytest.raises(InvalidImageError, match=r"page 5 does not exist; the file has 5 pages \(0 to 4\)"):
        read_image(path, page=5)
    with pytest.raises(InvalidParameterError, match="non-negative integer"):
        read_image(path, page=-1)


def test_single_page_accepts_page_zero_only(tmp_path):
    raw_png(tmp_path / "g.png", np.zeros((2, 2), np.uint8), 0)
    assert read_image(tmp_path / "g.png", page=0).shape == (2, 2)
    with pytest.raises(InvalidImageError, match=r"page 1 does not exist; the file has 1 page"):
        read_image(tmp_path / "g.png", page=1)


def test_animated_gif_frames_are_pages(tmp_path):
    frames = [Image.fromarray(np.full((3, 3), v, np.uint8)) for v in (0, 128, 255)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    with pytest.raises(InvalidImageError, match="3 pages"):
        read_image(tmp_path / "a.gif")
    assert int(read_image(tmp_path / "a.gif", page=1)[0, 0]) == 128


def test_palette_and_bilevel_images(tmp_path):
    idx = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    colours = [(0, 0, 0), (255, 0, 0), (0, 0, 255)]
    im = Image.fromarray(idx, "P")
    im.putpalette([v for c in colours for v in c])
    im.save(tmp_path / "p.png")
    assert np.array_equal(read_image(tmp_path / "p.png"), np.array(colours, np.uint8)[idx])
    assert np.array_equal(read_labels(tmp_path / "p.png"), idx)  # label files keep the indices
    gray = Image.fromarray(idx, "P")
    gray.putpalette([0, 0, 0, 100, 100, 100, 200, 200, 200])
    gray.save(tmp_path / "gp.png")
    assert np.array_equal(read_image(tmp_path / "gp.png"), (idx * 100).astype(np.uint8))
    Image.fromarray(idx.astype(bool)).save(tmp_path / "b.png")
    out = read_image(tmp_path / "b.png")
    assert out.dtype == np.uint8 and np.array_equal(out, (idx > 0).astype(np.uint8))


def test_read_labels_int32_from_png_and_tiff(tmp_path):
    lab = np.array([[0, 1, 65535], [3, 4, 5]], np.uint16)
    raw_png(tmp_path / "l.png", lab, 0)
    out = read_labels(tmp_path / "l.png")
    assert out.dtype == np.int32 and np.array_equal(out, lab)
    void = np.array([[-1, 0], [7, 2**31 - 1]], np.int32)
    tifffile.imwrite(tmp_path / "l.tif", void)
    assert np.array_equal(read_labels(tmp_path / "l.tif"), void)


def test_read_labels_rejects_colour_and_fractions(tmp_path):
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "c.png")
    with pytest.raises(InvalidImageError, match="c.png: a label image must have one channel"):
        read_labels(tmp_path / "c.png")
    tifffile.imwrite(tmp_path / "f.tif", np.array([[0.5, 1.0]], np.float32))
    with pytest.raises(InvalidImageError, match="f.tif: is a float image with fractional"):
        read_labels(tmp_path / "f.tif")


def test_bad_files_raise_one_clear_error_naming_the_file(tmp_path):
    for name, message in _bad_files(tmp_path).items():
        with pytest.raises(InvalidImageError, match=f"^{tmp_path / name}: {message}") as info:
            read_image(tmp_path / name)
        assert "\n" not in str(info.value)


def test_four_d_tiff_names_its_shape_and_the_page_fix(tmp_path):
    tifffile.imwrite(tmp_path / "4d.tif", np.zeros((2, 3, 4, 5), np.float32), photometric="minisblack")
    message = r"6 pages \(a \w+ stack of shape \(2, 3, 4, 5\)\); seglab reads one 2-D image at a time: choose a page"
    with pytest.raises(InvalidImageError, match=message):
        read_image(tmp_path / "4d.tif")
    assert read_image(tmp_path / "4d.tif", page=5).shape == (4, 5)


def test_all_nan_float_tiff_reads_but_cannot_be_segmented(tmp_path):
    import seglab

    tifffile.imwrite(tmp_path / "nan.tif", np.full((4, 4), np.nan, np.float32))
    image = read_image(tmp_path / "nan.tif")  # reading keeps the data as stored...
    assert np.isnan(image).all()
    with pytest.raises(InvalidImageError, match="NaN"):  # ...and the method rejects it
        seglab.segment(image, "otsu")


def test_decompression_bomb_png_names_the_limit_and_the_fix(tmp_path):
    # A 60000 x 60000 header whose data holds a single row: Pillow refuses it before decoding.
    raw_png(tmp_path / "one_row.png", np.zeros((1, 60000), np.uint8), color_type=0)
    data = bytearray((tmp_path / "one_row.png").read_bytes())
    data[20:24] = struct.pack(">I", 60000)  # height in IHDR
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    (tmp_path / "bomb.png").write_bytes(bytes(data))
    with pytest.raises(InvalidImageError, match=r"bomb.png: is larger \(3\.6e\+09 pixels\) than Pillow's limit"
                                                r".*PIL.Image.MAX_IMAGE_PIXELS = None"):
        read_image(tmp_path / "bomb.png")


@pytest.mark.parametrize("name", ["small.png", "small.tif"])
def test_an_image_larger_than_free_memory_is_refused_before_decoding(tmp_path, monkeypatch, name):
    from seglab.io import guards

    arr = np.zeros((100, 200), np.uint16)
    if name.endswith(".png"):
        raw_png(tmp_path / name, arr, color_type=0)  # Pillow: 2 bytes a sample, twice (its buffer and ours)
    else:
        tifffile.imwrite(tmp_path / name, arr)
    monkeypatch.setattr(guards, "available_memory", lambda: 100 * 200 * 2 - 1)
    with pytest.raises(InvalidImageError, match=rf"{name}: decoding this 100 x 200.* image needs 0\.0 GiB but only "
                                                r"0\.0 GiB of memory is available; crop or tile it"):
        read_image(tmp_path / name)
    monkeypatch.setattr(guards, "available_memory", lambda: 4 * 100 * 200 * 2)
    assert read_image(tmp_path / name).shape == (100, 200)


@pytest.mark.parametrize("name", ["wide.png", "wide.tif"])
def test_max_pixels_refuses_an_image_from_its_header(tmp_path, name):
    arr = np.zeros((30, 40), np.uint8)
    if name.endswith(".png"):
        raw_png(tmp_path / name, arr, color_type=0)
    else:
        tifffile.imwrite(tmp_path / name, arr)
    with pytest.raises(InvalidImageError, match=rf"{name}: is 40 x 30 = 1\.2e\+03 pixels, more than the limit of "
                                                r"1\.2e\+03 pixels; downscale or crop it first"):
        read_image(tmp_path / name, max_pixels=1199)
    assert read_image(tmp_path / name, max_pixels=1200).shape == (30, 40)


def test_page_counts_of_tiff_stacks_animations_and_plain_images(tmp_path):
    from seglab.io import count_pages

    tifffile.imwrite(tmp_path / "stack.tif", np.zeros((7, 4, 5), np.uint8), photometric="minisblack")
    frames = [Image.fromarray(np.full((4, 4), v, np.uint8)) for v in (0, 80, 160)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    Image.fromarray(np.zeros((3, 3), np.uint8)).save(tmp_path / "one.png")
    assert [count_pages(tmp_path / n) for n in ("stack.tif", "anim.gif", "one.png")] == [7, 3, 1]
    assert read_image(tmp_path / "anim.gif", page=2)[0, 0] == 160  # the last page counted reads
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(InvalidImageError, match=r"text.png: is not an image seglab can read"):
        count_pages(tmp_path / "text.png")


@pytest.mark.parametrize("compression", ["lzw", "jpeg", "zstd", "deflate"])
def test_compressed_tiffs_read_including_opencvs_default_lzw(tmp_path, compression):
    # cv2.imwrite writes LZW TIFFs by default; tifffile decodes LZW, JPEG and zstd through imagecodecs
    img = np.zeros((40, 50, 3), np.uint8)
    img[10:30, 15:35] = (200, 120, 40)
    path = tmp_path / f"{compression}.tif"
    if compression == "lzw":
        assert cv2.imwrite(str(path), img[..., ::-1])  # RGB on disk, as OpenCV writes BGR arrays
    else:
        tifffile.imwrite(path, img, compression=compression, photometric="rgb")
    read = read_image(path)
    assert read.shape == img.shape and read.dtype == np.uint8
    if compression == "jpeg":  # lossy
        assert np.abs(read.astype(int) - img).mean() < 3
    else:
        np.testing.assert_array_equal(read, img)
