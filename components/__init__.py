"""The line's Rasa components. Rasa imports this package when it reads config.yml or a
model's graph, before any training step runs or any model is loaded: the moment to make
its feature fingerprints fast and its served models lighter."""
from components import fingerprints, inference_load

fingerprints.install()
inference_load.install()
