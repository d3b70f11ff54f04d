"""`ringleader keygen --out PATH`: write a new cluster authkey (mode 0600)."""

from __future__ import annotations

import argparse

from actors.errors import UserError
from transport.authkey import AuthkeyError, write_authkey


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("keygen", help="write a new cluster authkey (mode 0600)")
    parser.add_argument("--out", required=True, help="where to write the key")
    parser.add_argument("--force", action="store_true", help="replace an existing key")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        path = write_authkey(args.out, force=args.force)
    except AuthkeyError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"{args.out}: {exc.strerror}") from None
    print(f"wrote {path} (mode 0600); copy it to every node of the cluster")
    return 0
