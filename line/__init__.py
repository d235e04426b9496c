"""The line's own logic in plain Python, one package per capability, never importing Rasa:
core, understanding, directory, handoff, whatsapp, feedback and content (README.md has
the map). Rasa's side (actions/, components/, channels/, stores/) calls into it."""
