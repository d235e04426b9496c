"""What the tests share: free ports and polling with a deadline (`net`), the databases and
services a test asks for by fixture (`requirements`), the real servers (`servers`), the
WhatsApp fakes (`whatsapp`) and a TCP relay that simulates an outage (`proxy`).

`requirements` and `whatsapp` are pytest plugins (tests/conftest.py); a test states what
it needs by the fixtures it takes, and tests/conftest.py marks it from them."""
