"""A synthesized CloudFormation template read as CloudFormation reads it: graph, conditions, intrinsics.

Why here and not in each test: a custom resource's handler only ever sees what
CloudFormation sends, i.e. the template's ``Properties`` with every intrinsic resolved and
every scalar turned into a string. Tests that replay a synthesized stack (the construct
lifecycle test, the deploy driver, the benchmark) must all build that view the same way,
and the driver also needs the dependency graph CloudFormation builds to decide what may
start when. So this module holds:

* :class:`Template`: resources, their ``Condition``s, and the dependency graph from
  ``DependsOn``, ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub`` (anywhere in ``Properties``);
* :func:`resolve`: ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``, ``Fn::Select``,
  ``Fn::Split``, ``Fn::If``, ``Fn::FindInMap``, ``Fn::Base64``, ``Fn::GetAZs`` and the
  condition functions, against a :class:`Resolver` that knows the values (pseudo
  parameters, parameters, physical ids and attributes); an intrinsic it does not model
  raises :class:`TemplateError` rather than passing through unresolved;
* :func:`as_delivered`: the stringification CloudFormation applies to a custom resource's
  properties (numbers and booleans become strings; ``AWS::NoValue`` removes the key);
* :class:`CloudAssembly`: a ``cdk.out`` directory: its stack templates and the local
  directory of each Lambda function's code asset;
* :func:`evaluate`: a fragment's intrinsics from plain answers, without a whole template;
* the construct tier's queries of a template's JSON (:func:`resources_of_type`,
  :func:`only`, :func:`executions`, the provider's policies): the suite's one template
  reader besides ``aws_cdk.assertions``, which the construct tier uses where it serves
  (matching a resource's properties against a pattern).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any, Final

from testkit.account import ACCOUNT, REGION

__all__ = [
    "CUSTOM_RESOURCE_TYPES",
    "NO_VALUE",
    "CloudAssembly",
    "Resolver",
    "Resource",
    "StaticResolver",
    "Template",
    "TemplateError",
    "as_delivered",
    "is_custom_resource",
    "referenced_names",
    "resolve",
]

CUSTOM_RESOURCE_TYPES: Final = ("AWS::CloudFormation::CustomResource",)
PSEUDO_PARAMETERS: Final = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
_SUB_VARIABLE: Final = re.compile(r"\$\{([^}]*)\}")


class TemplateError(ValueError):
    """The template uses something CloudFormation would refuse, or this model does not cover."""


class _NoValue:
    """``Ref: AWS::NoValue``: the enclosing property (or list item) disappears."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Final = _NoValue()


def is_custom_resource(resource_type: str) -> bool:
    """Whether CloudFormation sends this type to a provider (``Custom::*`` or the generic custom resource)."""
    return resource_type.startswith("Custom::") or resource_type in CUSTOM_RESOURCE_TYPES


# -- the graph -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """One entry of ``Resources``, as written in the template (nothing resolved)."""

    logical_id: str
    type: str
    properties: Mapping[str, Any]
    depends_on: tuple[str, ...] = ()
    condition: str | None = None
    deletion_policy: str = "Delete"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_custom(self) -> bool:
        """Whether a provider handles it (see :func:`is_custom_resource`)."""
        return is_custom_resource(self.type)


def referenced_names(value: Any) -> set[str]:
    """Every logical name ``value`` refers to through ``Ref``, ``Fn::GetAtt`` or ``Fn::Sub`` (pseudo parameters too).

    ``Fn::Sub``'s own variable map shadows template names, as in CloudFormation.
    """
    found: set[str] = set()
    _collect(value, found)
    return found


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect(item, found)
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        [(key, argument)] = value.items()
        if key == "Ref" and isinstance(argument, str):
            found.add(argument)
            return
        if key == "Fn::GetAtt":
            found.add(_get_att_target(argument)[0])
            return
        if key == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
            for name in _sub_names(text):
                if name not in variables:
                    found.add(name.split(".", 1)[0])
            _collect(variables, found)
            return
    for item in value.values():
        _collect(item, found)


def _get_att_target(argument: Any) -> tuple[str, str]:
    if isinstance(argument, str):
        logical_id, _, attribute = argument.partition(".")
    elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
        logical_id, attribute = argument[0], argument[1]
    else:
        raise TemplateError(f"Fn::GetAtt needs [LogicalId, Attribute], got {argument!r}")
    if not isinstance(attribute, str):
        raise TemplateError(f"Fn::GetAtt attribute must be a literal here, got {attribute!r}")
    return logical_id, attribute


def _sub_names(text: str) -> list[str]:
    return [name for name in _SUB_VARIABLE.findall(text) if not name.startswith("!")]


class Template:
    """A template's resources and the order CloudFormation may act on them in."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        """Read ``body`` (the parsed template); refuses dangling references and cycles."""
        self.body = body
        self.parameters: Mapping[str, Any] = body.get("Parameters", {})
        self.conditions: Mapping[str, Any] = body.get("Conditions", {})
        self.mappings: Mapping[str, Any] = body.get("Mappings", {})
        self.resources: dict[str, Resource] = {}
        for logical_id, raw in body.get("Resources", {}).items():
            depends_on = raw.get("DependsOn", [])
            self.resources[logical_id] = Resource(
                logical_id=logical_id,
                type=str(raw["Type"]),
                properties=raw.get("Properties", {}),
                depends_on=(depends_on,) if isinstance(depends_on, str) else tuple(depends_on),
                condition=raw.get("Condition"),
                deletion_policy=str(raw.get("DeletionPolicy", "Delete")),
                metadata=raw.get("Metadata", {}),
            )
        self._dependencies = {logical_id: self._find_dependencies(r) for logical_id, r in self.resources.items()}
        try:
            tuple(TopologicalSorter(self._dependencies).static_order())
        except CycleError as error:
            raise TemplateError(f"circular dependency between resources: {error.args[1]}") from error

    @classmethod
    def load(cls, path: Path) -> Template:
        """Parse a ``*.template.json``."""
        loaded: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(loaded)

    def _find_dependencies(self, resource: Resource) -> frozenset[str]:
        names = referenced_names(resource.properties) | set(resource.depends_on)
        unknown = {
            name
            for name in names
            if name not in self.resources and name not in self.parameters and name not in PSEUDO_PARAMETERS
        }
        if unknown:
            raise TemplateError(f"{resource.logical_id} refers to unknown names {sorted(unknown)}")
        for name in resource.depends_on:
            if name not in self.resources:
                raise TemplateError(f"{resource.logical_id} DependsOn unknown resource {name}")
        return frozenset(name for name in names if name in self.resources)

    def dependencies(self, logical_id: str) -> frozenset[str]:
        """The resources ``logical_id`` waits for (explicit ``DependsOn`` and implicit references)."""
        return self._dependencies[logical_id]

    def dependents(self, logical_id: str) -> frozenset[str]:
        """The resources that wait for ``logical_id``."""
        return frozenset(other for other, deps in self._dependencies.items() if logical_id in deps)

    def order(self, logical_ids: Iterable[str] | None = None) -> list[str]:
        """A dependency order (dependencies first) of ``logical_ids`` (default: every resource)."""
        chosen = set(self.resources if logical_ids is None else logical_ids)
        graph = {lid: {d for d in self._dependencies[lid] if d in chosen} for lid in chosen}
        return list(TopologicalSorter(graph).static_order())

    def of_type(self, resource_type: str) -> list[Resource]:
        """Resources of one type, in template order."""
        return [r for r in self.resources.values() if r.type == resource_type]

    def custom_resources(self) -> list[Resource]:
        """Every resource a provider handles, in template order."""
        return [r for r in self.resources.values() if r.is_custom]

    def condition_holds(self, name: str, resolver: Resolver) -> bool:
        """Evaluate the named condition (conditions may use other conditions)."""
        if name not in self.conditions:
            raise TemplateError(f"unknown condition {name!r}")
        return bool(resolve(self.conditions[name], resolver, self))

    def active(self, resolver: Resolver) -> dict[str, Resource]:
        """The resources whose ``Condition`` (if any) holds: what the stack really contains."""
        return {
            lid: r
            for lid, r in self.resources.items()
            if r.condition is None or self.condition_holds(r.condition, resolver)
        }

    def parameter_value(self, name: str, given: Mapping[str, str]) -> str:
        """A parameter's value: given, else its ``Default``."""
        if name in given:
            return given[name]
        spec = self.parameters[name]
        if "Default" not in spec:
            raise TemplateError(f"parameter {name} has no value and no Default")
        default = spec["Default"]
        return ",".join(default) if isinstance(default, list) else str(default)


# -- resolving -------------------------------------------------------------------------------


class Resolver:
    """What intrinsics resolve against; subclass and override :meth:`ref` and :meth:`get_att`.

    The base class knows the pseudo parameters and the template's parameters; resources
    are the subclass's business (the deploy driver answers from the stack's state).
    """

    def __init__(
        self,
        *,
        region: str = REGION,
        account: str = ACCOUNT,
        stack_name: str = "Stack",
        stack_id: str | None = None,
        partition: str = "aws",
        parameters: Mapping[str, str] | None = None,
    ) -> None:
        """Pseudo parameter values; ``parameters`` override the template's defaults."""
        self.region = region
        self.account = account
        self.partition = partition
        self.stack_name = stack_name
        self.stack_id = stack_id or (
            f"arn:{partition}:cloudformation:{region}:{account}:stack/{stack_name}/0a0a0a0a-1111-4222-8333-444444444444"
        )
        self.parameters = dict(parameters or {})

    def pseudo(self, name: str) -> Any:
        """``AWS::Region`` and friends."""
        values: dict[str, Any] = {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": self.stack_id,
            "AWS::URLSuffix": "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        return values[name]

    def ref(self, logical_id: str) -> Any:
        """``Ref`` of a resource: its physical id."""
        raise TemplateError(f"Ref {logical_id}: this resolver knows no resources")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        """``Fn::GetAtt`` of a resource."""
        raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute}: this resolver knows no resources")


class StaticResolver(Resolver):
    """Resources' values given up front: ``refs[logical_id]``, ``attributes[(logical_id, attribute)]``."""

    def __init__(
        self,
        *,
        refs: Mapping[str, Any] | None = None,
        attributes: Mapping[tuple[str, str], Any] | None = None,
        **pseudo: Any,
    ) -> None:
        """Fixed answers; ``pseudo`` as for :class:`Resolver`."""
        super().__init__(**pseudo)
        self.refs = dict(refs or {})
        self.attributes = dict(attributes or {})

    def ref(self, logical_id: str) -> Any:
        """The given physical id."""
        if logical_id not in self.refs:
            raise TemplateError(f"Ref {logical_id}: no value given")
        return self.refs[logical_id]

    def get_att(self, logical_id: str, attribute: str) -> Any:
        """The given attribute."""
        if (logical_id, attribute) not in self.attributes:
            raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute}: no value given")
        return self.attributes[(logical_id, attribute)]


def resolve(value: Any, resolver: Resolver, template: Template) -> Any:
    """``value`` with every intrinsic function resolved; ``AWS::NoValue`` removes keys and list items."""
    if isinstance(value, list):
        items = [resolve(item, resolver, template) for item in value]
        return [item for item in items if item is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        [(key, argument)] = value.items()
        function = _FUNCTIONS.get(key)
        if function is not None:
            return function(argument, resolver, template)
        if key.startswith("Fn::"):
            raise TemplateError(f"{key} is not modelled by testkit.cfn_template")
    resolved = {key: resolve(item, resolver, template) for key, item in value.items()}
    return {key: item for key, item in resolved.items() if item is not NO_VALUE}


def _ref(argument: Any, resolver: Resolver, template: Template) -> Any:
    if not isinstance(argument, str):
        raise TemplateError(f"Ref needs a name, got {argument!r}")
    if argument in PSEUDO_PARAMETERS:
        return resolver.pseudo(argument)
    if argument in template.parameters:
        return template.parameter_value(argument, resolver.parameters)
    return resolver.ref(argument)


def _get_att(argument: Any, resolver: Resolver, template: Template) -> Any:
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
        argument = [argument[0], resolve(argument[1], resolver, template)]
    logical_id, attribute = _get_att_target(argument)
    return resolver.get_att(logical_id, attribute)


def _sub(argument: Any, resolver: Resolver, template: Template) -> str:
    if isinstance(argument, str):
        text, variables = argument, {}
    elif isinstance(argument, list) and len(argument) == 2:
        text, variables = argument[0], resolve(argument[1], resolver, template)
    else:
        raise TemplateError(f"Fn::Sub needs a string or [string, map], got {argument!r}")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return _scalar_text(variables[name])
        if "." in name and name.split(".", 1)[0] in template.resources:
            logical_id, attribute = name.split(".", 1)
            return _scalar_text(resolver.get_att(logical_id, attribute))
        return _scalar_text(_ref(name, resolver, template))

    return _SUB_VARIABLE.sub(replace, text)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TemplateError(f"a {type(value).__name__} cannot be substituted into a string: {value!r}")


def _join(argument: Any, resolver: Resolver, template: Template) -> str:
    delimiter, items = argument
    resolved = resolve(items, resolver, template)
    if not isinstance(resolved, list):
        raise TemplateError(f"Fn::Join needs a list, got {resolved!r}")
    return str(delimiter).join(_scalar_text(item) for item in resolved)


def _select(argument: Any, resolver: Resolver, template: Template) -> Any:
    index, items = resolve(argument[0], resolver, template), resolve(argument[1], resolver, template)
    return items[int(index)]


def _split(argument: Any, resolver: Resolver, template: Template) -> list[str]:
    delimiter, text = argument[0], resolve(argument[1], resolver, template)
    return str(text).split(str(delimiter))


def _if(argument: Any, resolver: Resolver, template: Template) -> Any:
    name, when_true, when_false = argument
    chosen = when_true if template.condition_holds(name, resolver) else when_false
    return resolve(chosen, resolver, template)


def _equals(argument: Any, resolver: Resolver, template: Template) -> bool:
    left, right = (resolve(item, resolver, template) for item in argument)
    return bool(left == right)


def _and(argument: Any, resolver: Resolver, template: Template) -> bool:
    return all(_truth(item, resolver, template) for item in argument)


def _or(argument: Any, resolver: Resolver, template: Template) -> bool:
    return any(_truth(item, resolver, template) for item in argument)


def _not(argument: Any, resolver: Resolver, template: Template) -> bool:
    [item] = argument
    return not _truth(item, resolver, template)


def _truth(item: Any, resolver: Resolver, template: Template) -> bool:
    if isinstance(item, dict) and set(item) == {"Condition"}:
        return template.condition_holds(item["Condition"], resolver)
    return bool(resolve(item, resolver, template))


def _contains(argument: Any, resolver: Resolver, template: Template) -> bool:
    items, value = resolve(argument[0], resolver, template), resolve(argument[1], resolver, template)
    return value in items


def _find_in_map(argument: Any, resolver: Resolver, template: Template) -> Any:
    name, top, second = (resolve(item, resolver, template) for item in argument[:3])
    return template.mappings[name][top][second]


def _base64(argument: Any, resolver: Resolver, template: Template) -> str:
    return base64.b64encode(_scalar_text(resolve(argument, resolver, template)).encode()).decode()


def _get_azs(argument: Any, resolver: Resolver, template: Template) -> list[str]:
    region = resolve(argument, resolver, template) or resolver.region
    return [f"{region}{zone}" for zone in "abc"]


_FUNCTIONS: Final[dict[str, Callable[[Any, Resolver, Template], Any]]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::And": _and,
    "Fn::Or": _or,
    "Fn::Not": _not,
    "Fn::Contains": _contains,
    "Fn::FindInMap": _find_in_map,
    "Fn::Base64": _base64,
    "Fn::GetAZs": _get_azs,
}


def as_delivered(value: Any) -> Any:
    """What a custom resource's provider receives: every scalar a string (``true``/``false`` for booleans)."""
    if isinstance(value, dict):
        return {key: as_delivered(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [as_delivered(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        raise TemplateError("null has no string form")
    return str(value)


# -- cloud assemblies ------------------------------------------------------------------------


class CloudAssembly:
    """A ``cdk.out`` directory: stack templates by stack name, and where each function's code asset is."""

    def __init__(self, outdir: Path) -> None:
        """Read ``manifest.json`` (falls back to ``*.template.json`` when there is none)."""
        self.outdir = Path(outdir)
        self._templates: dict[str, Path] = {}
        self._asset_manifests: dict[str, Path] = {}
        manifest = self.outdir / "manifest.json"
        if manifest.exists():
            artifacts = json.loads(manifest.read_text(encoding="utf-8")).get("artifacts", {})
            for name, artifact in artifacts.items():
                if artifact.get("type") == "aws:cloudformation:stack":
                    self._templates[name] = self.outdir / artifact["properties"]["templateFile"]
                elif artifact.get("type") == "cdk:asset-manifest":
                    self._asset_manifests[name] = self.outdir / artifact["properties"]["file"]
        else:
            for path in sorted(self.outdir.glob("*.template.json")):
                self._templates[path.name.removesuffix(".template.json")] = path
            for path in sorted(self.outdir.glob("*.assets.json")):
                self._asset_manifests[path.name] = path

    @property
    def stack_names(self) -> list[str]:
        """Stack artifacts in the assembly."""
        return sorted(self._templates)

    def template_path(self, stack_name: str | None = None) -> Path:
        """The template file of ``stack_name`` (or of the only stack)."""
        if stack_name is None:
            if len(self._templates) != 1:
                raise TemplateError(f"{self.outdir} holds stacks {self.stack_names}: name one")
            [path] = self._templates.values()
            return path
        return self._templates[stack_name]

    def template(self, stack_name: str | None = None) -> Template:
        """The parsed template of ``stack_name`` (or of the only stack)."""
        return Template.load(self.template_path(stack_name))

    def code_dir(self, template: Template, function_logical_id: str) -> Path:
        """The local directory of a Lambda function's code asset, found the way the CDK CLI finds it.

        The function's ``Code.S3Key`` is the asset's object key in an asset manifest, whose
        ``source.path`` is the staged directory. A function with inline ``ZipFile`` code is
        refused: nothing here runs it.
        """
        code = template.resources[function_logical_id].properties.get("Code", {})
        object_key = code.get("S3Key")
        if not isinstance(object_key, str):
            raise TemplateError(f"{function_logical_id}: Code {code!r} does not name an S3 asset")
        return self.asset_dir(object_key)

    def asset_dir(self, object_key: str) -> Path:
        """The staged directory of the file asset published under ``object_key``."""
        for manifest in self._asset_manifests.values():
            files = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
            for entry in files.values():
                destinations = entry.get("destinations", {}).values()
                if any(destination.get("objectKey") == object_key for destination in destinations):
                    return self.outdir / str(entry["source"]["path"])
        raise TemplateError(f"no asset in {self.outdir} has object key {object_key}")


class _Answers(StaticResolver):
    """Pseudo parameters and parameters from ``refs`` too, where the caller gives them."""

    def __init__(self, refs: Mapping[str, Any], attributes: Mapping[tuple[str, str], Any]) -> None:
        super().__init__(refs=refs, attributes=attributes)

    def pseudo(self, name: str) -> Any:
        return self.refs[name] if name in self.refs else super().pseudo(name)


def evaluate(value: Any, refs: Mapping[str, Any], attributes: Mapping[tuple[str, str], Any] | None = None) -> Any:
    """``value`` with every intrinsic replaced by its result, as CloudFormation would at deploy, without a template.

    What an intrinsic-built ARN *becomes* (the IAM policy's ``Fn::Select``/``Fn::Split`` over
    a token, the custom resource's ``Fn::GetAtt`` inputs), by the same evaluator as the
    deploy driver's. ``refs`` answers ``Ref`` (parameters and pseudo parameters such as
    ``AWS::Partition``); ``attributes`` answers ``Fn::GetAtt`` by ``(logical id, attribute)``.
    An intrinsic the evaluator does not model, or a name with no answer, fails loudly.
    """
    resources = {logical_id: {"Type": "AWS::CloudFormation::WaitConditionHandle"} for logical_id, _ in attributes or {}}
    return resolve(value, _Answers(refs, attributes or {}), Template({"Resources": resources}))


# -- Queries of a synthesized template's JSON (the construct tier's assertions) ------------------
#
# What ``aws_cdk.assertions`` does not give in one call: resources by type as plain dicts, the
# execution custom resources by construct id, the provider role's inline and managed policies.


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == resource_type}


def only(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    found = resources_of_type(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    [(name, resource)] = found.items()
    return name, resource


def executions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The custom resources, by the construct id of their execution (a direct child of the stack)."""
    from appintegrations_cr.constants import RESOURCE_TYPE  # the handler's; not at import (the benchmarks)

    found = resources_of_type(template, RESOURCE_TYPE)
    return {r["Metadata"]["aws:cdk:path"].split("/")[1]: r for r in found.values()}


def inline_policy_documents(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every inline policy document of the role: its ``Policies`` and the AWS::IAM::Policy resources attached to it."""
    role_name, role = only(template, "AWS::IAM::Role")
    documents = [policy["PolicyDocument"] for policy in role["Properties"].get("Policies", [])]
    for policy in resources_of_type(template, "AWS::IAM::Policy").values():
        if {"Ref": role_name} in policy["Properties"].get("Roles", []):
            documents.append(policy["Properties"]["PolicyDocument"])
    return documents


def provider_policy(template: dict[str, Any]) -> dict[str, Any]:
    """The provider's customer-managed policy document (the stack's only AWS::IAM::ManagedPolicy)."""
    _, policy = only(template, "AWS::IAM::ManagedPolicy")
    document: dict[str, Any] = policy["Properties"]["PolicyDocument"]
    return document


def policy_bytes(template: dict[str, Any]) -> int:
    """Minified JSON size of the provider's managed policy: what the template holds (IAM counts no whitespace)."""
    return len(json.dumps(provider_policy(template), separators=(",", ":")))


def update_statement(template: dict[str, Any]) -> dict[str, Any]:
    statements: list[dict[str, Any]] = provider_policy(template)["Statement"]
    [statement] = [s for s in statements if s.get("Sid") == "UpdateDataIntegrationAssociations"]
    return statement


def update_resources(template: dict[str, Any]) -> list[Any]:
    resources = update_statement(template)["Resource"]
    return resources if isinstance(resources, list) else [resources]


def agnostic_arn(resource: str) -> dict[str, str]:
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:app-integrations:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"}


def scalars(value: Any) -> list[Any]:
    """Every scalar in a JSON value."""
    if isinstance(value, dict):
        return [s for item in value.values() for s in scalars(item)]
    if isinstance(value, list):
        return [s for item in value for s in scalars(item)]
    return [value]
