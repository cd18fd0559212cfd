"""Who sees a participant's real name (process.md "Anonymity in multiparty cases").

Everyone except the coordinator and the participant's own members sees an anonymous
participant (and the reporter) only under its alias: on pages, in mail, in the API, on the timeline and in search.
Every place that names a participant goes through `Viewer.name_of`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.cases.models import Participant


@dataclass(frozen=True)
class Viewer:
    user_id: int | None
    is_coordinator: bool
    org_ids: frozenset[int]

    @classmethod
    def of(cls, user: Any) -> Viewer:
        if not getattr(user, "is_authenticated", False):
            return cls(None, False, frozenset())
        orgs = frozenset(user.memberships.values_list("organization_id", flat=True))
        return cls(user.pk, bool(user.is_analyst), orgs)

    def is_privileged_for(self, participant: Participant) -> bool:
        """The coordinator, or the participant itself (its members, or the reporter as a person)."""
        if self.is_coordinator:
            return True
        if participant.organization_id is not None and participant.organization_id in self.org_ids:
            return True
        return participant.user_id is not None and participant.user_id == self.user_id

    def sees_real_name(self, participant: Participant) -> bool:
        # A reporter's identity is theirs to share: others see it by alias, like an anonymous vendor.
        hidden = participant.anonymous or participant.kind == Participant.Kind.REPORTER
        return not hidden or self.is_privileged_for(participant)

    def name_of(self, participant: Participant) -> str:
        return participant.real_name if self.sees_real_name(participant) else participant.alias
