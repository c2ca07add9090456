"""Which sender delivers each kind of message, and by which policy.

A kind registers once, when its module is imported (mail/ registers 'email'):

    register_sender("webhook", WebhookSender, policy=lambda config: Policy(...))

`factory` is called inside the application context, once per batch that has something to
send; `policy` reads the application's settings (see `Policy` for the defaults).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from campaign.outbox.delivery import Policy, Sender

SenderFactory = Callable[[], Sender]
PolicyReader = Callable[[Mapping[str, Any]], Policy]


@dataclass(frozen=True)
class Registration:
    kind: str
    factory: SenderFactory
    policy: PolicyReader


_REGISTRY: dict[str, Registration] = {}


def _default_policy(_config: Mapping[str, Any]) -> Policy:
    return Policy()


def register_sender(
    kind: str, factory: SenderFactory, *, policy: PolicyReader = _default_policy
) -> None:
    """Deliver messages of `kind` with senders made by `factory` (registering again
    replaces the earlier registration)."""
    if not kind or len(kind) > 32:
        raise ValueError(f"a kind is 1 to 32 characters: {kind!r}")
    _REGISTRY[kind] = Registration(kind, factory, policy)


def unregister_sender(kind: str) -> None:
    _REGISTRY.pop(kind, None)


def registration(kind: str) -> Registration:
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise LookupError(f"no sender registered for outbox kind {kind!r}") from None


def registered_kinds() -> list[str]:
    return sorted(_REGISTRY)
