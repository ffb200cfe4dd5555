"""Cross-resource questions: search, conflicts, timeline and stats."""
