"""National annual coverages: a declared set of items served as one layer at every zoom."""
