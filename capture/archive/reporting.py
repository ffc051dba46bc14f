"""Everything bt-capture knows about the Reporting API: endpoints, report names, parameters, XML, error texts."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from capture.errors import DownloadError

TOKEN_PATH = "/oauth2/token"
ENDPOINT = "/api/reporting"
REPORT_TYPE = "SupportSession"  # the watermark's report type: support sessions with their recordings
LISTING, DETAIL, RECORDING, SHELL = ("SupportSessionListing", "SupportSession", "SupportSessionRecording",
                                     "CommandShellRecording")
# Error texts are localised and only partly documented; match on phrases, never on the whole text.
NO_DATA = ("matching your chosen criteria", "correspondant à vos critères", "no support report information")
EXPIRED = ("recording has expired", "can no longer be viewed or downloaded")
DENIED = ("permission", "not authorized", "not authorised", "access denied", "xml api is disabled")
MEDIA = {b"FLV": "flv"}  # the Integration Client stores .flv; MP4 has 'ftyp' at offset 4


def listing(start: int, seconds: int) -> dict[str, str]:
    """Sessions that began in [start, start + seconds), running ones included (start_time + duration)."""
    return {"generate_report": LISTING, "start_time": str(int(start)), "duration": str(max(1, int(seconds)))}


def detail(lsid: str) -> dict[str, str]:
    return {"generate_report": DETAIL, "lsid": lsid}


def recording(lsid: str) -> dict[str, str]:
    return {"generate_report": RECORDING, "lsid": lsid}


def shell(lsid: str, instance: int) -> dict[str, str]:
    return {"generate_report": SHELL, "lsid": lsid, "instance": str(instance)}


@dataclass
class Session:
    """One session as its full report describes it; end is None while it is running."""

    lsid: str
    start: int
    end: int | None
    external_key: str = ""
    primary_rep: str = ""
    reps: list[str] = field(default_factory=list)  # "username (display name)"
    customer: str = ""
    customer_host: str = ""
    text: str = ""  # everything a person may search for
    recording: bool = False
    shells: list[int] = field(default_factory=list)


def parse(body: bytes) -> ET.Element:
    """The document with namespaces dropped: appliances declare at least three different ones."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise DownloadError(f"the appliance answered with something that is not XML ({e})") from None
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


def error_text(root: ET.Element) -> str | None:
    """The <error> text, whether it is the root or a child of the list (both are seen)."""
    if root.tag == "error":
        return (root.text or "").strip() or "error"
    child = root.find("error")
    return (child.text or "").strip() or "error" if child is not None else None


def classify(text: str) -> str:
    """no_data, expired, denied or other."""
    low = text.lower()
    for kind, phrases in (("no_data", NO_DATA), ("expired", EXPIRED), ("denied", DENIED)):
        if any(p in low for p in phrases):
            return kind
    return "other"


def parse_listing(root: ET.Element) -> list[tuple[str, bool]]:
    return [(el.get("lsid", ""), el.get("has_recording") == "1") for el in root.iter("session_summary")
            if el.get("lsid")]


def _ts(el: ET.Element | None) -> int | None:
    raw = el.get("timestamp") if el is not None else None
    return int(raw) if raw and raw.strip().lstrip("-").isdigit() else None


def _t(el: ET.Element | None, path: str) -> str:
    found = el.find(path) if el is not None else None
    return (found.text or "").strip() if found is not None else ""


def parse_sessions(root: ET.Element) -> list[Session]:
    out = []
    for s in root.iter("session"):
        start = _ts(s.find("start_time"))
        if not s.get("lsid") or start is None:
            continue
        reps = [f"{_t(r, 'username')} ({_t(r, 'display_name')})" for r in s.iter("representative")]
        cust = s.find("customer_list/customer")
        shells = sorted(int(c.get("instance", "0")) for c in s.iter("command_shell_recording")
                        if c.get("instance", "").isdigit())
        words = [_t(s, "external_key"), _t(s, "primary_customer"), _t(s, "primary_rep"), *reps]
        words += [_t(cust, p) for p in ("username", "hostname", "info/company", "info/issue")]
        words += [(b.text or "").strip() for b in s.iter("body")]
        out.append(Session(lsid=s.get("lsid", ""), start=start, end=_ts(s.find("end_time")),
                           external_key=_t(s, "external_key"), primary_rep=_t(s, "primary_rep"), reps=reps,
                           customer=_t(cust, "username"), customer_host=_t(cust, "hostname"),
                           text=" | ".join(w for w in words if w and w != "Unknown"),
                           recording=s.find("session_recording_download_url") is not None, shells=shells))
    return out


def media_kind(first: bytes) -> str | None:
    """flv or mp4 from the first bytes, or None (an XML error page, or something unknown)."""
    if first[:3] in MEDIA:
        return MEDIA[first[:3]]
    if first[4:8] == b"ftyp":
        return "mp4"
    return None


def looks_like_xml(first: bytes) -> bool:
    head = first.lstrip()[:64].lower()
    return head.startswith(b"<?xml") or head.startswith(b"<error")
