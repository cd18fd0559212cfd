"""osv export (issue 12): built by a helper."""

from __future__ import annotations

from typing import Any

from accord.exports.source import Published


def build(published: Published) -> Any:
    raise NotImplementedError
