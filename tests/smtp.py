"""A real SMTP server on loopback (aiosmtpd) that records what it accepts and can be told
to refuse: the whole connection, or some recipients with a 4xx or 5xx reply."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    envelope_from: str
    recipients: list[str]
    message: Message
    mail_options: list[str] = field(default_factory=list)


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    # recipient -> SMTP reply, e.g. "451 4.3.0 try later" or "550 5.1.1 no such user"
    replies: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        reply = self.replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    email.message_from_bytes(
                        envelope.original_content, policy=email.policy.default
                    ),
                    list(envelope.mail_options),
                )
            )
        return "250 Message accepted for delivery"


class SmtpServer:
    """`smtputf8`: whether the server offers SMTPUTF8 (internationalised addresses)."""

    def __init__(self, port: int | None = None, *, smtputf8: bool = False) -> None:
        self.port = port or free_port()
        self.smtputf8 = smtputf8
        self.handler = _Handler()
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def refuse(self, recipient: str, reply: str) -> None:
        self.handler.replies[recipient] = reply

    def start(self) -> None:
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
