"""Test suite package (a package so that ``tests.support`` is importable by absolute name)."""
