"""The operator console: a small Sanic web application over `line/` (no Rasa imports).

Operators take tickets from the handoff queue, read the whole conversation,
reply through the person's channel and give the conversation back to the bot.
"""
