"""Test suite (a package, so helpers import as `tests.fakes` and test basenames may repeat)."""
