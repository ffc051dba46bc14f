"""Command layer: parse arguments, call one function, map errors to exit codes (thin; logic lives elsewhere)."""
from __future__ import annotations

import gc
import sys

import click

from fixtures.options import EMPTY_LISTINGS, FRAMINGS, REPORT_NAMESPACES, VERSIONS
from fixtures.skins.spec import NAMES as SKINS, SUMMARY as SKIN_SUMMARY

_SIMULATE_HELP = ("Serve simulated appliances over HTTPS on loopback; print their details as JSON; run until Ctrl-C.\n\n"
                  "--skin draws the same appliance state with another page builder (URLs, menus, grouping, label "
                  "wording, controls, behaviour; class names and ids random on every start):\n\n"
                  + "\n\n".join(f"{name}: {text}" for name, text in SKIN_SUMMARY.items()))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bt-capture")
def cli() -> None:
    """bt-capture: verified recovery dossiers of BeyondTrust B Series Appliances."""


@cli.command(help=_SIMULATE_HELP)
@click.option("--pair", is_flag=True, help="A failover pair (bt1 primary, bt2 backup).")
@click.option("--count", type=click.IntRange(1, 250), default=1, show_default=True,
              help="N independent appliances (bt01…, site01…).")
@click.option("--cloud", "mode", flag_value="cloud", help="A BeyondTrust Cloud site (minimal /appliance via /login).")
@click.option("--hosted", "mode", flag_value="hosted", help="A BeyondTrust-hosted site (/login only).")
@click.option("--onprem", "mode", flag_value="onprem", default=True, hidden=True)
@click.option("--version", "version", type=click.Choice(list(VERSIONS)), default="25.1", show_default=True)
@click.option("--no-agreement", is_flag=True, help="No /appliance Prerequisite Login Agreement.")
@click.option("--no-totp", is_flag=True, help="No two-factor code on /login.")
@click.option("--latency-ms", type=click.IntRange(0), default=0, show_default=True, help="Delay added to every request.")
@click.option("--nsb-size", type=click.IntRange(64), default=2 * 1024 * 1024, show_default=True,
              help="Size of every .nsb backup in bytes (streamed).")
@click.option("--idle-timeout", type=float, default=600.0, show_default=True, help="Session idle timeout (s).")
@click.option("--drift", is_flag=True, help="Pair only: peer 2 has another certificate key and cipher set.")
@click.option("--peers-differ", is_flag=True,
              help="Pair only: a healthy pair that differs where failover allows (models, own certificate binding, "
                   "own syslog and email servers, SNMP location, agreement, restrictions).")
@click.option("--cert-binding", type=click.Choice(["san", "own", "elsewhere"]), default="san", show_default=True,
              help="What the site certificate's IP Address(es) column shows: its IP alternative names, each "
                   "appliance's own addresses only (as behind NAT), or an address of neither (a cloud front end).")
@click.option("--inject-markup", is_flag=True, help="Put HTML/script text into a few visible fields.")
@click.option("--drop-setting", default=None, help="Empty one setting (syslog, snmp, static_routes, agreement, …).")
@click.option("--secret-panels", default=None, metavar="SPEC",
              help="Panels holding secrets (SNMP, SMTP, pre-shared key) in a same-origin frame, filled in after "
                   "load, or in a shadow root: frame, late, shadow-open, shadow-closed, joined by '+', or per panel "
                   "(snmp=frame,email=shadow-open+late,psk=shadow-closed).")
@click.option("--late-ms", type=click.IntRange(0), default=600, show_default=True,
              help="Late content arrives a random 0…N ms after the load event.")
@click.option("--sessions-per-day", type=click.IntRange(0), default=8, show_default=True,
              help="Support sessions a day in /api/reporting (deterministic per site).")
@click.option("--session-days", type=click.IntRange(0), default=3, show_default=True, help="Days of session history.")
@click.option("--recording-every", type=click.IntRange(0), default=3, show_default=True,
              help="Every Nth session has a screen recording (0: none).")
@click.option("--shell-every", type=click.IntRange(0), default=4, show_default=True,
              help="Every Nth session has command shell recordings (0: none).")
@click.option("--running-sessions", type=click.IntRange(0), default=1, show_default=True,
              help="The newest N sessions are still running.")
@click.option("--expired-recordings", type=click.IntRange(0), default=1, show_default=True,
              help="The oldest N recordings have aged out.")
@click.option("--recording-size", type=click.IntRange(64), default=256 * 1024, show_default=True,
              help="Bytes per screen recording (command shells get an eighth).")
@click.option("--report-namespace", type=click.Choice(REPORT_NAMESPACES), default="sra", show_default=True)
@click.option("--empty-listing", type=click.Choice(EMPTY_LISTINGS), default="error", show_default=True,
              help="An empty listing as <error> (PRA Cloud) or as an empty list (the docs).")
@click.option("--report-language", type=click.Choice(["en", "fr"]), default="en", show_default=True)
@click.option("--recording-framing", type=click.Choice(FRAMINGS), default="mixed", show_default=True,
              help="Recordings with Content-Length, chunked, or alternating.")
@click.option("--skin", type=click.Choice(list(SKINS)), default=SKINS[0], show_default=True,
              help="The page builder (see above); docs/skins.md lists each skin's wording.")
@click.option("--seed", type=int, default=None, help="With --skin random: which mix of the axes (printed in the info).")
@click.option("--fault", "faults", multiple=True, metavar="NAME=VALUE",
              help="A fault knob, e.g. hang_page=SNMP, truncate_nsb=1, expire_session_after=5 (repeatable).")
@click.option("--info-file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write the info JSON here (mode 0600).")
def simulate(pair: bool, count: int, mode: str, version: str, no_agreement: bool, no_totp: bool, latency_ms: int,
             nsb_size: int, idle_timeout: float, drift: bool, peers_differ: bool, cert_binding: str,
             inject_markup: bool, drop_setting: str | None,
             secret_panels: str | None, late_ms: int, sessions_per_day: int, session_days: int, recording_every: int,
             shell_every: int, running_sessions: int, expired_recordings: int, recording_size: int,
             report_namespace: str, empty_listing: str, report_language: str, recording_framing: str,
             skin: str, seed: int | None, faults: tuple[str, ...], info_file: str | None) -> None:
    from fixtures.options import Faults, SimOptions
    from fixtures.server import serve_forever

    try:
        options = SimOptions(pair=pair, count=count, mode=mode or "onprem", version=version,
                             agreement=not no_agreement, totp=not no_totp, latency_ms=latency_ms,
                             nsb_size=nsb_size, idle_timeout=idle_timeout, drift=drift, inject_markup=inject_markup,
                             drop_setting=drop_setting, secret_panels=secret_panels, late_ms=late_ms,
                             sessions_per_day=sessions_per_day, session_days=session_days,
                             recording_every=recording_every, shell_every=shell_every,
                             running_sessions=running_sessions, expired_recordings=expired_recordings,
                             recording_size=recording_size, report_namespace=report_namespace,
                             empty_listing=empty_listing, report_language=report_language,
                             recording_framing=recording_framing,
                             peers_differ=peers_differ, cert_binding=cert_binding, skin=skin, seed=seed,
                             faults=Faults.parse(list(faults)))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    serve_forever(options, info_file, echo=lambda text: (click.echo(text), sys.stdout.flush()))


from capture.archive.cli import archive  # noqa: E402
from capture.commands import COMMANDS  # noqa: E402  (run, verify, ocr, flows, config, demo)
from capture.doctor import doctor_cmd  # noqa: E402
from capture.history_cli import history_cmd  # noqa: E402
from reports.cli import binder_cmd, render_cmd  # noqa: E402
from reports.cli_diff import diff_cmd  # noqa: E402

from capture.cli_record import record, replay  # noqa: E402

for _command in [*COMMANDS, doctor_cmd, history_cmd, archive, render_cmd, binder_cmd, diff_cmd, replay, record]:
    cli.add_command(_command)


def main() -> None:
    """The console entry point: the click group, then a quick exit."""
    try:
        cli()  # standalone mode: exits with the command's code
    finally:
        # The interpreter ends with a garbage collection over every live object (Playwright, pydantic,
        # Pillow: 0.1–0.2 s, a tenth of a `bt-capture diff`). Nothing waits on it: every file is written,
        # fsynced and renamed, and every browser closed, explicitly. Frozen objects are not traversed.
        gc.freeze()


if __name__ == "__main__":
    main()
