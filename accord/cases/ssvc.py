"""CERT/CC SSVC coordinator decision tables, encoded as data.

Two decision tables from Stakeholder-Specific Vulnerability Categorization (SSVC) support the
analyst (process.md, "SSVC decision support"):

- *Coordinator triage*: decline, track or coordinate a report (192 rows).
- *Coordinator publish*: whether the coordinator publishes its own document (27 rows).

The rows below are copied verbatim, in the same order, from CERT/CC's CSV files
``data/csv/ssvc/coordinator_triage_1_0_0.csv`` and
``data/csv/ssvc/coordinator_publish_decision_table_1_0_0.csv`` (repository CERTCC/SSVC,
commit e3b00a2); the trailing comment on each row is its row number in that CSV. The tests
(tests/test_ssvc.py) compare them with the CSV files row for row. Nothing is read from disk at
run time.

The outcome is advice: the analyst records the values, the outcome and their own choice.

This module is pure Python: no Django, no imports from the rest of Accord.

Licence of the copied tables (``data/LICENSE`` in CERTCC/SSVC):

    Copyright 2026 Carnegie Mellon University.

    Licensed under a MIT (SEI)-style license, please see license.txt or contact
    permission@sei.cmu.edu for full terms.

    Permission is hereby granted, free of charge, to any person obtaining a copy of this
    software and associated documentation files (the "Software"), to deal in the Software
    without restriction, including without limitation the rights to use, copy, modify, merge,
    publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
    to whom the Software is furnished to do so, subject to the following conditions:

    The above copyright notice and this permission notice shall be included in all copies or
    substantial portions of the Software.

    NO WARRANTY. THIS CARNEGIE MELLON UNIVERSITY AND SOFTWARE ENGINEERING INSTITUTE MATERIAL IS
    FURNISHED ON AN "AS-IS" BASIS. CARNEGIE MELLON UNIVERSITY MAKES NO WARRANTIES OF ANY KIND,
    EITHER EXPRESSED OR IMPLIED, AS TO ANY MATTER INCLUDING, BUT NOT LIMITED TO, WARRANTY OF
    FITNESS FOR PURPOSE OR MERCHANTABILITY, EXCLUSIVITY, OR RESULTS OBTAINED FROM USE OF THE
    MATERIAL. CARNEGIE MELLON UNIVERSITY DOES NOT MAKE ANY WARRANTY OF ANY KIND WITH RESPECT TO
    FREEDOM FROM PATENT, TRADEMARK, OR COPYRIGHT INFRINGEMENT.

    [DISTRIBUTION STATEMENT A] This material has been approved for public release and
    unlimited distribution. DM24-0278
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "COORDINATOR_PUBLISH",
    "COORDINATOR_TRIAGE",
    "DECISIONS",
    "Decision",
    "DecisionPoint",
    "Option",
    "SsvcInputError",
    "decide",
    "publish_outcome",
    "table_rows",
    "triage_outcome",
]


class SsvcInputError(ValueError):
    """The values given for a decision do not fit its decision points.

    ``point`` is the key of the decision point at fault (None for an unknown key) and
    ``allowed`` the values (or keys) that would have been accepted, so a form can attach the
    error to the right field.
    """

    def __init__(self, message: str, *, point: str | None = None, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.point = point
        self.allowed = allowed


@dataclass(frozen=True)
class Option:
    """One value of a decision point (or of an outcome)."""

    value: str  # exactly as in the CSV, e.g. "public poc"
    label: str  # for display, e.g. "Public PoC"
    description: str  # short, usable as form help text


@dataclass(frozen=True)
class DecisionPoint:
    """A question with an ordered set of answers, e.g. Exploitation: none / public poc / active."""

    key: str  # stable snake_case id, e.g. "public_value_added"
    name: str  # as in the CSV header, e.g. "Public Value Added"
    version: str  # as in the CSV header, e.g. "1.0.0"
    question: str
    options: tuple[Option, ...]

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.options)

    def option(self, value: str) -> Option:
        for option in self.options:
            if option.value == value:
                return option
        raise SsvcInputError(_bad_value_message(self, value), point=self.key, allowed=self.values)

    def choices(self) -> tuple[tuple[str, str], ...]:
        """(value, label) pairs, e.g. for a Django ``ChoiceField`` with a ``RadioSelect``."""
        return tuple((option.value, option.label) for option in self.options)


@dataclass(frozen=True)
class Decision:
    """A decision table: every combination of the points' values maps to one outcome."""

    key: str
    name: str
    version: str  # of the table (from the CSV file name)
    outcome_name: str  # as in the CSV header, e.g. "Decline, Track, Coordinate"
    outcome_version: str  # as in the CSV header
    points: tuple[DecisionPoint, ...]
    outcomes: tuple[Option, ...]
    # Tuple of option values, in the order of ``points`` -> outcome value. Read-only.
    table: Mapping[tuple[str, ...], str] = field(compare=False, repr=False)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(point.key for point in self.points)

    @property
    def outcome_values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.outcomes)

    def point(self, key: str) -> DecisionPoint:
        for point in self.points:
            if point.key == key:
                return point
        raise SsvcInputError(_unknown_key_message(self, [key]), allowed=self.keys)

    def outcome(self, value: str) -> Option:
        for option in self.outcomes:
            if option.value == value:
                return option
        raise KeyError(value)


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f'"{value}"' for value in values)


def _bad_value_message(point: DecisionPoint, value: object) -> str:
    return f"{point.name} ({point.key}): {value!r} is not allowed; allowed values: {_quoted(point.values)}."


def _unknown_key_message(decision: Decision, keys: list[Any]) -> str:
    unknown = ", ".join(sorted(repr(key) for key in keys))
    return (
        f"{decision.name}: unknown decision point {unknown}; "
        f"the decision points are: {_quoted(decision.keys)}."
    )


def decide(decision: Decision, values: Mapping[str, str]) -> str:
    """The outcome of ``decision`` for ``values`` (decision point key -> option value).

    Values must be exactly one of the point's option values (as in the CSV: lower case, e.g.
    "public poc"). Unknown keys, missing keys and invalid values raise SsvcInputError.
    """
    if not isinstance(values, Mapping):
        raise SsvcInputError(
            f"{decision.name}: expected a mapping of decision point to value, got "
            f"{type(values).__name__}; the decision points are: {_quoted(decision.keys)}.",
            allowed=decision.keys,
        )
    unknown = [key for key in values if key not in decision.keys]
    if unknown:
        raise SsvcInputError(_unknown_key_message(decision, unknown), allowed=decision.keys)
    row = []
    for point in decision.points:
        if point.key not in values:
            raise SsvcInputError(
                f"{point.name} ({point.key}): missing; allowed values: {_quoted(point.values)}.",
                point=point.key,
                allowed=point.values,
            )
        value = values[point.key]
        if not isinstance(value, str) or value not in point.values:
            raise SsvcInputError(_bad_value_message(point, value), point=point.key, allowed=point.values)
        row.append(value)
    return decision.table[tuple(row)]


def table_rows(decision: Decision) -> Iterator[tuple[dict[str, str], str]]:
    """Every row of the table as (values, outcome), in the order of the CERT/CC CSV file."""
    for row, outcome in decision.table.items():
        yield dict(zip(decision.keys, row, strict=True)), outcome


def _decision(
    *,
    key: str,
    name: str,
    version: str,
    outcome_name: str,
    outcome_version: str,
    points: tuple[DecisionPoint, ...],
    outcomes: tuple[Option, ...],
    rows: tuple[tuple[str, ...], ...],
) -> Decision:
    """Build a Decision from its rows, refusing a table that is not complete and consistent."""
    outcome_values = {option.value for option in outcomes}
    table: dict[tuple[str, ...], str] = {}
    for number, row in enumerate(rows):
        *inputs, outcome = row
        if len(inputs) != len(points):
            raise RuntimeError(f"{name} row {number}: expected {len(points) + 1} columns, got {len(row)}")
        for point, value in zip(points, inputs, strict=True):
            if value not in point.values:
                raise RuntimeError(f"{name} row {number}: {value!r} is not a value of {point.name}")
        if outcome not in outcome_values:
            raise RuntimeError(f"{name} row {number}: {outcome!r} is not an outcome")
        if tuple(inputs) in table:
            raise RuntimeError(f"{name} row {number}: duplicate combination {inputs!r}")
        table[tuple(inputs)] = outcome
    combinations = set(itertools.product(*(point.values for point in points)))
    if set(table) != combinations:
        missing = sorted(combinations - set(table))
        raise RuntimeError(f"{name}: {len(missing)} combinations have no row, e.g. {missing[:3]!r}")
    return Decision(
        key=key,
        name=name,
        version=version,
        outcome_name=outcome_name,
        outcome_version=outcome_version,
        points=points,
        outcomes=outcomes,
        table=MappingProxyType(table),
    )


# --- Decision points -------------------------------------------------------------------------
# Descriptions follow the SSVC definitions of each point at the version named in the CSV header.

REPORT_PUBLIC = DecisionPoint(
    key="report_public",
    name="Report Public",
    version="1.0.0",
    question="Is a viable report of the details of the vulnerability already publicly available?",
    options=(
        Option("yes", "Yes", "A public report of the vulnerability exists."),
        Option("no", "No", "No public report of the vulnerability exists."),
    ),
)

SUPPLIER_CONTACTED = DecisionPoint(
    key="supplier_contacted",
    name="Supplier Contacted",
    version="1.0.0",
    question=(
        "Has the reporter made a good-faith effort to contact the supplier of the vulnerable "
        "component using a quality contact method?"
    ),
    options=(
        Option("yes", "Yes", "The supplier has been contacted."),
        Option("no", "No", "The supplier has not been contacted."),
    ),
)

REPORT_CREDIBILITY = DecisionPoint(
    key="report_credibility",
    name="Report Credibility",
    version="1.0.0",
    question="Is the report credible?",
    options=(
        Option("credible", "Credible", "The report is credible."),
        Option("not credible", "Not credible", "The report is not credible."),
    ),
)

SUPPLIER_CARDINALITY = DecisionPoint(
    key="supplier_cardinality",
    name="Supplier Cardinality",
    version="1.0.0",
    question=(
        "How many suppliers are responsible for the vulnerable component and its remediation "
        "or mitigation plan?"
    ),
    options=(
        Option("one", "One", "There is only one supplier of the vulnerable component."),
        Option("multiple", "Multiple", "There are multiple suppliers of the vulnerable component."),
    ),
)

SUPPLIER_ENGAGEMENT = DecisionPoint(
    key="supplier_engagement",
    name="Supplier Engagement",
    version="1.0.0",
    question=(
        "Is the supplier responding to the reporter's contact effort and actively participating "
        "in the coordination effort?"
    ),
    options=(
        Option("active", "Active", "The supplier responds and takes part in the coordination."),
        Option("unresponsive", "Unresponsive", "The supplier neither responds nor takes part."),
    ),
)

UTILITY = DecisionPoint(
    key="utility",
    name="Utility",
    version="1.0.1",
    question="How useful is exploiting the vulnerability to an adversary?",
    options=(
        Option("laborious", "Laborious", "Not automatable, and diffuse value density."),
        Option(
            "efficient",
            "Efficient",
            "Automatable with diffuse value density, or not automatable with concentrated value density.",
        ),
        Option("super effective", "Super effective", "Automatable, and concentrated value density."),
    ),
)

PUBLIC_SAFETY_IMPACT = DecisionPoint(
    key="public_safety_impact",
    name="Public Safety Impact",
    version="2.0.1",
    question="A coarse-grained representation of the impact on public safety.",
    options=(
        Option("minimal", "Minimal", "Safety impact: negligible."),
        Option("significant", "Significant", "Safety impact: marginal, critical or catastrophic."),
    ),
)

SUPPLIER_INVOLVEMENT = DecisionPoint(
    key="supplier_involvement",
    name="Supplier Involvement",
    version="1.0.0",
    question="What is the state of the supplier's work on addressing the vulnerability?",
    options=(
        Option("fix ready", "Fix ready", "The supplier has provided a patch or fix."),
        Option(
            "cooperative",
            "Cooperative",
            "The supplier is actively preparing a patch or fix (possibly with a mitigation meanwhile).",
        ),
        Option(
            "uncooperative/unresponsive",
            "Uncooperative / unresponsive",
            "The supplier has not responded, declined to remediate, or no longer exists.",
        ),
    ),
)

EXPLOITATION = DecisionPoint(
    key="exploitation",
    name="Exploitation",
    version="1.1.0",
    question="The present state of exploitation of the vulnerability.",
    options=(
        Option("none", "None", "No evidence of active exploitation and no public proof of concept."),
        Option(
            "public poc",
            "Public PoC",
            "A typical public PoC exists (e.g. Metasploit, ExploitDB), or the method of exploitation "
            "is well known.",
        ),
        Option(
            "active",
            "Active",
            "Shared, observable, reliable evidence of exploitation in the wild by real attackers.",
        ),
    ),
)

PUBLIC_VALUE_ADDED = DecisionPoint(
    key="public_value_added",
    name="Public Value Added",
    version="1.0.0",
    question="How much would a publication from the coordinator benefit the broader community?",
    options=(
        Option(
            "limited",
            "Limited",
            "Minimal value added: existing public information is already good and widely available.",
        ),
        Option(
            "ampliative",
            "Ampliative",
            "Amplifies or augments existing public information (more detail, corrections, attention).",
        ),
        Option(
            "precedence",
            "Precedence",
            "The publication would be the first public one, or coincide with the first.",
        ),
    ),
)


# --- Coordinator triage ------------------------------------------------------------------------
# Columns: report_public, supplier_contacted, report_credibility, supplier_cardinality,
# supplier_engagement, utility, public_safety_impact -> outcome.

# fmt: off
_TRIAGE_ROWS: tuple[tuple[str, ...], ...] = (
    ("yes", "no",  "not credible", "one",      "active",       "laborious",       "minimal",     "decline"),  # 0
    ("no",  "no",  "not credible", "one",      "active",       "laborious",       "minimal",     "decline"),  # 1
    ("yes", "yes", "not credible", "one",      "active",       "laborious",       "minimal",     "decline"),  # 2
    ("yes", "no",  "credible",     "one",      "active",       "laborious",       "minimal",     "decline"),  # 3
    ("yes", "no",  "not credible", "multiple", "active",       "laborious",       "minimal",     "decline"),  # 4
    ("yes", "no",  "not credible", "one",      "unresponsive", "laborious",       "minimal",     "decline"),  # 5
    ("yes", "no",  "not credible", "one",      "active",       "efficient",       "minimal",     "decline"),  # 6
    ("yes", "no",  "not credible", "one",      "active",       "laborious",       "significant", "decline"),  # 7
    ("no",  "yes", "not credible", "one",      "active",       "laborious",       "minimal",     "decline"),  # 8
    ("no",  "no",  "credible",     "one",      "active",       "laborious",       "minimal",     "decline"),  # 9
    ("yes", "yes", "credible",     "one",      "active",       "laborious",       "minimal",     "decline"),  # 10
    ("no",  "no",  "not credible", "multiple", "active",       "laborious",       "minimal",     "decline"),  # 11
    ("yes", "yes", "not credible", "multiple", "active",       "laborious",       "minimal",     "decline"),  # 12
    ("yes", "no",  "credible",     "multiple", "active",       "laborious",       "minimal",     "decline"),  # 13
    ("no",  "no",  "not credible", "one",      "unresponsive", "laborious",       "minimal",     "decline"),  # 14
    ("yes", "yes", "not credible", "one",      "unresponsive", "laborious",       "minimal",     "decline"),  # 15
    ("yes", "no",  "credible",     "one",      "unresponsive", "laborious",       "minimal",     "decline"),  # 16
    ("yes", "no",  "not credible", "multiple", "unresponsive", "laborious",       "minimal",     "decline"),  # 17
    ("no",  "no",  "not credible", "one",      "active",       "efficient",       "minimal",     "decline"),  # 18
    ("yes", "yes", "not credible", "one",      "active",       "efficient",       "minimal",     "decline"),  # 19
    ("yes", "no",  "credible",     "one",      "active",       "efficient",       "minimal",     "decline"),  # 20
    ("yes", "no",  "not credible", "multiple", "active",       "efficient",       "minimal",     "decline"),  # 21
    ("yes", "no",  "not credible", "one",      "unresponsive", "efficient",       "minimal",     "decline"),  # 22
    ("yes", "no",  "not credible", "one",      "active",       "super effective", "minimal",     "decline"),  # 23
    ("no",  "no",  "not credible", "one",      "active",       "laborious",       "significant", "decline"),  # 24
    ("yes", "yes", "not credible", "one",      "active",       "laborious",       "significant", "decline"),  # 25
    ("yes", "no",  "credible",     "one",      "active",       "laborious",       "significant", "decline"),  # 26
    ("yes", "no",  "not credible", "multiple", "active",       "laborious",       "significant", "decline"),  # 27
    ("yes", "no",  "not credible", "one",      "unresponsive", "laborious",       "significant", "decline"),  # 28
    ("yes", "no",  "not credible", "one",      "active",       "efficient",       "significant", "decline"),  # 29
    ("no",  "yes", "credible",     "one",      "active",       "laborious",       "minimal",     "decline"),  # 30
    ("no",  "yes", "not credible", "multiple", "active",       "laborious",       "minimal",     "decline"),  # 31
    ("no",  "no",  "credible",     "multiple", "active",       "laborious",       "minimal",     "decline"),  # 32
    ("yes", "yes", "credible",     "multiple", "active",       "laborious",       "minimal",     "decline"),  # 33
    ("no",  "yes", "not credible", "one",      "unresponsive", "laborious",       "minimal",     "decline"),  # 34
    ("no",  "no",  "credible",     "one",      "unresponsive", "laborious",       "minimal",     "decline"),  # 35
    ("yes", "yes", "credible",     "one",      "unresponsive", "laborious",       "minimal",     "decline"),  # 36
    ("no",  "no",  "not credible", "multiple", "unresponsive", "laborious",       "minimal",     "decline"),  # 37
    ("yes", "yes", "not credible", "multiple", "unresponsive", "laborious",       "minimal",     "decline"),  # 38
    ("yes", "no",  "credible",     "multiple", "unresponsive", "laborious",       "minimal",     "decline"),  # 39
    ("no",  "yes", "not credible", "one",      "active",       "efficient",       "minimal",     "decline"),  # 40
    ("no",  "no",  "credible",     "one",      "active",       "efficient",       "minimal",     "decline"),  # 41
    ("yes", "yes", "credible",     "one",      "active",       "efficient",       "minimal",     "decline"),  # 42
    ("no",  "no",  "not credible", "multiple", "active",       "efficient",       "minimal",     "decline"),  # 43
    ("yes", "yes", "not credible", "multiple", "active",       "efficient",       "minimal",     "decline"),  # 44
    ("yes", "no",  "credible",     "multiple", "active",       "efficient",       "minimal",     "decline"),  # 45
    ("no",  "no",  "not credible", "one",      "unresponsive", "efficient",       "minimal",     "decline"),  # 46
    ("yes", "yes", "not credible", "one",      "unresponsive", "efficient",       "minimal",     "decline"),  # 47
    ("yes", "no",  "credible",     "one",      "unresponsive", "efficient",       "minimal",     "decline"),  # 48
    ("yes", "no",  "not credible", "multiple", "unresponsive", "efficient",       "minimal",     "decline"),  # 49
    ("no",  "no",  "not credible", "one",      "active",       "super effective", "minimal",     "decline"),  # 50
    ("yes", "yes", "not credible", "one",      "active",       "super effective", "minimal",     "decline"),  # 51
    ("yes", "no",  "credible",     "one",      "active",       "super effective", "minimal",     "decline"),  # 52
    ("yes", "no",  "not credible", "multiple", "active",       "super effective", "minimal",     "decline"),  # 53
    ("yes", "no",  "not credible", "one",      "unresponsive", "super effective", "minimal",     "decline"),  # 54
    ("no",  "yes", "not credible", "one",      "active",       "laborious",       "significant", "decline"),  # 55
    ("no",  "no",  "credible",     "one",      "active",       "laborious",       "significant", "decline"),  # 56
    ("yes", "yes", "credible",     "one",      "active",       "laborious",       "significant", "decline"),  # 57
    ("no",  "no",  "not credible", "multiple", "active",       "laborious",       "significant", "decline"),  # 58
    ("yes", "yes", "not credible", "multiple", "active",       "laborious",       "significant", "decline"),  # 59
    ("yes", "no",  "credible",     "multiple", "active",       "laborious",       "significant", "decline"),  # 60
    ("no",  "no",  "not credible", "one",      "unresponsive", "laborious",       "significant", "decline"),  # 61
    ("yes", "yes", "not credible", "one",      "unresponsive", "laborious",       "significant", "decline"),  # 62
    ("yes", "no",  "credible",     "one",      "unresponsive", "laborious",       "significant", "decline"),  # 63
    ("yes", "no",  "not credible", "multiple", "unresponsive", "laborious",       "significant", "decline"),  # 64
    ("no",  "no",  "not credible", "one",      "active",       "efficient",       "significant", "decline"),  # 65
    ("yes", "yes", "not credible", "one",      "active",       "efficient",       "significant", "decline"),  # 66
    ("yes", "no",  "credible",     "one",      "active",       "efficient",       "significant", "decline"),  # 67
    ("yes", "no",  "not credible", "multiple", "active",       "efficient",       "significant", "decline"),  # 68
    ("yes", "no",  "not credible", "one",      "unresponsive", "efficient",       "significant", "decline"),  # 69
    ("yes", "no",  "not credible", "one",      "active",       "super effective", "significant", "decline"),  # 70
    ("no",  "yes", "credible",     "multiple", "active",       "laborious",       "minimal",     "decline"),  # 71
    ("no",  "yes", "credible",     "one",      "unresponsive", "laborious",       "minimal",     "track"),  # 72
    ("no",  "yes", "not credible", "multiple", "unresponsive", "laborious",       "minimal",     "decline"),  # 73
    ("no",  "no",  "credible",     "multiple", "unresponsive", "laborious",       "minimal",     "decline"),  # 74
    ("yes", "yes", "credible",     "multiple", "unresponsive", "laborious",       "minimal",     "decline"),  # 75
    ("no",  "yes", "credible",     "one",      "active",       "efficient",       "minimal",     "decline"),  # 76
    ("no",  "yes", "not credible", "multiple", "active",       "efficient",       "minimal",     "decline"),  # 77
    ("no",  "no",  "credible",     "multiple", "active",       "efficient",       "minimal",     "decline"),  # 78
    ("yes", "yes", "credible",     "multiple", "active",       "efficient",       "minimal",     "decline"),  # 79
    ("no",  "yes", "not credible", "one",      "unresponsive", "efficient",       "minimal",     "decline"),  # 80
    ("no",  "no",  "credible",     "one",      "unresponsive", "efficient",       "minimal",     "decline"),  # 81
    ("yes", "yes", "credible",     "one",      "unresponsive", "efficient",       "minimal",     "decline"),  # 82
    ("no",  "no",  "not credible", "multiple", "unresponsive", "efficient",       "minimal",     "decline"),  # 83
    ("yes", "yes", "not credible", "multiple", "unresponsive", "efficient",       "minimal",     "decline"),  # 84
    ("yes", "no",  "credible",     "multiple", "unresponsive", "efficient",       "minimal",     "decline"),  # 85
    ("no",  "yes", "not credible", "one",      "active",       "super effective", "minimal",     "decline"),  # 86
    ("no",  "no",  "credible",     "one",      "active",       "super effective", "minimal",     "decline"),  # 87
    ("yes", "yes", "credible",     "one",      "active",       "super effective", "minimal",     "decline"),  # 88
    ("no",  "no",  "not credible", "multiple", "active",       "super effective", "minimal",     "decline"),  # 89
    ("yes", "yes", "not credible", "multiple", "active",       "super effective", "minimal",     "decline"),  # 90
    ("yes", "no",  "credible",     "multiple", "active",       "super effective", "minimal",     "decline"),  # 91
    ("no",  "no",  "not credible", "one",      "unresponsive", "super effective", "minimal",     "decline"),  # 92
    ("yes", "yes", "not credible", "one",      "unresponsive", "super effective", "minimal",     "decline"),  # 93
    ("yes", "no",  "credible",     "one",      "unresponsive", "super effective", "minimal",     "decline"),  # 94
    ("yes", "no",  "not credible", "multiple", "unresponsive", "super effective", "minimal",     "decline"),  # 95
    ("no",  "yes", "credible",     "one",      "active",       "laborious",       "significant", "decline"),  # 96
    ("no",  "yes", "not credible", "multiple", "active",       "laborious",       "significant", "track"),  # 97
    ("no",  "no",  "credible",     "multiple", "active",       "laborious",       "significant", "decline"),  # 98
    ("yes", "yes", "credible",     "multiple", "active",       "laborious",       "significant", "decline"),  # 99
    ("no",  "yes", "not credible", "one",      "unresponsive", "laborious",       "significant", "decline"),  # 100
    ("no",  "no",  "credible",     "one",      "unresponsive", "laborious",       "significant", "decline"),  # 101
    ("yes", "yes", "credible",     "one",      "unresponsive", "laborious",       "significant", "decline"),  # 102
    ("no",  "no",  "not credible", "multiple", "unresponsive", "laborious",       "significant", "decline"),  # 103
    ("yes", "yes", "not credible", "multiple", "unresponsive", "laborious",       "significant", "decline"),  # 104
    ("yes", "no",  "credible",     "multiple", "unresponsive", "laborious",       "significant", "decline"),  # 105
    ("no",  "yes", "not credible", "one",      "active",       "efficient",       "significant", "track"),  # 106
    ("no",  "no",  "credible",     "one",      "active",       "efficient",       "significant", "decline"),  # 107
    ("yes", "yes", "credible",     "one",      "active",       "efficient",       "significant", "decline"),  # 108
    ("no",  "no",  "not credible", "multiple", "active",       "efficient",       "significant", "decline"),  # 109
    ("yes", "yes", "not credible", "multiple", "active",       "efficient",       "significant", "decline"),  # 110
    ("yes", "no",  "credible",     "multiple", "active",       "efficient",       "significant", "decline"),  # 111
    ("no",  "no",  "not credible", "one",      "unresponsive", "efficient",       "significant", "decline"),  # 112
    ("yes", "yes", "not credible", "one",      "unresponsive", "efficient",       "significant", "decline"),  # 113
    ("yes", "no",  "credible",     "one",      "unresponsive", "efficient",       "significant", "decline"),  # 114
    ("yes", "no",  "not credible", "multiple", "unresponsive", "efficient",       "significant", "decline"),  # 115
    ("no",  "no",  "not credible", "one",      "active",       "super effective", "significant", "decline"),  # 116
    ("yes", "yes", "not credible", "one",      "active",       "super effective", "significant", "decline"),  # 117
    ("yes", "no",  "credible",     "one",      "active",       "super effective", "significant", "decline"),  # 118
    ("yes", "no",  "not credible", "multiple", "active",       "super effective", "significant", "coordinate"),  # 119
    ("yes", "no",  "not credible", "one",      "unresponsive", "super effective", "significant", "decline"),  # 120
    ("no",  "yes", "credible",     "multiple", "unresponsive", "laborious",       "minimal",     "coordinate"),  # 121
    ("no",  "yes", "credible",     "multiple", "active",       "efficient",       "minimal",     "decline"),  # 122
    ("no",  "yes", "credible",     "one",      "unresponsive", "efficient",       "minimal",     "coordinate"),  # 123
    ("no",  "yes", "not credible", "multiple", "unresponsive", "efficient",       "minimal",     "decline"),  # 124
    ("no",  "no",  "credible",     "multiple", "unresponsive", "efficient",       "minimal",     "decline"),  # 125
    ("yes", "yes", "credible",     "multiple", "unresponsive", "efficient",       "minimal",     "decline"),  # 126
    ("no",  "yes", "credible",     "one",      "active",       "super effective", "minimal",     "decline"),  # 127
    ("no",  "yes", "not credible", "multiple", "active",       "super effective", "minimal",     "track"),  # 128
    ("no",  "no",  "credible",     "multiple", "active",       "super effective", "minimal",     "decline"),  # 129
    ("yes", "yes", "credible",     "multiple", "active",       "super effective", "minimal",     "decline"),  # 130
    ("no",  "yes", "not credible", "one",      "unresponsive", "super effective", "minimal",     "decline"),  # 131
    ("no",  "no",  "credible",     "one",      "unresponsive", "super effective", "minimal",     "decline"),  # 132
    ("yes", "yes", "credible",     "one",      "unresponsive", "super effective", "minimal",     "decline"),  # 133
    ("no",  "no",  "not credible", "multiple", "unresponsive", "super effective", "minimal",     "decline"),  # 134
    ("yes", "yes", "not credible", "multiple", "unresponsive", "super effective", "minimal",     "decline"),  # 135
    ("yes", "no",  "credible",     "multiple", "unresponsive", "super effective", "minimal",     "decline"),  # 136
    ("no",  "yes", "credible",     "multiple", "active",       "laborious",       "significant", "track"),  # 137
    ("no",  "yes", "credible",     "one",      "unresponsive", "laborious",       "significant", "coordinate"),  # 138
    ("no",  "yes", "not credible", "multiple", "unresponsive", "laborious",       "significant", "track"),  # 139
    ("no",  "no",  "credible",     "multiple", "unresponsive", "laborious",       "significant", "decline"),  # 140
    ("yes", "yes", "credible",     "multiple", "unresponsive", "laborious",       "significant", "decline"),  # 141
    ("no",  "yes", "credible",     "one",      "active",       "efficient",       "significant", "track"),  # 142
    ("no",  "yes", "not credible", "multiple", "active",       "efficient",       "significant", "track"),  # 143
    ("no",  "no",  "credible",     "multiple", "active",       "efficient",       "significant", "decline"),  # 144
    ("yes", "yes", "credible",     "multiple", "active",       "efficient",       "significant", "decline"),  # 145
    ("no",  "yes", "not credible", "one",      "unresponsive", "efficient",       "significant", "track"),  # 146
    ("no",  "no",  "credible",     "one",      "unresponsive", "efficient",       "significant", "decline"),  # 147
    ("yes", "yes", "credible",     "one",      "unresponsive", "efficient",       "significant", "decline"),  # 148
    ("no",  "no",  "not credible", "multiple", "unresponsive", "efficient",       "significant", "decline"),  # 149
    ("yes", "yes", "not credible", "multiple", "unresponsive", "efficient",       "significant", "decline"),  # 150
    ("yes", "no",  "credible",     "multiple", "unresponsive", "efficient",       "significant", "decline"),  # 151
    ("no",  "yes", "not credible", "one",      "active",       "super effective", "significant", "track"),  # 152
    ("no",  "no",  "credible",     "one",      "active",       "super effective", "significant", "decline"),  # 153
    ("yes", "yes", "credible",     "one",      "active",       "super effective", "significant", "decline"),  # 154
    ("no",  "no",  "not credible", "multiple", "active",       "super effective", "significant", "coordinate"),  # 155
    ("yes", "yes", "not credible", "multiple", "active",       "super effective", "significant", "coordinate"),  # 156
    ("yes", "no",  "credible",     "multiple", "active",       "super effective", "significant", "coordinate"),  # 157
    ("no",  "no",  "not credible", "one",      "unresponsive", "super effective", "significant", "decline"),  # 158
    ("yes", "yes", "not credible", "one",      "unresponsive", "super effective", "significant", "decline"),  # 159
    ("yes", "no",  "credible",     "one",      "unresponsive", "super effective", "significant", "decline"),  # 160
    ("yes", "no",  "not credible", "multiple", "unresponsive", "super effective", "significant", "coordinate"),  # 161
    ("no",  "yes", "credible",     "multiple", "unresponsive", "efficient",       "minimal",     "coordinate"),  # 162
    ("no",  "yes", "credible",     "multiple", "active",       "super effective", "minimal",     "coordinate"),  # 163
    ("no",  "yes", "credible",     "one",      "unresponsive", "super effective", "minimal",     "coordinate"),  # 164
    ("no",  "yes", "not credible", "multiple", "unresponsive", "super effective", "minimal",     "track"),  # 165
    ("no",  "no",  "credible",     "multiple", "unresponsive", "super effective", "minimal",     "decline"),  # 166
    ("yes", "yes", "credible",     "multiple", "unresponsive", "super effective", "minimal",     "decline"),  # 167
    ("no",  "yes", "credible",     "multiple", "unresponsive", "laborious",       "significant", "coordinate"),  # 168
    ("no",  "yes", "credible",     "multiple", "active",       "efficient",       "significant", "track"),  # 169
    ("no",  "yes", "credible",     "one",      "unresponsive", "efficient",       "significant", "coordinate"),  # 170
    ("no",  "yes", "not credible", "multiple", "unresponsive", "efficient",       "significant", "track"),  # 171
    ("no",  "no",  "credible",     "multiple", "unresponsive", "efficient",       "significant", "decline"),  # 172
    ("yes", "yes", "credible",     "multiple", "unresponsive", "efficient",       "significant", "decline"),  # 173
    ("no",  "yes", "credible",     "one",      "active",       "super effective", "significant", "track"),  # 174
    ("no",  "yes", "not credible", "multiple", "active",       "super effective", "significant", "coordinate"),  # 175
    ("no",  "no",  "credible",     "multiple", "active",       "super effective", "significant", "coordinate"),  # 176
    ("yes", "yes", "credible",     "multiple", "active",       "super effective", "significant", "coordinate"),  # 177
    ("no",  "yes", "not credible", "one",      "unresponsive", "super effective", "significant", "track"),  # 178
    ("no",  "no",  "credible",     "one",      "unresponsive", "super effective", "significant", "decline"),  # 179
    ("yes", "yes", "credible",     "one",      "unresponsive", "super effective", "significant", "decline"),  # 180
    ("no",  "no",  "not credible", "multiple", "unresponsive", "super effective", "significant", "coordinate"),  # 181
    ("yes", "yes", "not credible", "multiple", "unresponsive", "super effective", "significant", "coordinate"),  # 182
    ("yes", "no",  "credible",     "multiple", "unresponsive", "super effective", "significant", "coordinate"),  # 183
    ("no",  "yes", "credible",     "multiple", "unresponsive", "super effective", "minimal",     "coordinate"),  # 184
    ("no",  "yes", "credible",     "multiple", "unresponsive", "efficient",       "significant", "coordinate"),  # 185
    ("no",  "yes", "credible",     "multiple", "active",       "super effective", "significant", "coordinate"),  # 186
    ("no",  "yes", "credible",     "one",      "unresponsive", "super effective", "significant", "coordinate"),  # 187
    ("no",  "yes", "not credible", "multiple", "unresponsive", "super effective", "significant", "coordinate"),  # 188
    ("no",  "no",  "credible",     "multiple", "unresponsive", "super effective", "significant", "coordinate"),  # 189
    ("yes", "yes", "credible",     "multiple", "unresponsive", "super effective", "significant", "coordinate"),  # 190
    ("no",  "yes", "credible",     "multiple", "unresponsive", "super effective", "significant", "coordinate"),  # 191
)
# fmt: on


COORDINATOR_TRIAGE = _decision(
    key="coordinator_triage",
    name="Coordinator Triage",
    version="1.0.0",
    outcome_name="Decline, Track, Coordinate",
    outcome_version="1.0.1",
    points=(
        REPORT_PUBLIC,
        SUPPLIER_CONTACTED,
        REPORT_CREDIBILITY,
        SUPPLIER_CARDINALITY,
        SUPPLIER_ENGAGEMENT,
        UTILITY,
        PUBLIC_SAFETY_IMPACT,
    ),
    outcomes=(
        Option("decline", "Decline", "Do not act on the report."),
        Option(
            "track",
            "Track",
            "Receive information and monitor for status changes, without taking overt action.",
        ),
        Option(
            "coordinate",
            "Coordinate",
            "Act on the report: analysis, reproduction, notifying suppliers, publication, etc.",
        ),
    ),
    rows=_TRIAGE_ROWS,
)


# --- Coordinator publish -----------------------------------------------------------------------
# Columns: supplier_involvement, exploitation, public_value_added -> outcome.

# fmt: off
_PUBLISH_ROWS: tuple[tuple[str, ...], ...] = (
    ("fix ready",                  "none",       "limited",    "do not publish"),  # 0
    ("cooperative",                "none",       "limited",    "do not publish"),  # 1
    ("fix ready",                  "public poc", "limited",    "do not publish"),  # 2
    ("fix ready",                  "none",       "ampliative", "do not publish"),  # 3
    ("uncooperative/unresponsive", "none",       "limited",    "do not publish"),  # 4
    ("cooperative",                "public poc", "limited",    "do not publish"),  # 5
    ("fix ready",                  "active",     "limited",    "do not publish"),  # 6
    ("cooperative",                "none",       "ampliative", "do not publish"),  # 7
    ("fix ready",                  "public poc", "ampliative", "do not publish"),  # 8
    ("fix ready",                  "none",       "precedence", "publish"),  # 9
    ("uncooperative/unresponsive", "public poc", "limited",    "do not publish"),  # 10
    ("cooperative",                "active",     "limited",    "do not publish"),  # 11
    ("uncooperative/unresponsive", "none",       "ampliative", "do not publish"),  # 12
    ("cooperative",                "public poc", "ampliative", "do not publish"),  # 13
    ("fix ready",                  "active",     "ampliative", "publish"),  # 14
    ("cooperative",                "none",       "precedence", "publish"),  # 15
    ("fix ready",                  "public poc", "precedence", "publish"),  # 16
    ("uncooperative/unresponsive", "active",     "limited",    "publish"),  # 17
    ("uncooperative/unresponsive", "public poc", "ampliative", "publish"),  # 18
    ("cooperative",                "active",     "ampliative", "publish"),  # 19
    ("uncooperative/unresponsive", "none",       "precedence", "publish"),  # 20
    ("cooperative",                "public poc", "precedence", "publish"),  # 21
    ("fix ready",                  "active",     "precedence", "publish"),  # 22
    ("uncooperative/unresponsive", "active",     "ampliative", "publish"),  # 23
    ("uncooperative/unresponsive", "public poc", "precedence", "publish"),  # 24
    ("cooperative",                "active",     "precedence", "publish"),  # 25
    ("uncooperative/unresponsive", "active",     "precedence", "publish"),  # 26
)
# fmt: on


COORDINATOR_PUBLISH = _decision(
    key="coordinator_publish",
    name="Coordinator Publish",
    version="1.0.0",
    outcome_name="Publish, Do Not Publish",
    outcome_version="1.0.0",
    points=(SUPPLIER_INVOLVEMENT, EXPLOITATION, PUBLIC_VALUE_ADDED),
    outcomes=(
        Option("do not publish", "Do not publish", "The coordinator does not publish its own document."),
        Option("publish", "Publish", "The coordinator publishes its own document about the vulnerability."),
    ),
    rows=_PUBLISH_ROWS,
)

DECISIONS: Mapping[str, Decision] = MappingProxyType(
    {decision.key: decision for decision in (COORDINATOR_TRIAGE, COORDINATOR_PUBLISH)}
)


def triage_outcome(values: Mapping[str, str]) -> str:
    """ "decline", "track" or "coordinate" (see COORDINATOR_TRIAGE for the keys and values)."""
    return decide(COORDINATOR_TRIAGE, values)


def publish_outcome(values: Mapping[str, str]) -> str:
    """ "publish" or "do not publish" (see COORDINATOR_PUBLISH for the keys and values)."""
    return decide(COORDINATOR_PUBLISH, values)
