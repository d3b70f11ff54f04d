"""The cluster resource manager: CIB, controller, scheduler, LRM, attrd."""
