"""What Rasa loads from config.yml: the line's NLU components (understanding), Rasa's own
components made faster (spacy_nlp, count_vectors) or lighter to serve (inference_models),
and how Rasa calls the action server (action_calls).

Importing this package changes nothing in Rasa. The few functions of Rasa the line
replaces are each installed or checked by the component that needs them, against the
installed Rasa (rasa_compat; docs/model.md, "Changes to Rasa").
"""
