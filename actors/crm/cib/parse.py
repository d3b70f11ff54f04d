"""CIB XML -> `Cib`: checks every element against `schema` and reports the path of what is wrong."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from actors.agents.duration import parse_ms
from actors.crm.cib import model as m
from actors.crm.cib.schema import CHILDREN, REQUIRED
from actors.errors import UserError

log = logging.getLogger("ringleader.cib")

_NV_TAGS = ("instance_attributes", "meta_attributes", "utilization", "cluster_property_set")


class CibError(UserError):
    """A CIB that cannot be used: the message starts with the element path."""


def _path(stack: list[ET.Element]) -> str:
    parts = []
    for el in stack:
        ident = el.get("id")
        parts.append(f"{el.tag}[@id='{ident}']" if ident else el.tag)
    return "/" + "/".join(parts)


def _validate(root: ET.Element) -> None:
    if root.tag != "cib":
        raise CibError(f"/{root.tag}: the document element must be <cib>")
    stack: list[ET.Element] = []

    def walk(el: ET.Element) -> None:
        stack.append(el)
        allowed = CHILDREN.get(el.tag)
        for attr in REQUIRED.get(el.tag, ()):
            if el.get(attr) is None and el.get("id-ref") is None:
                raise CibError(f"{_path(stack)}: required attribute '{attr}' is missing")
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if allowed is None or child.tag not in allowed:
                raise CibError(f"{_path(stack)}: unknown element <{child.tag}>")
            walk(child)
        stack.pop()

    walk(root)


class _Reader:
    """Builds the model; keeps an id index so that `id-ref` attributes resolve."""

    def __init__(self, root: ET.Element) -> None:
        self.root = root
        self.by_id: dict[str, ET.Element] = {}
        for el in root.iter():
            ident = el.get("id")
            if ident and ident not in self.by_id:
                self.by_id[ident] = el

    def deref(self, el: ET.Element, where: str) -> ET.Element:
        ref = el.get("id-ref")
        if ref is None:
            return el
        target = self.by_id.get(ref)
        if target is None:
            raise CibError(f"{where}/{el.tag}: id-ref '{ref}' names no element")
        return target

    def nvsets(self, parent: ET.Element, tag: str, where: str) -> tuple[m.NvSet, ...]:
        sets = []
        for raw in parent.findall(tag):
            el = self.deref(raw, where)
            values = []
            rule = None
            for child in el:
                if child.tag == "nvpair":
                    nv = self.deref(child, f"{where}/{tag}")
                    name = nv.get("name")
                    if name is None:
                        raise CibError(f"{where}/{tag}/nvpair[@id='{nv.get('id')}']: no name")
                    values.append((name, nv.get("value", "")))
                elif child.tag == "rule":
                    rule = m.Rule(child, child.get("score"), child.get("id", ""))
            score = el.get("score", "0")
            sets.append(m.NvSet(el.get("id", ""), tuple(values), rule, _int_score(score, where)))
        return tuple(sets)

    def primitive(self, el: ET.Element, where: str) -> m.Primitive:
        where = f"{where}/primitive[@id='{el.get('id')}']"
        template = el.get("template")
        klass, provider, typ = el.get("class"), el.get("provider"), el.get("type")
        if template is not None:
            tpl = self.by_id.get(template)
            if tpl is None or tpl.tag != "template":
                raise CibError(f"{where}: template '{template}' is not defined")
            klass = klass or tpl.get("class")
            provider = provider or tpl.get("provider")
            typ = typ or tpl.get("type")
        if not klass or not typ:
            raise CibError(f"{where}: 'class' and 'type' are required")
        if klass == "ocf" and not provider:
            raise CibError(f"{where}: class 'ocf' needs a 'provider'")
        if klass not in ("ocf", "lsb", "systemd", "stonith", "service", "upstart", "nagios"):
            raise CibError(f"{where}: unknown class '{klass}'")
        ops = []
        sources = [el]
        if template is not None:
            sources.insert(0, self.by_id[template])
        for src in sources:
            for ops_el in src.findall("operations"):
                ops_el = self.deref(ops_el, where)
                for op in ops_el.findall("op"):
                    op = self.deref(op, where)
                    try:
                        interval = _duration_ms(op.get("interval", "0"))
                    except ValueError as exc:
                        raise CibError(
                            f"{where}/operations/op[@id='{op.get('id')}']: {exc}"
                        ) from None
                    attrs = dict(op.attrib)
                    for ma in op.findall("meta_attributes"):
                        for nv in ma.findall("nvpair"):
                            attrs.setdefault(nv.get("name", ""), nv.get("value", ""))
                    params = {
                        nv.get("name", ""): nv.get("value", "")
                        for ia in op.findall("instance_attributes")
                        for nv in ia.findall("nvpair")
                    }
                    ops.append(
                        m.Op(
                            op.get("name", ""),
                            interval,
                            op.get("id", ""),
                            op.get("role"),
                            tuple(attrs.items()),
                            tuple(params.items()),
                        )
                    )

        def merged(tag: str) -> tuple[m.NvSet, ...]:
            out: tuple[m.NvSet, ...] = ()
            for src in sources:
                out = self.nvsets(src, tag, where) + out
            return out

        return m.Primitive(
            el.get("id", ""),
            klass,
            provider,
            typ,
            merged("instance_attributes"),
            merged("meta_attributes"),
            merged("utilization"),
            tuple(ops),
            template,
        )

    def resource(self, el: ET.Element, where: str) -> m.Resource | None:
        if el.tag == "primitive":
            return self.primitive(el, where)
        if el.tag == "group":
            gwhere = f"{where}/group[@id='{el.get('id')}']"
            kids = tuple(self.primitive(p, gwhere) for p in el.findall("primitive"))
            if not kids:
                raise CibError(f"{gwhere}: a group needs at least one primitive")
            return m.Group(el.get("id", ""), kids, self.nvsets(el, "meta_attributes", gwhere))
        if el.tag in ("clone", "master"):
            cwhere = f"{where}/{el.tag}[@id='{el.get('id')}']"
            kids = [c for c in el if c.tag in ("primitive", "group")]
            if len(kids) != 1:
                raise CibError(f"{cwhere}: a clone holds exactly one primitive or group")
            child = self.resource(kids[0], cwhere)
            meta = self.nvsets(el, "meta_attributes", cwhere)
            promotable = el.tag == "master" or any(
                k == "promotable" and _true(v) for s in meta for k, v in s.values
            )
            return m.Clone(el.get("id", ""), child, meta, promotable)  # type: ignore[arg-type]
        if el.tag == "bundle":
            return m.Bundle(el.get("id", ""), self.nvsets(el, "meta_attributes", where))
        return None

    def sets(self, el: ET.Element) -> tuple[m.ResourceSet, ...]:
        out = []
        for rs in el.findall("resource_set"):
            rs = self.deref(rs, "")
            out.append(
                m.ResourceSet(
                    rs.get("id", ""),
                    tuple(r.get("id", "") for r in rs.findall("resource_ref")),
                    _true(rs.get("sequential", "true")),
                    _true(rs.get("require-all", "true")),
                    rs.get("role"),
                    rs.get("action"),
                )
            )
        return tuple(out)


_ISO = re.compile(r"P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?\Z", re.IGNORECASE)


def _duration_ms(text: str) -> int:
    """Pacemaker durations, also ISO 8601 ones such as `P10S` / `PT1M`."""
    iso = _ISO.match(text.strip())
    if iso and text.strip().upper() != "P":
        d, h, mi, sec = (int(g or 0) for g in iso.groups())
        return (((d * 24 + h) * 60 + mi) * 60 + sec) * 1000
    return parse_ms(text)


def _true(value: str | None) -> bool:
    return str(value).lower() in ("true", "yes", "y", "1", "on")


def _int_score(text: str, where: str) -> int:
    t = text.strip().lower()
    if t in ("infinity", "+infinity"):
        return 1000000
    if t == "-infinity":
        return -1000000
    try:
        return int(t)
    except ValueError:
        raise CibError(f"{where}: score '{text}' is not a number or INFINITY") from None


def _int(value: str | None, default: int, where: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise CibError(f"{where}: '{value}' is not an integer") from None


def _history(el: ET.Element, where: str, node: str | None) -> m.ResourceHistory:
    where = f"{where}/lrm_resource[@id='{el.get('id')}']"
    ops = []
    for op in el.findall("lrm_rsc_op"):
        owhere = f"{where}/lrm_rsc_op[@id='{op.get('id')}']"
        key = op.get("transition-key") or ""
        parts = key.split(":")
        target = _int(parts[2], 0, owhere) if len(parts) >= 4 else 0
        interval = op.get("interval", "0")
        ops.append(
            m.OpRecord(
                op.get("id", ""),
                op.get("operation", ""),
                _int(op.get("call-id"), 0, owhere),
                _int(interval, 0, owhere),
                _int(op.get("rc-code"), 0, owhere),
                _int(op.get("op-status"), 0, owhere),
                target,
                op.get("op-digest"),
                _int(op.get("last-rc-change") or op.get("last-run"), 0, owhere) or None,
                op.get("exit-reason"),
                op.get("on_node") or node,
                op.get("migrate_source"),
                op.get("migrate_target"),
                op.get("op-restart-digest"),
                op.get("op-force-restart"),
                op.get("op-secure-digest"),
                op.get("op-secure-params"),
                op.get("crm_feature_set"),
            )
        )
    return m.ResourceHistory(
        el.get("id", ""),
        el.get("class"),
        el.get("provider"),
        el.get("type"),
        tuple(ops),
        _int(el.get("shutdown-lock"), 0, where) or None,
    )


def parse_cib(text: str | bytes, source: str = "<cib>") -> m.Cib:
    """Parse and validate a whole CIB; raise `CibError` (a UserError) naming file and path."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise CibError(f"{source}: not well-formed XML: {exc}") from None
    try:
        return _build(root)
    except CibError as exc:
        raise CibError(f"{source}: {exc}") from None


def parse_cib_file(path: str | Path) -> m.Cib:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise UserError(f"{p}: cannot read CIB: {exc.strerror}") from None
    return parse_cib(data, str(p))


def _build(root: ET.Element) -> m.Cib:
    _validate(root)
    r = _Reader(root)
    conf = root.find("configuration")
    if conf is None:
        raise CibError("/cib: <configuration> is missing")
    crm_config: tuple[m.NvSet, ...] = ()
    if (cc := conf.find("crm_config")) is not None:
        crm_config = r.nvsets(cc, "cluster_property_set", "/cib/configuration/crm_config")
    nodes = []
    for n in conf.findall("nodes/node"):
        w = f"/cib/configuration/nodes/node[@id='{n.get('id')}']"
        nodes.append(
            m.Node(
                n.get("id", ""),
                n.get("uname") or n.get("id", ""),
                n.get("type", "member"),
                r.nvsets(n, "instance_attributes", w),
                r.nvsets(n, "utilization", w),
            )
        )
    resources, templates = [], []
    rwhere = "/cib/configuration/resources"
    for el in conf.findall("resources/*"):
        if el.tag == "template":
            templates.append(el)
            continue
        res = r.resource(el, rwhere)
        if res is not None:
            resources.append(res)
    known = _resource_ids(resources) | {t.get("id", "") for t in templates}
    tags: dict[str, tuple[str, ...]] = {}
    for t in conf.findall("tags/tag"):
        tags[t.get("id", "")] = tuple(o.get("id", "") for o in t.findall("obj_ref"))
    known_refs = known | set(tags)
    locations, colocations, orders, tickets = [], [], [], []
    for c in conf.findall("constraints/*"):
        c = r.deref(c, "/cib/configuration/constraints")
        w = f"/cib/configuration/constraints/{c.tag}[@id='{c.get('id')}']"
        sets = r.sets(c)
        for s in sets:
            for ref in s.resources:
                if ref not in known_refs:
                    raise CibError(f"{w}/resource_set[@id='{s.id}']: unknown resource '{ref}'")
        if c.tag == "rsc_location":
            _check_ref(
                c.get("rsc"), known_refs, w, "rsc", optional=bool(sets or c.get("rsc-pattern"))
            )
            locations.append(
                m.Location(
                    c.get("id", ""),
                    c.get("rsc"),
                    c.get("rsc-pattern"),
                    c.get("node"),
                    c.get("score"),
                    tuple(
                        m.Rule(x, x.get("score") or x.get("score-attribute"), x.get("id", ""))
                        for x in c.findall("rule")
                    ),
                    c.get("role"),
                    sets,
                )
            )
        elif c.tag == "rsc_colocation":
            _check_ref(c.get("rsc"), known_refs, w, "rsc", optional=bool(sets))
            _check_ref(c.get("with-rsc"), known_refs, w, "with-rsc", optional=bool(sets))
            colocations.append(
                m.Colocation(
                    c.get("id", ""),
                    c.get("rsc"),
                    c.get("with-rsc"),
                    c.get("score", "INFINITY"),
                    c.get("rsc-role"),
                    c.get("with-rsc-role"),
                    sets,
                    c.get("node-attribute"),
                )
            )
        elif c.tag == "rsc_order":
            _check_ref(c.get("first"), known_refs, w, "first", optional=bool(sets))
            _check_ref(c.get("then"), known_refs, w, "then", optional=bool(sets))
            kind = c.get("kind")
            score = c.get("score")
            if kind is None:
                kind = (
                    "Optional" if score is not None and _int_score(score, w) == 0 else "Mandatory"
                )
            if kind not in ("Mandatory", "Optional", "Serialize"):
                why = f"{w}: kind '{kind}' is not Mandatory, Optional or Serialize"
                if root.get("validate-with") != "none":
                    raise CibError(why)
                # validate-with="none" turns the schema off; Pacemaker then reads it as Mandatory
                log.warning('%s; read as Mandatory (validate-with="none")', why)
                kind = "Mandatory"
            sym = c.get("symmetrical")
            orders.append(
                m.Order(
                    c.get("id", ""),
                    c.get("first"),
                    c.get("then"),
                    kind,
                    c.get("first-action", "start"),
                    c.get("then-action") or c.get("first-action", "start"),
                    None if sym is None else _true(sym),
                    score,
                    sets,
                    _true(c.get("require-all", "true")),
                )
            )
        elif c.tag == "rsc_ticket":
            tickets.append(
                m.Ticket(
                    c.get("id", ""),
                    c.get("ticket", ""),
                    c.get("rsc"),
                    c.get("loss-policy"),
                    sets,
                    c.get("rsc-role"),
                )
            )
    node_states = []
    status = root.find("status")
    for ns in status.findall("node_state") if status is not None else ():
        w = f"/cib/status/node_state[@id='{ns.get('id')}']"
        attrs: dict[str, str] = {}
        for ta in ns.findall("transient_attributes/instance_attributes"):
            for nv in ta.findall("nvpair"):
                attrs[nv.get("name", "")] = nv.get("value", "")
        lrm = ns.find("lrm")
        hist = tuple(
            _history(h, w, ns.get("uname")) for h in ns.findall("lrm/lrm_resources/lrm_resource")
        )
        node_states.append(
            m.NodeState(
                ns.get("id", ""),
                ns.get("uname"),
                ns.get("in_ccm"),
                ns.get("crmd"),
                ns.get("join"),
                ns.get("expected"),
                tuple(attrs.items()),
                hist,
                lrm is not None,
            )
        )
    tstates = tuple(
        tuple(t.attrib.items())
        for t in (status.findall("tickets/ticket_state") if status is not None else ())
    )
    tpl_models = tuple(
        m.Primitive(t.get("id", ""), t.get("class", ""), t.get("provider"), t.get("type", ""))
        for t in templates
    )
    return m.Cib(
        xml=root,
        attributes=tuple(root.attrib.items()),
        crm_config=crm_config,
        nodes=tuple(nodes),
        resources=tuple(resources),
        templates=tpl_models,
        locations=tuple(locations),
        colocations=tuple(colocations),
        orders=tuple(orders),
        tickets=tuple(tickets),
        rsc_defaults=tuple(
            s
            for d in conf.findall("rsc_defaults")
            for s in r.nvsets(d, "meta_attributes", "/cib/configuration/rsc_defaults")
        ),
        op_defaults=tuple(
            s
            for d in conf.findall("op_defaults")
            for s in r.nvsets(d, "meta_attributes", "/cib/configuration/op_defaults")
        ),
        fencing_levels=tuple(
            tuple(f.attrib.items()) for f in conf.findall("fencing-topology/fencing-level")
        ),
        node_states=tuple(node_states),
        ticket_states=tstates,
        tags=tuple(tags.items()),
    )


def _check_ref(value: str | None, known: set[str], where: str, attr: str, optional: bool) -> None:
    if value is None:
        if not optional:
            raise CibError(f"{where}: required attribute '{attr}' is missing")
        return
    if value not in known:
        raise CibError(f"{where}: '{attr}' names unknown resource '{value}'")


def _resource_ids(resources: list) -> set[str]:
    ids: set[str] = set()

    def add(res) -> None:
        ids.add(res.id)
        if isinstance(res, m.Group):
            for c in res.children:
                add(c)
        elif isinstance(res, m.Clone):
            add(res.child)

    for res in resources:
        add(res)
    # Bundles name their primitives inside; accept them as known.
    return ids
