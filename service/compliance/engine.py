"""A SHACL engine that runs the shapes as SPARQL on Oxigraph: the fast path of a validation run.

pySHACL walks the data graph in Python, focus node by focus node; at 1,000 partnerships that is most
of a run. Here each shape becomes a handful of SPARQL queries that Oxigraph answers for every focus
node at once: a property shape's counts and `sh:hasValue` become one OPTIONAL/!BOUND query each, a
nested shape (`sh:qualifiedValueShape`, `sh:or`, `sh:node`) becomes a boolean expression over its
value node, and a SPARQL-based constraint runs once for all its focus nodes instead of once per node.
The results carry what pySHACL's report says of each (focus node, path, value, source shape and
constraint component, severity, message), so the rest of a run does not know which engine made
them, and tests hold the two engines' findings equal (pySHACL stays the reference for correctness).

The engine covers what the project's shapes use, and says so when a shapes graph asks for more
(`Unsupported`): the run then falls back to pySHACL.

- targets: sh:targetNode, sh:targetClass, sh:targetSubjectsOf, sh:targetObjectsOf, sh:SPARQLTarget;
- paths: predicates, inverse, sequence, alternative, zero-or-more, one-or-more, zero-or-one;
- constraints: sh:class, sh:datatype, sh:hasValue, sh:in, sh:minCount, sh:maxCount,
  sh:qualifiedValueShape with sh:qualifiedMinCount / sh:qualifiedMaxCount, sh:lessThan,
  sh:lessThanOrEquals, sh:node, sh:and, sh:or, sh:not, sh:property, and sh:sparql SELECT constraints
  on node shapes (not using $shapesGraph, $currentShape or $PATH).

Queries are sent to Oxigraph with FILTER NOT EXISTS written as OPTIONAL and !BOUND (service/sparqltext.py).
A SPARQL-based constraint's focus nodes are joined at the start of the query's top-level group, which
binds `$this` there before the group's filters and patterns are evaluated, as pre-binding does. (A
subquery sees `$this` only through what it projects.)
"""

from __future__ import annotations

import copy
import itertools
import os
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from ..namespaces import SH, sparql_prefixes
from ..sparqltext import join_into_groups, rewrite_not_exists
from ..store.terms import to_rdflib

FOCUS_GRAPH = "urn:x-partnerkg:engine:focus"
FOCUS_OF = "urn:x-partnerkg:engine:focusOf"
_TSV = ox.QueryResultsFormat.TSV
"""How a check's answer comes back from the pool (Engine.checking)."""

# what a shape may say that is not a constraint
IGNORED = {
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.defaultValue,
    SH.path,
    SH.target,
    SH.targetNode,
    SH.targetClass,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.deactivated,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint,
    SH.declare,
    SH.prefixes,
}
VALUE_CONSTRAINTS = {SH["class"], SH.datatype, SH["in"], SH.node, SH["and"], SH["or"], SH["not"]}
"""Constraints checked on each value node: a result names the value that fails."""


class Unsupported(ValueError):
    """The shapes graph asks for something this engine does not evaluate."""


@dataclass
class Result:
    """One SHACL validation result."""

    focus: Node
    shape: Node
    component: URIRef
    severity: URIRef
    path: Node | None = None
    value: Node | None = None
    messages: list[Literal] = field(default_factory=list)
    constraint: Node | None = None
    paths: Graph | None = None
    """Where a blank-node path is described (the shapes graph when None)."""


def _n3(node: Node) -> str:
    if isinstance(node, BNode):
        raise Unsupported(f"a blank node ({node}) as a constant in a shape")
    return node.n3()


class Compiler:
    """Turns shapes into SPARQL: paths into property paths, shapes into boolean expressions."""

    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        self._fresh = itertools.count()

    def var(self) -> str:
        return f"?_v{next(self._fresh)}"

    def path(self, node: Node) -> str:
        """A SHACL path as a SPARQL property path."""
        g = self.shapes
        if isinstance(node, URIRef):
            return node.n3()
        if (node, RDF.first, None) in g:
            return "(" + "/".join(self.path(item) for item in Collection(g, node)) + ")"
        for predicate, template in (
            (SH.inversePath, "^({})"),
            (SH.zeroOrMorePath, "({})*"),
            (SH.oneOrMorePath, "({})+"),
            (SH.zeroOrOnePath, "({})?"),
        ):
            inner = g.value(node, predicate)
            if inner is not None:
                return template.format(self.path(inner))
        alternatives = g.value(node, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.path(item) for item in Collection(g, alternatives)) + ")"
        raise Unsupported(f"the path {node}")

    def members(self, node: Node) -> list[Node]:
        return list(Collection(self.shapes, node))

    def check_keys(self, shape: Node, nested: bool) -> None:
        for predicate in set(self.shapes.predicates(shape, None)):
            if predicate == SH.sparql and nested:
                raise Unsupported(f"a SPARQL-based constraint inside a nested shape ({shape})")
            if str(predicate).startswith(str(SH)) and predicate not in IGNORED and predicate not in KNOWN:
                raise Unsupported(f"{predicate} (on {shape})")
            if predicate == SH.qualifiedValueShapesDisjoint and self.shapes.value(shape, predicate) == Literal(True):
                raise Unsupported(f"sh:qualifiedValueShapesDisjoint true (on {shape})")

    def value_test(self, shape: Node, var: str) -> str:
        """A SPARQL expression true when the node in `var` conforms to the node-level constraints of a
        shape (and, through sh:property, to its property shapes)."""
        self.check_keys(shape, nested=True)
        if self.shapes.value(shape, SH.deactivated) == Literal(True):
            return "true"
        g = self.shapes
        path = g.value(shape, SH.path)
        if path is not None:
            return self.property_test(shape, var)
        parts = [self.node_test(shape, predicate, value, var) for predicate, value in g.predicate_objects(shape)]
        parts += [self.value_test(p, var) for p in g.objects(shape, SH.property)]
        parts = [p for p in parts if p is not None]
        return "(" + " && ".join(parts) + ")" if parts else "true"

    def node_test(self, shape: Node, predicate: Node, value: Node, var: str) -> str | None:
        """The expression for one node-level constraint (None when the predicate is not one)."""
        if predicate == SH["class"]:
            return f"EXISTS {{ {var} {RDF.type.n3()}/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* {_n3(value)} }}"
        if predicate == SH.datatype:
            return f"(isLiteral({var}) && sameTerm(DATATYPE({var}), {_n3(value)}))"
        if predicate == SH.hasValue:
            return f"sameTerm({var}, {_n3(value)})"
        if predicate == SH["in"]:
            options = [f"sameTerm({var}, {_n3(v)})" for v in self.members(value)]
            return "(" + " || ".join(options) + ")" if options else "false"
        if predicate == SH.node:
            return self.value_test(value, var)
        if predicate == SH["and"]:
            return "(" + " && ".join(self.value_test(s, var) for s in self.members(value)) + ")"
        if predicate == SH["or"]:
            return "(" + " || ".join(self.value_test(s, var) for s in self.members(value)) + ")"
        if predicate == SH["not"]:
            return f"!({self.value_test(value, var)})"
        return None

    def property_test(self, shape: Node, var: str) -> str:
        """A property shape, nested: true when the node in `var` conforms to it."""
        g = self.shapes
        path = self.path(g.value(shape, SH.path))
        parts = []
        for predicate, value in g.predicate_objects(shape):
            if predicate == SH.minCount:
                n = int(value)
                if n > 1:
                    raise Unsupported(f"sh:minCount {n} in a nested shape ({shape})")
                if n == 1:
                    parts.append(f"EXISTS {{ {var} {path} [] }}")
            elif predicate == SH.maxCount:
                raise Unsupported(f"sh:maxCount in a nested shape ({shape})")
            elif predicate == SH.hasValue:
                parts.append(f"EXISTS {{ {var} {path} {_n3(value)} }}")
            elif predicate == SH.qualifiedValueShape:
                least = g.value(shape, SH.qualifiedMinCount)
                if g.value(shape, SH.qualifiedMaxCount) is not None or (least is not None and int(least) > 1):
                    raise Unsupported(f"qualified counts other than a minimum of 1 in a nested shape ({shape})")
                if least is not None and int(least) == 1:
                    x = self.var()
                    parts.append(f"EXISTS {{ {var} {path} {x} . FILTER ({self.value_test(value, x)}) }}")
            elif predicate in (SH.lessThan, SH.lessThanOrEquals, SH.equals, SH.disjoint):
                raise Unsupported(f"{predicate} in a nested shape ({shape})")
            elif predicate in VALUE_CONSTRAINTS:
                x = self.var()
                parts.append(
                    f"NOT EXISTS {{ {var} {path} {x} . FILTER (!{self.node_test(shape, predicate, value, x)}) }}"
                )
            elif predicate == SH.property:
                x = self.var()
                parts.append(f"NOT EXISTS {{ {var} {path} {x} . FILTER (!{self.value_test(value, x)}) }}")
        return "(" + " && ".join(parts) + ")" if parts else "true"


KNOWN = {
    SH["class"],
    SH.datatype,
    SH.hasValue,
    SH["in"],
    SH.node,
    SH["and"],
    SH["or"],
    SH["not"],
    SH.property,
    SH.minCount,
    SH.maxCount,
    SH.qualifiedValueShape,
    SH.lessThan,
    SH.lessThanOrEquals,
    SH.sparql,
}

COMPONENT = {
    SH["class"]: SH.ClassConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.hasValue: SH.HasValueConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH.node: SH.NodeConstraintComponent,
    SH["and"]: SH.AndConstraintComponent,
    SH["or"]: SH.OrConstraintComponent,
    SH["not"]: SH.NotConstraintComponent,
    SH.minCount: SH.MinCountConstraintComponent,
    SH.maxCount: SH.MaxCountConstraintComponent,
    SH.lessThan: SH.LessThanConstraintComponent,
    SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent,
}


@dataclass
class Check:
    """One query and how to turn its rows into results."""

    shape: Node
    kind: str  # "focus": rows name failing focus nodes; "value": (focus, value) pairs; "pair"; "sparql"
    query: str
    component: URIRef
    path: Node | None = None
    constraint: Node | None = None
    operator: str = ""
    marker: str = ""  # the IRI its query names its node shape's focus nodes by (Engine._focus)


class Engine:
    """Shapes compiled once into SPARQL, then run on an Oxigraph store holding the data (and the
    derived values) in its default graph."""

    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        self.compiler = Compiler(shapes)
        self.prologue = sparql_prefixes()
        self.node_shapes = [
            s
            for s in dict.fromkeys(shapes.subjects(RDF.type, SH.NodeShape))
            if shapes.value(s, SH.deactivated) != Literal(True)
        ]
        self.ids = {shape: f"urn:x-partnerkg:engine:shape:{i}" for i, shape in enumerate(self.node_shapes)}
        self.checks = []
        for shape in self.node_shapes:
            for check in self._compile(shape):
                check.marker = self.ids[shape]
                self.checks.append(check)
        self.plan = self._plan()
        self._terms: dict[object, Node] = {}

    # ------------------------------------------------------------------ compile
    def _focus(self, shape: Node) -> str:
        return f"GRAPH <{FOCUS_GRAPH}> {{ ?this <{FOCUS_OF}> <{self.ids[shape]}> }}"

    def _compile(self, shape: Node) -> list[Check]:
        g, c = self.shapes, self.compiler
        c.check_keys(shape, nested=False)
        focus = self._focus(shape)
        checks = []
        for predicate, value in g.predicate_objects(shape):
            if predicate == SH.sparql:
                checks.append(self._sparql(shape, value, focus))
            elif predicate in VALUE_CONSTRAINTS or predicate == SH.hasValue:
                test = c.node_test(shape, predicate, value, "?this")
                checks.append(
                    Check(shape, "node", f"SELECT ?this WHERE {{ {focus} FILTER (!{test}) }}", COMPONENT[predicate])
                )
            elif predicate in (SH.minCount, SH.maxCount, SH.qualifiedValueShape, SH.lessThan, SH.lessThanOrEquals):
                raise Unsupported(f"{predicate} on the node shape {shape}")
        for prop in g.objects(shape, SH.property):
            checks += self._property(shape, prop, focus)
        return checks

    def _property(self, node_shape: Node, shape: Node, focus: str) -> list[Check]:
        g, c = self.shapes, self.compiler
        c.check_keys(shape, nested=False)
        if g.value(shape, SH.deactivated) == Literal(True):
            return []
        path_node = g.value(shape, SH.path)
        if path_node is None:
            raise Unsupported(f"a property shape without sh:path ({shape})")
        path = c.path(path_node)
        checks = []

        def add(kind: str, query: str, component: URIRef, **kw) -> None:
            checks.append(Check(shape, kind, query, component, path=path_node, **kw))

        for predicate, value in g.predicate_objects(shape):
            if predicate == SH.minCount and int(value) > 0:
                n = int(value)
                if n == 1:
                    q = self._missing(focus, f"?this {path} ?x .")
                else:
                    q = self._count(focus, path, "true", f"< {n}")
                add("focus", q, SH.MinCountConstraintComponent)
            elif predicate == SH.maxCount:
                add("focus", self._count(focus, path, "true", f"> {int(value)}"), SH.MaxCountConstraintComponent)
            elif predicate == SH.hasValue:
                q = self._missing(focus, f"?this {path} {_n3(value)} .")
                add("focus", q, SH.HasValueConstraintComponent)
            elif predicate == SH.qualifiedValueShape:
                test = c.value_test(value, "?x")
                least, most = g.value(shape, SH.qualifiedMinCount), g.value(shape, SH.qualifiedMaxCount)
                if least is not None and int(least) == 1:
                    q = self._missing(focus, f"?this {path} ?x . FILTER ({test})")
                    add("focus", q, SH.QualifiedMinCountConstraintComponent)
                elif least is not None and int(least) > 1:
                    add(
                        "focus",
                        self._count(focus, path, test, f"< {int(least)}"),
                        SH.QualifiedMinCountConstraintComponent,
                    )
                if most is not None:
                    add(
                        "focus",
                        self._count(focus, path, test, f"> {int(most)}"),
                        SH.QualifiedMaxCountConstraintComponent,
                    )
            elif predicate in VALUE_CONSTRAINTS:
                test = c.node_test(shape, predicate, value, "?x")
                q = f"SELECT DISTINCT ?this ?x WHERE {{ {focus} ?this {path} ?x . FILTER (!{test}) }}"
                add("value", q, COMPONENT[predicate])
            elif predicate == SH.property:
                test = c.value_test(value, "?x")
                q = f"SELECT DISTINCT ?this ?x WHERE {{ {focus} ?this {path} ?x . FILTER (!{test}) }}"
                add("value", q, SH.NodeConstraintComponent)
            elif predicate in (SH.lessThan, SH.lessThanOrEquals):
                q = f"SELECT DISTINCT ?this ?x ?o WHERE {{ {focus} ?this {path} ?x . ?this {_n3(value)} ?o }}"
                add("pair", q, COMPONENT[predicate], operator="<" if predicate == SH.lessThan else "<=")
            elif predicate == SH.sparql:
                raise Unsupported(f"a SPARQL-based constraint on the property shape {shape}")
        return checks

    @staticmethod
    def _missing(focus: str, pattern: str) -> str:
        """The focus nodes for which the pattern has no match. Written as OPTIONAL and !BOUND: Oxigraph
        evaluates that per focus node, where FILTER NOT EXISTS over a path or a join becomes an
        anti-join that grows with the square of the data (2.9 s against 13 ms at 1,000 partnerships)."""
        return f"SELECT DISTINCT ?this WHERE {{ {focus} OPTIONAL {{ {pattern} BIND (true AS ?found) }} FILTER (!BOUND(?found)) }}"

    @staticmethod
    def _count(focus: str, path: str, test: str, failing: str) -> str:
        return (
            f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ SELECT ?this (COUNT(DISTINCT ?x) AS ?n) WHERE {{ "
            f"{focus} ?this {path} ?x . FILTER ({test}) }} GROUP BY ?this }} FILTER (COALESCE(?n, 0) {failing}) }}"
        )

    def _sparql(self, shape: Node, constraint: Node, focus: str) -> Check:
        g = self.shapes
        if g.value(constraint, SH.deactivated) == Literal(True):
            return Check(shape, "skip", "", SH.SPARQLConstraintComponent)
        select = g.value(constraint, SH.select)
        if select is None:
            raise Unsupported(f"a SPARQL constraint without sh:select ({constraint})")
        text = str(select)
        if re.search(r"\$(shapesGraph|currentShape|PATH)\b", text):
            raise Unsupported(f"$shapesGraph, $currentShape or $PATH in {constraint}")
        text = rewrite_not_exists(text.replace("$this", "?this"))
        start = text.find("{")
        head = text[:start]
        if (
            start < 0
            or not re.match(r"\s*SELECT\b", head, re.IGNORECASE)
            or re.search(r"\bGROUP\s+BY\b", text[text.rfind("}") :], re.I)
        ):
            raise Unsupported(f"a SPARQL constraint that is not a plain SELECT ({constraint})")
        if not re.search(r"\?this\b|\*", head):
            head = re.sub(r"^(\s*SELECT\s+(?:DISTINCT\s+|REDUCED\s+)?)", r"\1?this ", head, flags=re.IGNORECASE)
        # The focus nodes join the query's own top-level group, first: $this is bound before the
        # group's filters (FILTER NOT EXISTS { ... $this ... }) see it, as pre-binding would do; and
        # the groups written plainly in it, which Oxigraph then starts from the focus nodes too.
        query = self._prologue(constraint) + head + join_into_groups(text[start:], focus)
        return Check(shape, "sparql", query, SH.SPARQLConstraintComponent, constraint=constraint)

    def _prologue(self, node: Node) -> str:
        """The PREFIX lines for a SPARQL target or constraint: the project's, then those its
        sh:prefixes declare (sh:declare with sh:prefix and sh:namespace)."""
        g = self.shapes
        declared = [
            f"PREFIX {g.value(d, SH.prefix)}: <{g.value(d, SH.namespace)}>\n"
            for holder in g.objects(node, SH.prefixes)
            for d in g.objects(holder, SH.declare)
        ]
        return self.prologue + "".join(sorted(declared))

    def for_run(self) -> Engine:
        """This engine with a term cache of its own, for one run: the compiled checks are shared."""
        run = copy.copy(self)
        run._terms = {}
        return run

    def _term(self, term: object) -> Node:
        """The rdflib term for an Oxigraph one, converted once per run."""
        found = self._terms.get(term)
        if found is None:
            found = self._terms[term] = to_rdflib(term)
        return found

    # ------------------------------------------------------------------ targets
    def _plan(self) -> dict[Node, list[tuple[Node | None, str]]]:
        """Each node shape's target queries, with the sh:target node each comes from (None for the
        others): worked out once, with the checks (per run, 36 ms of a one-partnership run's 150)."""
        g = self.shapes
        rdfs_sub = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
        plan: dict[Node, list[tuple[Node | None, str]]] = {}  # shape: (sh:target node or None, query)
        for shape in self.node_shapes:
            queries: list[tuple[Node | None, str]] = []
            for cls in g.objects(shape, SH.targetClass):
                queries.append((None, f"SELECT DISTINCT ?this WHERE {{ ?this a/{rdfs_sub}* {_n3(cls)} }}"))
            if (shape, RDF.type, URIRef("http://www.w3.org/2000/01/rdf-schema#Class")) in g:
                queries.append((None, f"SELECT DISTINCT ?this WHERE {{ ?this a/{rdfs_sub}* {_n3(shape)} }}"))
            for p in g.objects(shape, SH.targetSubjectsOf):
                queries.append((None, f"SELECT DISTINCT ?this WHERE {{ ?this {_n3(p)} [] }}"))
            for p in g.objects(shape, SH.targetObjectsOf):
                queries.append((None, f"SELECT DISTINCT ?this WHERE {{ [] {_n3(p)} ?this }}"))
            for target in g.objects(shape, SH.target):
                query = g.value(target, SH.select)
                if query is None:
                    raise Unsupported(f"a target of {shape} that is not a SPARQL-based target")
                queries.append((target, self._prologue(target) + rewrite_not_exists(str(query))))
            plan[shape] = queries
        return plan

    def targets(self, store: ox.Store) -> tuple[dict[Node, list[Node]], dict[Node, list[Node]]]:
        """Each node shape's focus nodes, and each sh:target's. Each distinct target query runs once
        (shapes often share one: a framework's partnerships), the queries in parallel."""
        g, plan = self.shapes, self.plan
        distinct = list(dict.fromkeys(q for queries in plan.values() for _, q in queries))
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            answers = dict(zip(distinct, pool.map(lambda q: list(store.query(q)), distinct), strict=True))
        selected = {
            q: list(dict.fromkeys(self._term(row[0]) for row in rows if row[0] is not None))  # type: ignore[index]
            for q, rows in answers.items()
        }
        by_target: dict[Node, list[Node]] = {}
        by_shape: dict[Node, list[Node]] = {}
        for shape, queries in plan.items():
            nodes: list[Node] = list(g.objects(shape, SH.targetNode))
            for target, query in queries:
                nodes += selected[query]
                if target is not None:
                    by_target[target] = selected[query]
            by_shape[shape] = list(dict.fromkeys(nodes))
        return by_shape, by_target

    # ------------------------------------------------------------------ run
    def run(self, store: ox.Store, focus: dict[Node, list[Node]]) -> list[Result]:
        """Validate: `focus` gives each node shape's focus nodes (from `targets`, perhaps narrowed);
        the store holds the data in its default graph. Returns the results in shape order."""
        with self.checking(store, focus) as found:
            return [result for results in found for result in results]

    @contextmanager
    def checking(self, store: ox.Store, focus: dict[Node, list[Node]]) -> Iterator[Iterator[list[Result]]]:
        """run(), as each check's results in check order, read while the later checks' queries run:
        the caller's work on the results (a full run's findings) goes on beside them.

        The queries go to a pool, and Oxigraph writes each answer as TSV there, none of it holding
        Python's lock; this thread reads the answers back (at 10,000 partnerships 157,516 rows in
        0.9 s). Rows read into Python objects in the pool would each want the lock: with this thread
        busy in Python, the queries took 109 s instead of 6.8 s. What the pool has not started when the
        caller leaves is not run, and the focus graph goes once the pool is done."""
        graph = ox.NamedNode(FOCUS_GRAPH)
        from ..store.terms import from_rdflib

        store.remove_graph(graph) if graph in store.named_graphs() else None
        # shapes with the same focus nodes (most share a target: a framework's partnerships, every
        # meeting) share one shape's marker: at 10,000 partnerships 171,268 quads instead of 428,768
        shared: dict[tuple[Node, ...], str] = {}
        marker_of = {
            self.ids[shape]: shared.setdefault(tuple(nodes), self.ids[shape])
            for shape, nodes in focus.items()
            if shape in self.ids
        }
        marker = ox.NamedNode(FOCUS_OF)
        store.extend(
            ox.Quad(from_rdflib(node), marker, ox.NamedNode(iri), graph)  # type: ignore[arg-type]
            for nodes, iri in shared.items()
            for node in nodes
        )
        checks = [check for check in self.checks if check.kind != "skip"]

        def fetch(check: Check) -> bytes:
            query = check.query if check.kind == "sparql" else self.prologue + check.query
            sharing = marker_of.get(check.marker, check.marker)
            if sharing != check.marker:  # a whole IRI in the query: <...shape:N>, not a prefix of another
                query = query.replace(f"<{check.marker}>", f"<{sharing}>")
            return store.query(query).serialize(format=_TSV)  # type: ignore[union-attr]

        def evaluated(answers: list[Future[bytes]]) -> Iterator[list[Result]]:
            for check, answer in zip(checks, answers, strict=True):
                solutions = ox.parse_query_results(answer.result(), format=_TSV)
                variables = [v.value for v in solutions.variables]  # type: ignore[union-attr]
                yield self._evaluate(check, variables, list(solutions))  # type: ignore[arg-type]

        pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1))
        try:
            yield evaluated([pool.submit(fetch, check) for check in checks])
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            store.remove_graph(graph)

    def _evaluate(self, check: Check, variables: list[str], rows: list[ox.QuerySolution]) -> list[Result]:
        g = self.shapes
        shape = check.shape
        severity = g.value(shape, SH.severity) or SH.Violation
        messages = list(g.objects(shape, SH.message)) or [
            Literal(f"Fails {check.component.rsplit('#', 1)[-1].removesuffix('ConstraintComponent')} of {shape.n3()}")
        ]
        out = []
        if check.kind == "focus":
            for row in rows:
                out.append(Result(self._term(row[0]), shape, check.component, severity, check.path, None, messages))
        elif check.kind == "node":
            for row in rows:
                node = self._term(row[0])
                out.append(Result(node, shape, check.component, severity, None, node, messages))
        elif check.kind == "value":
            for row in rows:
                out.append(
                    Result(
                        self._term(row[0]), shape, check.component, severity, check.path, self._term(row[1]), messages
                    )
                )
        elif check.kind == "pair":
            for row in rows:
                value, other = self._term(row[1]), self._term(row[2])
                if not _in_order(value, other, check.operator):
                    out.append(
                        Result(self._term(row[0]), shape, check.component, severity, check.path, value, messages)
                    )
        elif check.kind == "sparql":
            out += self._sparql_results(variables, rows, check, severity)
        return out

    def _sparql_results(
        self, variables: list[str], rows: list[ox.QuerySolution], check: Check, severity: URIRef
    ) -> list[Result]:
        g = self.shapes
        shape = check.shape
        own = list(g.objects(check.constraint, SH.message))
        seen = set()
        out = []
        for row in rows:
            bound = {name: self._term(row[name]) for name in variables if row[name] is not None}
            focus = bound["this"]
            value = bound.get("value", focus)
            path = bound.get("path")
            key = tuple(sorted((k, v) for k, v in bound.items()))
            if key in seen:
                continue
            seen.add(key)
            if "failure" in bound:
                continue
            texts = [Literal(_fill(str(m), bound)) for m in own] or [
                Literal(_fill(str(m), bound)) for m in g.objects(shape, SH.message)
            ]
            out.append(Result(focus, shape, check.component, severity, path, value, texts, check.constraint))
        return out


_XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")


def _in_order(value: Node, other: Node, operator: str) -> bool:
    """sh:lessThan / sh:lessThanOrEquals as pySHACL compares: strings with strings, values with values.
    Two valid xsd:date literals (most pairs: an agenda's date against its latest) compare as dates, as
    rdflib's ordering does, without it (its comparison took 0.5 s of a 10,000-partnership run)."""
    if (
        isinstance(value, Literal)
        and isinstance(other, Literal)
        and value.datatype == _XSD_DATE == other.datatype
        and type(value.value) is date
        and type(other.value) is date
    ):
        return value.value < other.value if operator == "<" else value.value <= other.value
    as_text = [isinstance(n, URIRef) or (isinstance(n, Literal) and isinstance(n.value, str)) for n in (value, other)]
    if as_text[0] != as_text[1]:
        return False
    a = str(value) if as_text[0] else value
    b = str(other) if as_text[1] else other
    try:
        return bool(a < b) if operator == "<" else bool(a <= b)
    except TypeError:
        return False


def _fill(message: str, bound: dict[str, Node]) -> str:
    """A SPARQL-based constraint's message with {?var} and {$var} replaced by the row's values."""
    for name, value in bound.items():
        message = re.sub("{[?$]" + re.escape(name) + "}", lambda _m, v=value: str(v), message)
    return message
