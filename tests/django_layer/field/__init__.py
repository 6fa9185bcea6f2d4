"""Learning from browsers (``H2PUSH_FIELD``): report checks, samples, quorum."""
