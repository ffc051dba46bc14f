"""The settings model of a snapshot: typed, each value with its provenance, stored in manifest.json as `settings`."""
from __future__ import annotations

from typing import Any

from capture.errors import ConfigError
from capture.records import Snapshot
from flows.settings.model import SETTINGS_VERSION, Settings, Source
from flows.settings.parts import PARTS


def build(snap: Snapshot, labels: Any = None) -> Settings:
    """Read the model from a snapshot's records (labels: the flows.base.Labels of the capture, with user files)."""
    from flows.settings.compose import build as _build
    from flows.vocabulary import Vocabulary

    return _build(snap, Vocabulary.load(labels))


def of(snap: Snapshot) -> Settings:
    """The snapshot's model: as stored, or (an older manifest) built from its records now. A model written by a
    newer bt-capture is refused with one clear line."""
    cached = getattr(snap, "_settings", None)
    if cached is not None:
        return cached
    raw = snap.settings
    version = raw.get("schema_version") if isinstance(raw, dict) else None
    if isinstance(version, int) and version > SETTINGS_VERSION:
        raise ConfigError(f"snapshot {snap.name or snap.label}: its settings model is version {version}, newer than "
                          f"this bt-capture reads ({SETTINGS_VERSION}); update bt-capture to read it")
    if raw is None or version != SETTINGS_VERSION:
        model = build(snap)  # migrated: an older manifest's records read by today's model
        model.notes.append("settings read from the page records when this snapshot was opened (written by an "
                           "older bt-capture)")
    else:
        try:
            model = Settings.model_validate(raw)
        except ValueError as e:
            raise ConfigError(f"snapshot {snap.name or snap.label}: its settings model is not valid: "
                              f"{str(e).splitlines()[0]}") from None
    snap._settings = model
    return model


__all__ = ["PARTS", "SETTINGS_VERSION", "Settings", "Source", "build", "of"]
