# state (diff/commit/discard): core sources and unit tests.
