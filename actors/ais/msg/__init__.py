"""The AIS message service (MSG): cluster-wide message queues and queue groups."""
