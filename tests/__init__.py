"""Test suite package (a package so that its tiers and helpers are importable by absolute name, ``tests.construct.stacks``)."""
