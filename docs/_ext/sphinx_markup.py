"""A Griffe extension: the library's reST-flavoured docstrings, rendered as the docs site's Markdown.

The docstrings follow the conventions of CDK's own (jsii) constructs, which Sphinx reads:
``#:`` comments document attributes, ``:class:`X``` roles point at other objects,
``:default:`` lists what each keyword defaults to, and ``Example::`` introduces code.
mkdocstrings' Sphinx parser reads ``:param:`` fields but none of these, so without this
extension the reference would lose the attributes' text, print the roles raw and show no
links. Rewriting them here, at load time, keeps the source in one style.

It also makes ``mkdocs build --strict`` fail on what would make the reference
incomplete or wrong: a public member without a docstring, and a role that names no
public object (the link would be dead, or point into the internals).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import griffe

_LOGGER = griffe.get_logger("sphinx_markup")
_ROLE = re.compile(r":(?:class|meth|func|attr|data|exc|obj):`~?([\w.]+)`")
_DEFAULT_ITEM = re.compile(r"``(\w+)``:\s")
_LITERAL_BLOCK = re.compile(r"^(?P<lead>.*\S)::\n\n(?P<block>(?:(?:[ \t]+.*)?\n)+)", re.MULTILINE)


def _hash_colon_comment(obj: griffe.Object) -> str | None:
    """The ``#:`` comment lines right above an attribute's assignment, as its docstring."""
    if obj.filepath is None or obj.lineno is None or not isinstance(obj.filepath, Path):
        return None
    lines = obj.filepath.read_text(encoding="utf-8").splitlines()
    comment: list[str] = []
    index = obj.lineno - 2
    while index >= 0 and lines[index].strip().startswith("#:"):
        comment.insert(0, lines[index].strip()[2:].strip())
        index -= 1
    return " ".join(comment) or None


def _ivars(docstring: str) -> dict[str, str]:
    """``:ivar name: text`` fields of a class docstring, by name (continuation lines joined)."""
    found: dict[str, str] = {}
    for match in re.finditer(r"^:ivar (\w+):(.*(?:\n[ \t]+.*)*)", docstring, re.MULTILINE):
        found[match.group(1)] = " ".join(match.group(2).split())
    return found


def _defaults(docstring: str) -> str:
    """Move a ``:default:`` field before the other fields, as a list: the Sphinx parser would print it raw."""
    match = re.search(r"^:default:\s*-?\s*(.*(?:\n[ \t]+.*)*)", docstring, re.MULTILINE)
    if match is None:
        return docstring
    body = " ".join(match.group(1).split())
    starts = [item.start() for item in _DEFAULT_ITEM.finditer(body)]
    items = [body[start:end].strip() for start, end in zip(starts, [*starts[1:], len(body)], strict=True)] or [body]
    listing = "**Defaults:**\n\n" + "\n".join(f"- {item}" for item in items) + "\n\n"
    rest = (docstring[: match.start()] + docstring[match.end() :]).rstrip() + "\n"
    first_field = re.search(r"^:\w+", rest, re.MULTILINE)
    at = first_field.start() if first_field else len(rest)
    return rest[:at] + listing + rest[at:]


def _literal_blocks(docstring: str) -> str:
    """``Example::`` and an indented block become ``Example:`` and a fenced Python block."""

    def fence(match: re.Match[str]) -> str:
        code = textwrap.dedent(match.group("block")).strip("\n")
        return f"{match.group('lead')}:\n\n```python\n{code}\n```\n\n"

    return _LITERAL_BLOCK.sub(fence, docstring if docstring.endswith("\n") else docstring + "\n")


class SphinxMarkup(griffe.Extension):
    """Rewrites the package's docstrings after it is loaded, and reports gaps in the public API's."""

    def __init__(self, package: str = "cdk_appintegrations", filters: list[str] | None = None) -> None:
        """``filters``: the handler's member filters (``!`` excludes), so both agree on what is public."""
        super().__init__()
        self.package = package
        self.filters = [(re.compile(f.removeprefix("!")), f.startswith("!")) for f in filters or ["!^_"]]

    def _shown(self, name: str) -> bool:
        """Whether mkdocstrings shows a member of this name: the last filter that matches it decides."""
        keep = True
        for pattern, exclude in self.filters:
            if pattern.search(name):
                keep = not exclude
        return keep

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.name != self.package:
            return
        public = self._public_objects(pkg)
        for obj in public.values():
            self._fill_from_comments(obj)
        for path, obj in public.items():
            self._require_docstring(path, obj)
        constructors = [obj.members.get("__init__") for obj in public.values()]
        for shown in [*public.values(), *constructors]:
            if isinstance(shown, griffe.Object) and shown.docstring is not None:
                self._rewrite(shown, shown.docstring, public)

    def _rewrite(self, obj: griffe.Object, docstring: griffe.Docstring, public: dict[str, griffe.Object]) -> None:
        """The docstring in the site's Markdown: defaults listed, code fenced, roles as links."""

        def link(match: re.Match[str]) -> str:
            return self._link(match.group(1), obj, public)

        docstring.value = _ROLE.sub(link, _literal_blocks(_defaults(docstring.value)))

    def _public_objects(self, pkg: griffe.Module) -> dict[str, griffe.Object]:
        """Every object the reference shows, by the path it is shown under: ``__all__``, and their public members."""
        public: dict[str, griffe.Object] = {}
        for name in pkg.exports or ():
            target = pkg.members[str(name)]
            obj = target.final_target if isinstance(target, griffe.Alias) else target
            public[f"{pkg.path}.{name}"] = obj
            if isinstance(obj, griffe.Class):
                for member_name, member in obj.members.items():
                    if self._shown(member_name) and isinstance(member, griffe.Object):
                        public[f"{pkg.path}.{name}.{member_name}"] = member
        return public

    @staticmethod
    def _fill_from_comments(obj: griffe.Object) -> None:
        if obj.docstring is not None:
            if isinstance(obj, griffe.Class):  # ``:ivar x:`` documents the attribute x too
                for name, text in _ivars(obj.docstring.value).items():
                    member = obj.members.get(name)
                    if isinstance(member, griffe.Attribute) and member.docstring is None:
                        member.docstring = griffe.Docstring(text, parent=member)
            return
        if isinstance(obj, griffe.Attribute):
            comment = _hash_colon_comment(obj)
            if comment is not None:
                obj.docstring = griffe.Docstring(comment, parent=obj)

    @staticmethod
    def _require_docstring(path: str, obj: griffe.Object) -> None:
        if obj.docstring is None or not obj.docstring.value.strip():
            _LOGGER.warning(f"{path} is public but has no docstring: the API reference would show it unexplained")

    def _link(self, name: str, where: griffe.Object, public: dict[str, griffe.Object]) -> str:
        """A role as a link to the public object it names: a member of the same class first, then the package's."""
        owner = where if isinstance(where, griffe.Class) else where.parent
        candidates = [f"{self.package}.{name}"]
        if isinstance(owner, griffe.Class):
            shown = next((path for path, obj in public.items() if obj is owner), None)
            if shown is not None:
                candidates.insert(0, f"{shown}.{name}")
        for path in candidates:
            if path in public:
                return f"[`{name}`][{path}]"
        _LOGGER.warning(f"{where.path}: the docstring points at {name!r}, which is not in the public API")
        return f"`{name}`"
