"""The line's Rasa components. Rasa imports this package when it reads config.yml, before
any training step runs: the moment to make its feature fingerprints fast."""
from components import fingerprints

fingerprints.install()
