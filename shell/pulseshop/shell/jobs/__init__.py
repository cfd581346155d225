"""Background jobs: the service's actors on Dramatiq, the relay that turns outbox rows into
jobs, and the worker that runs them (in the service, or as ``pulseshop worker``)."""
