"""The marketplace feed: events taken in (`intake`), queued in messages of a few events
each, and applied once by a job (`consumer`).

Intake checks every event with the core (`pulseshop.core.marketplace`): a bad one is kept in
``feed_rejects`` with its index and problems, the good ones of the same batch are queued.
When the feed's queue is deeper than its limit, intake takes nothing and says when to try
again (the HTTP endpoint's 429 and ``Retry-After``; ``pulseshop ingest`` waits). Each job
applies its events in one transaction, ``ON CONFLICT (event_id) DO NOTHING``, and publishes
``order_updated`` for each marketplace order that changed.
"""
