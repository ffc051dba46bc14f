"""Run the flows of each appliance: a failure becomes a failed record, and the run goes on."""
from __future__ import annotations

import asyncio
import errno
import getpass
import logging
import tempfile
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import flows
from capture import __version__, postprocess, resume, tls
from capture.browser import Browser
from capture.config import Appliance, Inventory
from capture.context import StepContext
from capture.fetch import ApiClient
from capture.errors import CaptureError, SessionBounced
from capture.guard import Guard
from capture.layers import ALL, Layers
from capture.records import Identity, PageRecord, PeerInfo, Snapshot
from capture.redact import Redactor
from capture.secrets import SecretSource
from capture.navigate import LOGIN_STATES
from capture.session import Session, _message
from capture.slots import Slots, Turns
from capture.store import Store, snapshot_name
from flows import procedure, settings
from flows.auth import Credentials, login_with
from flows.base import Labels, Page

log = logging.getLogger("bt-capture")


class Progress:
    """No-op progress; the CLI passes a rich one."""

    def start(self, name: str, total: int) -> None: ...
    def step(self, name: str, what: str) -> None: ...
    def done(self, name: str, status: str) -> None: ...


@dataclass
class Options:
    resume: bool = False
    insecure: bool = False  # --insecure on the command line: every appliance
    progress: Progress = field(default_factory=Progress)
    ocr: Any = None  # capture.ocr pool (submit(path) -> future), or None to skip OCR
    render: bool = True
    layers: Layers = ALL  # the secret layers; only the test suite switches any off (capture.layers)
    peers: dict[str, PeerInfo] = field(default_factory=dict)  # appliance name → its failover peer, as the run sees it
    record: Path | None = None  # run --record: one recording per appliance under this folder (capture.recording)
    record_assets: bool = False  # images and fonts too
    record_screenshots: bool = True
    record_sanitize: bool = True  # only the test proving the secret sweep can fail turns this off


@dataclass
class Result:
    name: str
    snapshot: Snapshot | None
    folder: Path | None
    exit_code: int
    error: str | None = None


def needed_secrets(app: Appliance) -> list[str]:
    need = ["login_password"]
    if app.deployment == "onprem":
        need.append("appliance_password")
    need.append("totp_secret")
    if app.take.nsb in ("api", "both") or (app.take.nsb == "auto" and app.accounts.api_client_id):
        need.append("api_client_secret")
    if app.take.certificate and app.deployment != "hosted":
        need.append("p12_passphrase")
    if app.take.nsb != "none":
        need.append("backup_password")
    if app.take.vault_key:
        need.append("vault_key_password")
    return need


class Runner:
    offline = False  # a replay's: bt-capture's own HTTP client never connects (capture.replay)

    def __init__(self, inv: Inventory, options: Options, redactor: Redactor | None = None,
                 secrets: SecretSource | None = None) -> None:
        self.inv = inv
        self.opt = options
        self.redactor = redactor or Redactor()
        self.redactor.active = options.layers.redact
        self.secret_source = secrets or SecretSource(self.redactor)
        self.keep_browser = False  # leave the Chromium running after run(), in self.browser (see close())
        self.browser: Browser | None = None
        self.recorders: dict[str, Any] = {}  # appliance name → capture.recording.Recorder (run --record)

    async def close(self) -> None:
        if self.browser is not None:
            browser, self.browser = self.browser, None
            await browser.close()

    async def run(self, apps: list[Appliance] | None = None) -> list[Result]:
        apps = apps if apps is not None else list(self.inv.appliance)
        if self.opt.insecure:
            apps = [a.model_copy(update={"tls": a.tls.model_copy(update={"insecure": True, "ca_file": None, "pin": None,
                                                                           "system": False})}) for a in apps]
        # Secrets first: a missing one stops the run before anything is touched (exit 2).
        resolved = {a.name: self._secrets(a) for a in apps}
        labels = {a.name: Labels.load(self.inv.labels, a.labels) for a in apps}
        probes = await asyncio.gather(*(self._probe(a) for a in apps), return_exceptions=True)
        results: dict[str, Result] = {}
        ready: list[tuple[Appliance, Any]] = []
        for app, probe in zip(apps, probes):
            if isinstance(probe, BaseException):
                if not isinstance(probe, CaptureError):
                    raise probe
                results[app.name] = Result(app.name, None, None, probe.exit_code, str(probe))
                log.error("%s", probe)
            else:
                ready.append((app, probe))
        if ready:
            downloads = Path(tempfile.mkdtemp(prefix=".downloads-", dir=self._output_root()))
            browser = self._browser(ready, downloads)
            slots = Slots(self.inv.jobs, len(ready))

            async def one(app: Appliance, probe: Any) -> None:
                await slots.take()
                try:
                    results[app.name] = await self.capture(browser, app, probe, resolved[app.name], labels[app.name],
                                                           slots)
                finally:
                    slots.give()

            done = False
            try:
                await browser.start()
                await asyncio.gather(*(one(a, p) for a, p in ready))
                done = True
            finally:
                _rmtree(downloads)
                if done and self.keep_browser:
                    self.browser = browser  # the caller prints the dossiers with it, then close()s it
                else:
                    await browser.close()
        return [results[a.name] for a in apps]

    def _secrets(self, app: Appliance) -> tuple[dict[str, str], list[Any]]:
        return self.secret_source.resolve(app, needed_secrets(app))

    async def _probe(self, app: Appliance) -> Any:
        return await tls.probe(app, self.inv.page_timeout)

    def _browser(self, ready: list[tuple[Appliance, Any]], downloads: Path) -> Browser:
        return Browser(self.inv.browser, spki_pins=[p.spki_sha256 for a, p in ready if not a.tls.insecure],
                       resolver_rules=[f"MAP {a.host} {a.resolve}" for a, _ in ready if a.resolve],
                       downloads=downloads)

    def _output_root(self) -> Path:
        root = Path(self.inv.output)
        try:
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as e:
            from capture.errors import ConfigError
            raise ConfigError(f"output folder {root} is not writable: {e.strerror or e}") from None
        return root

    async def capture(self, browser: Browser, app: Appliance, probe: Any, secrets: tuple[dict[str, str], list[Any]],
                      labels: Labels, slots: Slots | None = None) -> Result:
        values, refs = secrets
        snap = Snapshot(tool_version=__version__, label=app.name, site_hostname=app.site, appliance_hostname=app.host,
                        deployment=app.deployment, role=app.role, started_at=datetime.now(timezone.utc),
                        operator=_operator(), insecure=app.tls.insecure, tls=[probe] if probe else [], secrets=refs)
        if app.name in self.opt.peers:
            snap.peer = self.opt.peers[app.name].model_copy()
        if app.tls.insecure:
            snap.warnings.append("TLS verification was switched off (--insecure): the appliance's identity was not checked")
        store = Store(self._output_root(), app.name, self.redactor, resume=self.opt.resume)
        ctx = StepContext(app=app, snapshot=snap, store=store, redactor=self.redactor, secrets=values,
                          secret_refs={r.name: r.where for r in refs}, timeout_s=self.inv.page_timeout,
                          download_timeout_s=self.inv.download_timeout, offline=self.offline)
        pending: dict[str, Any] = {}
        api_ready = bool(app.accounts.api_client_id and values.get("api_client_secret"))
        if self.opt.record is not None:
            self.recorders[app.name] = self._recorder(app, api_ready, labels)
        plan = flows.plan(app.deployment, app.take, api_ready=api_ready, labels=labels)
        order = {st.flow: i for i, st in enumerate(st for steps in plan.values() for st in steps) if isinstance(st, Page)}
        if self.opt.resume:
            plan = resume.keep_verified(ctx, plan)
        ctx.on_page = self._on_page(ctx, pending)
        for rec in list(snap.pages):  # kept by --resume before OCR could check them: checked now (layer 4)
            if self.opt.ocr is not None and rec.ocr is None and rec.status == "ok" and rec.screenshot:
                postprocess.submit_ocr(ctx, self.opt.ocr, rec.flow, rec.screenshot, pending)
        self.opt.progress.start(app.name, sum(len(v) for v in plan.values()))
        try:
            outcomes = await asyncio.gather(*(self._interface(browser, ctx, iface, steps, labels, slots)
                                              for iface, steps in plan.items() if steps))
            snap.pages.sort(key=lambda p: order.get(p.flow, len(order)))  # plan order, whichever tab took a page
            if self.opt.ocr is not None:
                await postprocess.collect_ocr(ctx, pending, self.opt.ocr, labels, self.opt.layers)
        except BaseException:  # interrupted (Ctrl-C): what --resume needs, on disk before we go
            store.save_now(wait=True)
            raise
        # Opening the .p12 and hashing files is CPU and disk work: off the event loop, so the other
        # appliances' browser traffic keeps flowing meanwhile. The snapshot is the thread's from here on.
        store.save_now()
        await asyncio.to_thread(postprocess.verify_artifacts, ctx)
        self._identity(snap, labels)
        snap.procedure = procedure.evaluate(snap, asked={"sync_now"} if app.take.sync_now else set())
        snap.finished_at = datetime.now(timezone.utc)
        name, unknown = snapshot_name(snap, app.host)
        if unknown:
            snap.warnings.append(f"the snapshot name says \"unknown\" for the {', '.join(unknown)}: no captured page "
                                 "showed it")
        folder = await asyncio.to_thread(store.finalize, snap, name)
        if app.name in self.recorders:
            where = await self.recorders.pop(app.name).finish(self.redactor)
            log.info("%s: recording written to %s", app.name, where)
        code = 3 if all(o == "login" for o in outcomes) else (1 if snap.failures else 0)
        self.opt.progress.done(app.name, "complete" if code == 0 else f"{len(snap.failures)} problems")
        return Result(app.name, snap, folder, code)

    def _recorder(self, app: Appliance, api_ready: bool, labels: Labels) -> Any:
        from capture.recording import Recorder

        about = {"name": app.name, "urls": {i: app.interface_url(i) for i in ("appliance", "login")},
                 "site_hostname": app.site, "deployment": app.deployment, "role": app.role, "peer": app.peer,
                 "take": app.take.model_dump(), "api_ready": api_ready}
        return Recorder(Path(self.opt.record) / app.name, about, assets=self.opt.record_assets,
                        screenshots=self.opt.record_screenshots, sanitize=self.opt.record_sanitize,
                        not_secret=labels.not_secret)

    def _on_page(self, ctx: StepContext, pending: dict[str, Any]) -> Callable[[PageRecord], None]:
        def cb(rec: PageRecord) -> None:
            self.opt.progress.step(ctx.app.name, rec.title)
            if self.opt.ocr is not None and rec.status == "ok" and rec.screenshot:
                postprocess.submit_ocr(ctx, self.opt.ocr, rec.flow, rec.screenshot, pending)
        return cb

    async def _interface(self, browser: Browser, ctx: StepContext, iface: str, steps: list[Page | Any],
                         labels: Labels, slots: Slots | None = None) -> str:
        app = ctx.app
        cloud_appliance = iface == "appliance" and app.deployment == "cloud"
        creds = Credentials(
            username=app.accounts.login_user if (iface == "login" or cloud_appliance) else app.accounts.appliance_user,
            password=ctx.secret("login_password" if (iface == "login" or cloud_appliance) else "appliance_password") or "",
            totp_secret=ctx.secret("totp_secret") if (iface == "login" or cloud_appliance) else None)
        context = await browser.context(insecure=app.tls.insecure)
        if app.name in self.recorders:
            self.recorders[app.name].attach(context, iface)
        helpers: list[asyncio.Future[None]] = []
        guard = Guard(labels.destructive_url, self.redactor)
        sess: Session | None = None
        outcome = "ok"
        try:
            sess = await self._session(browser, context, ctx, iface, labels, guard, login_with(creds))
            sctx = replace(ctx, session=sess)
            sess.http = lambda: ApiClient(sctx)
            try:
                await sess.login(sess)
            except Exception as e:
                msg = self.redactor.scrub(_message(e))
                shot = await sess.failure_screenshot(f"{iface}.login")
                ctx.fail(f"{iface}.login", msg, kind="login", screenshot=shot)
                for st in steps:
                    if isinstance(st, Page):
                        ctx.add_page(PageRecord(flow=st.flow, interface=st.interface, title=st.title,
                                                menu_path=list(st.menu), status="failed",
                                                error=f"not captured: login to /{iface} failed"), failure=False)
                return "login"
            queue = deque(steps)
            turns = Turns()
            while queue or helpers:
                if not queue:  # helpers are still at work; one that met the login page hands its page back
                    await asyncio.gather(*helpers)
                    helpers.clear()
                    continue
                st = queue.popleft()
                form = not isinstance(st, Page) or st.flow in {getattr(a, "starts_on", None) for a in queue
                                                               if not isinstance(a, Page)}
                if form and not turns.held:
                    await turns.hold()  # from the page a form step starts on to the end of that step
                await self._step(sess, sctx, st)
                if turns.held and not isinstance(st, Page):
                    await turns.release()
                if slots is not None and len(_for_helper(queue)) >= 2 and slots.spare():
                    helper = asyncio.ensure_future(self._helper(browser, context, ctx, iface, labels, queue, turns))
                    helper.add_done_callback(lambda _: slots.give(1))  # even if cancelled before it started
                    helpers.append(helper)
            await sess.logout()
        finally:
            try:
                for h in helpers:
                    h.cancel()
                await asyncio.gather(*helpers, return_exceptions=True)
                await context.close()
            finally:
                guard.detach()
                for b in guard.blocked:
                    ctx.fail("read-only guard", f"blocked {b}", kind="browser")
                if sess is not None:
                    ctx.snapshot.log += [f"/{iface}: {n}" for n in sess.notes]
                ctx.snapshot.log += [f"/{iface}: allowed {a}" for a in guard.allowed]
        return outcome

    async def _session(self, browser: Browser, context: Any, ctx: StepContext, iface: str, labels: Labels,
                       guard: Guard, login: Callable[[Session], Any], *, relogin: bool = True) -> Session:
        """A tab on this interface, owned by its guard from the first request on."""
        app = ctx.app
        cloud_appliance = iface == "appliance" and app.deployment == "cloud"
        page = await context.new_page()
        await guard.attach(await browser.interceptor(), page, hosts=[urlsplit(app.interface_url(i)).hostname
                                                                     for i in ("appliance", "login")])
        return Session(name=app.name, interface=iface, context=context, page=page, labels=labels,
                       home=app.interface_url("login" if cloud_appliance else iface),
                       entry=tuple(labels.login("cloud_appliance_entry")[:1]) if cloud_appliance else (),
                       redactor=self.redactor, store=ctx.store, guard=guard, login=login, relogin=relogin,
                       timeout_s=self.inv.page_timeout, download_timeout_s=self.inv.download_timeout,
                       layers=self.opt.layers)

    async def _step(self, sess: Session, ctx: StepContext, st: Page | Any) -> None:
        """One step of an interface's plan: a page capture or an action; a failure is recorded, never raised."""
        if isinstance(st, Page):
            rec = ctx.add_page(await sess.capture(st))
            if ctx.app.name in self.recorders:
                shot = ctx.store.dir / rec.screenshot if rec.screenshot and rec.status == "ok" else None
                await self.recorders[ctx.app.name].visit(sess.page, rec, shot)
            if any("recognised by its heading" in n for n in rec.notes):
                ctx.snapshot.warnings.append(f"{rec.title}: none of the expected labels were on the page; "
                                             "it was recognised by its heading (see flows/labels.toml)")
            return
        self.opt.progress.step(ctx.app.name, st.name)
        try:
            try:
                await st.run(ctx)
            except SessionBounced as e:
                # A multi-step action met an expired session: log in again, redo it once.
                sess.note(f"{st.name}: session expired ({e}); logged in again")
                await sess.login(sess)
                await st.run(ctx)
        except Exception as e:
            shot = await sess.failure_screenshot(st.name)
            msg = _message(e)
            if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
                msg = f"disk full while saving the file ({e.strerror}); nothing partial was kept"
            ctx.fail(st.name, msg, kind="artifact", screenshot=shot)

    async def _helper(self, browser: Browser, context: Any, ctx: StepContext, iface: str, labels: Labels,
                      queue: deque[Any], turns: Turns) -> None:
        """A second tab on a logged-in interface, in a slot no appliance needs any more: it takes pages from
        the end of the interface's queue while its session goes through the rest from the front. It shares
        the tab's cookies, never logs in and never acts: met by a login page, it hands the page back."""
        guard = Guard(labels.destructive_url, self.redactor)
        hs: Session | None = None
        took: list[str] = []
        try:
            hs = await self._session(browser, context, ctx, iface, labels, guard, _no_login, relogin=False)
            async with turns.page():
                await hs.open_home()
                if (await hs.nav.state())["state"] in LOGIN_STATES:
                    raise SessionBounced("the second tab was shown the login page")
                await hs.enter()
            while True:
                async with turns.page():
                    if (st := _take_for_helper(queue)) is None:
                        break
                    try:
                        await self._step(hs, ctx, st)
                    except SessionBounced:
                        queue.append(st)
                        raise
                took.append(st.title)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # the interface's own session does whatever is left
            if hs is not None:
                hs.note(f"second tab stopped: {_message(e)}")
        finally:
            try:
                if hs is not None:
                    await hs.page.close()
            except Exception:
                pass
            guard.detach()
            for b in guard.blocked:
                ctx.fail("read-only guard", f"blocked {b}", kind="browser")
            if took:
                ctx.snapshot.log.append(f"/{iface}: a spare --jobs slot opened a second tab, which captured "
                                        + ", ".join(took))
            if hs is not None:
                ctx.snapshot.log += [f"/{iface} (second tab): {n}" for n in hs.notes]

    def _identity(self, snap: Snapshot, labels: Labels) -> None:
        """Read the settings model once (flows/settings), store it, and fill the manifest's identity from it."""
        model = settings.build(snap, labels)
        snap.settings = model.model_dump(mode="json")
        ident = model.identity
        snap.identity = Identity(**{k: getattr(ident, k).value for k in Identity.model_fields})
        sw, fo = model.login.software, model.login.failover
        snap.product_version = sw.product_version.value if sw else None
        snap.product_build = sw.product_build.value if sw else None
        snap.role = snap.role or (fo.role.value if fo else None)


def _for_helper(queue: deque[Any]) -> list[int]:
    """Positions of the pages a helper tab may take: any page no action still waiting starts on."""
    starts = {getattr(st, "starts_on", None) for st in queue if not isinstance(st, Page)}
    return [i for i, st in enumerate(queue) if isinstance(st, Page) and st.flow not in starts]


def _take_for_helper(queue: deque[Any]) -> Page | None:
    """The last such page: the interface's own session works from the front."""
    free = _for_helper(queue)
    if not free:
        return None
    st = queue[free[-1]]
    del queue[free[-1]]
    return st


async def _no_login(sess: Session) -> None:
    raise SessionBounced("a helper tab does not log in")


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _rmtree(path: Path) -> None:
    import shutil
    shutil.rmtree(path, ignore_errors=True)
