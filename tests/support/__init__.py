"""Local test doubles: nothing here talks to AWS.

* :mod:`tests.support.emulator` - an AppIntegrations REST-JSON endpoint on 127.0.0.1, so a
  real boto3 client (and therefore the real handler) can be exercised end to end.
* :mod:`tests.support.cfn_receiver` - an HTTPS endpoint standing in for CloudFormation's
  pre-signed S3 ResponseURL, so crhelper's own TLS ``PUT`` is what gets tested.
* :mod:`tests.support.lambda_process` - runs a handler in a separate, Lambda-like Python
  process (clean environment, real deadline, warm and cold containers).
* :mod:`tests.support.intrinsics` - evaluates the CloudFormation intrinsics of a synthesized
  template as a deploy would (what an ARN built with ``Fn::Select``/``Fn::Split`` becomes).

This package must stay free of import-time side effects: the pytest fixtures import from
it. ``_lambda_bootstrap.py`` is the exception that imports nothing from here: it runs as a
script inside the sandbox, where the test suite must not be importable.
"""
