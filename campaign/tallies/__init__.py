"""Confirmed counts: kept up to date as signatures are confirmed, read in constant time."""
