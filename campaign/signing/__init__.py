"""Signing a petition and confirming the signature (double opt-in): the campaign page with
its form and JSON tally, the consent wording, and which signatures count."""
