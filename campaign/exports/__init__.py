"""CSV exports of signatures and tallies: streamed, and safe to open in a spreadsheet."""
