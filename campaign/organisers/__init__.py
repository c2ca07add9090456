"""Organisers: staff accounts, logging in, and who may see which campaign."""
