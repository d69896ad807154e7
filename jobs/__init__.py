"""Background jobs: the one procrastinate queue every package's tasks run on, its workers,
and the OGC API - Processes routes users submit and follow their jobs with."""
