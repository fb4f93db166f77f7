"""Learned instance segmentation: ``unet_instances`` and ``mask_rcnn``.

=================  ====================================================================
``images``         gray, percentile-normalised, objects-bright network input; resizing
``targets``        instance labels -> background/interior/boundary; object diameters
``split``          seeded watershed: probabilities -> touching objects apart
``models``         the two networks (:func:`build_instance_model`)
``scale``          objects seen at the scale the network was trained for
``predict``        one image in, instance labels, classes and scores out (tiled)
``tiles``          detections of overlapping windows merged into one instance map
``checkpoint``     instance checkpoints (the seglab checkpoint format)
``data``           instance data sets: the ``seglab bench`` layout and COCO files
``train``          training and threshold selection on the validation images
=================  ====================================================================
"""
