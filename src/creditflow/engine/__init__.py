"""The dunning engine: schemas, cases, and the pure ``decide`` and ``evolve`` functions."""
