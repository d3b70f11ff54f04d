"""`Cib` -> XML text. The model keeps its source tree, so writing is lossless."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from actors.crm.cib.model import Cib


def write_cib(cib: Cib) -> str:
    """Serialize the CIB; parsing the result gives an equal `Cib`."""
    return ET.tostring(cib.xml, encoding="unicode")
