"""Neural-network segmenters (issue 9).

The engine lives in :mod:`seglab.deep._torch`, the only place that imports
torch at module level; ``import seglab.deep`` stays torch-free. Shipped
checkpoints and their model cards are in ``seglab/deep/weights/``.
"""

#: The modules that register this family's methods (read by :mod:`seglab.core.registry`).
FRONT_MODULES: tuple[str, ...] = ("seglab.deep.semantic", "seglab.deep.instances")
