"""The organisation behind the campaigns: its name, logo, accent colour and the next step it
asks of a supporter who has just confirmed. Read by every page and email, so it sits low and
is cached."""
