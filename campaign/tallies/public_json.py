"""The public tally as JSON bytes, built once per refresh of the count and served as is.

A crowd refreshing the count costs a dictionary lookup per request, not a serialisation.
"""

from __future__ import annotations

import json

from campaign.countries import country_name
from campaign.tallies.services import Tally


def public_tally_json(slug: str, title: str, url: str, goal: int, tally: Tally) -> bytes:
    """`/campaigns/<slug>.json`: count, goal, signatures by country, when last updated."""
    document = {
        "slug": slug,
        "title": title,
        "url": url,
        "signature_count": tally.signature_count,
        "goal": goal,
        "signatures_by_country": [
            {"code": code, "name": country_name(code, "en"), "signature_count": count}
            for code, count in tally.by_country
        ],
        "updated_at": tally.updated_at.isoformat() if tally.updated_at else None,
    }
    # As Flask's `jsonify` writes it: sorted keys, compact.
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
