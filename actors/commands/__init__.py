"""One module per `ringleader` sub-command; each exposes `register(subparsers)`."""
