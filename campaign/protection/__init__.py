"""Protection against abuse: rate limits, suspect signatures, hostile requests, headers."""
