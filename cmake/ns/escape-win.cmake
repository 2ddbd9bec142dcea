# Escape suite (tests/escape): probes and the escape.suite test.
