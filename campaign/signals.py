"""Events at the state changes other features care about (blinker signals, Flask's own).

Each signal is sent INSIDE the transaction that makes the change, after the change is
flushed, by the service that makes it. A subscriber gets the session and writes its own rows
with it (an outbox message, a counter …): they are committed with the change, or rolled back
with it, so nothing is lost and nothing is sent for a change that did not happen. A
subscriber must not commit, roll back or do slow work (no HTTP: queue an outbox message).
An exception in a subscriber fails the change itself.

Arguments are identifiers and times, never personal data: a subscriber that needs a name or
an address reads it with the session (and a deleted signature has none left to read).

Every signal's sender is the campaign id (None only for a purge across campaigns); every
one gets `session=` and `now=` as keyword arguments, and:

- signature_created(signature_id): signing, a new (pending) signature was inserted.
- signature_confirmed(signature_id): signing, its supporter confirmed it (pending to
  confirmed, once); paper, a signature from a paper sheet was imported (confirmed on the
  organiser's word).
- signature_unsubscribed(signature_id): privacy, the supporter stopped news (opt-in off).
- signature_deleted(signature_ids, reason): privacy; reason "erased" (the supporter's
  delete link, or `privacy erase`) or "purged" (the retention purge: stale unconfirmed
  signatures, and the unconfirmed ones of a campaign being anonymised). The rows are gone.
- signature_invalidated(signature_ids): the organisers' clean-up invalidated them (kept,
  no longer counted).
- campaign_published(): `campaigns seed` created the campaign, or an organiser published a
  draft (its page is public from now).
- campaign_closed(): an organiser's settings change stopped its signing now (paused, or
  closing time moved to the past).

See docs/outbox-and-signals.md for what "published" and "closed" mean and how to subscribe.
"""

from __future__ import annotations

from flask.signals import Namespace

_signals = Namespace()

signature_created = _signals.signal("signature-created")
signature_confirmed = _signals.signal("signature-confirmed")
signature_unsubscribed = _signals.signal("signature-unsubscribed")
signature_deleted = _signals.signal("signature-deleted")
signature_invalidated = _signals.signal("signature-invalidated")
campaign_published = _signals.signal("campaign-published")
campaign_closed = _signals.signal("campaign-closed")

__all__ = [
    "campaign_closed",
    "campaign_published",
    "signature_confirmed",
    "signature_created",
    "signature_deleted",
    "signature_invalidated",
    "signature_unsubscribed",
]
