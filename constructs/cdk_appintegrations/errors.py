"""The one error every synth-time refusal raises.

CDK's own constructs carry the construct in a typed error (core's ``ValidationError``)
so that code and tests can read where and what without parsing a message. This one
is a ``ValueError`` too, so callers that caught ``ValueError`` before keep working.
"""

from __future__ import annotations

from collections.abc import Sequence


class ValidationError(ValueError):
    """A construct refused its input at synth.

    :ivar kind: the kind of construct that refused it, e.g. ``DataIntegrationAssociationExecution``.
    :ivar construct_path: the path of the construct that refused it, e.g. ``Stack/KnowledgeBaseSync``.
    :ivar problems: one message per problem, each naming the field, the value and what is allowed.
    """

    def __init__(self, kind: str, construct_path: str, problems: Sequence[str]) -> None:
        self.kind = kind
        self.construct_path = construct_path
        self.problems = list(problems)
        super().__init__(f"{kind} '{construct_path}': {'; '.join(self.problems)}")
