"""Tolerant matching of DOM values in OCR text, and label/value pairing from word boxes (no tesseract)."""
from __future__ import annotations

from capture.ocr import OcrOutput, words_to_text
from capture.ocr_text import TextIndex, checkable_values, fold, is_flagged, legibility, ocr_to_sections
from capture.records import REDACTED, Field, Section, Table


def test_fold_equates_common_ocr_confusions():
    assert fold("10.0.0.1") == fold("1O.O.O.l") == fold("IO 0 0 |")
    assert fold("Primary DNS:") == fold("prirnary dns")
    assert fold("B509-SZ") == fold("8S09 52")
    assert fold("a.b-c_d") == "a8cd"


def test_short_values_need_whole_tokens():
    idx = TextIndex("MTU 1500   Port 22\nDefault No")
    assert idx.has("22") and idx.has("No") and idx.has("1500")
    assert not idx.has("15") and not idx.has("50") and not idx.has("2")
    assert TextIndex("ports 8443, 443").has("443")


def test_long_values_may_match_by_token_coverage():
    agreement = "Authorized use only. Activity on this appliance is logged and reviewed by the security team."
    ocr_text = "Authorized use only. Activity on this appliance is loqqed and reviewed by the securty team."
    assert TextIndex(ocr_text).has(agreement)
    assert not TextIndex("Authorized use only.").has(agreement)  # the rest was cut off


def test_long_codes_survive_one_misread_glyph_pair_and_nothing_more():
    # Seen in a demo run: tesseract read "…e69174ca96…" of an OAuth client ID as "…e6917 ‘Aca96…".
    idx = TextIndex("Backup Automation 75e606bfb8e132b8e6917 \u2018Aca96f2f82a Command API: Full Access")
    assert idx.has("75e606bfb8e132b8e69174ca96f2f82a")
    assert not idx.has("75e606bfb8e132b8e69174ca96ffffff")  # the end differs
    assert not idx.has("00e606bfb8e132b8e69174ca96f2f82a")  # the start differs
    assert not idx.has("75e606bfb8e132b8e6910000006f2f82a")  # more than one slip
    assert not TextIndex("75e606bfb8e1 and later f2f82a").has("75e606bfb8e132b8e69174ca96f2f82a")
    assert not TextIndex("ab12cd34ef5 ab12cd34ef56").has("ab12cd34ef57")  # short codes stay exact
    # Seen in a CI run, the same at every scale and mode: "…aabf6c" read as "…aabféc", one glyph from the end.
    near_end = TextIndex("Backup Automation 571abSbb6d18efbc02e6990146aabf\u00e9c Command API: Full Access Yes")
    assert near_end.has("571ab5bb6d18efbc02e6990146aabf6c")
    assert not near_end.has("571ab5bb6d18efbc02e6990146aab000")  # the last three differ
    near_start = TextIndex("Backup Automation 5\u00e91ab5bb6d18efbc02e6990146aabf6c Command API")  # 7 read as é
    assert near_start.has("571ab5bb6d18efbc02e6990146aabf6c")
    assert not near_start.has("000ab5bb6d18efbc02e6990146aabf6c")  # the first three differ


def _sections():
    return [Section(title="IP", fields=[
        Field(label="Default Gateway", value="10.20.30.1"),
        Field(label="Hostname", value="bt1.example.test"),
        Field(label="Enable IPv6", value="on", kind="checkbox"),
        Field(label="Use DHCP", value="false", kind="radio"),
        Field(label="Root Password", value=REDACTED, kind="password", secret=True, is_set=True),
        Field(label="Community", value="public", secret=True),
        Field(label="Comment", value=""),
        Field(label="Note", value=None),
    ], tables=[Table(title="Routes", headers=["Destination", "Gateway"],
                     rows=[["172.16.0.0", "10.20.30.1"], ["192.168.0.0", REDACTED]])])]


def test_only_visible_non_secret_values_are_checked():
    assert checkable_values(_sections()) == [
        ("Default Gateway", "10.20.30.1"), ("Hostname", "bt1.example.test"),
        ("Destination", "172.16.0.0"), ("Gateway", "10.20.30.1"), ("Destination", "192.168.0.0")]


def test_legibility_scores_and_lists_missing():
    text = "Default Gateway 1O.20.30.l\nHostname btl.example.test\nDestination Gateway\n172.16.0.0 10.20.30.1"
    score, checked, missing = legibility(_sections(), text)
    assert (score, checked, missing) == (0.8, 5, ["Destination: 192.168.0.0"])
    assert not is_flagged(0.9) and is_flagged(0.8) and not is_flagged(None)
    assert legibility([Section(fields=[Field(label="x", value="on", kind="checkbox")])], "") == (None, 0, [])


def _w(text, left, top, block=1, line=1, h=12):
    return {"text": text, "conf": 90.0, "left": left, "top": top, "width": 8 * len(text), "height": h,
            "block": block, "par": 1, "line": line}


def test_rows_join_label_and_value_columns():
    # PSM 11 gives every phrase its own block: rows are rebuilt from the boxes.
    words = [_w("Default", 10, 100, 1), _w("Gateway", 70, 101, 1), _w("10.0.0.1", 300, 99, 2),
             _w("Serial", 10, 130, 3), _w("Number:", 62, 130, 3), _w("B123-X", 300, 131, 4),
             _w("Model", 10, 160, 5), _w("B300", 10, 180, 6)]
    assert words_to_text(words) == "Default Gateway 10.0.0.1\nSerial Number: B123-X\nModel\nB300"
    out = OcrOutput(path="x.png", words=words)
    [sec] = ocr_to_sections(out, ["Serial Number", "Default Gateway", "Model", "Gateway"])
    assert [(f.label, f.value, f.kind) for f in sec.fields] == [
        ("Default Gateway", "10.0.0.1", "ocr"), ("Serial Number", "B123-X", "ocr"), ("Model", "B300", "ocr")]


def test_labels_tolerate_ocr_noise_and_stop_at_the_next_label():
    words = [_w("Prirnary", 10, 100), _w("DNS", 80, 100), _w("192.0.2.53", 200, 100),
             _w("Secondary", 400, 100, 2), _w("DNS", 480, 100, 2), _w("192.0.2.54", 600, 100, 2)]
    [sec] = ocr_to_sections(OcrOutput(path="x", words=words), ["Primary DNS", "Secondary DNS"])
    assert [(f.label, f.value) for f in sec.fields] == [("Primary DNS", "192.0.2.53"),
                                                        ("Secondary DNS", "192.0.2.54")]
    assert ocr_to_sections(OcrOutput(path="x", words=[_w("Other", 1, 1)]), ["Model"])[0].text == ["Other"]


def test_wrapped_table_cells_match_within_a_window():
    # The certificate table wraps "Dec 28 / 2027" and three names over lines, interleaved with other cells.
    text = ("support.example.test Example Corp CA 1 support.example.test 127.0.0.2 Yes Dec 28\n"
            "bt1.example.test 127.0.0.3 2027\nbt2.example.test 10.20.30.41")
    idx = TextIndex(text)
    assert idx.has("Dec 28 2027")
    assert idx.has("support.example.test bt1.example.test bt2.example.test")
    assert not idx.has("Dec 28 2028") and not idx.has("2027 Dec 28")  # every word, in order


def test_labels_do_not_match_mid_sentence():
    words = [_w("BeyondTrust", 10, 100), _w("Remote", 110, 100), _w("Support", 170, 100), _w("-", 235, 100),
             _w("Base", 248, 100), _w("Software", 290, 100), _w("7.1.1", 360, 100)]
    assert ocr_to_sections(OcrOutput(path="x", words=words), ["Base Software"])[0].fields == []
    words[4]["left"] = 400  # now a column of its own
    words[5]["left"], words[6]["left"] = 445, 520
    [f] = ocr_to_sections(OcrOutput(path="x", words=words), ["Base Software"])[0].fields
    assert (f.label, f.value) == ("Base Software", "7.1.1")
