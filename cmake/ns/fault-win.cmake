# Fault injection (tests/fault): probes and the fault.kills test.
