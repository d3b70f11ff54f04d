"""Payload serialisation: plain pickle when the receiver can import every class by name,
cloudpickle when something lives only in the sender (a class defined in a script, a lambda).

Only ever applied to a payload whose MAC has been checked (see codec.py).
"""

from __future__ import annotations

import pickle

import cloudpickle

_MAIN = b"__main__"


def dumps(obj: object) -> bytes:
    try:
        data = pickle.dumps(obj, protocol=5)
    except (pickle.PicklingError, AttributeError, TypeError):
        return cloudpickle.dumps(obj, protocol=5)
    if _MAIN in data:  # a by-reference __main__ class would not resolve in another process
        return cloudpickle.dumps(obj, protocol=5)
    return data


def loads(data: bytes) -> object:
    return pickle.loads(data)
