"""Tests of the ``seglab`` command line (a package, so its conftest has its own module name)."""
