"""Stable identifiers inside exported documents.

A product id is derived from the vendor's stable key (snapshot VendorItem.key: "p<participant pk>",
or "a<archive record>" for imports), the product name and the version range, so exporting the same
revision twice gives the same bytes and a new revision keeps the ids of the old one. Never random,
never positional (adding a vendor must not renumber the others).
"""

from __future__ import annotations

import hashlib
import re


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:12]


def product_id(owner_key: str, product: str = "", version_range: str = "") -> str:
    """ "CSAFPID-p12" for a vendor's answer about all its products; "CSAFPID-p12-<digest>" for one
    product and version range. `owner_key` is a vendor key, or "v<seq>" for a product the analysts
    listed on a vulnerability."""
    if not product and not version_range:
        return f"CSAFPID-{owner_key}"
    return f"CSAFPID-{owner_key}-{_digest(product, version_range)}"


def csaf_filename(tracking_id: str) -> str:
    """CSAF 2.0 §5.1: the tracking id in lower case, every run of other characters than
    [+-a-z0-9] replaced by "_", then ".json" ("VU#854306" -> "vu_854306.json")."""
    return re.sub(r"[^+\-a-z0-9]+", "_", tracking_id.lower()) + ".json"
