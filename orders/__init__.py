"""Imagery requests: archive orders and new acquisitions (STAPI), priced by versioned rules,
followed from submission to the delivered items of the catalogue."""
