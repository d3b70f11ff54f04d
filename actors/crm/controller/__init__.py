"""The controller: DC election (`election`), join (`join`), the DC's loop and every node's
part in it (`core`, sans-IO), and the actor that does its IO (`actor`)."""

CRMD_GROUP = "ringleader-crmd"
CONTROLLER_ACTOR = "controller"
