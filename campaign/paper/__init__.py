"""Signatures collected on paper, typed into a CSV sheet and imported by organisers."""
