"""Test data: admin-like HTML pages (forms, selects, tables) with the sections a DOM extractor would give."""
from __future__ import annotations

import html
import random

from capture.records import REDACTED, Field, Section, Table

CSS = """
body { margin: 0; font: 13px Arial, "Liberation Sans", Helvetica, sans-serif; color: #222; background: #fff; }
header { background: #1d2b3a; color: #fff; padding: 12px 20px; font-size: 15px; }
header b { color: #ff8a00; }
nav { position: absolute; top: 44px; left: 0; width: 200px; background: #2f3e4e; color: #dfe6ee;
      min-height: 100%; padding-top: 8px; }
nav div { padding: 7px 18px; } nav .on { background: #ff8a00; color: #111; }
main { margin-left: 200px; padding: 16px 28px; }
main.cut { height: 520px; overflow: hidden; }
h2 { font-size: 17px; margin: 18px 0 8px; border-bottom: 1px solid #ccd; padding-bottom: 4px; }
table.form td { padding: 4px 10px 4px 0; vertical-align: middle; }
table.form td.l { width: 220px; color: #333; }
input[type=text], input[type=password], select { font: 13px Arial, sans-serif; padding: 3px 5px;
      border: 1px solid #aab; width: 300px; }
textarea { font: 13px Arial, sans-serif; width: 520px; height: 60px; }
table.grid { border-collapse: collapse; margin: 6px 0 12px; }
table.grid th { background: #e8edf3; text-align: left; }
table.grid th, table.grid td { border: 1px solid #c9d1da; padding: 4px 10px; }
"""

HOSTS = ["bt1", "bt2", "access", "support", "remote", "jump", "vault", "edge"]
DOMAINS = ["example.test", "corp.example.test", "acme-widgets.test", "contoso.test"]
FORMATS = ["RFC 5424 (structured)", "BSD (legacy, BOM)", "BSD (legacy)", "Syslog over TLS (RFC 5425)"]


def _ip(r: random.Random, net: str = "10") -> str:
    return f"{net}.{r.randint(0, 254)}.{r.randint(1, 254)}.{r.randint(1, 254)}"


def _values(r: random.Random) -> list[Section]:
    host = f"{r.choice(HOSTS)}{r.randint(1, 9)}.{r.choice(DOMAINS)}"
    gw = _ip(r)
    status = Section(title="Status", fields=[
        Field(label="Appliance Hostname", value=host),
        Field(label="Serial Number", value=f"B{r.randint(100000, 999999)}-{r.choice('ACDEFHK')}{r.randint(10, 99)}"),
        Field(label="Model", value=r.choice(["B300", "B400", "UBS-Virtual", "B200"])),
        Field(label="Appliance Version", value=f"7.{r.randint(0, 4)}.{r.randint(0, 9)}"),
        Field(label="Base Software Version",
              value=f"24.{r.randint(1, 3)}.{r.randint(0, 9)} (build {r.randint(10000, 40000)})"),
        Field(label="System Time", value=(f"2025-0{r.randint(1, 9)}-1{r.randint(0, 9)} "
                                          f"1{r.randint(0, 9)}:{r.randint(10, 59)}:{r.randint(10, 59)} UTC")),
        Field(label="Uptime", value=f"{r.randint(2, 300)} days, {r.randint(1, 23)} hours"),
    ])
    net = Section(title="IP Configuration", fields=[
        Field(label="Default Gateway", value=gw),
        Field(label="Primary DNS", value=_ip(r, "192")),
        Field(label="Secondary DNS", value=_ip(r, "172")),
        Field(label="DNS Search Domain", value=r.choice(DOMAINS)),
        Field(label="NTP Server", value=f"ntp{r.randint(1, 4)}.{r.choice(DOMAINS)}"),
        Field(label="MTU", value=str(r.choice([1500, 9000, 1400])), kind="text"),
        Field(label="Enable IPv6", value="on", kind="checkbox"),
        Field(label="Interface Speed", value=r.choice(["Auto Negotiate", "1000 Mbps Full Duplex"]), kind="select"),
        Field(label="Root Password", value=REDACTED, kind="password", secret=True, is_set=True),
    ], tables=[Table(title="IP Addresses", headers=["Interface", "IP Address", "Netmask", "Default"], rows=[
        [f"eth{i}", _ip(r), "255.255.255.0" if i else "255.255.254.0", "Yes" if i == 0 else "No"]
        for i in range(3)])])
    routes = Section(title="Static Routes", tables=[Table(title="Static Routes",
                     headers=["Destination", "Netmask", "Gateway", "Interface"], rows=[
                         [_ip(r, "172"), "255.255.0.0", gw, f"eth{r.randint(0, 2)}"] for _ in range(3)])])
    misc = Section(title="Syslog and Email", fields=[
        Field(label="Syslog Server", value=f"logs.{r.choice(DOMAINS)}"),
        Field(label="Syslog Port", value=str(r.choice([514, 6514, 1514]))),
        Field(label="Message Format", value=r.choice(FORMATS), kind="select"),
        Field(label="SMTP Relay", value=f"smtp.{r.choice(DOMAINS)}"),
        Field(label="From Address", value=f"appliance-{r.randint(1, 99)}@{r.choice(DOMAINS)}"),
        Field(label="Admin Contact", value=f"noc-{r.randint(1, 9)}@{r.choice(DOMAINS)}"),
        Field(label="SNMP Community", value=REDACTED, kind="password", secret=True, is_set=True),
        Field(label="Login Agreement", kind="textarea", value=(
            "Authorized use only. Activity on this appliance is logged and reviewed by the security team.")),
    ])
    return [status, net, routes, misc]


def _field_html(f: Field) -> str:
    v = html.escape(f.value or "")
    if f.kind == "checkbox":
        w = f'<input type="checkbox"{" checked" if f.value == "on" else ""}>'
    elif f.kind == "select":
        w = f'<select><option>Other option</option><option selected>{v}</option></select>'
    elif f.kind == "password":
        w = '<input type="password" value="secretvalue">'
    elif f.kind == "textarea":
        w = f"<textarea>{v}</textarea>"
    else:
        w = f'<input type="text" value="{v}">'
    return f'<tr><td class="l">{html.escape(f.label)}</td><td>{w}</td></tr>'


def _table_html(t: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.headers)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in t.rows)
    return f'<table class="grid"><tr>{head}</tr>{rows}</table>'


def admin_page(seed: int = 0, *, cut: bool = False, repeat: int = 1) -> tuple[str, list[Section]]:
    """HTML of an /appliance-like page and its sections (repeat > 1 makes a tall page)."""
    r = random.Random(seed)
    sections = [s for _ in range(repeat) for s in _values(r)]
    body = []
    for s in sections:
        body.append(f"<h2>{html.escape(s.title)}</h2>")
        if s.fields:
            body.append('<table class="form">' + "".join(_field_html(f) for f in s.fields) + "</table>")
        body.extend(_table_html(t) for t in s.tables)
    nav = "".join(f'<div class="{"on" if i == 1 else ""}">{n}</div>' for i, n in enumerate(
        ["Status", "Networking", "Security", "Certificates", "Support"]))
    page = (f"<!doctype html><html><head><style>{CSS}</style></head><body>"
            f"<header><b>BeyondTrust</b> &nbsp; /appliance &nbsp; Networking :: IP Configuration</header>"
            f"<nav>{nav}</nav><main class=\"{'cut' if cut else ''}\">{''.join(body)}</main></body></html>")
    return page, sections


def form_page(pairs: list[tuple[str, str]]) -> str:
    """A plain two-column label/value page (for ocr_to_sections)."""
    rows = "".join(_field_html(Field(label=label, value=value)) for label, value in pairs)
    return (f"<!doctype html><html><head><style>{CSS}</style></head><body>"
            f"<header><b>BeyondTrust</b> &nbsp; /appliance</header><main style='margin-left:20px'>"
            f"<h2>Basics</h2><table class='form'>{rows}</table></main></body></html>")
