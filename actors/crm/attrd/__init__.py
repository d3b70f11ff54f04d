"""The attribute manager: node attributes and fail counts, the same on every node (`core`), and
the actor that carries them over CPG (`actor`)."""

ATTRD_GROUP = "ringleader-attrd"
ATTRD_ACTOR = "attrd"
