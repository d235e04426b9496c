"""Looking after the content: the checks of topic files that `make validate` runs before
Rasa's own (`check`), the skeleton of a new FAQ topic (`new_topic`, `templates/
new_topic.yml`), the console's topic editor and review inbox (`workbench`, the one save
path of a topic file; `topic_file`, its layout; `inbox`, `drafts`, `history`), the short
reading of `rasa test` results for trainers (`rasa_results`) and retraining after a
content change by finetuning (`train_content`, which drives Rasa's training and so, alone
in line/, imports Rasa when it runs)."""
