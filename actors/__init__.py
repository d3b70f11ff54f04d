"""ringleader: cluster services and resource manager built as actors over ZeroMQ."""
