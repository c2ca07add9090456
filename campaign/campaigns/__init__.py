"""Campaigns: their content, their public page and their public tally."""
