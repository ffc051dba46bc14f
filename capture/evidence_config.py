"""The inventory's [history] and [hooks] tables: where the settings history goes, what runs after a run."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from capture.sources import is_source


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class History(_Strict):
    """[history]: a git repository of each appliance's settings as text, one commit per appliance per run."""

    git: Path | None = None
    remote: str | None = None  # a remote name or URL: pushed after each run
    branch: str = "main"
    username: str | None = None  # for an HTTPS remote that asks for one
    token: str | None = None  # env:NAME or keyring:SERVICE/USER: the push password or token, never the value

    @field_validator("token")
    @classmethod
    def _token(cls, v: str | None) -> str | None:
        if v is not None and not is_source(v):
            raise ValueError("must say where the token comes from (env:NAME or keyring:SERVICE/USER)")
        return v


class Hooks(_Strict):
    """[hooks]: commands run after a run (the run's JSON on stdin), and apprise notification URLs."""

    on_success: str | list[str] | None = None
    on_failure: str | list[str] | None = None
    on_drift: str | list[str] | None = None
    timeout: float = Field(60.0, gt=0, le=3600)
    notify: list[str] = []  # apprise URLs, or env:NAME / keyring:SERVICE/USER holding one (URLs may hold passwords)
    notify_on: list[Literal["success", "failure", "drift"]] = ["failure", "drift"]
