"""The partnerkg command: parses arguments, calls the core, formats the output.

Exit codes are documented in `ExitCode`; every error names the file, line or setting at fault.
"""

from __future__ import annotations

import json
import signal
import sys
from enum import IntEnum
from pathlib import Path
from typing import Any

import click
from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
)

from .ingest.bootstrap import init_store
from .ingest.rdf import FORMATS, LoadError, load_files
from .namespaces import PREFIXES
from .settings import SETTINGS, SettingError, Settings
from .store import Store, StoreError, open_store


class ExitCode(IntEnum):
    """What the command's exit status means."""

    OK = 0
    FINDINGS = 1
    """Reserved for validation: findings at or above the chosen severity."""
    ERROR = 2
    """Bad input (unparsable file, bad query, bad option) or an unusable store; nothing was written."""
    PUBLISHER_FAILED = 3
    """`partnerkg link`: a publisher did not answer; its earlier links were kept."""


PROGRESS_THRESHOLD = 4 * 1024 * 1024
"""Loads of more bytes than this show a progress bar (they take more than a few seconds)."""

QUERY_FORMATS = ("table", "csv", "tsv", "json")
GRAPH_OUTPUT = {
    "table": RdfFormat.TURTLE,
    "csv": RdfFormat.N_TRIPLES,
    "tsv": RdfFormat.N_TRIPLES,
    "json": RdfFormat.JSON_LD,
}


class Context:
    """What every subcommand shares: the settings and a lazily opened store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None

    def store(self) -> Store:
        """Open the configured store once."""
        if self._store is None:
            self._store = open_store(self.settings.store, settings=self.settings)
        return self._store

    def close(self) -> None:
        """Release the store if it was opened."""
        if self._store is not None:
            self._store.close()
            self._store = None


def fail(message: str, code: ExitCode = ExitCode.ERROR) -> None:
    """Print an error to stderr and leave with the code."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _settings_epilog() -> str:
    return "Settings (environment variables):\n\n" + "\n\n".join(
        f"{s.env} (default {s.default}): {s.help}" for s in SETTINGS
    )


@click.group(epilog=_settings_epilog())
@click.option("--store", "store_location", metavar="DIR", help="Store to use (overrides PARTNERKG_STORE).")
@click.version_option(package_name="partnerkg")
@click.pass_context
def main(ctx: click.Context, store_location: str | None) -> None:
    """partnerkg: a knowledge graph of council partnerships, their governance and the rules they keep."""
    try:
        settings = Settings.load(store=store_location)
    except SettingError as exc:
        fail(str(exc))
    context = Context(settings)
    ctx.obj = context
    ctx.call_on_close(context.close)


def _store(ctx: Context) -> Store:
    try:
        return ctx.store()
    except StoreError as exc:
        fail(str(exc))
        raise  # unreachable; for type checkers


@main.command()
@click.option(
    "--sample/--no-sample", default=True, show_default=True, help="Also load the sample data in data/sample/."
)
@click.option("--if-empty", is_flag=True, help="Do nothing when the store already holds data.")
@click.pass_obj
def init(ctx: Context, sample: bool, if_empty: bool) -> None:
    """Load the ontology, policies, shapes and (by default) the sample data into the store."""
    store = _store(ctx)
    if if_empty and not store.is_empty():
        click.echo(f"store {ctx.settings.store} already holds data; left as it is")
        return
    try:
        report = init_store(store, sample=sample)
    except LoadError as exc:
        fail(str(exc))
    click.echo(f"loaded {report.triples} triples into {len(report.graphs)} graphs of {ctx.settings.store}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--graph", metavar="IRI", help="Named graph to load into (default: one graph per file, named after it).")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), help="RDF format (default: from the extension).")
@click.option("--append", is_flag=True, help="Add to the graph instead of replacing it.")
@click.pass_obj
def load(ctx: Context, files: tuple[Path, ...], graph: str | None, fmt: str | None, append: bool) -> None:
    """Load RDF files (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML), all or nothing.

    Each file's triples replace the graph they go to, so loading a file again updates it. A file that
    does not parse is reported with its line and column, and the store is left exactly as it was.
    """
    if graph is not None and not _is_iri(graph):
        fail(f"--graph {graph!r} is not an absolute IRI")
    store = _store(ctx)
    internal = ctx.settings.is_internal
    total = sum(f.stat().st_size for f in files if f.is_file())
    sent = 0

    def upload(triples: int) -> None:  # a remote store is sent big files in batches
        nonlocal sent
        sent += triples
        click.echo(f"\rsent {sent:,} triples to {store.location}", nl=False, err=True)

    try:
        if total > PROGRESS_THRESHOLD:
            with click.progressbar(length=total, label="parsing", file=sys.stderr) as bar:
                report = load_files(
                    store,
                    files,
                    graph=graph,
                    fmt=fmt,
                    append=append,
                    progress=bar.update,
                    internal=internal,
                    upload=upload,
                )
        else:
            report = load_files(store, files, graph=graph, fmt=fmt, append=append, internal=internal, upload=upload)
        if sent:
            click.echo("", err=True)
    except LoadError as exc:
        fail("nothing was loaded:\n" + "\n".join(f"  {p}" for p in exc.problems))
    except StoreError as exc:
        fail(str(exc))
    for name, count in sorted(report.graphs.items()):
        click.echo(f"{count}\t{name}")


@main.command()
@click.option("--graph", metavar="IRI", help="Export this named graph only (default: the whole dataset).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*sorted(FORMATS), "xlsx"]),
    help="Default: trig for the dataset, turtle for one graph. xlsx writes the register as a workbook "
    "in the import layout (needs --out).",
)
@click.option("--out", type=click.Path(path_type=Path), help="Write to this file (default: standard output).")
@click.pass_obj
def export(ctx: Context, graph: str | None, fmt: str | None, out: Path | None) -> None:
    """Write the store, or one named graph, as RDF."""
    if graph is not None and not _is_iri(graph):
        fail(f"--graph {graph!r} is not an absolute IRI")
    store = _store(ctx)
    if graph is not None and graph not in {g.name for g in store.graphs()}:
        fail(f"no graph {graph} in the store (see `partnerkg graphs`)")
    if fmt == "xlsx":
        from .ingest.spreadsheet import export_register

        if out is None:
            fail("--format xlsx needs --out FILE.xlsx")
        written = export_register(store, out, base=ctx.settings.base_iri, graph=graph)
        click.echo(f"wrote {out}: " + ", ".join(f"{n} {t}" for t, n in written.items()))
        return
    rdf_format = FORMATS[fmt] if fmt else (RdfFormat.TURTLE if graph else RdfFormat.TRIG)
    try:
        if out is None:
            store.dump(sys.stdout.buffer, rdf_format, NamedNode(graph) if graph else None)
            sys.stdout.buffer.flush()
        else:
            tmp = out.with_name(out.name + ".part")
            with open(tmp, "wb") as handle:
                store.dump(handle, rdf_format, NamedNode(graph) if graph else None)
            tmp.replace(out)
    except (StoreError, ValueError) as exc:
        fail(str(exc))


@main.command()
@click.argument("query", required=False)
@click.option(
    "--file",
    "query_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the query from a file.",
)
@click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table", show_default=True)
@click.option("--union", is_flag=True, help="Query the union of all graphs as the default graph.")
@click.pass_obj
def query(ctx: Context, query: str | None, query_file: Path | None, fmt: str, union: bool) -> None:
    """Run a SPARQL query (the project's prefixes, such as pk: and org:, are predefined)."""
    if (query is None) == (query_file is None):
        fail("give a query or --file, not both and not neither")
    text = query_file.read_text(encoding="utf-8") if query_file else query
    store = _store(ctx)
    try:
        result = store.query(text, union_default_graph=union)
    except SyntaxError as exc:
        fail(f"the query does not parse: {exc}")
    except (OSError, ValueError, RuntimeError) as exc:
        fail(f"the query failed: {exc}")
    _print_result(result, fmt)


@main.command()
@click.option("--format", "fmt", type=click.Choice(("table", "csv", "json")), default="table", show_default=True)
@click.pass_obj
def graphs(ctx: Context, fmt: str) -> None:
    """List the named graphs with their triple counts."""
    infos = _store(ctx).graphs()
    if fmt == "json":
        click.echo(json.dumps([{"graph": g.name, "triples": g.triples} for g in infos], indent=2))
    elif fmt == "csv":
        click.echo("graph,triples")
        for g in infos:
            click.echo(f"{g.name},{g.triples}")
    else:
        _print_table(["triples", "graph"], [[str(g.triples), g.name] for g in infos])


@main.command()
@click.option("--host", help="Address to listen on (default PARTNERKG_HOST, 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default PARTNERKG_PORT, 8080).")
@click.pass_obj
def serve(ctx: Context, host: str | None, port: int | None) -> None:
    """Serve the web application with a production WSGI server (waitress)."""
    import waitress

    from . import create_app

    settings = Settings.load(store=ctx.settings.store, host=host, port=port)
    store = _store(ctx)
    app = create_app(settings, store=store)
    click.echo(f"partnerkg serving {settings.store} on http://{settings.host}:{settings.port}/", err=True)

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)  # waitress ends its loop and its threads; the store is then closed (Context.close)

    signal.signal(signal.SIGTERM, stop)  # how service managers stop a server: as Ctrl-C does, not cut off
    waitress.serve(app, host=settings.host, port=settings.port, threads=settings.threads)


@main.command()
@click.pass_obj
def reason(ctx: Context) -> None:
    """Compute the OWL-RL closure of ontology and data into its own graph, and check consistency."""
    from .reasoning import materialise

    report = materialise(_store(ctx))
    click.echo(f"{report.inferred} inferred triples in {report.graph}")
    for problem in report.inconsistencies:
        click.echo(f"inconsistent: {problem}", err=True)
    if report.inconsistencies:
        sys.exit(ExitCode.FINDINGS)


@main.command()
@click.option(
    "--partnership", metavar="IRI", help="Validate one partnership only (its own focus nodes, not the whole graph)."
)
@click.option("--framework", type=click.Choice(["CAM", "CCC", "SOE", "CSP"]), help="Only this framework's obligations.")
@click.option(
    "--as-at", "as_at", type=click.DateTime(formats=["%Y-%m-%d"]), help="Read the data as at this date (default today)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "csv", "ttl", "html"]), default="text", show_default=True
)
@click.option(
    "--fail-on",
    type=click.Choice(["violation", "warning", "none"]),
    default="violation",
    show_default=True,
    help="Exit 1 when findings at or above this severity exist.",
)
@click.option(
    "--out", type=click.Path(path_type=Path), help="Write the report to this file (default: standard output)."
)
@click.option("--no-save", is_flag=True, help="Do not keep the run in the store.")
@click.option(
    "--engine",
    type=click.Choice(["sparql", "pyshacl"]),
    default="sparql",
    show_default=True,
    help="sparql: the shapes run as SPARQL queries on Oxigraph (fast); pyshacl: the reference validator.",
)
@click.pass_obj
def validate(ctx: Context, partnership, framework, as_at, fmt, fail_on, out, no_save, engine) -> None:
    """Check the data against every obligation's shapes and report the findings.

    Each run is kept in the store (its SHACL report in a named graph of its own, with PROV-O
    metadata); see `partnerkg runs` and `partnerkg diff`.
    """
    from .compliance.derive import Thresholds
    from .compliance.report import FORMATS
    from .compliance.validate import ValidationError
    from .compliance.validate import validate as run_validation

    if partnership is not None and not _is_iri(partnership):
        fail(f"--partnership {partnership!r} is not an absolute IRI")
    try:
        run = run_validation(
            _store(ctx),
            as_at=as_at.date() if as_at else None,
            thresholds=Thresholds.from_settings(ctx.settings),
            partnership=partnership,
            framework=framework,
            save=not no_save,
            engine=engine,
            let_go_later=True,
        )
    except ValidationError as exc:
        fail(str(exc))
    text = FORMATS[fmt](run)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        counts = run.counts()
        click.echo(
            f"run {run.id}: {counts['Violation']} violations, {counts['Warning']} warnings, "
            f"{counts['Info']} for information; report in {out}",
            err=True,
        )
    # freed beside the store's close, which waits for the compaction the report's write left running
    run.let_go_beside()
    if run.fails(fail_on):
        sys.exit(ExitCode.FINDINGS)


@main.command()
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
@click.pass_obj
def runs(ctx: Context, fmt: str) -> None:
    """List the stored validation runs, oldest first."""
    from .compliance.validate import list_runs

    found = list_runs(_store(ctx))
    if fmt == "json":
        click.echo(json.dumps([r.__dict__ for r in found], indent=2))
        return
    _print_table(
        ["run", "started", "as at", "violations", "warnings", "info", "scope"],
        [[r.id, r.started, r.as_at, str(r.violations), str(r.warnings), str(r.infos), r.scope] for r in found],
    )


@main.command()
@click.option(
    "--keep-last",
    type=int,
    required=True,
    help="How many of the latest runs to keep (1 or more); the latest run over all partnerships stays too.",
)
@click.option("--dry-run", is_flag=True, help="Only list what would go.")
@click.pass_obj
def prune(ctx: Context, keep_last: int, dry_run: bool) -> None:
    """Forget older validation runs: their records, and the reports no kept run shares."""
    from .compliance.validate import ValidationError, prune_runs

    try:
        pruned = prune_runs(_store(ctx), keep_last, dry_run=dry_run)
    except ValidationError as exc:
        fail(str(exc))
    forget, drop = ("would forget", "would drop") if dry_run else ("forgot", "dropped")
    for run in pruned.runs:
        click.echo(f"{forget} run {run.id} ({run.started}, {run.scope})")
    for graph in pruned.graphs:
        click.echo(f"{drop} report graph {graph}")
    runs, graphs = len(pruned.runs), len(pruned.graphs)
    click.echo(
        f"{forget} {runs} run{'s' if runs != 1 else ''}; {drop} {graphs} report graph{'s' if graphs != 1 else ''}",
        err=True,
    )


@main.command()
@click.argument("run_a")
@click.argument("run_b")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.pass_obj
def diff(ctx: Context, run_a: str, run_b: str, fmt: str) -> None:
    """Compare two runs: findings new in RUN_B, resolved since RUN_A, and unchanged."""
    from .compliance.validate import ValidationError, diff_runs

    try:
        changes = diff_runs(_store(ctx), run_a, run_b)
    except ValidationError as exc:
        fail(str(exc))
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    k: [
                        {"obligation": key[0], "focus": key[1], "path": key[2], "value": key[3], **info}
                        for key, info in v
                    ]
                    for k, v in changes.items()
                },
                indent=2,
            )
        )
        return
    for kind in ("new", "resolved", "unchanged"):
        click.echo(f"{kind}: {len(changes[kind])}")
        if kind != "unchanged":
            for key, info in changes[kind]:
                click.echo(f"  {info['severity']:<9} {key[0]:<7} {info['message']}")


PROGRESS_ROWS = 2000
"""Registers with at least this many rows show a progress bar while they are converted."""


@main.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--graph", metavar="IRI", help="Named graph to import into (default: one per workbook, named after it).")
@click.option("--dry-run", is_flag=True, help="Check the register and report what would be imported; write nothing.")
@click.pass_obj
def import_(ctx: Context, source: Path, graph: str | None, dry_run: bool) -> None:
    """Import a register kept as an .xlsx workbook or a folder of CSV files (see `partnerkg template`).

    Every problem is reported with its sheet, row and column, all at once; with any, nothing is written
    and the exit code is 2. Importing the same register again replaces what it gave before.
    """
    from .ingest.spreadsheet import RegisterError, import_register

    if graph is not None and not _is_iri(graph):
        fail(f"--graph {graph!r} is not an absolute IRI")
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None and total >= PROGRESS_ROWS:
            bar = click.progressbar(length=total, label=f"importing {source.name}", file=sys.stderr)
            bar.__enter__()
        if bar is not None:
            bar.update(done)

    try:
        report = import_register(
            _store(ctx),
            source,
            base=ctx.settings.base_iri,
            graph=graph,
            dry_run=dry_run,
            progress=progress,
            internal=ctx.settings.is_internal,
        )
    except RegisterError as exc:
        fail(
            f"{len(exc.problems)} problem(s) in {source}; nothing was imported:\n"
            + "\n".join(f"  {p}" for p in exc.problems)
        )
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    rows = ", ".join(f"{n} {t}" for t, n in report.rows.items() if n)
    verb = "would import" if dry_run else "imported"
    click.echo(f"{verb} {report.triples} triples ({rows}) into {report.graph}")


@main.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The .xlsx file to write.")
def template(out: Path) -> None:
    """Write an empty register workbook: one sheet a table, headers, a notes row, lists for coded columns."""
    from .ingest.spreadsheet import write_template

    write_template(out)
    click.echo(f"wrote {out}")


@main.command()
@click.option("--councils", type=click.IntRange(1), default=2, show_default=True)
@click.option("--partnerships-per-council", type=click.IntRange(1), default=4, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to write into.")
def generate(councils: int, partnerships_per_council: int, seed: int, out: Path) -> None:
    """Write a synthetic register (copies of the sample) and the ground truth of its breaches.

    OUT/register.ttl holds the register, OUT/ground-truth.csv every breach it carries (obligation,
    focus node, severity, copy), of every obligation: validation as at 2026-11-22 must find exactly
    those, at those severities.
    """
    from .generate import generate as make

    made = make(out, councils=councils, partnerships_per_council=partnerships_per_council, seed=seed)
    copies = f"{made.copies} {'copy' if made.copies == 1 else 'copies'}"
    tally = ", ".join(f"{made.breaches[s]:,} {s}s" for s in ("Violation", "Warning", "Info") if s in made.breaches)
    click.echo(
        f"wrote {made.register} ({copies} of the sample: {made.partnerships} partnerships, "
        f"{made.triples:,} triples) and {made.ground_truth} ({sum(made.breaches.values()):,} breaches: {tally})"
    )


@main.command()
@click.option(
    "--publisher",
    "publishers",
    multiple=True,
    help="Ask only this publisher (ons, odc or wikidata; repeatable). Default: every configured one.",
)
@click.option("--candidates", is_flag=True, help="List possible matches by name for bodies without an identifier.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.75, show_default=True,
              help="Lowest name similarity listed as a candidate.")  # fmt: skip
@click.option("--confirm", "confirmed", metavar="BODY=IRI", help="Record a candidate a person has confirmed.")
@click.pass_obj
def link(ctx: Context, publishers: tuple[str, ...], candidates: bool, threshold: float, confirmed: str | None) -> None:
    """Link bodies to open-data publishers' records (PARTNERKG_LINK_ENDPOINTS is the allowlist).

    Each publisher's answer replaces its own graph (graph/link/NAME), with the endpoint, query and
    time; a publisher that fails keeps its earlier links and the exit code is 3.
    """
    from .linking.enrich import LinkError, confirm
    from .linking.enrich import candidates as find_candidates
    from .linking.enrich import link as run_link

    endpoints = ctx.settings.endpoints()
    store = _store(ctx)
    try:
        if confirmed is not None:
            body, _, match = confirmed.partition("=")
            if not (_is_iri(body) and _is_iri(match)):
                fail(f"--confirm {confirmed!r}: give BODY=IRI, both absolute IRIs")
            confirm(store, body, match)
            click.echo(f"{body} skos:exactMatch {match} (graph/link/confirmed)")
            return
        if candidates:
            found = find_candidates(
                store, endpoints, publisher=(publishers or ("odc",))[0], threshold=threshold,
                timeout=ctx.settings.link_timeout,
            )  # fmt: skip
            _print_table(
                ["body", "name", "candidate", "label", "score"],
                [[c.body, c.name, c.match, c.label, f"{c.score:.2f}"] for c in found],
            )
            click.echo("confirm one with: partnerkg link --confirm BODY=IRI", err=True)
            return
        outcomes = run_link(store, endpoints, publishers=list(publishers) or None, timeout=ctx.settings.link_timeout)
    except LinkError as exc:
        fail(str(exc))
    except ConnectionError as exc:
        fail(f"the publisher did not answer: {exc}", ExitCode.PUBLISHER_FAILED)
    _print_table(
        ["publisher", "endpoint", "links", "triples", "outcome"],
        [[o.publisher, o.endpoint, str(o.links), str(o.triples), "ok" if o.ok else "failed: " + o.error]
         for o in outcomes],
    )  # fmt: skip
    if any(not o.ok and not o.error.startswith("nothing to ask") for o in outcomes):
        click.echo("a publisher failed; its earlier links were kept", err=True)
        sys.exit(ExitCode.PUBLISHER_FAILED)


@main.group()
def token() -> None:
    """Bearer tokens for writes (/update and /data): create, list, revoke."""


def _tokens(ctx: Context):
    from .auth import TokenStore

    return TokenStore(ctx.settings.tokens)


@token.command("create")
@click.option("--name", required=True, help="Who or what the token is for.")
@click.pass_obj
def token_create(ctx: Context, name: str) -> None:
    """Make a token; it is printed once, alone on the last line, and only its hash is kept."""
    from .auth import TokenError

    try:
        secret = _tokens(ctx).create(name)
    except TokenError as exc:
        fail(str(exc))
    click.echo(f"token {name!r} created; keep it now, it cannot be shown again:", err=True)
    click.echo(secret)


@token.command("list")
@click.pass_obj
def token_list(ctx: Context) -> None:
    """List the tokens (names and dates; the secrets are not kept)."""
    _print_table(["name", "created"], [[r.name, r.created] for r in _tokens(ctx).records()])


@token.command("revoke")
@click.argument("name")
@click.pass_obj
def token_revoke(ctx: Context, name: str) -> None:
    """Revoke a token by name."""
    from .auth import TokenError

    try:
        _tokens(ctx).revoke(name)
    except TokenError as exc:
        fail(str(exc))
    click.echo(f"token {name!r} revoked")


# --- output formatting -------------------------------------------------------------------------


def _is_iri(text: str) -> bool:
    try:
        NamedNode(text)
    except ValueError:
        return False
    return ":" in text


def _compact(term: Any) -> str:
    """A term as a person reads it: prefixed names for known namespaces, plain literal values."""
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        for prefix, base in PREFIXES.items():
            if term.value.startswith(base) and len(term.value) > len(base):
                return f"{prefix}:{term.value[len(base) :]}"
        return term.value
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, Literal):
        return term.value
    return str(term)


def _print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", err=True)


def _print_result(result: object, fmt: str) -> None:
    out = sys.stdout.buffer
    if isinstance(result, QueryBoolean):
        if fmt == "json":
            click.echo(json.dumps({"head": {}, "boolean": bool(result)}))
        else:
            click.echo("true" if result else "false")
    elif isinstance(result, QuerySolutions):
        if fmt == "table":
            header = [v.value for v in result.variables]
            rows = [[_compact(solution[i]) for i in range(len(header))] for solution in result]
            _print_table(header, rows)
        else:
            formats = {"csv": QueryResultsFormat.CSV, "tsv": QueryResultsFormat.TSV, "json": QueryResultsFormat.JSON}
            result.serialize(out, formats[fmt])
            out.flush()
    elif isinstance(result, QueryTriples):
        result.serialize(out, GRAPH_OUTPUT[fmt])
        out.flush()


if __name__ == "__main__":
    main()
