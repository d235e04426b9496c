"""What people's messages tell the team, after the IFRC community-engagement codebook:
each message coded from Rasa's tracker store (`coding`), the 👍 / 👎 on FAQ answers
(`ratings`), a person's request to erase their data (`erasure`), the coordinators' figures
with their filters (`dashboard`, shared by the report and the console's /informes, whose
SVG charts `charts` lays out), the report page and CSV (`report`, `templates/report.html`),
what waits for the content team's review and their decisions (`review`), and those
questions grouped into proposed examples or topics (`suggest`)."""
