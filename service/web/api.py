"""The JSON API under /api/: partnerships, bodies, people, findings, runs and saved queries, described
by the OpenAPI document at /api/openapi.json. Each page's data twin."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..compliance.validate import find_run, list_runs
from ..queries import QueryError
from ..queries.results import to_csv, to_json
from ..queries.saved import run_saved, saved_queries
from . import get_store, limits
from .pages import latest_run, partnership_rows, select

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/partnerships")
def partnerships():
    """Every partnership, with status, administering body, frameworks and violations in the latest run."""
    return jsonify(
        [
            {k: r[k] for k in ("p", "name", "status", "admin", "frameworks", "violations")} | {"iri": r["p"]}
            for r in partnership_rows()
        ]
    )


@bp.get("/bodies")
def bodies():
    """Every organisation, with how many partnerships (or their bodies) it is a member of."""
    return jsonify(
        select(
            """SELECT ?iri ?name (COUNT(DISTINCT ?where) AS ?memberships) WHERE {
        ?iri a ?type ; rdfs:label ?name . VALUES ?type { pk:Council org:FormalOrganization }
        OPTIONAL { ?m org:member ?iri ; org:organization ?where } } GROUP BY ?iri ?name ORDER BY ?name""",
            "api bodies",
        )
    )


@bp.get("/people")
def people():
    """Every person, with their appointments."""
    return jsonify(
        select(
            """SELECT ?iri ?name (COUNT(DISTINCT ?a) AS ?appointments) WHERE {
        ?iri a ?type ; foaf:name ?name . VALUES ?type { pk:Councillor pk:Officer }
        OPTIONAL { ?a org:member ?iri ; a pk:Appointment } } GROUP BY ?iri ?name ORDER BY ?name""",
            "api people",
        )
    )


@bp.get("/runs")
def runs():
    """The stored validation runs."""
    return jsonify([r.__dict__ for r in list_runs(get_store())])


@bp.get("/findings")
def findings():
    """The findings of a run (?run=ID, default the latest over all partnerships)."""
    wanted = request.args.get("run")
    if wanted:
        run = find_run(get_store(), wanted)
        if run is None:
            return jsonify(error=f"no run {wanted!r}: /api/runs lists them"), 404
    else:
        run = latest_run()
    if run is None:
        return jsonify([])
    return jsonify(
        select(
            f"""SELECT ?obligation ?severity ?focus ?partnership ?message WHERE {{
        GRAPH <{run.report_graph}> {{ ?r sh:focusNode ?focus ; sh:resultSeverity ?severity ; sh:resultMessage ?message .
          OPTIONAL {{ ?r dcterms:source ?obligation }} OPTIONAL {{ ?r pk:forPartnership ?partnership }} }} }}
        ORDER BY ?obligation ?focus""",
            "api findings",
        )
    )


@bp.get("/queries")
def queries():
    """The saved queries and their parameters."""
    return jsonify(
        [
            {
                "name": q.name,
                "title": q.title,
                "description": q.description,
                "parameters": [p.__dict__ for p in q.parameters],
            }
            for q in saved_queries()
        ]
    )


@bp.get("/queries/<name>")
def run(name: str):
    """Run a saved query: parameters as query-string values; SPARQL JSON results, or CSV with format=csv."""
    given = {k: v for k, v in request.args.items() if k != "format"}
    try:
        query, result = run_saved(get_store(), name, given, union_default_graph=True, **limits())
    except QueryError as exc:
        return jsonify(error=str(exc)), exc.status
    if request.args.get("format") == "csv":
        return Response(
            to_csv(result),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{query.name}.csv"'},
        )
    return Response(to_json(result), mimetype="application/sparql-results+json")


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""

    def listing(summary: str) -> dict:
        return {
            "get": {
                "summary": summary,
                "responses": {
                    "200": {
                        "description": "a JSON array",
                        "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
                    }
                },
            }
        }

    paths = {
        "/api/partnerships": listing("Partnerships with status, administering body, frameworks and violations"),
        "/api/bodies": listing("Organisations and how many partnerships or bodies they belong to"),
        "/api/people": listing("People and how many appointments they hold"),
        "/api/runs": listing("Stored validation runs"),
        "/api/findings": listing("Findings of a run") | {},
        "/api/queries": listing("Saved queries and their parameters"),
        "/api/queries/{name}": {
            "get": {
                "summary": "Run a saved query",
                "parameters": [
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}},
                ],
                "responses": {
                    "200": {"description": "SPARQL JSON results or CSV"},
                    "400": {"description": "a bad parameter value"},
                    "404": {"description": "no such query"},
                },
            }
        },
    }
    paths["/api/findings"]["get"]["parameters"] = [{"name": "run", "in": "query", "schema": {"type": "string"}}]
    return jsonify({"openapi": "3.1.0", "info": {"title": "partnerkg API", "version": "0.1.0"}, "paths": paths})
