"""The run service: one path from an image file to output files, for every front end.

``seglab segment``, ``seglab bench`` and the web server all go through
:mod:`.service` (check a job once, read, segment, convert, encode, write
together), :mod:`.outputs` (the table of output kinds) and :mod:`.inputs`
(expanding files, folders and patterns; naming outputs); :mod:`.preview`
makes the downscaled PNGs a screen shows. None of them parses
parameter text or encodes a file on its own.

Examples
--------
>>> import numpy as np
>>> from seglab.run import prepare, segment_image
>>> job = prepare("threshold", {"value": 100})
>>> int(segment_image(job, np.array([[50, 150]], np.uint8)).labels.sum())
1
"""

from __future__ import annotations

from .inputs import expand_inputs, output_stems
from .outputs import OUTPUT_KINDS, Outcome, OutputKind, encode_outputs, output_names, parse_outputs
from .preview import image_preview, labels_preview, preview_size
from .service import (
    Job,
    encode,
    one_line,
    outputs_complete,
    prepare,
    process_file,
    read_input,
    read_mask,
    run_file,
    run_image,
    segment_image,
)

__all__ = [
    "Job", "prepare", "read_input", "read_mask", "segment_image", "run_image", "run_file", "encode", "process_file",
    "outputs_complete", "one_line",
    "Outcome", "OutputKind", "OUTPUT_KINDS", "encode_outputs", "output_names", "parse_outputs",
    "expand_inputs", "output_stems",
    "preview_size", "image_preview", "labels_preview",
]
