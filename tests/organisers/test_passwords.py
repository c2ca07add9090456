"""Password storage: Argon2id at RFC 9106's recommended low-memory parameters."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from campaign.organisers.passwords import hash_password, needs_rehash, verify_password


@pytest.fixture
def production_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the cheap hasher the other tests use is put back to the real one


def test_passwords_are_hashed_with_argon2id_64_mib_three_passes_four_lanes(
    production_hasher: None,
) -> None:
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(hashed, "correct horse battery staple")
    assert not verify_password(hashed, "correct horse battery stapler")


def test_weaker_hashes_are_upgraded_at_the_next_login(production_hasher: None) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("a password")
    assert needs_rehash(weak) is True
    assert needs_rehash(hash_password("a password")) is False


def test_a_damaged_hash_is_a_failed_login_not_an_error() -> None:
    assert verify_password("not a hash", "anything at all") is False
    assert verify_password("$argon2id$v=19$m=65536,t=3,p=4$broken", "anything") is False
