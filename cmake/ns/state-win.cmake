# state (diff/commit/discard): Windows sources and tests.
