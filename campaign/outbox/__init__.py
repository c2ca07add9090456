"""The outbox: every message that leaves the application (an email, an HTTP delivery) is a row
here, written in the same transaction as the change that causes it, and delivered by workers
that claim it with a lease. Each kind of message has its own sender (see `register_sender`).
"""
