"""Pacemaker's CIB XML: a validated model (`parse_cib`) and its writer (`write_cib`)."""

from actors.crm.cib.model import Cib
from actors.crm.cib.parse import CibError, parse_cib, parse_cib_file
from actors.crm.cib.write import write_cib

__all__ = ["Cib", "CibError", "parse_cib", "parse_cib_file", "write_cib"]
