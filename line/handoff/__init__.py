"""Handing a person to a human operator. `request` builds every handoff the same way
(reason, topic, context, priority, the emergency numbers first) for the actions, Rasa
and the WhatsApp channel; `reasons` names why, once; `tickets` is the queue operators
take from; `spool` keeps tickets while the database is down; `hours` says when operators
answer; `outbound` reaches the person on their channel; `desk` is what an operator does
to a ticket; `accounts` and `accounts_cli` are the console's operators."""
