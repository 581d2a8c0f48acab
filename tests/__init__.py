"""The test suite: one folder per layer of the package, shared builders in ``conftest.py``."""
