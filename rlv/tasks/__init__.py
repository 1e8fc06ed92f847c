"""Problem sources: a synthetic arithmetic generator and loaders for real datasets, all producing the
same record type (see `records.PROBLEM_COLUMNS`)."""
