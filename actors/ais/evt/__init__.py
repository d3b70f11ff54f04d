"""The AIS event service (EVT): publish/subscribe on named channels with filters and retention."""
