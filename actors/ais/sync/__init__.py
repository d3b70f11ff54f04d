"""State synchronisation of the replicated AIS services after membership changes."""
