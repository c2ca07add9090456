"""Campaigns: the model, its translations and content files, and a campaign's text."""
