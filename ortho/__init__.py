"""Ortho-rectification on demand of raw (level 1A) Spot World Heritage scenes."""
