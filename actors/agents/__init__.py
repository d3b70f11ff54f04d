"""Running resource and fence agents: where they live, how they are called, what they answer.

`spec` names an agent and finds it only inside the configured agent directories; `runner` runs one
invocation in its own process group with a bounded output and a timeout; `execute` applies the
OCF / LSB / fence-agent calling conventions on top and maps the outcome to an `OpResult`. This is
what the privileged child runs on behalf of the LRM and the fencer.
"""
