"""naba's shells: the command line (``naba``) and the configuration they load."""
