"""Use cases: one transaction each, plain values in, frozen rows out; no Qt."""
