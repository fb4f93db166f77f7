"""Classical (non-learned) segmenters; numpy, scipy, scikit-image and OpenCV only."""
