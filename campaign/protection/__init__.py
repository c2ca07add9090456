"""Protection against abuse: rate limits, suspect signatures, hostile requests, headers.

Cleaning up after an attack is an organiser's page: see organisers/cleanup.py."""
