"""``python -m seglab.cli``: the same as the ``seglab`` command."""

from __future__ import annotations

import sys

from . import main

sys.exit(main())
