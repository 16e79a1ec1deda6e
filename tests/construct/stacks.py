"""The stacks the construct tier synthesizes, and what their templates should hold."""

from __future__ import annotations

import importlib.metadata
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_appintegrations as appintegrations
from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration
from cdk_nag import (
    AwsSolutionsChecks,
    HIPAASecurityChecks,
    NagPack,
    NIST80053R5Checks,
    PCIDSS321Checks,
    ServerlessChecks,
)

from app import AppIntegrationsExampleStack, LockedDownExampleStack, knowledge_base_on
from testkit.account import ACCOUNT as ACCOUNT  # re-exported, as are REGION and REPO_ROOT
from testkit.account import REGION as REGION
from testkit.execution_stacks import PINNED, add_executions
from testkit.synth_env import REPO_ROOT as REPO_ROOT
from testkit.synth_env import cdk_context

CDK_CONTEXT: dict[str, Any] = cdk_context()

ENV = PINNED
JAN_1_MS = "1735689600000"  # 2025-01-01T00:00:00Z
JAN_2_MS = "1735776000000"
JAN_1 = datetime(2025, 1, 1, tzinfo=timezone.utc)
DI = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
DI_ARN = f"arn:aws:app-integrations:{REGION}:{ACCOUNT}:data-integration/{DI}"
OTHER_DI = "d4e5f6a7-8901-23ab-cdef-EXAMPLE44444"
# The main app's literal ids have the form AppIntegrations gives ids (AWS-docs style), so that
# its stacks carry no identifierNotAnId warning, which would be noise in the validation report.
PLAIN_DI = "c3d4e5f6-7890-12ab-cdef-EXAMPLE33333"
AGNOSTIC_DI = "e5f6a7b8-9012-34ab-cdef-EXAMPLE55555"
LITERAL_DI = "f6a7b8c9-0123-45ab-cdef-EXAMPLE66666"
ASSOC_PLAIN = "b2c3d4e5-6789-01ab-cdef-EXAMPLE00001"
ASSOC_2 = "b2c3d4e5-6789-01ab-cdef-EXAMPLE00002"
ASSOC_4 = "b2c3d4e5-6789-01ab-cdef-EXAMPLE00004"
ASSOC_FOREIGN = "b2c3d4e5-6789-01ab-cdef-EXAMPLE00005"
ASSOC_AGNOSTIC = "b2c3d4e5-6789-01ab-cdef-EXAMPLE00006"
ASSOC_LITERAL = "b2c3d4e5-6789-01ab-cdef-EXAMPLE00007"
ASSOC_KNOWN = "b2c3d4e5-6789-01ab-cdef-EXAMPLE00008"
FOREIGN_ASSOCIATION_ARN = (
    f"arn:aws:app-integrations:eu-west-1:444455556666:data-integration-association/{OTHER_DI}/{ASSOC_FOREIGN}"
)

EXAMPLE = "AppIntegrationsExample"
LOCKED_DOWN = "AppIntegrationsLockedDownExample"
LITERAL = "Literal"
AGNOSTIC = "Agnostic"
TOKEN_ASSOCIATION = "TokenAssociation"
TOKENS = "Tokens"
OBJECTS = "Objects"
KMS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
#: A role a platform team made: the provider may use it, and may or may not change it.
PLATFORM_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/platform/appintegrations-provider"


# What the CDK CLI adds to the context when it runs app.py.
CLI_CONTEXT: dict[str, Any] = {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}


CDK_VERSION = tuple(int(part) for part in importlib.metadata.version("aws-cdk-lib").split(".")[:3])
NAG_PLUGIN_RUNS = CDK_VERSION > (2, 257, 0)
"""Whether cdk-nag 3 runs as a validation plugin during synth. Measured: on aws-cdk-lib 2.257.0
(the lower bound, in .venv-integ) it never does: synth prints "Validation plugin 'AwsSolutions'
failed: NagPack requires a construct tree on the validation context" and still passes (its
``validate`` needs the context's ``appConstruct``, which 2.257 lacks); on 2.275 it does.
Where it does not, :func:`nag_report` runs the same pack directly (``validate_scope``)."""
NAGGED: dict[str, tuple[type[NagPack], ...]] = {}
"""Output directories of the apps built with cdk-nag, and the packs each runs."""
#: cdk-nag's five rule packs: what banks (PCI DSS), health care (HIPAA), the public sector (NIST 800-53)
#: and serverless teams run, besides AWS Solutions.
ALL_PACKS: tuple[type[NagPack], ...] = (
    AwsSolutionsChecks,
    HIPAASecurityChecks,
    NIST80053R5Checks,
    PCIDSS321Checks,
    ServerlessChecks,
)


def new_app(outdir: Path, *, nag: bool = True, packs: tuple[type[NagPack], ...] = (AwsSolutionsChecks,)) -> cdk.App:
    """An app configured as ``cdk synth`` configures app.py: cdk.json's context, metadata, version reporting."""
    app = cdk.App(context={**CDK_CONTEXT, **CLI_CONTEXT}, outdir=str(outdir), analytics_reporting=True)
    if nag:
        cdk.Validations.of(app).add_plugins(*(pack(app) for pack in packs))
        NAGGED[str(outdir)] = packs
    return app


def nag_report(app: cdk.App, packs: tuple[type[NagPack], ...]) -> dict[str, Any]:
    """The findings of ``packs`` on ``app`` (after synth) run directly, in the validation report's shape.

    cdk-nag reads the acknowledgements itself here (``aws:cdk:acknowledged-rules`` metadata
    keyed by the finding), so acknowledged findings are simply absent: the report lists no
    ``suppressedViolations``.
    """
    reports = []
    for pack in packs:
        checks = pack()
        result = checks.validate_scope(app)
        reports.append(
            {
                "pluginName": checks.read_pack_name,
                "conclusion": "success" if result.success else "failure",
                "violations": [
                    {
                        "ruleName": violation.rule_name,
                        "description": violation.description,
                        "violatingConstructs": [
                            {"constructPath": resource.construct_path} for resource in violation.violating_resources
                        ],
                    }
                    for violation in result.violations
                ],
            }
        )
    return {"pluginReports": reports}


def add_execution(
    stack: cdk.Stack,
    construct_id: str,
    data_integration: str | appintegrations.CfnDataIntegration = "di-1",
    association: str | None = "assoc-1",
    configuration: ExecutionConfiguration | None = None,
    **options: Any,
) -> DataIntegrationAssociationExecution:
    """An execution of ``association`` of ``data_integration``: on demand from 2025-01-01 unless ``configuration``."""
    return DataIntegrationAssociationExecution(
        stack,
        construct_id,
        data_integration_identifier=data_integration,
        data_integration_association_identifier=association,
        execution_configuration=ExecutionConfiguration.on_demand(start_time=JAN_1_MS)
        if configuration is None
        else configuration,
        **options,
    )


def add_literal_stack(app: cdk.App) -> cdk.Stack:
    """A pinned environment and every literal identifier form: plain ids, a data integration ARN, an association ARN."""
    stack = cdk.Stack(app, LITERAL, env=ENV)
    add_execution(
        stack,
        "PlainIds",
        PLAIN_DI,
        ASSOC_PLAIN,
        ExecutionConfiguration.on_demand(start_time=int(JAN_1_MS), end_time=JAN_2_MS),
    )
    add_execution(
        stack,
        "DataIntegrationArn",
        DI_ARN,
        ASSOC_2,
        ExecutionConfiguration.scheduled(
            schedule_expression="rate(1 hour)",
            object="Account",
            first_execution_from=datetime(2025, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1))),
        ),
    )
    add_execution(stack, "AssociationArn", OTHER_DI, FOREIGN_ASSOCIATION_ARN)
    add_execution(
        stack,
        "Rerun",
        DI_ARN,
        ASSOC_4,
        ExecutionConfiguration.scheduled(schedule_expression="rate(1 day)"),
        rerun_token="2025-06-01",
    )
    return stack


def add_agnostic_stack(app: cdk.App) -> cdk.Stack:
    """No environment and plain ids: the ARNs must use the deploy-time partition, Region and account."""
    stack = cdk.Stack(app, AGNOSTIC)
    add_execution(stack, "Sync", AGNOSTIC_DI, ASSOC_AGNOSTIC)
    return stack


def add_token_association_stack(app: cdk.App) -> cdk.Stack:
    """A literal data integration with an association known only at deploy."""
    stack = cdk.Stack(app, TOKEN_ASSOCIATION)
    add_execution(stack, "Sync", LITERAL_DI, cdk.CfnParameter(stack, "AssociationId").value_as_string)
    return stack


def add_tokens_stack(app: cdk.App) -> cdk.Stack:
    """Tokens everywhere a str goes: identifiers, instants, expressions, the rerun token."""
    stack = cdk.Stack(app, TOKENS)
    di = cdk.CfnParameter(stack, "DataIntegrationId").value_as_string
    association = cdk.CfnParameter(stack, "AssociationId").value_as_string
    start = cdk.CfnParameter(stack, "StartTime").value_as_string
    end = cdk.CfnParameter(stack, "EndTime", type="Number").value_as_number
    add_execution(
        stack,
        "OnDemand",
        di,
        association,
        ExecutionConfiguration.on_demand(start_time=start, end_time=end),
        rerun_token=cdk.Aws.STACK_ID,
    )
    add_execution(
        stack,
        "Scheduled",
        LITERAL_DI,
        ASSOC_LITERAL,
        ExecutionConfiguration.scheduled(
            schedule_expression=cdk.CfnParameter(stack, "Schedule").value_as_string,
            object=cdk.CfnParameter(stack, "Object").value_as_string,
            first_execution_from=start,
        ),
    )
    return stack


def data_integration(stack: cdk.Stack, construct_id: str) -> appintegrations.CfnDataIntegration:
    return appintegrations.CfnDataIntegration(
        stack,
        construct_id,
        name=construct_id,
        kms_key=KMS_KEY_ARN,
        source_uri=f"s3://amzn-s3-demo-{construct_id.lower()}",
    )


def add_objects_stack(app: cdk.App) -> cdk.Stack:
    """CDK objects as inputs, pinned: one association given by id, one found by lookup with a token filter."""
    stack = cdk.Stack(app, OBJECTS, env=ENV)
    add_execution(stack, "GivenAssociation", data_integration(stack, "Known"), ASSOC_KNOWN)
    documents = data_integration(stack, "Documents")
    knowledge_base = knowledge_base_on(stack, documents)
    found = add_execution(
        stack,
        "FoundAssociation",
        documents,
        None,
        ExecutionConfiguration.scheduled(schedule_expression="rate(1 day)"),
        destination_uri=knowledge_base.attr_knowledge_base_arn,
    )
    # The GetAtt in DestinationURI already orders it after the knowledge base: no add_dependency needed.
    cdk.CfnOutput(stack, "DataIntegrationArn", value=found.attr_data_integration_arn)
    cdk.CfnOutput(stack, "AssociationArn", value=found.attr_data_integration_association_arn)
    cdk.CfnOutput(stack, "AssociationId", value=found.attr_data_integration_association_id)
    return stack


def build_main_app(outdir: Path) -> cdk.App:
    app = new_app(outdir)
    AppIntegrationsExampleStack(app, EXAMPLE)
    add_literal_stack(app)
    add_agnostic_stack(app)
    add_token_association_stack(app)
    add_tokens_stack(app)
    add_objects_stack(app)
    return app


def build_locked_down_app(outdir: Path) -> cdk.App:
    """The locked-down example under all five cdk-nag packs: a finding fails its synth."""
    app = new_app(outdir, packs=ALL_PACKS)
    LockedDownExampleStack(app, LOCKED_DOWN)
    return app


def build_default_example_app(outdir: Path) -> cdk.App:
    """The default example alone, under all five cdk-nag packs (its documented findings fail the synth)."""
    app = new_app(outdir, packs=ALL_PACKS)
    AppIntegrationsExampleStack(app, EXAMPLE)
    return app


def data_integration_id(i: int) -> str:
    return f"a1b2c3d4-5678-90ab-cdef-{i:012d}"


def association_id(i: int) -> str:
    return f"b2c3d4e5-6789-01ab-cdef-{i:012d}"


def build_scale_app(outdir: Path, stack_name: str, executions: int, data_integrations: int) -> cdk.App:
    """``executions`` distinct associations spread over ``data_integrations``, env-agnostic (the larger ARNs)."""
    app = new_app(outdir)
    add_executions(
        cdk.Stack(app, stack_name),
        executions,
        target=lambda i: (data_integration_id(i % data_integrations), association_id(i)),
        configuration=ExecutionConfiguration.on_demand(start_time=JAN_1),
    )
    return app
