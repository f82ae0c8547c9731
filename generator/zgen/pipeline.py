"""The whole build: load -> normalize -> infer -> names -> render -> format -> write."""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import signal
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import jinja2

from . import buildcache, compilecheck
from .diagnostics import Diagnostics, InternalError, Warning, ZgenError
from .environment import EnvironmentValues, load_environment
from .format import (
    Formatted,
    Progress,
    default_workers,
    format_packages,
    reusable,
    source_key,
    unchanged_files,
)
from .infer import InferMemo, Inferred, infer, parse_overrides
from .ir import Api
from .load import DEFAULT_MAX_BYTES, LoadedCollection, load
from .memo import MEMOS, paused_gc
from .modelgen import ModelsCache, models_input, warm_up
from .naming import Names, Published, assign, legacy_models, package_name, published_models
from .normalize import NormalizeMemo, collection_title, normalize
from .paging import Paging
from .paging import detect as detect_paging
from .paging import parse_overrides as parse_paging_overrides
from .render import builtin_template, model_docs, operation_constant, render
from .render import environment as template_environment
from .write import Plan, apply, plan, read_manifest, reading_manifests

T = TypeVar("T")

STAGES = (
    "load",
    "normalize",
    "infer",
    "paging",
    "names",
    "models",
    "render",
    "format",
    "write",
)


@dataclass(frozen=True)
class SourceSettings:
    """What [tool.zgen] (or the command line) says about one collection."""

    package: str | None = None
    environment: Path | None = None
    templates: Path | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)  # the `overrides` table, as written
    config_file: str = "pyproject.toml"  # where the settings come from, for messages
    optional: str = "seen"  # the type policy of response fields: "seen" or "all" (infer.POLICIES)


@dataclass
class PackageSummary:
    package: str
    source: str
    requests: int
    models: int
    responses: int
    tests: int
    paged: tuple[tuple[str, str, str], ...] = ()  # (request place, paging scheme, its evidence)

    def to_json(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "source": self.source,
            "requests": self.requests,
            "models": self.models,
            "responses": self.responses,
            "tests": self.tests,
            "paged": [list(entry) for entry in self.paged],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PackageSummary:
        return cls(
            str(data["package"]),
            str(data["source"]),
            int(data["requests"]),
            int(data["models"]),
            int(data["responses"]),
            int(data["tests"]),
            tuple((str(p), str(s), str(e)) for p, s, e in data["paged"]),
        )


@dataclass
class BuildReport:
    packages: list[PackageSummary] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    plan: Plan = field(default_factory=Plan)
    checked: bool = False
    formatted: int = 0  # Python files black formatted
    reused: int = 0  # Python files whose source was unchanged: taken from disk without black
    pieces_formatted: int = 0  # top-level pieces of the formatted files that black formatted
    pieces_reused: int = 0  # ... that were unchanged: cut from the last build's files
    model_groups: int = 0  # model classes recorded for the next build (one group each)
    model_groups_generated: int = 0  # ... that datamodel-code-generator generated in this build

    @property
    def files_written(self) -> int:
        return 0 if self.checked else len(self.plan.write)

    @property
    def files_unchanged(self) -> int:
        return len(self.plan.unchanged)

    @property
    def files_removed(self) -> int:
        return 0 if self.checked else len(self.plan.remove)


@dataclass(frozen=True)
class Analysis:
    """A collection taken through the stages before rendering: what `zgen diff` compares."""

    loaded: LoadedCollection
    api: Api
    inferred: Inferred
    names: Names
    paging: tuple[Paging | None, ...] = ()  # per operation


@dataclass
class Memos:
    """The stage memos of one package (see memo.py): what its last build kept, by name, and what
    this build keeps for the next. Kept as bytes in the build cache; a Session also keeps them in
    memory, as objects (`warm`: its last build's; `objects`: this build's), so that its next
    build need not read them, and writes them while the watch waits."""

    last: Mapping[str, bytes] = field(default_factory=dict)
    now: dict[str, bytes] = field(default_factory=dict)
    warm: Mapping[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)
    serializers: dict[str, Callable[[], bytes]] = field(default_factory=dict)

    def take(self, name: str, read: Callable[[bytes], T], resume: Callable[[Any], T]) -> T:
        """The memo `name` as the last build left it: `resume` of its object in memory, or `read`
        of its bytes (empty bytes when there are none)."""
        found = self.warm.get(name)
        return resume(found) if found is not None else read(self.last.get(name, b""))

    def keep(self, name: str, kept: Any, serialize: Callable[[], bytes]) -> None:
        """This build's memo `name`: the object, and how to make its bytes (when written)."""
        self.objects[name] = kept
        self.serializers[name] = serialize

    def serialized(self) -> dict[str, bytes]:
        """Every memo of this build, as bytes (for the build cache)."""
        return {**self.now, **{name: make() for name, make in self.serializers.items()}}

    def following(self) -> Memos:
        """The memos of the next build of the package in this process."""
        return Memos(last=dict(self.now), warm=dict(self.objects))


@contextmanager
def _timed(report: BuildReport | None, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        if report is not None:
            report.timings[stage] += time.perf_counter() - start


def analyze(
    source: Path,
    diagnostics: Diagnostics,
    settings: SourceSettings | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    report: BuildReport | None = None,
    environments: dict[Path, EnvironmentValues] | None = None,
    loaded: LoadedCollection | None = None,
    output: Path | None = None,
    memos: Memos | None = None,
    published: Published | None = None,
) -> Analysis:
    """Load (unless `loaded` is given), normalize, infer and name one collection; with `output`,
    the names the package there published stay (see `previous_models`); without, those of
    `published` (what a build of another version published: see diff.compare)."""
    settings = settings or SourceSettings()
    overrides = (
        parse_overrides(settings.overrides, settings.config_file) if settings.overrides else None
    )
    paging_overrides = parse_paging_overrides(
        settings.overrides.get("paging"), settings.config_file
    )
    with _timed(report, "load"):
        if loaded is None:
            loaded = load(source, diagnostics, max_bytes=max_bytes)
        values: EnvironmentValues = {}
        if settings.environment is not None:
            cache = environments if environments is not None else {}
            if settings.environment not in cache:
                cache[settings.environment] = load_environment(settings.environment)
            values = cache[settings.environment]
    with _timed(report, "normalize"):
        norm_memo = (
            memos.take("normalize", NormalizeMemo.from_bytes, NormalizeMemo.resumed)
            if memos
            else None
        )
        api = normalize(loaded, diagnostics, environment=values, memo=norm_memo)
        if memos is not None and norm_memo is not None:
            memos.keep("normalize", norm_memo, norm_memo.to_bytes)
    with _timed(report, "infer"):
        infer_memo = memos.take("infer", InferMemo.from_bytes, InferMemo.resumed) if memos else None
        inferred = infer(api, diagnostics, overrides, settings.optional, memo=infer_memo)
        if memos is not None and infer_memo is not None:
            memos.keep("infer", infer_memo, infer_memo.to_bytes)
    with _timed(report, "paging"):
        paging, inferred = detect_paging(api, inferred, paging_overrides)
    with _timed(report, "names"):
        paged = [index for index, found in enumerate(paging) if found is not None]
        previous = published
        if output is not None:
            package_dir = output / (settings.package or package_name(api.title))
            previous = previous_models(
                package_dir,
                lambda: assign(api, inferred, settings.package, overrides, paged),
                inferred,
            )
        names = assign(api, inferred, settings.package, overrides, paged, published=previous)
    return Analysis(loaded, api, inferred, names, paging)


DEF_RE = re.compile(r"^\s*(?:async )?def (\w+)\(|^(_[A-Z0-9_]+) = _base\.Operation\(")


def request_at(analysis: Analysis, source: str, line: int) -> str:
    """The place of the request whose code holds a line of a generated module, or ""."""
    names = analysis.names
    by_name: dict[str, set[int]] = {}
    for index in range(len(analysis.api.operations)):
        by_name.setdefault(operation_constant(names, index), set()).add(index)
        by_name.setdefault(names.methods[index], set()).add(index)
        for fixture in names.fixtures[index]:
            by_name.setdefault(f"test_{fixture}", set()).add(index)
    for text in reversed(source.splitlines()[:line]):
        match = DEF_RE.match(text)
        if match:
            found = by_name.get(match.group(1) or match.group(2), set())
            if len(found) == 1:
                return analysis.api.operations[found.pop()].place
            break
    return ""


def check_compiles(analysis: Analysis, files: Mapping[str, str]) -> None:
    """Every generated module compiles, or the build stops before anything is written."""
    Checks(analysis, files).finish()


class Checks:
    """The compile check of one package's modules (see compilecheck: only the pieces the last
    build did not compile): in the worker processes when there are some (the build goes on
    meanwhile), else here; `finish` raises for the first module that does not compile (by path),
    and keeps the pieces that compiled with the package's stage memos (`memos`)."""

    def __init__(
        self,
        analysis: Analysis,
        files: Mapping[str, str],
        pool: Executor | None = None,
        memos: Memos | None = None,
    ) -> None:
        self.analysis = analysis
        self.files = files
        self.memos = memos
        self.plan = compilecheck.plan(files, memos.last.get(COMPILED) if memos else None)
        batches: list[list[compilecheck.Task]] = [[]]
        size = 0
        for task in self.plan.tasks:
            if pool is not None and size >= CHECK_BATCH_BYTES:
                batches.append([])
                size = 0
            batches[-1].append(task)
            size += len(task[1]) + sum(len(piece) for piece in task[2])
        self.futures = (
            [pool.submit(compilecheck.failing, b) for b in batches] if pool is not None else []
        )
        self.batches = batches if pool is None else []

    def finish(self) -> None:
        failed = [path for future in self.futures for path in future.result()]
        failed += [path for batch in self.batches for path in compilecheck.failing(batch)]
        errors = compilecheck.compile_errors([(path, self.files[path]) for path in failed])
        if self.memos is not None:
            self.memos.now[COMPILED] = self.plan.kept(set(failed))
        if not errors:
            return
        path, line, message = min(errors)
        place = request_at(self.analysis, self.files[path], line)
        where = f"request {place!r}, " if place else ""
        raise InternalError(
            self.analysis.loaded.file,
            "",
            f"generated code does not compile: {where}{path} line {line}: {message}; "
            "nothing was written",
        )


COMPILED = "compiled"  # the stage memo of the pieces that compiled (see compilecheck)
CHECK_BATCH_BYTES = 2_000_000  # source text per compile task sent to a worker process


ALL_RE = re.compile(r"^    \"(\w+)\",$", re.MULTILINE)


def previous_models(
    package_dir: Path, first_names: Callable[[], Names], inferred: Inferred
) -> Published | None:
    """The model names the package in the output folder published (None: none): from its
    manifest, or, for a package built before manifests recorded them, its models.py's `__all__`
    (as aliases; telling which of those this build has takes its names without them,
    `first_names`)."""
    manifest = read_manifest(package_dir)
    if manifest.models or manifest.aliases or manifest.methods:
        return Published(manifest.models, manifest.aliases, manifest.methods)
    if "models.py" not in manifest.files:
        return None
    try:
        text = (package_dir / "models.py").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    exported = ALL_RE.findall(text.split("__all__ = [", 1)[-1]) if "__all__ = [" in text else []
    aliases = legacy_models(inferred, first_names(), exported) if exported else {}
    return Published({}, aliases) if aliases else None


def build(
    sources: list[Path],
    output: Path,
    check: bool = False,
    *,
    packages: dict[Path, str] | None = None,
    templates: Path | None = None,
    environment: Path | None = None,
    settings: Mapping[Path, SourceSettings] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    workers: int | None = None,
    progress: Progress | None = None,
    session: Session | None = None,
) -> BuildReport:
    """Build every collection into `output`; with `check`, only compare. Raises ZgenError on bad input.

    `packages`, `templates` and `environment` apply to every source; `settings` (per source, as
    read from [tool.zgen]) take precedence. Nothing is written unless every collection built: a
    failure leaves the output folder as it was. With `session`, the worker processes are
    taken from it and left running, and the stage memos are taken from it and left with it, for
    the next build (see Session).
    """
    report = BuildReport(checked=check)
    if output.exists() and not output.is_dir():
        raise ZgenError(str(output), "", "is a file, not an output folder: name a folder with -o")
    # The cyclic garbage collector is paused for the build: the stages make few cycles, and the
    # collector, left on, walks the build's whole heap again and again (a fifth of a build's time;
    # a few MB more at the peak). Worker processes turn it back on (see _start_worker). It stays
    # off until the files are written: turned on in between, it would walk every object the
    # build made so far (all in its youngest generation) at the next allocation.
    # (The build runs in a function of its own: when the collector is turned back on, the
    # objects of the build are gone, and its first collection has little to walk.)
    with paused_gc():
        _build(
            report,
            sources,
            output,
            check,
            packages=packages,
            templates=templates,
            environment=environment,
            settings=settings,
            max_bytes=max_bytes,
            workers=workers,
            progress=progress,
            session=session,
        )
    return report


def _build(
    report: BuildReport,
    sources: list[Path],
    output: Path,
    check: bool,
    *,
    packages: dict[Path, str] | None,
    templates: Path | None,
    environment: Path | None,
    settings: Mapping[Path, SourceSettings] | None,
    max_bytes: int,
    workers: int | None,
    progress: Progress | None,
    session: Session | None,
) -> None:
    """build()'s work, into `report`."""
    state = _Build(output, report, session=session)
    with reading_manifests():  # each package's manifest parsed once
        count = workers if workers is not None else default_workers()
        pool: _WorkerPool | None = None  # started when a collection is to be built
        try:
            for source in sources:
                given = (settings or {}).get(source)
                chosen = SourceSettings(
                    package=(given.package if given else None) or (packages or {}).get(source),
                    environment=(given.environment if given else None) or environment,
                    templates=(given.templates if given else None) or templates,
                    overrides=given.overrides if given else {},
                    config_file=given.config_file if given else "pyproject.toml",
                    optional=given.optional if given else "seen",
                )
                mark = len(report.diagnostics.warnings)
                with _timed(report, "load"):
                    inputs = _inputs_key(source, chosen)
                    # A big collection that the last build did not build from these inputs starts
                    # the workers now, before it is parsed: their first model generation loads
                    # the generator (0.65 s), which a rebuild after a small change waits for.
                    if pool is None and count > 1 and _early_pool(output, source, inputs):
                        pool = session.pool(count) if session else _WorkerPool(count)
                    loaded = load(source, report.diagnostics, max_bytes=max_bytes)
                    guess = chosen.package or package_name(collection_title(loaded))
                    kept = buildcache.unchanged(output, guess, inputs) if inputs else None
                if kept is not None:
                    state.keep(loaded.file, guess, kept, mark)
                    continue
                if pool is None and count > 1 and _requests(loaded.data) >= POOL_MIN_REQUESTS:
                    pool = session.pool(count) if session else _WorkerPool(count)
                state.add(source, chosen, loaded, guess, inputs, mark, pool)
            with _timed(report, "format"):
                formatted = state.format(count, pool, progress)
        except KeyboardInterrupt:
            if pool is not None:
                pool.kill()  # (what the workers ignore: see _start_worker)
            raise
        finally:
            if pool is not None and session is None:
                pool.shutdown(cancel_futures=True)
        with _timed(report, "write"):
            report.plan = plan(
                output,
                formatted.packages,
                diff=check,
                records=formatted.records,
                models=state.published,
                model_cache=state.model_records,
                kept=state.kept_files,
                on_disk={
                    path: text for files in state.known.values() for path, text in files.items()
                },
            )
    with _timed(report, "write"):
        if not check:
            apply(report.plan)
            _record(output, report.plan, state.records)
            if state.compiled is not None:
                state.compiled.save()
            for package, memos in state.memos.items():
                if session is not None:  # (written while the watch waits: Session.flush)
                    session.hold(output, package, memos)
                else:
                    buildcache.write_memo(output, package, memos.serialized())


@dataclass
class _Build:
    """What a build gathers, collection by collection, before it formats and writes."""

    output: Path
    report: BuildReport
    rendered: dict[str, dict[str, str]] = field(default_factory=dict)  # package -> its files
    vouched: set[str] = field(default_factory=set)  # files rendered in black's style
    models_files: set[str] = field(
        default_factory=set
    )  # models.py as the built-in template writes it
    keys: dict[str, str] = field(default_factory=dict)  # path -> the key its source is recorded by
    known: dict[str, dict[str, str]] = field(default_factory=dict)  # files unchanged on disk
    checks: list[Checks] = field(default_factory=list)  # the compile check of each package
    origin: dict[str, str] = field(default_factory=dict)  # package -> the collection it is from
    published: dict[str, Published] = field(default_factory=dict)  # model names, for the manifest
    model_records: dict[str, dict[str, Any]] = field(default_factory=dict)  # generated classes
    kept_files: dict[str, list[str]] = field(default_factory=dict)  # unchanged packages' files
    # per package built: its inputs key, its summary and its warnings (see buildcache)
    records: dict[str, tuple[str | None, PackageSummary, list[Warning]]] = field(
        default_factory=dict
    )
    template_envs: dict[Path | None, jinja2.Environment] = field(default_factory=dict)
    compiled: buildcache.TemplateCache | None = None  # templates compiled, kept for the next build
    memos: dict[str, Memos] = field(default_factory=dict)  # package -> its stage memos
    session: Session | None = None
    env_values: dict[Path, EnvironmentValues] = field(default_factory=dict)

    def claim(self, package: str, file: str) -> None:
        """Take `package` for the collection `file`, unless another collection has it."""
        if package in self.rendered or package in self.kept_files:
            raise ZgenError(
                file,
                "",
                f"package name {package!r} is also built from {self.origin[package]}; name one of them in [tool.zgen]",
            )
        self.origin[package] = file

    def keep(self, file: str, package: str, kept: buildcache.BuildRecord, mark: int) -> None:
        """A package whose inputs and files are those of the last build: what that build reported."""
        self.claim(package, file)
        warnings = self.report.diagnostics.warnings
        del warnings[mark:]
        warnings.extend(kept.warnings)
        self.report.packages.append(PackageSummary.from_json(kept.summary))
        self.kept_files[package] = list(kept.files)

    def add(
        self,
        source: Path,
        chosen: SourceSettings,
        loaded: LoadedCollection,
        guess: str,
        inputs: str | None,
        mark: int,
        pool: Executor | None,
    ) -> None:
        """Analyse, generate the models of and render one collection (`guess`: the package it
        names, which its stage memos are kept with); start its compile check."""
        report = self.report
        held = self.session.memos(self.output, guess) if self.session is not None else None
        memos = held if held is not None else Memos(buildcache.read_memo(self.output, guess))
        for name, memo in MEMOS.items():
            if name in memos.warm:
                memo.resume(memos.warm[name])
            else:
                memo.start(memos.last.get(name))
        # Model names an earlier build published stay importable (as aliases) while their shape
        # does: `output` is where analyze finds them.
        analysis = analyze(
            source,
            report.diagnostics,
            chosen,
            report=report,
            environments=self.env_values,
            loaded=loaded,
            output=self.output,
            memos=memos,
        )
        api, inferred, names = analysis.api, analysis.inferred, analysis.names
        self.published[names.package] = published_models(inferred, names)
        self.claim(names.package, loaded.file)
        # The last build's generated classes, one per model: only the models whose schema (or that
        # of a model they refer to) changed go through datamodel-code-generator again (see
        # modelgen.ModelsInput.groups). That work starts now, in the worker processes, while
        # this one renders the package.
        with _timed(report, "models"):
            models = models_input(inferred, names, model_docs(api, inferred, names))
            recorded = read_manifest(self.output / names.package).model_cache
            last = ModelsCache.from_json(recorded) if recorded is not None else None
            holds = models.holds(last)
            pending = models.start(last, pool) if pool is not None and not holds else None
        with _timed(report, "render"):
            # models.py is rendered around a marker first: keyed by everything it depends on, it
            # is taken from disk when unchanged, and datamodel-code-generator runs only otherwise.
            marker = f"# zgen:models {models.key()}\n"
            env = self._templates(chosen.templates)
            # (per request, the digest of its inputs that normalize took: see render.request_keys)
            normalized = memos.objects.get("normalize")
            digests = normalized.keys if isinstance(normalized, NormalizeMemo) else ()
            package = render(api, inferred, names, marker, env, analysis.paging, digests)
            files = package.files
            models_path = f"{package.package}/models.py"
            self.keys[models_path] = source_key(files[models_path])
            if builtin_template(env, "models.py.jinja"):
                # datamodel-code-generator indents every line of its docstrings and writes its
                # other strings on one line: no line in a string starts at the margin
                self.models_files.add(models_path)
        record: dict[str, Any] | None
        if holds and reusable(self.output, models_path, self.keys[models_path]):
            record = last.to_json() if last is not None else None
        else:
            with _timed(report, "models"):
                models_source, cache, generated = (pending or models.start(last)).finish()
            report.model_groups_generated += generated
            record = cache.to_json()
            files[models_path] = files[models_path].replace(marker, models_source, 1)
        if record is not None:
            self.model_records[package.package] = record
            report.model_groups += len(record["groups"])
        # Each module's source key, once (unchanged_files and the format stage both need them).
        for path, text in files.items():
            if path.endswith(".py") and path not in self.keys:
                self.keys[path] = source_key(text)
        # Files the last build formatted from the same source, still on disk as it wrote them,
        # were checked then: only the others are compiled (and formatted) now.
        unchanged = unchanged_files(self.output, package.package, files, source_keys=self.keys)
        self.known[package.package] = unchanged
        changed = {path: text for path, text in files.items() if path not in unchanged}
        self.checks.append(Checks(analysis, changed, pool, memos))
        self.rendered[package.package] = files
        for name, memo in MEMOS.items():
            entries, serialize = memo.handover_kept()
            memos.keep(name, entries, serialize)
        self.memos[package.package] = memos
        self.vouched.update(package.vouched)
        examples = sum(len(op.examples) for op in api.operations)
        summary = PackageSummary(
            package=package.package,
            source=loaded.file,
            requests=len(api.operations),
            models=len(inferred.shapes),
            responses=examples,
            # a test per fixture: per saved response, or the request alone (see fixture_names)
            tests=sum(len(fixtures) for fixtures in names.fixtures),
            paged=tuple(
                (op.place, found.scheme, found.evidence)
                for op, found in zip(api.operations, analysis.paging, strict=True)
                if found is not None
            ),
        )
        report.packages.append(summary)
        self.records[package.package] = (inputs, summary, report.diagnostics.warnings[mark:])

    def _templates(self, folder: Path | None) -> jinja2.Environment:
        if folder not in self.template_envs:
            if folder is not None and not folder.is_dir():
                raise ZgenError(str(folder), "", "no such templates folder")
            env = template_environment(folder)
            if self.compiled is None:
                self.compiled = buildcache.TemplateCache(self.output)
            env.bytecode_cache = self.compiled
            self.template_envs[folder] = env
        return self.template_envs[folder]

    def format(self, workers: int, pool: Executor | None, progress: Progress | None) -> Formatted:
        """Every package's files formatted (and compiled: code that does not compile is reported
        as such, before black's complaint about it)."""
        try:
            formatted = format_packages(
                self.output,
                self.rendered,
                workers=workers,
                progress=progress,
                source_keys=self.keys,
                vouched=self.vouched,
                pool=pool,
                known=self.known,
                cut=self.models_files,
            )
        finally:
            for started in self.checks:
                started.finish()
        report = self.report
        report.formatted, report.reused = formatted.formatted, formatted.reused
        report.pieces_formatted = formatted.pieces_formatted
        report.pieces_reused = formatted.pieces_reused
        return formatted


# From this many requests on, a build starts its worker processes before analysing the collection
# (datamodel-code-generator then runs there, beside the render); a smaller collection's models
# are generated in this process (loading the generator in each worker would cost more than it saves).
POOL_MIN_REQUESTS = 50


POOL_EARLY_BYTES = 256 * 1024  # a collection this big has about POOL_MIN_REQUESTS requests


def _early_pool(output: Path, source: Path, inputs: str | None) -> bool:
    """Whether to start the workers before the collection is parsed: it is big, and no build
    recorded in the output folder was of these inputs (one that was is skipped: buildcache)."""
    try:
        if source.stat().st_size < POOL_EARLY_BYTES:
            return False
    except OSError:
        return False
    return inputs is None or not buildcache.recorded(output, inputs)


def _requests(data: Any) -> int:
    """How many requests a collection's items hold (folders looked into)."""
    count = 0
    stack = [data.get("item")] if isinstance(data, dict) else []
    while stack:
        items = stack.pop()
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict):
                count += "request" in item
                stack.append(item.get("item"))
    return count


class _WorkerPool(ProcessPoolExecutor):
    """The worker processes of a build (datamodel-code-generator, black), started before the
    collection is analysed so that they load the generator's modules meanwhile. A worker still
    loading them when the build is done (it did no task) is stopped, not waited for."""

    def __init__(self, count: int) -> None:
        # per worker, by the order they start in: its state and its process id
        self.ranks = multiprocessing.Value("i", 0)  # (its lock guards `states` too)
        self.states = multiprocessing.Array("i", 2 * count, lock=False)
        super().__init__(
            max_workers=count, initializer=_start_worker, initargs=(self.ranks, self.states)
        )
        self.submit(int)  # with fork, the first task starts every worker

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self.ranks.get_lock():
            for rank in range(len(self.states) // 2):
                if self.states[2 * rank] == _STARTING:
                    self.states[2 * rank] = _STOPPED
                    with suppress(OSError):
                        os.kill(self.states[2 * rank + 1], signal.SIGTERM)
        super().shutdown(wait, cancel_futures=cancel_futures)

    def kill(self) -> None:
        """Stop every worker now (the build was interrupted: nothing they do is wanted). The pool
        sees them die, as when a worker is killed, and takes no more tasks."""
        with self.ranks.get_lock():
            for rank in range(len(self.states) // 2):
                if self.states[2 * rank] in (_STARTING, _READY):
                    self.states[2 * rank] = _STOPPED
                    with suppress(OSError):
                        os.kill(self.states[2 * rank + 1], signal.SIGTERM)
        super().shutdown(wait=True, cancel_futures=True)


class Session:
    """What a process keeps from one build to the next (`zgen build --watch`): the worker
    processes, started by the first build that needs them (they load the model generator once,
    so a rebuild after a small change does not wait for that), and each package's stage memos as
    objects in memory (the next build need not read them; `flush` writes them to the build
    cache, while the watch waits). `close` writes what is not written and stops the workers."""

    def __init__(self) -> None:
        self._pool: _WorkerPool | None = None
        self._count = 0
        self._memos: dict[tuple[Path, str], Memos] = {}  # (output folder, package) -> last build's
        self._unwritten: set[tuple[Path, str]] = set()

    def memos(self, output: Path, package: str) -> Memos | None:
        """The stage memos for the next build of `package` into `output` (None: none held)."""
        held = self._memos.get((output, package))
        return held.following() if held is not None else None

    def hold(self, output: Path, package: str, memos: Memos) -> None:
        """A build's stage memos, kept for the next build and written by `flush`."""
        self._memos[(output, package)] = memos
        self._unwritten.add((output, package))

    def flush(self) -> None:
        """Write the stage memos of the builds since the last flush to their build caches."""
        for output, package in sorted(self._unwritten):
            buildcache.write_memo(output, package, self._memos[(output, package)].serialized())
        self._unwritten.clear()

    def pool(self, count: int) -> _WorkerPool:
        """The kept pool of `count` workers (a new one when there is none of that size, or when a
        worker of the last one died)."""
        if self._pool is not None and (self._count != count or _broken(self._pool)):
            self.close()
        if self._pool is None:
            self._pool, self._count = _WorkerPool(count), count
        return self._pool

    def close(self) -> None:
        self.flush()
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _broken(pool: ProcessPoolExecutor) -> bool:
    """Whether a worker of `pool` died (the pool then takes no more tasks)."""
    return bool(getattr(pool, "_broken", False))


_STARTING, _READY, _STOPPED = 1, 2, 3  # a worker's state in _WorkerPool.states


def _start_worker(ranks: Any, states: Any) -> None:
    """Load the model generator in a new worker. The workers after the first wait until it is
    loaded (or a while at most): meanwhile the analysis (this process) and the first worker's
    start-up have the machine's cores to themselves (a rebuild after a small change needs no
    more), and the others load on the core the first one leaves idle."""
    # Loading the generator makes a few hundred thousand objects that live as long as the worker:
    # the collector, on, walked them again and again meanwhile (a fifth of the load, 0.1 s); it is
    # off until they are loaded, then they are set aside (frozen) and it is on for the tasks.
    gc.disable()
    # Ctrl-C reaches every process of the terminal's group: the build (or the watch) stops its
    # workers itself, rather than each printing its own traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with ranks.get_lock():
        rank = ranks.value
        ranks.value += 1
        states[2 * rank], states[2 * rank + 1] = _STARTING, os.getpid()
    waited = 0.0
    while rank > 0 and states[0] == _STARTING and waited < STAGGER_LIMIT:
        time.sleep(STAGGER_POLL)
        waited += STAGGER_POLL
    warm_up()
    gc.freeze()
    gc.enable()
    with ranks.get_lock():
        # The pool stops a worker only while it is starting, and under this lock: a worker that
        # takes tasks is never stopped (it could hold the task queue's lock), and one told to
        # stop after loading leaves before it takes any.
        if states[2 * rank] == _STOPPED:
            os._exit(0)
        states[2 * rank] = _READY


STAGGER_POLL = 0.01  # s: how often a waiting worker looks whether the first one is loaded
STAGGER_LIMIT = 2.0  # s: how long it waits at most


def _inputs_key(source: Path, settings: SourceSettings) -> str | None:
    """The digest of what one collection's package depends on (see buildcache); None when an
    input cannot be read (the build then runs in full, and reports the problem)."""
    if settings.templates is not None and not settings.templates.is_dir():
        return None
    plain = {
        "file": source.name,  # named in every generated file's header
        "package": settings.package,
        "overrides": settings.overrides,
        "optional": settings.optional,
    }
    try:
        return buildcache.inputs_key(
            source.read_bytes(), plain, settings.environment, settings.templates
        )
    except OSError:
        return None


def _record(
    output: Path,
    result: Plan,
    records: Mapping[str, tuple[str | None, PackageSummary, list[Warning]]],
) -> None:
    """After writing: what the next build needs to find each package unchanged."""
    written: dict[str, buildcache.BuildRecord] = {}
    for package, (inputs, summary, warnings) in records.items():
        contents = result.contents.get(package)
        if inputs is None or contents is None:
            continue
        encoded = result.encoded.get(package, {})
        written[package] = buildcache.BuildRecord(
            inputs,
            buildcache.tree_digest(
                (rel, encoded.get(rel) or text.encode("utf-8")) for rel, text in contents.items()
            ),
            tuple(sorted(contents)),
            summary.to_json(),
            tuple(warnings),
        )
    buildcache.forget(output, [package for package in records if package not in written])
    buildcache.write_records(output, written)
