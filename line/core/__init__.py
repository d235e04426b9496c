"""What every other package stands on: the settings read from the environment (`settings`),
the line's one database with its sessions and Alembic migrations (`db`, `migrations/`),
the folding of WhatsApp text that every matcher uses (`text`), the content catalogue of
contract topics, rumours and FAQ titles (`topics`), keyed pseudonyms of phone numbers
(`pseudonyms`), a small client of Rasa's HTTP API (`rasa_api`), who may call the line's
servers (`access`: the address they bind, the API token, the action server's secret), the
background work a
process keeps until it ends (`background`) and every process's Prometheus metrics, each
name defined once (`metrics`)."""
