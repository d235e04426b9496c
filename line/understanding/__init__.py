"""Reading what a person wrote without the model: danger happening now and sensitive
reports (`safety`), the cues for asking for a person, a personal case, hearsay, abuse or
a rating (`cues`), service categories (`categories`) and places of Peru (`places`), each
from a lexicon a content team can read (`lexicon/*.yml`). `names` holds the intent names
and message keys the code shares with the model, once."""
