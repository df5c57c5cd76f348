"""clarity: the operator console and command line, a client of clarityd."""
