from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    made.start()
    yield made
    made.stop()


from tests.organisers.fixtures import (  # noqa: E402,F401 (fixtures, found by name)
    admin,
    admin_client,
    quick_login_throttle,
)
