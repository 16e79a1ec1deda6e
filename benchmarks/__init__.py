"""Benchmarks: cold start, scale, and the comparison with ``AwsCustomResource`` (``python -m benchmarks.run``).

They import the local doubles from :mod:`testkit`, never from ``tests``; no test module
imports them, except their own tests here (``benchmarks/test_*.py``).
"""
