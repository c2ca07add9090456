"""The end of a campaign's life, in the organiser area: the milestones on the way, closing it
with an outcome (and reopening it), and the delivery report as a PDF."""
