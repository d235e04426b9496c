"""WhatsApp's Cloud API, without Rasa: the webhook rules shared by Rasa's channel and the
gateway (`webhook`: handshake, signature, size, storing before the 200), the contacts,
de-duplication, inbox and offered options (`store`), the Graph API client with its limits,
retries and the 24-hour rule (`cloud`), and the gateway process that acknowledges Meta's
webhooks and nudges Rasa (`gateway`, `python -m line.whatsapp.gateway`)."""
