"""Voice notes, photos and files people send, until a person has listened or looked:
what is accepted (`kinds`), how it is kept (`store`, encrypted at rest with MEDIA_KEY by
`crypto`), how it is fetched from the channel with retries (`fetch`), what the person is
told and which ticket it joins (`intake`), its optional transcript (`speech`, with
ASR_MODEL_DIR), and when it is deleted (`retention`). The WhatsApp channel receives it,
the console shows it to the operator who holds the ticket.
"""
