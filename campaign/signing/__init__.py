"""Signing a petition and confirming the signature (double opt-in)."""
