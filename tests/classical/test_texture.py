"""Gabor texture segmentation against scikit-image / scipy and synthetic mosaics of known layout."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import ndimage as ndi
from scipy.optimize import linear_sum_assignment
from skimage.filters import gabor as sk_gabor

import seglab
from seglab.classical import texture
from seglab.classical.texture import gabor, gabor_energy, gabor_sigma
from seglab.core.errors import InvalidImageError, InvalidParameterError

# Textures of the mosaics: (frequency in cycles/pixel, orientation in degrees).
MOSAICS = {
    2: [(0.1, 0), (0.25, 60)],
    3: [(0.08, 0), (0.2, 45), (0.3, 90)],
    4: [(0.08, 0), (0.08, 90), (0.25, 45), (0.25, 135)],
}


def grating(shape, frequency, theta_deg, phase):
    rr, cc = np.mgrid[: shape[0], : shape[1]]
    t = np.deg2rad(theta_deg)
    return np.cos(2 * np.pi * frequency * (cc * np.cos(t) + rr * np.sin(t)) + phase)


def mosaic(n_textures: int, size: int = 128, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """uint8 mosaic of sinusoidal gratings plus noise, and its true layout (0..n-1)."""
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[:size, :size]
    truth = np.zeros((size, size), int)
    if n_textures == 2:
        truth[:, size // 2 :] = 1
    elif n_textures == 3:
        truth[:, size // 2 :] = 1
        truth[(rr - size / 2) ** 2 + (cc - size / 2) ** 2 < (size / 4) ** 2] = 2
    else:
        truth[: size // 2, size // 2 :] = 1
        truth[size // 2 :, : size // 2] = 2
        truth[size // 2 :, size // 2 :] = 3
    img = np.zeros((size, size))
    for k, (f, theta) in enumerate(MOSAICS[n_textures]):
        img[truth == k] = grating(img.shape, f, theta, rng.uniform(0, 2 * np.pi))[truth == k]
    img = 128 + 60 * img + rng.normal(0, 10, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), truth


def matched_accuracy(labels: np.ndarray, truth: np.ndarray) -> float:
    """Pixel accuracy after the best one-to-one matching of labels to true classes (Hungarian)."""
    counts = np.zeros((labels.max() + 1, truth.max() + 1))
    np.add.at(counts, (labels.ravel(), truth.ravel()), 1)
    rows, cols = linear_sum_assignment(-counts)
    return counts[rows, cols].sum() / truth.size


# ------------------------------------------------------------------ filters


def test_gabor_sigma_is_scikit_image_bandwidth_rule():
    # skimage.filters.gabor_kernel: sigma = _sigma_prefactor(b) / frequency
    b = 1.5
    expected = 1 / np.pi * np.sqrt(np.log(2) / 2) * (2**b + 1) / (2**b - 1) / 0.2
    assert gabor_sigma(0.2, b) == pytest.approx(expected)


@pytest.mark.parametrize("bandwidth", [1.0, 1.6])
def test_energy_equals_skimage_gabor_magnitude(bandwidth):
    img = np.random.default_rng(0).random((50, 61)) * 200
    freqs = (0.1, 0.3)
    energies = gabor_energy(img, frequencies=freqs, n_orientations=4, bandwidth=bandwidth)
    assert len(energies) == 8 and all(e.dtype == np.float32 and e.shape == img.shape for e in energies)
    for i, f in enumerate(freqs):
        for j in range(4):
            theta = j * np.pi / 4
            # skimage truncates at n_stds * sigma along the rotated axes; this n_stds gives our
            # square support of 3 sigma each side at multiples of 45 degrees.
            n_stds = 3 / max(abs(np.cos(theta)), abs(np.sin(theta)))
            re, im = sk_gabor(img, f, theta=theta, bandwidth=bandwidth, n_stds=n_stds, mode="reflect")
            ref = np.hypot(re, im)
            np.testing.assert_allclose(energies[i * 4 + j], ref, atol=2e-5 * ref.max())


@pytest.mark.parametrize("tile", [384, 16, 7])
def test_energy_equals_direct_2d_convolution_at_any_orientation(tile, monkeypatch):
    # tiles smaller than the kernel's half-width (10 px here) still see the whole neighbourhood of each pixel
    monkeypatch.setattr(texture, "_TILE", tile)
    img = np.random.default_rng(1).random((40, 45)) * 100
    f, n_or = 0.17, 6
    energies = gabor_energy(img, frequencies=(f,), n_orientations=n_or)
    sigma = gabor_sigma(f)
    half = int(np.ceil(3 * sigma))
    y, x = np.mgrid[-half : half + 1, -half : half + 1]
    for j in range(n_or):
        theta = j * np.pi / n_or
        kernel = np.exp(-(x**2 + y**2) / (2 * sigma**2)) / (2 * np.pi * sigma**2)
        kernel = kernel * np.exp(2j * np.pi * f * (x * np.cos(theta) + y * np.sin(theta)))
        ref = np.hypot(ndi.convolve(img, kernel.real, mode="reflect"), ndi.convolve(img, kernel.imag, mode="reflect"))
        np.testing.assert_allclose(energies[j], ref, atol=2e-5 * ref.max())


def test_energy_of_a_matched_grating_is_half_its_amplitude():
    stripes = 80 * grating((64, 64), 0.25, 90, 0.0)  # varies along rows: theta = pi/2
    e = gabor_energy(stripes, frequencies=(0.25,), n_orientations=2)
    assert e[1][32, 32] == pytest.approx(40, rel=0.01)
    assert e[0][32, 32] < 0.01 * 40


# ----------------------------------------------------------------- mosaics


@pytest.mark.parametrize("n_textures", [2, 3, 4])
def test_mosaics_are_recovered(n_textures):
    img, truth = mosaic(n_textures, seed=n_textures)
    seg = seglab.segment(img, "gabor", num_classes=n_textures, rng=0)
    assert seg.task == "semantic" and seg.labels.dtype == np.int32
    assert set(np.unique(seg.labels)) == set(range(1, n_textures + 1))
    assert seg.classes == ("background", *(f"texture{k}" for k in range(1, n_textures + 1)))
    assert matched_accuracy(seg.labels, truth) >= 0.9


def test_pca_keeps_the_mosaic_and_reports_explained_variance():
    img, truth = mosaic(3, seed=7)
    seg = gabor(img, num_classes=3, n_components=4, rng=1)
    ratios = seg.meta["explained_variance_ratio"]
    assert len(ratios) == 4 and all(a >= b for a, b in zip(ratios, ratios[1:])) and sum(ratios) <= 1 + 1e-9
    assert seg.meta["n_components"] == 4 and seg.meta["n_features"] == 12
    assert matched_accuracy(seg.labels, truth) >= 0.9


def test_same_rng_same_labels_and_canonical_class_order():
    img, truth = mosaic(2, seed=3)
    a = gabor(img, rng=5)
    np.testing.assert_array_equal(a.labels, gabor(img, rng=5).labels)
    # Classes are ordered by mean standardised energy, so another seed finds the same numbering
    # (up to a few boundary pixels: the centres are fitted on another sample).
    assert np.mean(a.labels == gabor(img, rng=np.random.default_rng(99)).labels) > 0.99


def test_intensity_units_do_not_matter():
    img, _ = mosaic(2, seed=4)
    a = gabor(img, rng=0).labels
    b = gabor(img.astype(np.uint16) * 257, rng=0).labels
    c = gabor(img / 255.0, rng=0).labels
    assert np.mean(a == b) > 0.99 and np.mean(a == c) > 0.99


def test_fit_apply_split_reproduces_the_whole():
    img, _ = mosaic(3, seed=5)
    spec = seglab.get_method("gabor")
    state = spec.fit(img, num_classes=3, rng=2)
    json.dumps(state)
    np.testing.assert_array_equal(spec.apply(img, state).labels, gabor(img, num_classes=3, rng=2).labels)
    # A tile with enough halo is labelled like the whole, away from its border.
    halo = spec.halo({"frequencies": state["frequencies"], "window_periods": state["window_periods"]})
    tile = img[:, : 64 + halo]
    np.testing.assert_array_equal(spec.apply(tile, state).labels[:, :64], spec.apply(img, state).labels[:, :64])


def test_mask_limits_sampling_and_labels():
    img, truth = mosaic(3, seed=6)
    mask = truth != 2  # leave out the central disk
    seg = gabor(img, num_classes=2, mask=mask, rng=0)
    assert not seg.labels[~mask].any()
    assert matched_accuracy(np.where(mask, seg.labels, 0)[mask], truth[mask]) >= 0.9


def test_meta_describes_the_bank():
    seg = gabor(mosaic(2)[0], frequencies=[0.1, 0.3], n_orientations=3, window_periods=1.5, rng=0)
    meta = seg.meta
    assert meta["frequencies"] == [0.1, 0.3] and meta["orientations_deg"] == [0.0, 60.0, 120.0]
    assert meta["sigmas"] == pytest.approx([gabor_sigma(0.1), gabor_sigma(0.3)])
    assert meta["window_sigmas"] == pytest.approx([15.0, 5.0])
    assert meta["n_features"] == 6 and meta["inertia"] >= 0
    json.dumps(seg.to_json())


# --------------------------------------------------------------- bad input


def test_constant_image_is_one_class():
    seg = gabor(np.full((20, 30), 90, np.uint8), num_classes=3, rng=0)
    assert (seg.labels == 1).all()


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (3, 2)])
def test_tiny_images(shape):
    seg = gabor(np.arange(np.prod(shape), dtype=np.float32).reshape(shape), rng=0)
    assert seg.labels.shape == shape and seg.labels.min() >= 1


@pytest.mark.parametrize("frequencies", [(), (0.0,), (0.2, 0.7), 0.2, ("a",)])
def test_bad_frequencies_name_the_parameter(frequencies):
    with pytest.raises(InvalidParameterError, match="frequencies"):
        gabor(np.zeros((8, 8)), frequencies=frequencies)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_components": 13}, "n_components"),
        ({"num_classes": 0}, "num_classes"),
        ({"window_periods": 0}, "window_periods"),
        ({"n_orientations": 2.5}, "n_orientations"),
    ],
)
def test_bad_parameters_name_the_parameter(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        gabor(np.zeros((8, 8)), **params)


def test_empty_mask_and_bad_images_are_clear_errors():
    with pytest.raises(InvalidParameterError, match="mask"):
        gabor(np.zeros((8, 8)), mask=np.zeros((8, 8), bool))
    with pytest.raises(InvalidImageError, match="NaN"):
        gabor(np.full((8, 8), np.nan))


@pytest.mark.parametrize("frequency", [1e-7, 1e-300])
def test_a_frequency_whose_kernel_dwarfs_the_image_is_refused_before_any_allocation(frequency):
    # the kernel's half-width is 3 sigma, sigma ~ 1 / frequency: 1e-7 took 18 GB on a 64 x 80 image
    img = np.random.default_rng(0).integers(0, 255, (64, 80)).astype(np.uint8)
    with pytest.raises(InvalidParameterError, match=r"frequencies: .* far larger than the image \(64 x 80\); "
                                                   r"give frequencies of at least 0.00165"):
        seglab.segment(img, "gabor", frequencies=[frequency], rng=0)
    assert seglab.segment(img, "gabor", frequencies=[0.00166], rng=0).labels.shape == (64, 80)


def test_a_bank_of_more_than_256_filters_or_a_repeated_frequency_is_refused():
    # every filter is an image-sized feature: 6,400 filters took 2.5 GB on a 64 x 64 image
    img = np.random.default_rng(0).integers(0, 255, (32, 32)).astype(np.uint8)
    with pytest.raises(InvalidParameterError, match="frequencies: 5 frequencies x 64 orientations make 320 filters"):
        seglab.segment(img, "gabor", frequencies=[0.1, 0.15, 0.2, 0.3, 0.4], n_orientations=64, rng=0)
    with pytest.raises(InvalidParameterError, match="frequencies: lists a frequency twice"):
        seglab.segment(img, "gabor", frequencies=[0.25, 0.25], rng=0)
    assert seglab.segment(img, "gabor", frequencies=[0.1, 0.2, 0.3, 0.4], n_orientations=64, rng=0).labels.shape == (32, 32)
