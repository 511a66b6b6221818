"""The SIP response code reference generator, one module per pipeline stage."""
