"""Three edits of SPARQL text, and per_text, which keeps what a function makes of a query text
(saved queries, shapes and a client's lookups come back again and again). Joining a pattern into a query's groups (join_into_groups).
Binding parameters with a VALUES block (bind_values). And, for Oxigraph's sake,
`FILTER NOT EXISTS { P }` becomes `OPTIONAL { P BIND (true AS ?fresh) } FILTER (!BOUND(?fresh))` at the end of its group.

The two forms give the same solutions: a filter applies to its whole group wherever it stands, so
the OPTIONAL goes last in the group, where it sees every binding the NOT EXISTS would; the rows it
matches are the ones the filter drops, and the rows it does not match keep P's variables unbound.
They differ in cost: Oxigraph evaluates the OPTIONAL per row, but turns NOT EXISTS over a join or a
path into an anti-join that grows with the square of the data (2.9 s against 13 ms for one check at
1,000 partnerships). rdflib, the reference engine, is the other way round, so shapes keep the plain
form and only the queries sent to Oxigraph are rewritten.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

KEPT_TEXT = 8192
"""The longest query text whose checks are kept (per_text): saved queries and lookups are a few hundred
characters; a client's long text is worked out each time rather than held."""


def per_text(work: Callable[[str], T]) -> Callable[[str], T]:
    """Keep what `work` makes of a query text, for the last 256 texts of up to KEPT_TEXT characters: a
    saved query or a client's lookup is the same text run after run, and each check is a regular
    expression over all of it (about 16 microseconds a pass on a few lines, of a 0.8 ms lookup)."""
    kept = functools.lru_cache(maxsize=256)(work)

    @functools.wraps(work)
    def checked(query: str) -> T:
        return kept(query) if len(query) <= KEPT_TEXT else work(query)

    checked.kept = kept  # type: ignore[attr-defined]
    return checked


_SKIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'  # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'  # short strings
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"  # IRIs (a comparison's < has spaces around it)
    r"|#[^\n]*"  # comments
)
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_NOT_EXISTS = re.compile(r"FILTER\s+NOT\s+EXISTS\s*\{", re.IGNORECASE)


def _code_spans(text: str) -> list[tuple[int, int]]:
    """The spans of strings, IRIs and comments: braces and keywords inside them do not count."""
    return [m.span() for m in _SKIP.finditer(text)]


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _close(text: str, start: int, spans: list[tuple[int, int]], depth: int = 1) -> int:
    """The index of the brace that brings `depth` to zero, scanning from `start` and stepping over
    strings, IRIs and comments whole."""
    skip = dict(spans)
    i = next((end for s, end in spans if s < start < end), start)
    while i < len(text):
        if i in skip:
            i = skip[i]
            continue
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("unbalanced braces in a SPARQL query")


@per_text
def rewrite_not_exists(query: str) -> str:
    """The query with each `FILTER NOT EXISTS { ... }` written as OPTIONAL and !BOUND. Kept per text:
    saved queries and shapes send the same few texts again and again."""
    count = 0
    while True:
        spans = _code_spans(query)
        match = next((m for m in _NOT_EXISTS.finditer(query) if not _inside(m.start(), spans)), None)
        if match is None:
            return query
        body_end = _close(query, match.end(), spans)
        body = query[match.end() : body_end]
        group_end = _close(query, body_end + 1, spans)
        count += 1
        fresh = f"?_notExists{count}"
        replacement = f" OPTIONAL {{ {body} BIND (true AS {fresh}) }} FILTER (!BOUND({fresh})) "
        query = query[: match.start()] + query[body_end + 1 : group_end] + replacement + query[group_end:]


_ONE_BLOCK = re.compile(
    r"\s*(?P<groups>\{\}(?:\s*UNION\s*\{\})*)"  # a group, or groups joined by UNION
    r"(?:\s*(?:OPTIONAL\s*\{\}|BIND\s*\(\)|FILTER\s*(?:\(\)|(?:NOT\s+)?EXISTS\s*\{\}|[\w:]+\s*\(\))|\.))*\s*",
    re.IGNORECASE,
)


def join_into_groups(query: str, pattern: str) -> str:
    """The query with `pattern` joined at the start of its top-level group; or, when that group is one
    nested group (or UNION of groups) followed by nothing but OPTIONAL, FILTER and BIND, at the start
    of that group (of each branch) instead.

    The engine joins the focus nodes this way. Both give the same answers when the nested groups bind
    ?this outside any OPTIONAL (every one of our SPARQL constraints does; SHACL pre-binds $this):
    the outer parts only filter or extend the nested group's solutions. But Oxigraph plans them differently: for
    CSP-R1 at 10,000 partnerships the focus nodes joined outside the nested group took 240 s, joined
    inside it 0.9 s (and with no nested group, the OPTIONAL for the name beside the rewritten
    NOT EXISTS, 13 s)."""
    spans = _code_spans(query)
    top = next((i for i, c in enumerate(query) if c == "{" and not _inside(i, spans)), None)
    if top is None:
        raise ValueError("a SPARQL query without a group")
    end = _close(query, top + 1, spans)
    comments = {i for start, stop in spans if query[start] == "#" for i in range(start, stop)}
    skeleton: list[str] = []  # the top-level group with what is nested in braces or brackets left out
    branches: list[int] = []
    depth = 0
    for i in range(top + 1, end):
        c = query[i]
        if _inside(i, spans):
            if depth == 0 and i not in comments:
                skeleton.append("X")  # an IRI or a literal at the top level: a triple pattern
            continue
        if c in "{(":
            if depth == 0:
                skeleton.append(c)
                if c == "{":
                    branches.append(i)
            depth += 1
        elif c in "})":
            depth -= 1
            if depth == 0:
                skeleton.append(c)
        elif depth == 0:
            skeleton.append(c)
    outline = "".join(skeleton)
    plain = _ONE_BLOCK.fullmatch(outline)
    starts = branches[: plain.group("groups").count("{")] if plain else []
    if not starts or any(re.match(r"\s*SELECT\b", query[b + 1 :], re.IGNORECASE) for b in starts):
        starts = [top]
    for start in reversed(starts):
        query = f"{query[: start + 1]} {pattern} {query[start + 1 :]}"
    return query


def bind_values(query: str, values: dict[str, object]) -> str:
    """The query with a VALUES block binding the given variables (to Oxigraph terms, written by
    Oxigraph) at the start of its top-level group. Oxigraph applies its own `substitutions` after
    evaluating the query (2.1 s for one person's appointments at 100 partnerships); a VALUES block
    is joined first (0.05 s). Nothing of a caller's text goes into the query: only the terms'
    N-Triples forms, which Oxigraph's term types have already checked."""
    if not values:
        return query
    spans = _code_spans(query)
    where = next((m.end() - 1 for m in _WHERE.finditer(query) if not _inside(m.start(), spans)), None)
    start = where if where is not None else next(i for i, c in enumerate(query) if c == "{" and not _inside(i, spans))
    names = " ".join(f"?{name}" for name in values)
    row = " ".join(str(term) for term in values.values())
    return f"{query[: start + 1]} VALUES ({names}) {{ ({row}) }} {query[start + 1 :]}"
