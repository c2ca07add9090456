"""Webhooks: events about signatures, POSTed to organisers' endpoints (Standard Webhooks)."""
