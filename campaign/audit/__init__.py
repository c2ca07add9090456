"""The audit log: who did what to which campaign's data, and when."""
