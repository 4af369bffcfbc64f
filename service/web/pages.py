"""Pages for policy staff: dashboard, partnerships, obligations, runs and saved queries. Server
rendered, usable without JavaScript; every value goes through Jinja's escaping."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, g, jsonify, render_template, request

from ..compliance.validate import ValidationError, diff_runs, list_runs, stored_tally
from ..queries import QueryError
from ..queries.saved import get_saved, run_saved, saved_queries
from . import get_store, limits
from . import query as run_web_query

bp = Blueprint("pages", __name__)


def select(query: str, name: str) -> list[dict[str, str]]:
    """Rows of a SELECT over the union of the graphs, as plain strings."""
    result = run_web_query(query, name)
    return [
        {v: (t.value if t is not None else "") for v, t in zip(result.variables, row, strict=True)}
        for row in result.rows
    ]


def latest_run():
    """The newest run over all partnerships, if any (looked up once per request)."""
    if "latest_run" not in g:
        runs = [r for r in list_runs(get_store()) if r.scope == "all"]
        g.latest_run = runs[-1] if runs else None
    return g.latest_run


def violations_by_partnership(run) -> dict[str, int]:
    """Violations of a stored run per partnership."""
    if run is None:
        return {}
    rows = select(
        f"""SELECT ?p (COUNT(?r) AS ?n) WHERE {{ GRAPH <{run.report_graph}> {{
        ?r pk:forPartnership ?p ; sh:resultSeverity sh:Violation }} }} GROUP BY ?p""",
        "violations by partnership",
    )
    return {r["p"]: int(r["n"]) for r in rows}


_SUMMARIES: dict[tuple[int, str | None, str], list[dict[str, object]]] = {}
"""The dashboard's findings by framework, per store, state of the data and report graph: a run never
rewrites a report graph (it writes a new one), so each is counted once per process (0.9 s at 10,000
partnerships); a SPARQL update, which could, names a new state. A remote store, whose state is not known, is
counted each time."""


def _run_summary(report_graph: str) -> list[dict[str, object]]:
    """A report's violations and warnings by framework (and its council), most violations first."""
    store = get_store()
    version = getattr(store, "data_version", lambda: None)()
    key = (id(store), version, report_graph)
    if key not in _SUMMARIES or version is None:  # a remote store's state is not known: counted each time
        # counted by obligation inside the report graph first: joined with the frameworks result by
        # result, the count took 3.3 s at 10,000 partnerships
        rows: list[dict[str, object]] = list(
            select(
                f"""SELECT ?framework ?council (SUM(?v) AS ?violations) (SUM(?w) AS ?warnings) WHERE {{
                {{ SELECT ?o (SUM(IF(?severity = sh:Violation, 1, 0)) AS ?v) (SUM(IF(?severity = sh:Warning, 1, 0)) AS ?w)
                   WHERE {{ GRAPH <{report_graph}> {{ ?r dcterms:source ?o ; sh:resultSeverity ?severity }} }} GROUP BY ?o }}
                ?o skos:inScheme ?scheme . ?scheme dcterms:title ?framework .
                OPTIONAL {{ ?scheme dcterms:publisher/rdfs:label ?council }} }}
                GROUP BY ?framework ?council ORDER BY DESC(?violations)""",
                "dashboard summary",
            )
        )
        for row in rows:
            row["violations"], row["warnings"] = int(row["violations"]), int(row["warnings"])  # type: ignore[arg-type]
        if len(_SUMMARIES) > 64:
            _SUMMARIES.clear()
        _SUMMARIES[key] = rows
    return _SUMMARIES[key]


@bp.get("/")
def index() -> str:
    """Dashboard: counts, the latest run by framework and council, the named graphs."""
    counts = select(
        """SELECT
        (COUNT(DISTINCT ?p) AS ?partnerships) (COUNT(DISTINCT ?b) AS ?bodies) (COUNT(DISTINCT ?m) AS ?meetings)
        (COUNT(DISTINCT ?x) AS ?people) (COUNT(DISTINCT ?a) AS ?appointments) WHERE {
        { ?p a pk:Partnership } UNION { ?b a pk:PartnershipBody } UNION { ?m a pk:Meeting }
        UNION { ?x a ?personClass . VALUES ?personClass { pk:Councillor pk:Officer } } UNION { ?a a pk:Appointment } }""",
        "dashboard counts",
    )[0]
    run = latest_run()
    summary = _run_summary(run.report_graph) if run is not None else []
    internal = current_app.config["PARTNERKG"].is_internal
    graphs = [g for g in get_store().graphs() if not internal(g.name)]
    return render_template(
        "index.html",
        counts=[(k, v) for k, v in counts.items()],
        run=run,
        summary=summary,
        graphs=graphs,
        total=sum(g.triples for g in graphs),
        settings=current_app.config["PARTNERKG"],
    )


def partnership_rows() -> list[dict[str, object]]:
    """Every partnership with its status, administering body, frameworks and councils."""
    from .linked import local_path

    rows = select(
        """SELECT ?p ?name (SAMPLE(?st) AS ?status) (SAMPLE(?ad) AS ?admin)
        (GROUP_CONCAT(DISTINCT ?fw; separator="; ") AS ?frameworks) (GROUP_CONCAT(DISTINCT ?c; separator="|") AS ?councils)
        WHERE { ?p a pk:Partnership ; rdfs:label ?name .
          OPTIONAL { ?p pk:partnershipStatus/skos:prefLabel ?st }
          OPTIONAL { ?p pk:administeredBy/rdfs:label ?ad }
          OPTIONAL { ?p pk:subjectToFramework ?s . ?s skos:prefLabel ?fw . OPTIONAL { ?s dcterms:publisher/rdfs:label ?c } }
        } GROUP BY ?p ?name ORDER BY ?name""",
        "partnerships",
    )
    counts = violations_by_partnership(latest_run())
    for r in rows:
        r["path"] = local_path(r["p"]) or r["p"]
        r["violations"] = counts.get(r["p"], 0)
        r["councils"] = [c for c in str(r["councils"]).split("|") if c] + ([r["admin"]] if r["admin"] else [])
    return rows


@bp.get("/partnerships")
def partnerships() -> str:
    """Searchable, filterable list."""
    q, status, council, breach, sector = (
        request.args.get(k, "").strip() for k in ("q", "status", "council", "breach", "sector")
    )
    rows = partnership_rows()
    breached = _breached_frameworks()
    sectors = _member_sectors()
    statuses = sorted({r["status"] for r in rows if r["status"]})
    councils = sorted({c for r in rows for c in r["councils"]})
    shown = [
        r
        for r in rows
        if (not q or q.lower() in str(r["name"]).lower())
        and (not status or r["status"] == status)
        and (not council or council in r["councils"])
        and (not breach or breach in breached.get(r["p"], ()))
        and (not sector or sector in sectors.get(r["p"], ()))
    ]
    frameworks = sorted({f for fs in breached.values() for f in fs})
    return render_template(
        "partnerships.html",
        rows=shown,
        q=q,
        status=status,
        council=council,
        breach=breach,
        statuses=statuses,
        councils=councils,
        frameworks=frameworks,
    )


def _member_sectors() -> dict[str, set[str]]:
    """For each partnership, the sectors of its member organisations (third-sector kinds count as third sector too)."""
    out: dict[str, set[str]] = {}
    rows = select(
        """SELECT DISTINCT ?p ?sector WHERE { ?p a pk:Partnership .
        ?m org:member ?o ; org:organization ?where . FILTER (?where = ?p || EXISTS { ?p org:hasSubOrganization ?where })
        ?o pk:sector/skos:broader* ?s . ?s skos:prefLabel ?sector }""",
        "member sectors",
    )
    for r in rows:
        out.setdefault(r["p"], set()).add(r["sector"])
    return out


def _breached_frameworks() -> dict[str, set[str]]:
    """For each partnership, the frameworks with violations in the latest run."""
    run = latest_run()
    if run is None:
        return {}
    out: dict[str, set[str]] = {}
    rows = select(
        f"""SELECT DISTINCT ?p ?framework WHERE {{ GRAPH <{run.report_graph}> {{
            ?r pk:forPartnership ?p ; dcterms:source ?o ; sh:resultSeverity sh:Violation }}
            ?o skos:inScheme/skos:prefLabel ?framework }}""",
        "breached frameworks",
    )
    for r in rows:
        out.setdefault(r["p"], set()).add(r["framework"])
    return out


@bp.get("/obligations")
def obligations() -> str:
    """Every obligation, its shapes, and how many partnerships meet or break it in the latest run."""
    from .linked import local_path

    rows = select(
        """SELECT ?o ?id ?text ?document ?clause (COUNT(DISTINCT ?p) AS ?applies) WHERE {
        ?o a pk:Obligation ; skos:notation ?id ; skos:definition ?text ; pk:clause ?clause ; skos:inScheme ?s .
        ?s skos:prefLabel ?document . OPTIONAL { ?p pk:subjectToFramework ?s } }
        GROUP BY ?o ?id ?text ?document ?clause ORDER BY ?id""",
        "obligations",
    )
    shapes = select(
        """SELECT ?o ?shape WHERE { GRAPH <https://w3id.org/partnerkg/graph/shapes> {
        ?shape a sh:NodeShape ; dcterms:source ?o } }""",
        "obligation shapes",
    )
    run = latest_run()
    tally = stored_tally(get_store(), run) if run is not None else {}
    for r in rows:
        r["shapes"] = [
            {"name": s["shape"].rsplit("/", 1)[-1], "path": local_path(s["shape"]) or s["shape"]}
            for s in shapes
            if s["o"] == r["o"]
        ]
        counts = tally.get(r["id"], {})
        r["not_met"] = counts.get("not met", 0) if run else "-"
        r["met"] = counts.get("met", 0) if run else "-"
        r["no_evidence"] = counts.get("no evidence", 0) if run else "-"
    return render_template("obligations.html", rows=rows)


@bp.get("/runs")
def runs() -> str:
    """The history of validation runs, and the difference between two of them."""
    history = list(reversed(list_runs(get_store())))
    a, b = request.args.get("a"), request.args.get("b")
    diff = None
    if a and b:
        try:
            diff = diff_runs(get_store(), a, b)
        except ValidationError:
            diff = None
    return render_template("runs.html", runs=history, a=a, b=b, diff=diff)


@bp.get("/queries")
@bp.get("/queries/<name>")
def queries(name: str | None = None):
    """The catalogue of saved queries, and one of them run with its parameters."""
    from .linked import labels_of, local_path

    if name is None:
        return render_template("queries.html", query=None, queries=saved_queries())
    try:
        query = get_saved(name)
    except QueryError:
        return render_template("queries.html", query=None, queries=saved_queries()), 404
    given = {p.name: request.args[p.name] for p in query.parameters if request.args.get(p.name)}
    result, error, labels = None, None, {}
    try:
        _, result = run_saved(get_store(), name, given, union_default_graph=True, **limits())
        labels = labels_of(
            {t.value for row in result.rows for t in row if t is not None and type(t).__name__ == "NamedNode"}
        )
    except QueryError as exc:
        error = str(exc)
    status = 200 if error is None else 400
    return render_template(
        "queries.html",
        query=query,
        given=given,
        result=result,
        error=error,
        labels=labels,
        local=local_path,
        params=urlencode(given),
    ), status


@bp.get("/network")
def network() -> str:
    """Partnerships and their member organisations, as a drawing and a table."""
    from .linked import local_path

    rows = select(
        """SELECT DISTINCT ?p ?pname ?o ?oname WHERE {
        ?p a pk:Partnership ; rdfs:label ?pname . ?m org:member ?o ; org:organization ?where . ?o rdfs:label ?oname .
        FILTER (?where = ?p || EXISTS { ?p org:hasSubOrganization ?where }) } ORDER BY ?pname ?oname""",
        "network",
    )
    by_org: dict[str, dict] = {}
    for r in rows:
        entry = by_org.setdefault(r["o"], {"name": r["oname"], "path": local_path(r["o"]) or r["o"], "where": []})
        entry["where"].append(r["pname"])
    organisations = sorted(by_org.values(), key=lambda o: (-len(o["where"]), o["name"]))
    names = sorted({(r["p"], r["pname"]) for r in rows}, key=lambda x: x[1])
    step_o = 22
    height = max(len(organisations) * step_o, len(names) * 40) + 40
    step_p = (height - 40) / max(len(names), 1)
    partnerships = [
        {"name": n, "path": local_path(p) or p, "y": 20 + step_p * (i + 0.5)} for i, (p, n) in enumerate(names)
    ]
    for i, o in enumerate(organisations):
        o["y"], o["count"] = 20 + step_o * i + step_o / 2, len(o["where"])
    y_of_p = {p["name"]: p["y"] for p in partnerships}
    edges = [{"y1": y_of_p[w], "y2": o["y"]} for o in organisations for w in o["where"]]
    return render_template(
        "network.html", partnerships=partnerships, organisations=organisations, edges=edges, height=height
    )


@bp.get("/query")
def editor() -> str:
    """The SPARQL editor (YASGUI), pointed at this service's endpoint."""
    from ..namespaces import PREFIXES

    chosen = ("pk", "org", "foaf", "dcterms", "skos", "rdfs", "xsd", "code")
    initial = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in chosen) + (
        "\nSELECT ?partnership ?name WHERE {\n  ?partnership a pk:Partnership ; rdfs:label ?name .\n} ORDER BY ?name\n"
    )
    return render_template("query.html", initial=initial)


@bp.get("/healthz")
def healthz():
    """Liveness: the store answers a query."""
    return jsonify(status="ok", quads=get_store().quad_count())
