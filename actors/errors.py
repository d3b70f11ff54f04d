"""Errors a user can fix; the CLI prints them in one line, never as a traceback."""


class UserError(Exception):
    """A mistake in what the user gave us (a file, an option, a value).

    The message must name the thing that is wrong: the file, element, key or peer.
    """
