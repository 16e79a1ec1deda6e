"""Session-wide test environment.

Dummy credentials and a region keep boto3 from ever looking for real ones (or for
an instance metadata service) on a developer machine.
"""

from __future__ import annotations

import os

for name, value in {
    "AWS_ACCESS_KEY_ID": "AKIATESTTESTTESTTEST",
    "AWS_SECRET_ACCESS_KEY": "test-secret-key-not-real",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}.items():
    os.environ.setdefault(name, value)
os.environ.pop("AWS_PROFILE", None)
