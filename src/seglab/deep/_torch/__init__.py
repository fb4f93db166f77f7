"""The PyTorch engine: models, checkpoints, prediction, training and export.

Everything here imports torch at module level; torch-free code reaches it
only through ``require("torch", extra="torch")`` followed by a local import.

=====================  ===============================================================
``models``             ``build_model``, ``wrap_module``, ``ARCHITECTURES``, ``SegmentationModel``
``checkpoint``         ``save_checkpoint``, ``load_checkpoint``, ``Checkpoint``
``preprocess``         normalisation records and channel handling (numpy)
``predict``            ``predict``: padding, sliding window, Gaussian blending, TTA
``train``              ``train`` (with ``data``, ``augment``, ``losses``)
``export``             ``export_onnx``, ``OnnxModel`` (onnxruntime backend)
=====================  ===============================================================
"""
