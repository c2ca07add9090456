"""Delivering one webhook: signed as Standard Webhooks says, only to addresses that are
allowed after DNS, no redirects, a bounded read."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from campaign.webhooks.signing import new_secret, signature_header
from campaign.webhooks.transport import DeliveryFailed, UnsafeUrl, post, resolve
from tests.webhooks.receiver import Receiver


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, exactly as docs/api.md gives it."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(stamp)) > 300:
        return False
    signed = f"{msg_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(f"v1,{expected}", s) for s in headers["webhook-signature"].split()
    )


def test_the_signature_is_the_published_one_and_a_receiver_can_verify_it(
    receiver: Receiver,
) -> None:
    secret, body, stamp = new_secret(), b'{"type":"signature.confirmed"}', int(time.time())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature_header([secret], "msg_1", stamp, body),
    }

    assert post(receiver.url, body, headers, timeout=5, allow_private=True) == 200

    [got] = receiver.received
    assert got.body == body and got.headers["content-type"] == "application/json"
    assert verify(secret, got.headers, got.body)
    assert not verify(new_secret(), got.headers, got.body)
    assert not verify(secret, got.headers, got.body + b" ")


def test_the_standard_webhooks_test_vector() -> None:
    # From the Standard Webhooks specification's reference libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    header = signature_header([secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert header == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_loopback_link_local_and_metadata_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        resolve(url, allow_private=False)


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "file:///etc/passwd", "http://user:pw@example.org/", "http:///x"]
)
def test_only_plain_http_and_https_urls(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        resolve(url, allow_private=True)


def test_metadata_addresses_are_refused_even_where_private_ones_are_allowed() -> None:
    with pytest.raises(UnsafeUrl):
        resolve("http://169.254.169.254/", allow_private=True)
    assert resolve("http://127.0.0.1:8080/x?y=1", allow_private=True).path == "/x?y=1"


def test_a_redirect_is_not_followed_and_counts_as_a_failure(receiver: Receiver) -> None:
    receiver.statuses = [302]
    receiver.extra_headers = {"Location": "http://169.254.169.254/"}

    with pytest.raises(DeliveryFailed, match="302"):
        post(receiver.url, b"{}", {}, timeout=5, allow_private=True)

    assert len(receiver.received) == 1


def test_a_non_2xx_answer_and_a_dead_receiver_are_failures(receiver: Receiver) -> None:
    receiver.statuses = [503]
    with pytest.raises(DeliveryFailed, match="503"):
        post(receiver.url, b"{}", {}, timeout=5, allow_private=True)
    receiver.stop()
    with pytest.raises(DeliveryFailed):
        post(receiver.url, b"{}", {}, timeout=2, allow_private=True)


def test_a_slow_receiver_times_out(receiver: Receiver) -> None:
    receiver.delay = 2
    started = time.monotonic()
    with pytest.raises(DeliveryFailed, match=r"timed out|TimeoutError"):
        post(receiver.url, b"{}", {}, timeout=0.3, allow_private=True)
    assert time.monotonic() - started < 1.5


def test_a_huge_answer_is_not_read_to_its_end(receiver: Receiver) -> None:
    receiver.response_body = b"x" * 5_000_000
    assert post(receiver.url, b"{}", {}, timeout=5, allow_private=True) == 200
