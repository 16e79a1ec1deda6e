"""The public API is exactly the documented one: the API reference's names, each member with a docstring.

What a user can reach without an underscore is a promise: every refactor of it breaks
somebody. So the surface is written down: the package's names on the API page
(``docs/api.md``, one ``::: cdk_appintegrations.<name>`` entry each), each class's members
here. A new public name fails this test until it is added on purpose, with a docstring
that the API reference then shows.
"""

from __future__ import annotations

import inspect
import re
import typing
from typing import Any

import aws_cdk as cdk
import cdk_appintegrations
import pytest
from aws_cdk import aws_lambda as lambda_
from cdk_appintegrations import (
    DataIntegrationAssociationExecution,
    DataIntegrationReference,
    ExecutionConfiguration,
    ExecutionProvider,
    ValidationError,
)
from constructs import Construct

from tests.construct import stacks

pytestmark = pytest.mark.construct

#: The API page's entries, in its order: what the reference documents.
API_PAGE_ENTRIES = re.findall(r"^::: (\S+)$", (stacks.REPO_ROOT / "docs" / "api.md").read_text(), flags=re.M)
PACKAGE = {entry.removeprefix("cdk_appintegrations.") for entry in API_PAGE_ENTRIES}
#: Each public class's own public members (what its bases, e.g. Construct or ValueError, give is theirs).
MEMBERS: dict[type, set[str]] = {
    ExecutionProvider: {
        "add_to_role_policy",
        "connections",
        "function",
        "grant_principal",
        "log_group",
        "role",
        "service_token",
    },
    DataIntegrationAssociationExecution: {
        "attr_data_integration_arn",
        "attr_data_integration_association_arn",
        "attr_data_integration_association_id",
        "provider",
        "provider_function",
    },
    ExecutionConfiguration: {"execution_mode", "on_demand", "scheduled"},
    ValidationError: set(),
    DataIntegrationReference: {"attr_data_integration_arn", "attr_id"},
}
#: Public instance attributes, documented as ``:ivar:`` in the class docstring.
INSTANCE_ATTRIBUTES: dict[type, set[str]] = {ValidationError: {"construct_path", "kind", "problems"}}
_BASES: tuple[type, ...] = (Construct, ValueError, object)


def _own_public_members(cls: type) -> set[str]:
    inherited = {name for base in _BASES if base is not cls for name in dir(base)}
    return {
        name
        for name in dir(cls)
        if not name.startswith("_") and name not in inherited and not name.startswith("__jsii")
    } - {"_abc_impl"}


def test_the_package_exports_exactly_the_names_the_api_page_documents() -> None:
    assert len(PACKAGE) == len(API_PAGE_ENTRIES), f"an entry twice on the API page: {API_PAGE_ENTRIES}"
    assert set(cdk_appintegrations.__all__) == PACKAGE
    public = {name for name in vars(cdk_appintegrations) if not name.startswith("_")}
    modules = {name for name in public if inspect.ismodule(getattr(cdk_appintegrations, name))}
    assert public - modules == PACKAGE - {"__version__"}


@pytest.mark.parametrize("cls", list(MEMBERS), ids=lambda cls: cls.__name__)
def test_each_public_class_has_exactly_its_documented_members_each_with_a_docstring(cls: type) -> None:
    assert inspect.getdoc(cls), cls
    members = _own_public_members(cls)
    assert members == MEMBERS[cls], f"{cls.__name__}: new public members need a docstring and a place in MEMBERS"
    for name in members:
        member: Any = inspect.getattr_static(cls, name)
        target = member.__func__ if isinstance(member, staticmethod | classmethod) else member
        doc = target.fget.__doc__ if isinstance(target, property) else getattr(target, "__doc__", None)
        assert (doc or "").strip(), f"{cls.__name__}.{name} has no docstring"


def test_instances_expose_no_public_attribute_beyond_the_documented_ones() -> None:
    stack = cdk.Stack(cdk.App(), "Surface")
    provider = ExecutionProvider(stack, "Provider")
    execution = stacks.add_execution(stack, "Execution")
    configuration = ExecutionConfiguration.on_demand(start_time=stacks.JAN_1_MS)
    error = ValidationError("Kind", "Surface/Execution", ["a problem"])
    for instance in (provider, execution, configuration, error):
        attributes = {name for name in vars(instance) if not name.startswith("_")} - {"args"}
        assert attributes == INSTANCE_ATTRIBUTES.get(type(instance), set()), type(instance).__name__
    docstring = inspect.getdoc(ValidationError) or ""
    for name in INSTANCE_ATTRIBUTES[ValidationError]:
        assert f":ivar {name}:" in docstring, name


def test_the_provider_function_has_one_type_wherever_it_is_read() -> None:
    """``execution.provider_function`` is ``provider.function``: typed alike, as the ``lambda.Function`` it is."""
    hints = [
        typing.get_type_hints(inspect.getattr_static(cls, name).fget)["return"]
        for cls, name in ((DataIntegrationAssociationExecution, "provider_function"), (ExecutionProvider, "function"))
    ]
    assert hints == [lambda_.Function, lambda_.Function]
    execution = stacks.add_execution(cdk.Stack(cdk.App(), "Typed"), "Execution")
    assert execution.provider_function is execution.provider.function
