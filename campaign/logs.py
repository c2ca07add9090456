"""Keeping personal data out of logs we do not write ourselves.

Our own code logs ids, never an address, a name, a token or an IP. The development server
(`flask run`, used by `make run`) logs every request as `<client IP> - - [time] "GET <path>"`,
gunicorn does too when its access log is turned on, and the paths of the links in our emails
carry tokens: this filter removes both. (A reverse proxy's access log is the operator's to
configure: see docs/privacy.md.)
"""

from __future__ import annotations

import logging
import re

from campaign.identity import redact_email

# Paths whose last part is a secret from an email.
_TOKEN_PATH = re.compile(r"/(confirm|unsubscribe|delete)/[^\s?#\"/]+")
_CLIENT = re.compile(r"^\S+ - - ")


def redact(text: str) -> str:
    """`text` without the client address at its start, tokens in paths, or email addresses."""
    text = _CLIENT.sub("- - - ", text)
    text = _TOKEN_PATH.sub(r"/\1/<token>", text)
    return redact_email(text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


REQUEST_LOGGERS = ("werkzeug", "gunicorn.access")


def redact_request_log() -> None:
    """Install the filter on the web servers' request logs (once per process)."""
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactPersonalData) for f in logger.filters):
            logger.addFilter(RedactPersonalData())
