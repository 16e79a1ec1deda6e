"""An integ-runner snapshot (``tests/integ/integ_*.py.snapshot``), read the way its deploy would use it.

Why: the integration tests' assertions live in the snapshot's *assertion stack*, as
``Custom::DeployAssert@SdkCall...`` resources (service, api, parameters, expected result,
optional path). Reading them from there, rather than restating them in a test, means the
local check proves what the committed integration test will assert in an account.

* :class:`IntegSnapshot` - the test cases (test-case stacks and assertion stack) of
  ``integ.json``, the templates, and the assertion provider's bundled handler.
* :meth:`IntegSnapshot.sdk_calls` - every SDK-call assertion, its properties resolved
  against the test-case stack's exports (``Fn::ImportValue``) and parameters decoded as the
  provider decodes them (each value is JSON).
* :func:`call_with_boto3` - the call made with boto3 (against whatever endpoint the
  environment names, e.g. the local emulator), its response shaped as the provider's
  ``AwsApiCallHandler`` shapes it (``apiCallResponse``, flattened when the call has output
  paths), and the value the assertion compares (``actual``).

The comparison itself is the provider's own code: see :mod:`testkit.assertion_handler`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from testkit.cfn_template import CloudAssembly, StaticResolver, Template, TemplateError, resolve

__all__ = [
    "SDK_CALL_PREFIX",
    "IntegSnapshot",
    "IntegTestCase",
    "SdkCall",
    "boto3_service",
    "call_with_boto3",
    "exports_of",
]

SDK_CALL_PREFIX = "Custom::DeployAssert@SdkCall"
_ASSERTION_TYPE_PREFIX = "Custom::DeployAssert@"
# integ-tests names the SDK v3 client (or its v2 name); boto3 names the service by its model.
_BOTO3_SERVICES = {"appintegrations": "appintegrations"}


@dataclass(frozen=True)
class IntegTestCase:
    """One test case of ``integ.json``: its test-case stacks and its assertion stack (artifact ids)."""

    name: str
    stacks: tuple[str, ...]
    assertion_stack: str
    regions: tuple[str, ...]


@dataclass(frozen=True)
class SdkCall:
    """One ``Custom::DeployAssert@SdkCall...`` resource, resolved."""

    logical_id: str
    service: str
    api: str
    parameters: dict[str, Any]
    expected: str | None
    """The encoded ``ExpectedResult`` (a JSON string: ``{"$ObjectLike": ...}`` and so on), if any."""
    actual_path: str | None
    output_paths: tuple[str, ...]
    flatten: bool


class IntegSnapshot:
    """``<test>.snapshot/``: a cloud assembly plus integ-runner's ``integ.json``."""

    def __init__(self, directory: Path) -> None:
        """Read ``integ.json`` and the manifest; raises ``TemplateError`` if the directory is not a snapshot."""
        self.directory = Path(directory)
        integ = self.directory / "integ.json"
        if not integ.exists():
            raise TemplateError(f"{self.directory}: no integ.json, not an integ-runner snapshot")
        self.assembly = CloudAssembly(self.directory)
        cases = json.loads(integ.read_text(encoding="utf-8"))["testCases"]
        artifact_of = self._artifact_ids()
        self.test_cases = [
            IntegTestCase(
                name=name,
                stacks=tuple(case["stacks"]),
                assertion_stack=artifact_of.get(case["assertionStack"], case["assertionStackName"]),
                regions=tuple(case.get("regions", ())),
            )
            for name, case in cases.items()
        ]

    def _artifact_ids(self) -> dict[str, str]:
        """Construct path of each stack artifact -> its artifact id (integ.json names the assertion stack by path)."""
        manifest = json.loads((self.directory / "manifest.json").read_text(encoding="utf-8"))
        found = {}
        for artifact_id, artifact in manifest.get("artifacts", {}).items():
            path = artifact.get("displayName")
            if artifact.get("type") == "aws:cloudformation:stack" and isinstance(path, str):
                found[path] = artifact_id
        return found

    @property
    def only_case(self) -> IntegTestCase:
        """The snapshot's single test case (this project's tests have one each)."""
        [case] = self.test_cases
        return case

    def template(self, artifact_id: str) -> Template:
        """A stack's template."""
        return self.assembly.template(artifact_id)

    def stack_name(self, artifact_id: str) -> str:
        """The CloudFormation stack name of an artifact (``stackName`` in the manifest)."""
        manifest = json.loads((self.directory / "manifest.json").read_text(encoding="utf-8"))
        name = manifest["artifacts"][artifact_id]["properties"].get("stackName", artifact_id)
        return str(name)

    def handler_dir(self, case: IntegTestCase) -> Path:
        """The assertion provider's code: the asset of the assertion stack's one Lambda function."""
        template = self.template(case.assertion_stack)
        [function] = template.of_type("AWS::Lambda::Function")
        return self.assembly.code_dir(template, function.logical_id)

    def assertion_types(self, case: IntegTestCase) -> list[str]:
        """Every ``Custom::DeployAssert@...`` resource type in the assertion stack."""
        return sorted(
            {r.type for r in self.template(case.assertion_stack).resources.values() if r.type.startswith("Custom::")}
        )

    def sdk_calls(self, case: IntegTestCase, exports: Mapping[str, str]) -> list[SdkCall]:
        """The SDK-call assertions of ``case``, resolved; ``exports`` are the test-case stacks' ``Export.Name``s."""
        template = self.template(case.assertion_stack)
        unsupported = [t for t in self.assertion_types(case) if not t.startswith(SDK_CALL_PREFIX)]
        if unsupported:
            raise TemplateError(f"{case.assertion_stack}: assertion types not modelled here: {unsupported}")
        resolver = StaticResolver(refs={}, attributes={})
        calls = []
        for resource in sorted(template.resources.values(), key=lambda r: r.logical_id):
            if not resource.type.startswith(SDK_CALL_PREFIX):
                continue
            properties = {k: v for k, v in resource.properties.items() if k != "ServiceToken"}
            resolved = resolve(_import_values(properties, exports), resolver, template)
            calls.append(
                SdkCall(
                    logical_id=resource.logical_id,
                    service=str(resolved["service"]),
                    api=str(resolved["api"]),
                    parameters={k: json.loads(v) for k, v in dict(resolved.get("parameters", {})).items()},
                    expected=resolved.get("expected"),
                    actual_path=resolved.get("actualPath"),
                    output_paths=tuple(resolved.get("outputPaths", ())),
                    flatten=resolved.get("flattenResponse") == "true",
                )
            )
        return calls


def _import_values(value: Any, exports: Mapping[str, str]) -> Any:
    """``value`` with each ``{"Fn::ImportValue": name}`` replaced by the export's value."""
    if isinstance(value, list):
        return [_import_values(item, exports) for item in value]
    if isinstance(value, dict):
        if list(value) == ["Fn::ImportValue"]:
            name = value["Fn::ImportValue"]
            if name not in exports:
                raise TemplateError(f"Fn::ImportValue {name!r}: no such export (exports: {sorted(exports)})")
            return exports[name]
        return {key: _import_values(item, exports) for key, item in value.items()}
    return value


def exports_of(template: Template, resolver: StaticResolver) -> dict[str, str]:
    """A deployed stack's exports: each output's ``Export.Name`` -> its resolved ``Value``."""
    found = {}
    for output in template.body.get("Outputs", {}).values():
        if "Export" in output:
            name = resolve(output["Export"]["Name"], resolver, template)
            found[str(name)] = str(resolve(output["Value"], resolver, template))
    return found


def boto3_service(service: str) -> str:
    """The boto3 service name for integ-tests' ``service`` (``AppIntegrations``, ``@aws-sdk/client-appintegrations``)."""
    key = service.removeprefix("@aws-sdk/client-").lower()
    if key not in _BOTO3_SERVICES:
        raise TemplateError(f"service {service!r}: no boto3 mapping here (known: {sorted(_BOTO3_SERVICES)})")
    return _BOTO3_SERVICES[key]


def _snake(api: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", api[0].lower() + api[1:]).lower()


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """The SDK adapter's ``flatten``: nested keys joined with ``.``, list items by index."""
    if isinstance(value, dict):
        items: list[tuple[str, Any]] = list(value.items())
    elif isinstance(value, list):
        items = [(str(index), item) for index, item in enumerate(value)]
    else:
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in items:
        flat.update(_flatten(item, f"{prefix}.{key}" if prefix else key))
    return flat


def call_with_boto3(call: SdkCall, *, region: str) -> tuple[dict[str, Any], Any]:
    """Make ``call`` with boto3; returns (the handler's result, the ``actual`` its assertion compares).

    As ``AwsApiCallHandler``: the response without its metadata, as ``apiCallResponse``;
    flattened and filtered to the output paths when the call has any (or asks to be
    flattened). As the provider's ``handler``: ``actual`` is the value at
    ``apiCallResponse.<actualPath>`` when there is a path, else the whole response.
    """
    client = boto3.client(boto3_service(call.service), region_name=region)  # type: ignore[call-overload]
    response = dict(getattr(client, _snake(call.api))(**call.parameters))
    response.pop("ResponseMetadata", None)
    result: dict[str, Any]
    if call.output_paths or call.flatten:
        flat = _flatten({"apiCallResponse": response})
        result = (
            {k: v for k, v in flat.items() if any(k.startswith(f"apiCallResponse.{p}") for p in call.output_paths)}
            if call.output_paths
            else flat
        )
    else:
        result = {"apiCallResponse": response}
    actual = result.get(f"apiCallResponse.{call.actual_path}") if call.actual_path else result.get("apiCallResponse")
    return result, actual
