"""Optional dependencies (:mod:`seglab.core.optional`)."""

from __future__ import annotations

import pytest

from seglab.core.errors import (
    MissingDependencyError,
)
from seglab.core.optional import require


def test_missing_dependency_names_extra():
    with pytest.raises(MissingDependencyError, match=r'pip install "seglab\[torch\]"'):
        require("a_module_that_is_not_there_xyz", extra="torch")
    assert issubclass(MissingDependencyError, ImportError)
