"""The AIS checkpoint service (CKPT): replicated named checkpoints made of sections."""
