"""The integration tests' shared stack: a Q in Connect knowledge base on an S3 data integration, and its sync.

Every ``integ_*.py`` here is a few lines over :func:`build_integ_test`: a new test is a
copy of one of them with another :class:`SyncCase` (its own stack name) and, for example for
the hardened provider, ``execution_options`` returning ``{"provider": ...}`` (see
:data:`ExecutionOptions`); then ``scripts/integ.sh --update-snapshot`` writes its snapshot,
and ``tests/integration/test_integ_snapshots.py`` should get a local deploy of it too. What the stack holds, and why each policy is what it is:

* **S3 bucket** for the knowledge base's documents: S3-managed encryption, public access
  blocked, TLS only, deleted with the stack (it stays empty: the sync has nothing to pull,
  which is enough to prove that the configuration was applied). Its bucket policy lets
  ``app-integrations.amazonaws.com`` run ``s3:ListBucket``, ``s3:GetObject`` and
  ``s3:GetBucketLocation`` against it, as the Q in Connect API reference requires for an S3
  source: "The bucket policy of the corresponding S3 bucket must allow the AWS principal
  app-integrations.amazonaws.com to perform s3:ListBucket, s3:GetObject, and
  s3:GetBucketLocation against the bucket"
  (https://docs.aws.amazon.com/connect/latest/APIReference/API_amazon-q-connect_AppIntegrationsConfiguration.html).
* **KMS key** (rotation on, deleted with the stack after the 7-day minimum window) for the
  data integration and the knowledge base. Neither service needs a statement for its own
  service principal: "When you create a DataIntegration encrypted with a customer managed
  key, Amazon AppIntegrations creates a grant on your behalf by sending a CreateGrant request
  to AWS KMS" (https://docs.aws.amazon.com/connect/latest/adminguide/encryption-at-rest.html),
  and the knowledge base's key "must have a policy that allows kms:CreateGrant,
  kms:DescribeKey, kms:Decrypt, and kms:GenerateDataKey* permissions to the IAM identity
  using the key to invoke Amazon Q in Connect" (CreateKnowledgeBase's
  ``serverSideEncryptionConfiguration`` in the Q in Connect API model, e.g.
  https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/qconnect/aws.sdk.kotlin.services.qconnect.model/-create-knowledge-base-request/server-side-encryption-configuration.html).
  That identity is the deploying one (CloudFormation's execution role), so the key policy
  grants exactly those four actions to the account's principals (statement
  ``KnowledgeBaseAndDataIntegrationCallers``), next to CDK's default statement, which
  delegates everything else to IAM.
* **Data integration** (``AWS::AppIntegrations::DataIntegration``) on ``s3://<bucket>``,
  encrypted with the key, created after the bucket policy so that AppIntegrations can read
  the bucket from the start.
* **Knowledge base** (``AWS::Wisdom::KnowledgeBase``, ``EXTERNAL``, its source the data
  integration): creating it creates the data integration's association, whose id
  CloudFormation never returns.
* **The execution** under test: no association identifier (the provider finds the
  association by lookup), depending on the knowledge base.

The assertions (in integ-runner's assertion stack) call ``ListDataIntegrationAssociations``
on the data integration after the deploy:

1. the data integration has exactly one association, of this data integration, with the
   declared ``ExecutionConfiguration``;
2. the execution's ``attr_data_integration_association_arn`` is that association's ARN.

Names are ``<stack name>-documents`` and ``<stack name>-knowledge-base``, so the tests'
stacks can share an account and Region. Regions: :data:`tests.integ.regions.Q_IN_CONNECT_REGIONS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import aws_cdk as cdk
from aws_cdk import aws_appintegrations as appintegrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_wisdom as wisdom
from aws_cdk import integ_tests_alpha as integ
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration
from cdk_appintegrations.acknowledgments import record_directly

from app import documents_on, knowledge_base_on
from tests.integ.regions import Q_IN_CONNECT_REGIONS

TEST_STACK_ID: Final = "KnowledgeBaseSync"
"""The test-case stack's construct id (its cloud-assembly artifact id), the same in every test:
the local deploy-and-assert replays one test's stack as an update of another's."""
EXECUTION_ID: Final = "Execution"
APP_INTEGRATIONS_READS: Final = ("s3:ListBucket", "s3:GetObject", "s3:GetBucketLocation")
KEY_CALLER_ACTIONS: Final = ("kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey*")
S1_REASON: Final = (
    "An integration test's bucket: it stays empty and lives for one test run; access logs would need a second"
    " bucket that outlives the test."
)
LIST_API: Final = "listDataIntegrationAssociations"


@dataclass(frozen=True)
class SyncCase:
    """What one integration test deploys: its stack name and the execution's window and rerun token."""

    stack_name: str
    start_time_ms: int
    end_time_ms: int
    rerun_token: str | None = None

    def execution_configuration(self) -> dict[str, Any]:
        """The ``ExecutionConfiguration`` the execution declares, as the API returns it (epoch ms strings)."""
        return {
            "ExecutionMode": "ON_DEMAND",
            "OnDemandConfiguration": {"StartTime": str(self.start_time_ms), "EndTime": str(self.end_time_ms)},
        }


@dataclass(frozen=True)
class KnowledgeBaseSyncStack:
    """The test-case stack and the constructs the assertions read."""

    stack: cdk.Stack
    documents: appintegrations.CfnDataIntegration
    knowledge_base: wisdom.CfnKnowledgeBase
    execution: DataIntegrationAssociationExecution


ExecutionOptions = Callable[[cdk.Stack], Mapping[str, Any]]
"""More keyword arguments for the execution, made in the test stack: e.g. a test of a provider of
its own returns ``{"provider": ExecutionProvider(stack, "Hardened", vpc=...)}``."""


def build_stack(
    app: cdk.App, case: SyncCase, *, execution_options: ExecutionOptions | None = None
) -> KnowledgeBaseSyncStack:
    """The test-case stack of ``case`` (environment-agnostic: it deploys to the caller's account and Region)."""
    stack = cdk.Stack(app, TEST_STACK_ID, stack_name=case.stack_name)
    bucket = s3.Bucket(
        stack,
        "DocumentsBucket",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    # Written as cdk-nag itself reads acknowledgements on every aws-cdk-lib (metadata keyed by the finding).
    record_directly(bucket, "AwsSolutions-S1", S1_REASON)
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AppIntegrationsReadsTheDocuments",
            principals=[iam.ServicePrincipal("app-integrations.amazonaws.com")],
            actions=list(APP_INTEGRATIONS_READS),
            resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
        )
    )
    key = kms.Key(
        stack,
        "Key",
        description="Integration test: the data integration and knowledge base key",
        enable_key_rotation=True,
        removal_policy=cdk.RemovalPolicy.DESTROY,
        pending_window=cdk.Duration.days(7),
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="KnowledgeBaseAndDataIntegrationCallers",
            principals=[iam.AccountRootPrincipal()],
            actions=list(KEY_CALLER_ACTIONS),
            resources=["*"],
        )
    )
    documents = documents_on(stack, cdk.Aws.STACK_NAME, key.key_arn, f"s3://{bucket.bucket_name}")
    if bucket.policy is not None:
        documents.node.add_dependency(bucket.policy)
    knowledge_base = knowledge_base_on(stack, documents, key.key_arn, name=f"{cdk.Aws.STACK_NAME}-knowledge-base")
    execution = DataIntegrationAssociationExecution(
        stack,
        EXECUTION_ID,
        data_integration_identifier=documents,
        execution_configuration=ExecutionConfiguration.on_demand(
            start_time=case.start_time_ms, end_time=case.end_time_ms
        ),
        rerun_token=case.rerun_token,
        **(execution_options(stack) if execution_options is not None else {}),
    )
    execution.node.add_dependency(knowledge_base)  # the knowledge base creates the association
    return KnowledgeBaseSyncStack(stack, documents, knowledge_base, execution)


def add_assertions(test: integ.IntegTest, built: KnowledgeBaseSyncStack, case: SyncCase) -> None:
    """The two assertions, each its own ``ListDataIntegrationAssociations`` call, so each fails on its own.

    Both are ``objectLike`` on the whole response: the list must hold exactly one item
    (arrays match element by element) whose named fields match; other fields (ClientId,
    DestinationURI, LastExecutionStatus) may be anything. Not ``ExpectedResult.exact`` at a
    path: the assertion provider of aws-cdk-integ-tests-alpha 2.257.0a0 does not decode
    ``$Exact`` and compares the wrapper object itself, so that assertion can never pass
    (found by running the provider's own handler on it: "Expected type object but received
    string"; ``tests/integration/test_integ_snapshots.py`` runs that handler on every assertion).
    """
    configuration = test.assertions.aws_api_call(
        "AppIntegrations", LIST_API, {"DataIntegrationIdentifier": built.documents.attr_id}
    )
    configuration.expect(
        integ.ExpectedResult.object_like(
            {
                "DataIntegrationAssociations": [
                    {
                        "DataIntegrationArn": built.documents.attr_data_integration_arn,
                        "ExecutionConfiguration": case.execution_configuration(),
                    }
                ]
            }
        )
    )
    arn = test.assertions.aws_api_call(
        "AppIntegrations", LIST_API, {"DataIntegrationIdentifier": built.documents.attr_id}
    )
    arn.expect(
        integ.ExpectedResult.object_like(
            {
                "DataIntegrationAssociations": [
                    {"DataIntegrationAssociationArn": built.execution.attr_data_integration_association_arn}
                ]
            }
        )
    )
    for call in (configuration, arn):
        resource = call.node.find_child("Default").node.default_child
        assert isinstance(resource, cdk.CfnResource), resource
        resource.add_property_override("salt", ASSERTION_SALT)
    # The provider's role gets app-integrations:ListDataIntegrationAssociations on "*" from the
    # call itself (integ-tests maps the SDK name to the IAM prefix; the snapshot shows it).


INTEG_APP_CONTEXT: Final = {"aws:cdk:disable-creation-stack-traces": True, "aws:cdk:disable-stack-trace": True}
"""No ``aws:cdk:creationStack`` (or other stack-trace) metadata: it holds jsii's temporary directory,
a new one on every run, which would change the snapshot on every refresh."""
ASSERTION_SALT: Final = "cdk-appintegrations-integ"
"""Replaces the assertion resources' ``salt`` (``Date.now()`` at synth, so that a redeploy of an
unchanged stack runs the assertions again). Every ``--deploy`` creates the stacks afresh and
destroys them, so the assertions run anyway, and a fixed value keeps a refreshed snapshot
identical to the committed one."""


def new_app() -> cdk.App:
    """The app of an ``integ_*.py`` (integ-runner adds its own context on top)."""
    return cdk.App(context=dict(INTEG_APP_CONTEXT))


def synthesize(test_id: str, case: SyncCase, *, execution_options: ExecutionOptions | None = None) -> None:
    """What an ``integ_*.py`` does when integ-runner runs it as a script: build its test, synthesize."""
    app = new_app()
    build_integ_test(app, test_id, case, execution_options=execution_options)
    app.synth()


def build_integ_test(
    app: cdk.App, test_id: str, case: SyncCase, *, execution_options: ExecutionOptions | None = None
) -> integ.IntegTest:
    """The whole integration test of ``case``: its stack, the ``IntegTest`` (Q in Connect Regions only), the assertions."""
    built = build_stack(app, case, execution_options=execution_options)
    test = integ.IntegTest(
        app,
        test_id,
        test_cases=[built.stack],
        regions=list(Q_IN_CONNECT_REGIONS),
        diff_assets=True,  # a handler change is a snapshot change too, so it shows up in review
        stack_update_workflow=False,  # see CONTRIBUTING.md: the update is a test case of its own
    )
    add_assertions(test, built, case)
    return test
