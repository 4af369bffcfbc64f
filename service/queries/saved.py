"""Saved queries: one .rq file a question in service/queries/saved/, with a header naming its title,
description and parameters (`# param: NAME TYPE DEFAULT`). Parameter values are checked as RDF terms
and bound by a VALUES block that Oxigraph's term types write (sparqltext.bind_values); a caller's
text is never pasted into a query."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Variable

from ..sparqltext import bind_values, rewrite_not_exists
from . import QueryError, QueryResult

SAVED_DIR = Path(__file__).parent / "saved"
XSD = "http://www.w3.org/2001/XMLSchema#"
TYPES = ("iri", "integer", "date", "string")


@dataclass(frozen=True)
class Parameter:
    """One parameter of a saved query."""

    name: str
    type: str
    default: str


@dataclass(frozen=True)
class SavedQuery:
    """A saved query and its header."""

    name: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    text: str


def _parse(path: Path) -> SavedQuery:
    header: dict[str, str] = {}
    params = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#\s*(\w+):\s*(.*)$", line)
        if not match:
            break
        key, value = match.groups()
        if key == "param":
            name, kind, default = (value.split(None, 2) + [""])[:3]
            if kind not in TYPES:
                raise ValueError(f"{path.name}: parameter {name} has unknown type {kind!r}")
            params.append(Parameter(name, kind, default))
        else:
            header[key] = value
    if "title" not in header:
        raise ValueError(f"{path.name}: no '# title:' header")
    return SavedQuery(
        path.stem, header["title"], header.get("description", ""), tuple(params), path.read_text(encoding="utf-8")
    )


def saved_queries() -> list[SavedQuery]:
    """Every saved query, by name."""
    return list(_read_saved())


@lru_cache(maxsize=1)
def _read_saved() -> tuple[SavedQuery, ...]:
    """The .rq files, read once: they ship with the package."""
    return tuple(_parse(p) for p in sorted(SAVED_DIR.glob("*.rq")))


def get_saved(name: str) -> SavedQuery:
    """One saved query, or a 404-flavoured error."""
    for query in saved_queries():
        if query.name == name:
            return query
    error = QueryError(f"no saved query {name!r}")
    error.status = 404
    raise error


def bindings(query: SavedQuery, given: dict[str, str]) -> dict[Variable, object]:
    """The parameters as RDF terms: given values, or the defaults; a bad value names its parameter."""
    out: dict[Variable, object] = {}
    for p in query.parameters:
        raw = given.get(p.name) or p.default
        try:
            if p.type == "iri":
                term = NamedNode(raw)
            elif p.type == "integer":
                term = Literal(str(int(raw)), datatype=NamedNode(XSD + "integer"))
            elif p.type == "date":
                term = Literal(date.fromisoformat(raw).isoformat(), datatype=NamedNode(XSD + "date"))
            else:
                term = Literal(raw)
        except ValueError as exc:
            raise QueryError(f"parameter {p.name}: {raw!r} is not a valid {p.type}") from exc
        out[Variable(p.name)] = term
    return out


def run_saved(store, name: str, given: dict[str, str], **limits) -> tuple[SavedQuery, QueryResult]:
    """Run a saved query with its parameters bound; the parameters' own columns are left out."""
    from . import run_query

    query = get_saved(name)
    # saved queries are our own text: sent with FILTER NOT EXISTS as OPTIONAL/!BOUND, which Oxigraph
    # evaluates row by row instead of as an anti-join (sparqltext.py)
    values = {variable.value: term for variable, term in bindings(query, given).items()}
    text = bind_values(rewrite_not_exists(query.text), values)
    result = run_query(store, text, name=name, **limits)
    if result.kind == "solutions":
        keep = [i for i, v in enumerate(result.variables) if v not in {p.name for p in query.parameters}]
        result = QueryResult(
            "solutions",
            variables=[result.variables[i] for i in keep],
            rows=[tuple(row[i] for i in keep) for row in result.rows],
        )
    return query, result
