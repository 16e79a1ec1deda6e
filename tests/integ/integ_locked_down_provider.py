"""Integration test (c): the knowledge-base sync served by a hardened ExecutionProvider.

The provider runs in a VPC of its own with no route to the internet: isolated subnets, an
interface endpoint for AppIntegrations (``com.amazonaws.<region>.app-integrations``, private
DNS) and a gateway endpoint for Amazon S3 (the CloudFormation response URL), exactly the
routes the README's "Deploying into a locked-down account" names. Its log group is encrypted
with a customer-managed key (whose policy lets CloudWatch Logs of the account and Region use
it), failed invocations go to a KMS-encrypted dead-letter queue, and it is traced. No
reservation: accounts with a reduced Lambda quota refuse any. If the provider could not reach
either endpoint, the execution would fail (AppIntegrations) or time out (S3), and the
assertions with it.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from cdk_appintegrations import ExecutionProvider
from cdk_appintegrations.acknowledgments import record_directly

from app import customer_managed_key
from tests.integ.knowledge_base_stack import SyncCase, build_integ_test, new_app

CASE = SyncCase(
    stack_name="AppIntegrationsIntegLockedDown",
    start_time_ms=1735689600000,  # 2025-01-01T00:00:00Z
    end_time_ms=1751328000000,  # 2025-07-01T00:00:00Z
)

TEST_ID = "LockedDownProviderTest"
VPC7_REASON = (
    "An integration test's VPC: it lives for one test run and carries only the provider's calls to two VPC "
    "endpoints; flow logs would need a log group that outlives the test."
)
EC23_REASON = (
    "The AppIntegrations endpoint's group admits HTTPS from the VPC's own CIDR only (CDK's default for an interface "
    "endpoint); cdk-nag cannot evaluate the CIDR, an Fn::GetAtt of the VPC."
)


def hardened_provider(stack: cdk.Stack) -> dict[str, Any]:
    """A VPC with only the two endpoints, and the provider in it with its guardrail options."""
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
        ],
        gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
        # CDK would add a Node.js custom resource to empty the default group; the test's VPC is
        # deleted with it, and nothing uses the default group.
        restrict_default_security_group=False,
    )
    endpoint = vpc.add_interface_endpoint(
        "AppIntegrations",
        service=ec2.InterfaceVpcEndpointAwsService("app-integrations"),
        private_dns_enabled=True,
        subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
    )
    # Written as cdk-nag reads acknowledgements on every supported aws-cdk-lib.
    record_directly(vpc, "AwsSolutions-VPC7", VPC7_REASON)
    for group in endpoint.connections.security_groups:
        record_directly(group, "AwsSolutions-EC23", EC23_REASON)
    key = customer_managed_key(stack, "ProviderKey", "integ test: provider logs and dead letters")
    dead_letters = sqs.Queue(
        stack,
        "ProviderDeadLetters",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    provider = ExecutionProvider(
        stack,
        "Provider",
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        log_encryption_key=key,
        dead_letter_queue=dead_letters,
        tracing=lambda_.Tracing.ACTIVE,
    )
    return {"provider": provider}


#: What this test adds to the shared stack (the construct tier reads it too).
EXECUTION_OPTIONS = hardened_provider


def main() -> None:
    """Synthesize the test (integ-runner runs this file as a script)."""
    app = new_app()
    build_integ_test(app, TEST_ID, CASE, execution_options=EXECUTION_OPTIONS)
    app.synth()


if __name__ == "__main__":
    main()
