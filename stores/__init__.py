"""Rasa's production stores (endpoints.production.yml), made to survive their service
failing: the line keeps answering and no event is lost (docs/failures.md). They import
Rasa, so they live here and not in line/; their settings are in line/core/settings.py."""
