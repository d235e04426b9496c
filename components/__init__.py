"""The line's Rasa components, and the changes they make to Rasa itself, in one place.

Rasa imports this package when it reads config.yml or a model's graph, so every process
that trains or serves the model installs these before any training step runs, any model
is loaded or any message is handled: fast feature fingerprints, models loaded without their
training machinery, action server answers checked without re-checking Rasa's schema, and
failed custom actions that hand the person over kindly.
"""
from components import action_result_schema, fingerprints, inference_load, resilience

fingerprints.install()
inference_load.install()
action_result_schema.install()
resilience.install()
