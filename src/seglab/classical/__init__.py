"""Classical (non-learned) segmenters; numpy, scipy, scikit-image and OpenCV only."""

#: The modules that register this family's methods (read by :mod:`seglab.core.registry`).
FRONT_MODULES: tuple[str, ...] = (
    "seglab.classical.threshold",
    "seglab.classical.histogram_threshold",
    "seglab.classical.local_threshold",
    "seglab.classical.clustering",
    "seglab.classical.color",
    "seglab.classical.edges",
    "seglab.classical.texture",
    "seglab.classical.region_growing",
    "seglab.classical.split_merge",
    "seglab.classical.watershed",
)
