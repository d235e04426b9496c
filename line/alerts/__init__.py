"""Opt-in alerts over WhatsApp templates, without Rasa (issue #17, docs/alerts.md): who
asked for them (`subscriptions`), the approved templates (`templates`,
contract/templates.yml), broadcasts with their queue, statistics and report
(`broadcasts`), and the sender that drains the queue (`worker`,
`python -m line.alerts.worker`)."""
