"""The timed call of every seglab case in ``cases_*.py``: ``seglab.segment(image, name, **params)``.

The anchor harness loads each ``cases_*.py`` by path, so they put this folder
on ``sys.path`` to import it.
"""
from __future__ import annotations


def segment_case(name, **params):
    """A harness ``make(inp)`` that times ``seglab.segment(inp.data, name, **params)``."""
    def make(inp):
        import seglab

        image = inp.data
        seglab.get_method(name)  # registry loading stays outside the clock
        return lambda: seglab.segment(image, name, **params)

    return make
