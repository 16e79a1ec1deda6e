"""Local test doubles, shared by the tests and the benchmarks: nothing here talks to AWS.

A top-level package (not under ``tests/``) so that the benchmarks can use it without importing
the tests; it imports neither ``tests`` nor ``benchmarks``.

* :mod:`testkit.emulator` - an AppIntegrations REST-JSON endpoint on 127.0.0.1, so a
  real boto3 client (and therefore the real handler) can be exercised end to end.
* :mod:`testkit.appintegrations_stub` - the unit tier's AppIntegrations: a real client
  answered in process from a script (botocore's ``Stubber``, plus calls that get no answer).
* :mod:`testkit.clock` - the one fake clock: time that passes only when told to; and Lambda's
  context object, on that clock or on real time.
* :mod:`testkit.cfn_events` - the one builder of CloudFormation custom-resource requests
  (every tier, the deploy driver, the assertion handler).
* :mod:`testkit.association_properties` - the custom resource's properties, one per
  execution mode, and ``changed`` to vary one field.
* :mod:`testkit.cfn_receiver` - an HTTPS endpoint standing in for CloudFormation's
  pre-signed S3 ResponseURL, so crhelper's own TLS ``PUT`` is what gets tested.
* :mod:`testkit.lambda_process` - runs a handler under AWS's runtime interface client
  (``awslambdaric``) in a separate, Lambda-like Python process (clean environment, real
  deadline, warm and cold containers); ``WarmContainer`` keeps one alive and feeds it one
  event at a time, and serves each the Lambda Runtime API that client polls (``RuntimeApi``).
* :mod:`testkit.lambda_pool` - Lambda's concurrency model over those containers (an
  idle one takes the event, else a new one starts; no cap), with a memory guard.
* :mod:`testkit.token_bucket` - the rate limit the emulator can enforce (rate, burst).
* :mod:`testkit.cfn_template` - a template as CloudFormation reads it: dependency
  graph, conditions, intrinsics, stringified properties; cloud assemblies (``cdk.out``); intrinsics evaluated from plain answers; and the
  construct tier's queries of a template (the one template reader besides ``aws_cdk.assertions``).
* :mod:`testkit.cfn_driver` - a CloudFormation-like deploy driver: create, update,
  rollback and cleanup of a synthesized stack, custom resources through the real asset.
* :mod:`testkit.deploy_stacks` - stacks of N executions (synthesized in one jsii
  session) and the emulator's matching associations, for the driver's tests and benchmark.
* :mod:`testkit.integ_snapshot` - an integ-runner snapshot (``tests/integ/*.snapshot``):
  its test cases, templates and SDK-call assertions, and those calls made with boto3.
* :mod:`testkit.assertion_handler` - integ-tests' own assertion handler (the snapshot's
  Node.js bundle) judging one actual value; ``node_https_port.cjs`` lets it answer the receiver.
* :mod:`testkit.service_models` - the deploy driver taught the integration stack's data
  integration, knowledge base (which creates its association), key and bucket.
* :mod:`testkit.releases` - the released versions (``releases.csv``), a release's code taken
  from its commit, and synthesized by :mod:`testkit.release_synth` (a script run in a
  fresh interpreter with the release's tree first on the path) for the upgrade test.
* :mod:`testkit.local_server` - what the emulator and the receiver share (threads, lifecycle).
* :mod:`testkit.execution_stacks` - the one builder of a stack of N executions.
* :mod:`testkit.synth_env` - what a synth needs from this machine (Node 24, npm, cdk.json's context).
* :mod:`testkit.account` - the account and Region every double and test pretends to run in.

This package must stay free of import-time side effects: the pytest fixtures import from
it. Nothing of it runs inside the Lambda-like processes, where the test suite must not be
importable.
"""
