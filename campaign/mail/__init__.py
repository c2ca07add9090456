"""Outgoing email: written to an outbox with the change that causes it, delivered by workers."""
