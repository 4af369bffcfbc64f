"""Which embedded store? rdflib's memory store against Oxigraph (through partnerkg's own loader,
and bare bulk_load as an anchor), on the same synthetic register: load time, peak memory and three
queries. Each engine runs in its own process so peak memory is its own.

    python bench/store_engines.py [--partnerships 1000 10000] [--out bench/out/store_engines.json]

Prints a Markdown table; the figures go into docs/performance.md by hand with date and machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

PREFIX = (
    "PREFIX pk: <https://w3id.org/partnerkg/def#> PREFIX dcterms: <http://purl.org/dc/terms/> "
    "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
)
QUERIES = {
    "aggregate": PREFIX
    + "SELECT ?p (COUNT(?m) AS ?n) WHERE { ?m pk:meetingOf ?p } GROUP BY ?p ORDER BY DESC(?n) LIMIT 10",
    "date filter": PREFIX + "SELECT (COUNT(*) AS ?n) WHERE { ?m pk:meetingDate ?d ; pk:agenda/dcterms:issued ?i . "
    'FILTER (?d >= "2024-01-01"^^xsd:date && ?d < "2024-04-01"^^xsd:date && ?i > ?d - "P5D"^^xsd:duration) }',
    "one partnership": "SELECT ?p ?o WHERE { <https://w3id.org/partnerkg/id/partnership/p42> ?p ?o }",
}
REPEATS = 5


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_engine(engine: str, data: Path) -> dict:
    """Runs in a child process: load, then each query REPEATS times (median)."""
    base = peak_mib()
    result: dict = {"engine": engine}
    if engine == "rdflib":
        from rdflib import Graph

        graph = Graph()
        result["load_s"] = timed(lambda: graph.parse(data, format="nt"))
        run = lambda q: list(graph.query(q))  # noqa: E731
    else:
        import pyoxigraph

        tmp = tempfile.mkdtemp(prefix="bench-store-")
        if engine == "oxigraph bulk_load":
            store = pyoxigraph.Store(tmp)
            graph_name = pyoxigraph.NamedNode("https://w3id.org/partnerkg/graph/file/register.nt")
            result["load_s"] = timed(lambda: store.bulk_load(path=str(data), to_graph=graph_name))
            run = lambda q: list(store.query(q, use_default_graph_as_union=True))  # noqa: E731
        else:
            from service.ingest.rdf import load_files
            from service.store import EmbeddedStore

            store = EmbeddedStore(tmp)
            result["load_s"] = timed(lambda: load_files(store, [data]))
            run = lambda q: list(store.query(q, union_default_graph=True))  # noqa: E731
    for name, query in QUERIES.items():
        rows = run(query)
        times = [timed(lambda q=query: run(q)) for _ in range(REPEATS)]
        result[name + "_ms"] = statistics.median(times) * 1000
        result[name + "_rows"] = len(rows)
    result["peak_mib"] = peak_mib() - base
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partnerships", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--engines", nargs="+", default=["rdflib", "partnerkg (Oxigraph)", "oxigraph bulk_load"])
    parser.add_argument("--out", type=Path, default=HERE / "out" / "store_engines.json")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_engine(args.child[0], Path(args.child[1]))))
        return 0

    from synthetic import write_register

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.partnerships:
            data = Path(tmp) / f"register-{size}.nt"
            triples = write_register(data, size)
            for engine in args.engines:
                child = subprocess.run(
                    [sys.executable, __file__, "--child", engine, str(data)],
                    capture_output=True,
                    text=True,
                    timeout=1800,
                    check=True,
                )
                row = json.loads(child.stdout.strip().splitlines()[-1])
                row.update(partnerships=size, triples=triples)
                results.append(row)
                print(json.dumps(row), file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {platform.processor() or ''} "
        f"{__import__('os').cpu_count()} cores, Python {platform.python_version()}",
    }
    args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=2), encoding="utf-8")
    print(
        "| partnerships | triples | engine | load s | peak MiB | aggregate ms | date filter ms | one partnership ms |"
    )
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['partnerships']:,} | {r['triples']:,} | {r['engine']} | {r['load_s']:.1f} | {r['peak_mib']:,.0f} "
            f"| {r['aggregate_ms']:.1f} | {r['date filter_ms']:.1f} | {r['one partnership_ms']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
