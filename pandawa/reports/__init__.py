"""Figures about the service: the live board's counts, waits and SLA per queue and office, the
figures of a date range (kept ready for the standard ranges), and who may see which. Read by
the dashboard, the API and /metrics; written only by its own beat tasks."""
