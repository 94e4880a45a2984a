"""Putting a service catalogue in force: `pandawa catalog load` stores the validated document
and fills offices and queues from it. Sits above hours and tickets (it writes their rows);
the catalogue's schema and texts sit below them (`pandawa.catalog`), so every layer reads them."""
