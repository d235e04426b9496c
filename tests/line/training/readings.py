"""Readings of `rasa test` as line.training.results makes them, for the tests."""


def reading(faq=0.9, intent=0.95, topics=None, stories=(), safety_stories=(), safety_cases=()):
    return {
        "intent_accuracy": intent,
        "faq_accuracy": faq,
        "intents": {"emergency": {"accuracy": 1.0, "support": 8}},
        "topics": topics
        if topics is not None
        else {
            "shelter": {"accuracy": faq, "support": 10},
            "covid_testing": {"accuracy": 1.0, "support": 9},
        },
        "confusions": [
            {
                "expected": "shelter",
                "predicted": "housing_eviction",
                "count": 2,
                "examples": ["me puedo quedar en el albergue", "cuanto cuesta el albergue"],
            }
        ],
        "safety_nlu_failed": list(safety_cases),
        "stories_failed": list(stories),
        "safety_stories_failed": list(safety_stories),
    }
