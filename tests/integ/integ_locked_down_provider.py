"""Integration test (c): the knowledge-base sync served by a hardened ExecutionProvider.

The provider runs in a VPC of its own with no route to the internet: isolated subnets, an
interface endpoint for AppIntegrations (``com.amazonaws.<region>.app-integrations``, private
DNS) and a gateway endpoint for Amazon S3 (the CloudFormation response URL), exactly the
routes the docs' "Locked-down accounts" page names (Network). Its log group is encrypted
with a customer-managed key (whose policy lets CloudWatch Logs of the account and Region use
it), as is its environment; failed invocations go to a KMS-encrypted dead-letter queue, and it
is traced (``app.hardened_provider``, as in the locked-down example). No reservation: accounts with a reduced Lambda quota refuse any. If the provider could not reach
either endpoint, the execution would fail (AppIntegrations) or time out (S3), and the
assertions with it.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from cdk_appintegrations.acknowledgments import record_directly

from app import hardened_provider
from tests.integ.knowledge_base_stack import SyncCase, synthesize

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


def provider_in_an_isolated_vpc(stack: cdk.Stack) -> dict[str, Any]:
    """A VPC with only the two endpoints, and the hardened provider in it."""
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
    return {"provider": hardened_provider(stack, vpc, ec2.SubnetType.PRIVATE_ISOLATED)}


#: What this test adds to the shared stack (the construct tier reads it too).
EXECUTION_OPTIONS = provider_in_an_isolated_vpc


if __name__ == "__main__":  # integ-runner runs the file as a script
    synthesize(TEST_ID, CASE, execution_options=EXECUTION_OPTIONS)
