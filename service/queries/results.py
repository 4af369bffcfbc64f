"""SPARQL results and graphs in the formats the protocol offers."""

from __future__ import annotations

import csv
import io
import json
from xml.sax.saxutils import escape, quoteattr

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, serialize

from . import QueryResult

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

SOLUTION_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {
    "turtle": ("text/turtle", RdfFormat.TURTLE),
    "jsonld": ("application/ld+json", RdfFormat.JSON_LD),
    "ntriples": ("application/n-triples", RdfFormat.N_TRIPLES),
    "rdfxml": ("application/rdf+xml", RdfFormat.RDF_XML),
}


def _json_term(term: object) -> dict:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {
            "subject": _json_term(term.subject),
            "predicate": _json_term(term.predicate),
            "object": _json_term(term.object),
        },
    }


def to_json(result: QueryResult) -> str:
    if result.kind == "boolean":
        return json.dumps({"head": {}, "boolean": result.boolean})
    bindings = [
        {v: _json_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None} for row in result.rows
    ]
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}})


def _xml_term(term: object) -> str:
    if isinstance(term, NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if term.language:  # type: ignore[union-attr]
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"  # type: ignore[union-attr]
    if term.datatype.value != XSD_STRING:  # type: ignore[union-attr]
        return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"  # type: ignore[union-attr]
    return f"<literal>{escape(term.value)}</literal>"  # type: ignore[union-attr]


def to_xml(result: QueryResult) -> str:
    head = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>'
    if result.kind == "boolean":
        return head + f"</head>\n<boolean>{'true' if result.boolean else 'false'}</boolean>\n</sparql>\n"
    parts = [head] + [f"<variable name={quoteattr(v)}/>" for v in result.variables] + ["</head>\n<results>"]
    for row in result.rows:
        parts.append("<result>")
        parts += [
            f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
            for v, t in zip(result.variables, row, strict=True)
            if t is not None
        ]
        parts.append("</result>")
    parts.append("</results>\n</sparql>\n")
    return "".join(parts)


def _plain(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    return term.value  # type: ignore[union-attr]


def to_csv(result: QueryResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if result.kind == "boolean":
        writer.writerow(["_askResult"])
        writer.writerow(["true" if result.boolean else "false"])
        return out.getvalue()
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_plain(t) for t in row])
    return out.getvalue()


def to_tsv(result: QueryResult) -> str:
    if result.kind == "boolean":
        return "?_askResult\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join("?" + v for v in result.variables)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in result.rows]
    return "\n".join(lines) + "\n"


SOLUTION_WRITERS = {"json": to_json, "xml": to_xml, "csv": to_csv, "tsv": to_tsv}


def graph_bytes(result: QueryResult, name: str, prefixes: dict[str, str] | None = None) -> bytes:
    """CONSTRUCT / DESCRIBE triples in one of GRAPH_TYPES."""
    fmt = GRAPH_TYPES[name][1]
    kwargs = {"prefixes": prefixes} if prefixes and fmt in (RdfFormat.TURTLE,) else {}
    return serialize(result.triples, format=fmt, **kwargs) or b""
