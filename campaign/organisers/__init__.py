"""Organisers: staff accounts, logging in, who may see which campaign, and the /organiser area
(settings, clean-up and audit pages; the dashboard and exports are nested in it)."""
