"""Seeded synthetic CIBs for the scheduler benchmark and for property tests.

The same (nodes, resources, seed) always gives the same XML, so a figure can be reproduced and a
placement compared with crm_simulate's on the very same file. Colocations only point from a
resource to an earlier one, so there are no colocation loops whose outcome would depend on
tie-breaking details.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr


@dataclass(frozen=True)
class Shape:
    """How big a generated cluster is and how dense its constraints are (per resource)."""

    nodes: int
    resources: int
    location_ratio: float = 0.5
    colocation_ratio: float = 0.1
    order_ratio: float = 0.1
    running_ratio: float = 0.3
    stickiness: int = 100


def node_name(i: int) -> str:
    return f"node{i + 1:02d}"


def rsc_name(i: int) -> str:
    return f"rsc{i + 1:05d}"


def _nv(set_id: str, name: str, value: str) -> str:
    return f'<nvpair id="{set_id}-{name}" name="{name}" value={quoteattr(value)}/>'


def generate_cib(shape: Shape, seed: int = 1) -> str:
    """A whole CIB (configuration + status) as XML text."""
    rng = random.Random(seed)
    nodes = [node_name(i) for i in range(shape.nodes)]
    rscs = [rsc_name(i) for i in range(shape.resources)]
    out = [
        '<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1" dc-uuid="1" '
        'validate-with="pacemaker-3.7">',  # a root crm_feature_set upsets crm_simulate -S
        "  <configuration>",
        "    <crm_config>",
        '      <cluster_property_set id="cib-bootstrap-options">',
        "        " + _nv("opt", "stonith-enabled", "false"),
        "        " + _nv("opt", "no-quorum-policy", "ignore"),
        "      </cluster_property_set>",
        "    </crm_config>",
        "    <nodes>",
    ]
    out += [f'      <node id="{i + 1}" uname="{n}"/>' for i, n in enumerate(nodes)]
    out += ["    </nodes>", "    <resources>"]
    for r in rscs:
        out.append(
            f'      <primitive id="{r}" class="ocf" provider="pacemaker" type="Dummy">'
            f'<operations><op id="{r}-monitor-10s" name="monitor" interval="10s"/>'
            "</operations></primitive>"
        )
    out += [
        "    </resources>",
        "    <constraints>",
    ]
    for i in rng.sample(range(len(rscs)), int(len(rscs) * shape.location_ratio)):
        node = rng.choice(nodes)
        score = rng.choice(["INFINITY", "-INFINITY", str(rng.randint(-500, 500))])
        out.append(
            f'      <rsc_location id="loc-{rscs[i]}" rsc="{rscs[i]}" node="{node}" '
            f'score="{score}"/>'
        )
    for k in range(int(len(rscs) * shape.colocation_ratio)):
        dep = rng.randrange(1, len(rscs))
        pri = rng.randrange(0, dep)
        score = rng.choice(["INFINITY", "-INFINITY", str(rng.randint(-200, 200))])
        out.append(
            f'      <rsc_colocation id="col-{k}" rsc="{rscs[dep]}" with-rsc="{rscs[pri]}" '
            f'score="{score}"/>'
        )
    for k in range(int(len(rscs) * shape.order_ratio)):
        then = rng.randrange(1, len(rscs))
        first = rng.randrange(0, then)
        kind = rng.choice(["Mandatory", "Optional"])
        out.append(
            f'      <rsc_order id="ord-{k}" first="{rscs[first]}" then="{rscs[then]}" '
            f'kind="{kind}"/>'
        )
    out += [
        "    </constraints>",
        "    <rsc_defaults>",
        '      <meta_attributes id="rsc-options">',
        "        " + _nv("rsc-options", "resource-stickiness", str(shape.stickiness)),
        "      </meta_attributes>",
        "    </rsc_defaults>",
        "  </configuration>",
        "  <status>",
    ]
    running: dict[str, list[str]] = {n: [] for n in nodes}
    for r in rscs:
        if rng.random() < shape.running_ratio:
            running[rng.choice(nodes)].append(r)
    for i, n in enumerate(nodes):
        out.append(
            f'    <node_state id="{i + 1}" uname="{n}" in_ccm="true" crmd="online" '
            'join="member" expected="member">'
        )
        out.append(f'      <lrm id="{i + 1}"><lrm_resources>')
        for call, r in enumerate(running[n], start=1):
            out.append(
                f'        <lrm_resource id="{r}" class="ocf" provider="pacemaker" type="Dummy">'
                f'<lrm_rsc_op id="{r}_last_0" operation_key="{r}_start_0" operation="start" '
                f'transition-key="{call}:0:0:00000000-0000-0000-0000-000000000000" '
                f'transition-magic="0:0;{call}:0:0:00000000-0000-0000-0000-000000000000" '
                f'call-id="{call}" rc-code="0" op-status="0" interval="0" '
                'last-rc-change="1700000000" exec-time="10" queue-time="0" '
                'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8" crm_feature_set="3.16.2"/>'
                "</lrm_resource>"
            )
        out.append("      </lrm_resources></lrm>")
        out.append("    </node_state>")
    out += ["  </status>", "</cib>", ""]
    return "\n".join(out)
