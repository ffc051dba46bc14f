"""Layer 3 and 4 on text: OCR words and loose page text redacted by label and by value; a secret spotted
in OCR text even as tesseract misreads it, or when only its start is visible."""
from __future__ import annotations

from capture.ocr_redact import SecretLabels, redact_line, redact_words, shows_secret
from capture.records import REDACTED
from flows.base import Labels

LABELS = Labels.load()
SL = SecretLabels(LABELS.secret_patterns, LABELS.not_secret)
SECRET = "CANARYApplianceSmtpQ7XK2M9"


def _row(y: int, *texts: str) -> list[dict]:
    return [{"text": t, "conf": 90.0, "left": 10 + 120 * i, "top": y, "width": 100, "height": 14, "block": 1,
             "par": 1, "line": y} for i, t in enumerate(texts)]


def test_words_after_a_secret_label_are_redacted_to_the_end_of_the_row() -> None:
    words = _row(10, "Read-Only", "Community", "Name", "x7Hq-unknown") + _row(40, "System", "Location", "DC1")
    assert redact_words(words, [], SL) == 2  # "Name" too: a label word too many is harmless
    assert [w["text"] for w in words] == ["Read-Only", "Community", REDACTED, REDACTED, "System", "Location", "DC1"]


def test_settings_that_mention_a_password_keep_their_values() -> None:
    words = _row(10, "Password", "Lifetime", "90") + _row(40, "Minimum", "Password", "Length", "14")
    assert redact_words(words, [], SL) == 0


def test_known_secrets_are_redacted_as_tesseract_misreads_them_and_by_their_visible_start() -> None:
    misread = SECRET.replace("l", "1").replace("S", "5")
    words = _row(10, "Username", misread) + _row(40, "Relay", "CANARYApplianceSm") + _row(70, "Port", "587")
    assert redact_words(words, [SECRET], None) == 2
    assert [w["text"] for w in words] == ["Username", REDACTED, "Relay", REDACTED, "Port", "587"]


def test_shows_secret_exactly_misread_or_cut_off_but_not_a_shared_word() -> None:
    assert shows_secret(f"SMTP Password {SECRET}", [SECRET])
    assert shows_secret("SMTP Password CANARYApp1iance5mtpQ7XK2M9", [SECRET])  # confusable glyphs
    assert shows_secret("SMTP Password CANARYApplianceSmtpQ7XKZM9", [SECRET])  # one slipped glyph
    assert shows_secret("SMTP Password CANARYApplianceSm", [SECRET])  # an input too narrow for the value
    assert not shows_secret("SMTP Password Appliance Smtp relay", [SECRET])
    assert shows_secret("community public", ["public"]) and not shows_secret("publicity matters", ["public"])


def test_loose_text_keeps_its_label_only() -> None:
    assert redact_line("Community public", SL) == (f"Community {REDACTED}", "public")
    assert redact_line("SMTP Password: hunter22", SL) == (f"SMTP Password: {REDACTED}", "hunter22")
    prose = "Password must be at least eight characters long in this form"
    assert redact_line(prose, SL) == (prose, None)
    assert redact_line("Password Lifetime 90 days", SL) == ("Password Lifetime 90 days", None)
