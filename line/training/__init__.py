"""Testing and publishing models for the trainers (issue #16): the job that finetunes a
candidate and runs `rasa test` on it (`job`, its state and single-run lease in `runs`),
the gate that refuses a worse model (`gate`, reading `results`), publishing into the
running Rasa instances and rolling back (`models`), the history over time (`history`) and
the terminal twin (`cli`). Rasa is driven only through its commands and HTTP API."""
