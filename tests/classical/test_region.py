"""region_growing and split_merge against pure-Python references, OpenCV/scikit-image and known ground truth."""

from __future__ import annotations

import heapq
import math
from collections import deque

import cv2
import numpy as np
import pytest
from skimage import data
from skimage.segmentation import flood

from seglab import InvalidParameterError, segment
from seglab.classical.region_growing import region_growing
from seglab.classical.seeds import noise_sigma
from seglab.classical.split_merge import split_merge

N4 = ((-1, 0), (0, -1), (0, 1), (1, 0))
N8 = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


# --- pure-Python references -------------------------------------------------------------------


def bfs_fixed(img: np.ndarray, seed: tuple[int, int], tol: float, connectivity: int) -> np.ndarray:
    """Tutorial BFS: accept a neighbour when |I(p) - I(seed)| <= tol (Euclidean over channels)."""
    h, w = img.shape[:2]
    feat = img.reshape(h, w, -1).astype(float)
    ref = feat[seed]
    region = np.zeros((h, w), bool)
    region[seed] = True
    queue = deque([seed])
    while queue:
        r, c = queue.popleft()
        for dr, dc in N4 if connectivity == 4 else N8:
            rr, cc = r + dr, c + dc
            if 0 <= rr < h and 0 <= cc < w and not region[rr, cc]:
                if ((feat[rr, cc] - ref) ** 2).sum() <= tol * tol:
                    region[rr, cc] = True
                    queue.append((rr, cc))
    return region


#: Neighbours in the order they enter the queue (the documented tie rule): up, left, right, down, diagonals.
SRG_N4 = ((-1, 0), (0, -1), (0, 1), (1, 0))
SRG_N8 = SRG_N4 + ((-1, -1), (-1, 1), (1, -1), (1, 1))


#: The queue orders distances in steps of tolerance / STEPS (the module's documented resolution).
STEPS = 4096


def srg_reference(img, seed_labels, tol, connectivity, running=True, mask=None):
    """Adams-Bischof seeded region growing with a tolerance, written with heapq (the documented rule).

    When a pixel joins region k (seeds first, in raster order), each free neighbour within `tol` of k's
    reference enters the heap keyed by (distance step, entry number), the step being
    ``min(floor(distance * STEPS / tol), STEPS - 1)``; the smallest entry's pixel joins its region unless
    already taken. The reference is the running mean (or the seed mean when not `running`).
    """
    h, w = img.shape[:2]
    feat = img.reshape(h, w, -1).astype(np.float64)
    lab = seed_labels.astype(np.int32).copy()
    sums, counts = {}, {}
    for r in range(h):
        for c in range(w):
            k = int(lab[r, c])
            if k > 0:
                sums[k] = sums.get(k, np.zeros(feat.shape[2])) + feat[r, c]
                counts[k] = counts.get(k, 0) + 1
    means = {k: [float(x) / counts[k] for x in sums[k]] for k in sums}
    heap, entered = [], 0

    def enter(r, c, k):
        nonlocal entered
        for dr, dc in SRG_N4 if connectivity == 4 else SRG_N8:
            rr, cc = r + dr, c + dc
            if 0 <= rr < h and 0 <= cc < w and lab[rr, cc] == 0 and (mask is None or mask[rr, cc]):
                d2 = 0.0
                for ch in range(feat.shape[2]):
                    d2 += (float(feat[rr, cc, ch]) - means[k][ch]) ** 2
                if d2 <= float(tol) ** 2:
                    step = min(int(math.sqrt(d2) * (STEPS / tol)), STEPS - 1) if tol > 0 else 0
                    heapq.heappush(heap, (step, entered, rr, cc, k))
                    entered += 1

    for r in range(h):
        for c in range(w):
            if lab[r, c] > 0:
                enter(r, c, int(lab[r, c]))
    while heap:
        _, _, r, c, k = heapq.heappop(heap)
        if lab[r, c] != 0:
            continue
        lab[r, c] = k
        if running:
            sums[k] = sums[k] + feat[r, c]
            counts[k] += 1
            means[k] = [float(x) / counts[k] for x in sums[k]]
        enter(r, c, k)
    return lab


def ari(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index from the contingency table (Hubert & Arabie)."""
    _, ia = np.unique(a.ravel(), return_inverse=True)
    _, ib = np.unique(b.ravel(), return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(table, (ia, ib), 1)

    def comb2(x):
        return (x * (x - 1) / 2).sum()

    n = a.size
    index, rows, cols = comb2(table), comb2(table.sum(1)), comb2(table.sum(0))
    expected = rows * cols / (n * (n - 1) / 2)
    return float((index - expected) / ((rows + cols) / 2 - expected))


def blobs(shape=(24, 30), seed=0, levels=(20, 60, 100), noise=6):
    """Small integer image: three smooth intensity plateaus plus noise (uint8)."""
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[: shape[0], : shape[1]]
    img = np.full(shape, levels[0], float)
    img[(rr - shape[0] * 0.3) ** 2 + (cc - shape[1] * 0.3) ** 2 < (shape[0] * 0.3) ** 2] = levels[1]
    img[cc > shape[1] * 0.7] = levels[2]
    img += rng.normal(0, noise, shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


# --- region_growing: fixed-seed rule ----------------------------------------------------------


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float64])
def test_seed_criterion_equals_python_bfs(connectivity, dtype):
    img = blobs(seed=1).astype(dtype)
    for seed, tol in [((2, 2), 8), ((8, 9), 12), ((12, 27), 5)]:
        seg = region_growing(img, seeds=[seed], tolerance=tol, criterion="seed", connectivity=connectivity)
        expected = bfs_fixed(img, seed, tol, connectivity)
        np.testing.assert_array_equal(seg.labels, expected.astype(np.int32))


def test_seed_criterion_equals_opencv_and_skimage_flood_on_camera():
    img = np.ascontiguousarray(data.camera()[::2, ::2])
    seed = (10, 10)
    seg = region_growing(img, seeds=[seed], tolerance=10, criterion="seed", connectivity=4)
    sk = flood(img, seed, tolerance=10, connectivity=1)
    fill = np.zeros((img.shape[0] + 2, img.shape[1] + 2), np.uint8)
    cv2.floodFill(img, fill, seed[::-1], 0, 10, 10, 4 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (1 << 8))
    np.testing.assert_array_equal(seg.labels == 1, sk)
    np.testing.assert_array_equal(seg.labels, fill[1:-1, 1:-1].astype(np.int32))
    assert 0.05 < sk.mean() < 0.9  # a real region, not a trivial one


def test_colour_seed_criterion_is_euclidean_rgb():
    rng = np.random.default_rng(2)
    img = rng.integers(90, 110, (20, 25, 3)).astype(np.uint8)
    img[:, 12:] = (150, 80, 100)  # far in RGB although close in luma to the left part
    seg = region_growing(img, seeds=[(5, 5)], tolerance=40, criterion="seed", connectivity=8)
    np.testing.assert_array_equal(seg.labels == 1, bfs_fixed(img, (5, 5), 40, 8))
    assert seg.labels[:, 12:].sum() == 0 and seg.labels[:, :12].all()


# --- region_growing: running mean --------------------------------------------------------------


@pytest.mark.parametrize("connectivity", [4, 8])
def test_running_mean_single_seed_matches_srg_reference(connectivity):
    img = blobs(seed=3)
    seeds = np.zeros(img.shape, np.int32)
    seeds[3, 3] = 1
    for tol in (6, 15, 30):
        seg = region_growing(img, seeds=[(3, 3)], tolerance=tol, connectivity=connectivity)
        ref = srg_reference(img, seeds, tol, connectivity)
        np.testing.assert_array_equal(seg.labels, ref)
        assert seg.meta["converged"]


@pytest.mark.parametrize("criterion", ["running_mean", "seed"])
def test_several_regions_and_conflicts_match_step_reference(criterion):
    img = blobs(seed=4, noise=10)
    pts = [(2, 2), (8, 9), (12, 27), (20, 5)]
    seeds = np.zeros(img.shape, np.int32)
    for i, (r, c) in enumerate(pts):
        seeds[r, c] = i + 1
    seg = region_growing(img, seeds=pts, tolerance=25, criterion=criterion, connectivity=4)
    ref = srg_reference(img, seeds, 25, 4, running=criterion == "running_mean")
    np.testing.assert_array_equal(seg.labels, ref)
    assert seg.num_segments == 4


def test_colour_running_mean_and_lab_match_step_reference():
    rng = np.random.default_rng(5)
    img = np.zeros((16, 18, 3), np.uint8)
    img[:] = (200, 40, 40)
    img[:, 9:] = (40, 40, 200)
    img = np.clip(img + rng.integers(-15, 16, img.shape), 0, 255).astype(np.uint8)
    seeds = np.zeros(img.shape[:2], np.int32)
    seeds[8, 2], seeds[8, 15] = 1, 2
    seg = region_growing(img, markers=seeds, tolerance=40, connectivity=8)
    np.testing.assert_array_equal(seg.labels, srg_reference(img, seeds, 40, 8))
    assert (seg.labels[:, :9] == 1).mean() > 0.95 and (seg.labels[:, 9:] == 2).mean() > 0.95
    lab = region_growing(img, markers=seeds, tolerance=30, color_space="lab", criterion="seed")
    assert (lab.labels[:, :9] == 1).mean() > 0.95 and (lab.labels[:, 9:] == 2).mean() > 0.95


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("criterion", ["running_mean", "seed"])
@pytest.mark.parametrize("kind", ["uint8", "float32", "rgb"])
def test_many_seeds_with_mask_match_srg_reference(kind, criterion, connectivity):
    rng = np.random.default_rng(11)
    img = blobs(shape=(37, 45), seed=12, noise=12)
    if kind == "float32":
        img = img.astype(np.float32) / 7
    elif kind == "rgb":
        img = np.dstack([img, np.roll(img, 5, axis=1), 255 - img])
    mask = rng.random(img.shape[:2]) > 0.1
    pts = [tuple(p) for p in np.argwhere(mask)[rng.choice(int(mask.sum()), 40, replace=False)]]
    seeds = np.zeros(img.shape[:2], np.int32)
    for i, (r, c) in enumerate(pts):
        seeds[r, c] = i + 1
    tol = {"uint8": 14, "float32": 2.0, "rgb": 25}[kind]
    seg = region_growing(img, seeds=pts, tolerance=tol, criterion=criterion, connectivity=connectivity, mask=mask)
    ref = srg_reference(img, seeds, tol, connectivity, running=criterion == "running_mean", mask=mask)
    np.testing.assert_array_equal(seg.labels, ref)
    assert seg.meta["n_iter"] == int((ref > 0).sum()) - len(pts) and seg.meta["converged"]


def test_queue_orders_distances_in_steps_of_tolerance_over_4096():
    """Entries whose distances share a step are taken in entry order (left before right); lower steps first."""
    from seglab.classical import region_growing as module

    assert module._BUCKETS == STEPS
    same_step = np.array([[0.0011, 0.0, 0.0010]])  # steps 4 and 4 of 1/4096
    assert region_growing(same_step, seeds=[(0, 1)], tolerance=1.0, max_iter=1).labels.tolist() == [[1, 1, 0]]
    lower_right = np.array([[0.0021, 0.0, 0.0010]])  # steps 8 and 4
    assert region_growing(lower_right, seeds=[(0, 1)], tolerance=1.0, max_iter=1).labels.tolist() == [[0, 1, 1]]


def test_max_iter_stops_after_that_many_pixels():
    img = blobs(seed=13)
    seg = region_growing(img, seeds=[(3, 3)], tolerance=30, max_iter=10)
    assert int((seg.labels > 0).sum()) == 11 and not seg.meta["converged"] and seg.meta["n_iter"] == 10


def test_marker_image_regions_are_renumbered_in_label_order():
    img = blobs(seed=6)
    marks = np.zeros(img.shape, np.int32)
    marks[2:4, 2:4] = 7  # a blob seed: its mean is the reference
    marks[12, 27] = 3
    seg = region_growing(img, markers=marks, tolerance=20)
    assert seg.labels[2, 2] == 2 and seg.labels[12, 27] == 1
    assert seg.num_segments == 2 and seg.meta["n_seeds"] == 2
    ref_marks = np.where(marks == 7, 2, np.where(marks == 3, 1, 0)).astype(np.int32)
    np.testing.assert_array_equal(seg.labels, srg_reference(img, ref_marks, 20, 4))


def test_mask_is_a_barrier():
    img = np.full((10, 10), 50, np.uint8)
    mask = np.ones(img.shape, bool)
    mask[:, 5] = False
    for criterion in ("seed", "running_mean"):
        seg = region_growing(img, seeds=[(4, 1)], tolerance=5, criterion=criterion, mask=mask)
        assert seg.labels[:, :5].all() and not seg.labels[:, 5:].any()


def test_duplicate_seeds_keep_the_first_and_ids_stay_sequential():
    img = blobs(seed=7)
    seg = region_growing(img, seeds=[(3, 3), (3, 3), (12, 27)], tolerance=10)
    assert sorted(np.unique(seg.labels[seg.labels > 0]).tolist()) == [1, 2]
    assert seg.labels[3, 3] == 1 and seg.labels[12, 27] == 2


# --- automatic seeds, defaults, bad input -------------------------------------------------------


def test_gradient_minima_seeds_recover_three_plateaus():
    rng = np.random.default_rng(8)
    truth = np.zeros((60, 80), np.int32)
    truth[:, 30:] = 1
    truth[20:45, 45:70] = 2
    img = np.array([30.0, 120.0, 220.0])[truth] + rng.normal(0, 4, truth.shape)
    seg = region_growing(np.clip(img, 0, 255).astype(np.uint8))
    assert seg.meta["converged"]
    assert ari(truth, seg.labels) > 0.95


def test_grid_seeds_count_and_constant_image():
    img = blobs(seed=9)
    seg = region_growing(img, auto_seeds="grid", spacing=10, tolerance=255)  # rows 5, 15; cols 5, 15, 25
    assert seg.meta["n_seeds"] == 2 * 3 and seg.num_segments == 6 and seg.labels.all()
    assert seg.labels[5, 5] == 1 and seg.labels[15, 25] == 6
    const = region_growing(np.full((7, 9), 3.5))
    assert const.num_segments == 1 and const.labels.all() and const.meta["tolerance"] == 0.0


def test_default_tol_follows_the_noise():
    rng = np.random.default_rng(10)
    noisy = 1000 + rng.normal(0, 20, (128, 128))
    assert 18 < noise_sigma(noisy) < 22
    assert 54 < region_growing(noisy, seeds=[(0, 0)]).meta["tolerance"] < 66


def test_one_pixel_image():
    seg = region_growing(np.array([[5]], np.uint8), seeds=[(0, 0)], criterion="seed")
    assert seg.labels.tolist() == [[1]]
    assert region_growing(np.array([[5.0]])).labels.tolist() == [[1]]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"seeds": [(24, 0)]}, r"\(24, 0\).*outside the image.*\(24, 30\)"),
        ({"seeds": [(0, -1)]}, "outside the image"),
        ({"seeds": []}, "empty"),
        ({"seeds": [(1.5, 2)]}, "integer"),
        ({"seeds": [1, 2, 3]}, r"\(row, col\) pairs"),
        ({"seeds": [(1, 1)], "markers": np.ones((24, 30), int)}, "not both"),
        ({"markers": np.zeros((24, 30), int)}, "no positive label"),
        ({"markers": np.ones((3, 3), int)}, "shape"),
        ({"seeds": [(0, 0)], "mask": np.zeros((24, 30), bool)}, "outside the mask"),
        ({"tolerance": -1}, "out of range"),
    ],
)
def test_bad_input_gives_one_clear_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        segment(blobs(), "region_growing", **kwargs)


def test_seed_errors_are_invalid_parameter_errors():
    with pytest.raises(InvalidParameterError):
        region_growing(blobs(), seeds=[(100, 100)])


# --- split_merge --------------------------------------------------------------------------------


def quadtree_reference(img: np.ndarray, tol: float, min_block: int) -> np.ndarray:
    """Recursive top-down quadtree of a power-of-two square image (std predicate)."""
    out = np.zeros(img.shape, np.int32)
    counter = [0]

    def visit(r, c, size):
        block = img[r : r + size, c : c + size].astype(float)
        if block.std() <= tol or size // 2 < min_block:
            counter[0] += 1
            out[r : r + size, c : c + size] = counter[0]
            return
        half = size // 2
        for dr in (0, half):
            for dc in (0, half):
                visit(r + dr, c + dc, half)

    visit(0, 0, img.shape[0])
    return out


@pytest.mark.parametrize("min_block", [1, 2, 4])
def test_quadtree_split_equals_recursive_reference(min_block):
    img = blobs(shape=(32, 32), seed=11, noise=3)
    seg = split_merge(img, tolerance=5.0, min_block=min_block, merge_tolerance=0)
    ref = quadtree_reference(img, 5.0, min_block)
    assert seg.meta["n_blocks"] == ref.max()
    assert ari(ref, seg.labels) == pytest.approx(1.0)


def piecewise(shape=(150, 170), noise=6.0, seed=12):
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[: shape[0], : shape[1]]
    truth = np.zeros(shape, np.int32)
    truth[rr + cc > 180] = 1
    truth[(rr - 50) ** 2 + (cc - 60) ** 2 < 35**2] = 2
    truth[100:140, 20:75] = 3
    levels = np.array([40.0, 100.0, 160.0, 220.0])
    return truth, levels[truth] + rng.normal(0, noise, shape)


@pytest.mark.parametrize("predicate, tol", [("std", 12.0), ("range", 45.0)])
def test_split_merge_recovers_noisy_piecewise_constant_regions(predicate, tol):
    truth, img = piecewise()
    seg = split_merge(img, tolerance=tol, predicate=predicate, merge_tolerance=25.0)
    assert ari(truth, seg.labels) > 0.95
    assert seg.labels.min() == 1  # every pixel belongs to a region


def test_split_merge_defaults_on_noisy_uint16_and_exact_on_clean_image():
    truth, img = piecewise(noise=5.0)
    img16 = (img * 100).astype(np.uint16)  # 16-bit units: the defaults follow the data
    assert ari(truth, split_merge(img16).labels) > 0.95
    clean = np.array([10, 20, 30, 40], np.uint8)[truth]
    exact = split_merge(clean, tolerance=0, min_block=1, merge_tolerance=0.5)
    assert exact.num_segments == 4 and ari(truth, exact.labels) == pytest.approx(1.0)


def test_split_merge_colour_uses_all_channels():
    img = np.zeros((40, 48, 3), np.uint8)
    img[:] = (200, 40, 40)
    img[:, 24:] = (40, 132, 40)  # about the same luma as the left part, another colour
    seg = split_merge(img, tolerance=1, merge_tolerance=10)
    assert seg.num_segments == 2
    assert len(np.unique(seg.labels[:, :24])) == 1 and len(np.unique(seg.labels[:, 24:])) == 1


def test_split_merge_mask_and_odd_shapes():
    truth, img = piecewise(shape=(37, 53))
    mask = np.ones(truth.shape, bool)
    mask[:, 20:23] = False  # a cut: the two sides of one region must not merge through it
    flat = np.where(mask, 100.0, 0.0)
    seg = split_merge(flat, tolerance=1, merge_tolerance=5, mask=mask)
    assert (seg.labels[~mask] == 0).all() and seg.num_segments == 2
    assert split_merge(img, tolerance=12, merge_tolerance=25).labels.min() == 1


def test_split_merge_constant_and_one_pixel_images():
    assert split_merge(np.full((33, 20), 7, np.uint16)).num_segments == 1
    assert split_merge(np.array([[1.0]])).labels.tolist() == [[1]]


def test_split_merge_bad_parameters():
    with pytest.raises(ValueError, match="min_block"):
        segment(blobs(), "split_merge", min_block=0)
    with pytest.raises(ValueError, match="predicate"):
        segment(blobs(), "split_merge", predicate="variance")


@pytest.mark.parametrize("connectivity", [4, 8])
def test_queue_pool_that_grows_many_times_gives_the_same_regions(connectivity, monkeypatch):
    """A pool of 8 entries is doubled again and again between runs of the compiled loop: same regions."""
    from seglab.classical import region_growing as module

    img = blobs(shape=(37, 45), seed=12, noise=12)
    pts = [(3, 3), (20, 30), (30, 5)]
    seeds = np.zeros(img.shape, np.int32)
    for i, (r, c) in enumerate(pts):
        seeds[r, c] = i + 1
    monkeypatch.setattr(module, "_POOL", 8)
    seg = region_growing(img, seeds=pts, tolerance=20, connectivity=connectivity)
    np.testing.assert_array_equal(seg.labels, srg_reference(img, seeds, 20, connectivity))
    assert seg.meta["n_iter"] > 500  # frontiers far longer than the 8 entries the pool starts with


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("criterion", ["running_mean", "seed"])
def test_constant_float_image_is_one_region_despite_the_rounding_of_its_mean(dtype, criterion):
    # 0.3 has no exact binary form: the running mean of a region differs from it in the last bits, and the
    # default tolerance of a constant image is 0.
    img = np.full((20, 20), 0.3, dtype)
    markers = np.zeros((20, 20), np.int32)
    markers[8:12, 8:12] = 1
    for kw in ({}, {"markers": markers}):
        seg = segment(img, "region_growing", criterion=criterion, **kw)
        assert (seg.labels == 1).all() and seg.meta["tolerance"] == 0.0
