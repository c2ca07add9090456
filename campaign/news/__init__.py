"""News to supporters written in the organiser area: compose per language, preview, test,
then send through the outbox's own paced 'news' kind (see docs/organisers.md)."""
