"""Use cases of the panel's deliberation: sessions, conflicts, arguments, scores, shortlists and
minutes. Each function takes a database session and plain values, commits once, and raises
domain errors (decide.services.errors) before it changes anything."""
