"""Pages for policy staff and the JSON API, through Flask's test client, on the sample with one run."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from service import create_app
from service.compliance.validate import validate
from service.namespaces import ID
from service.queries.saved import saved_queries
from service.settings import Settings


@pytest.fixture(scope="module")
def web(sample_store, tmp_path_factory):
    validate(sample_store, as_at=date(2026, 11, 22))
    settings = Settings.load({}, tokens=str(tmp_path_factory.mktemp("t") / "t.json"))
    return create_app(settings, store=sample_store).test_client()


def test_dashboard_counts_and_compliance_by_framework(web):
    page = web.get("/").get_data(as_text=True)
    assert "<strong>8</strong>partnerships" in page
    assert "Cambridge City Council: The Council&#39;s Principles for Partnership Working" in page
    assert 'class="bar"' in page


def test_partnerships_search_and_filters(web):
    everything = web.get("/partnerships").get_data(as_text=True)
    assert everything.count('<a href="/id/partnership/') == 8
    cambridge = web.get("/partnerships", query_string={"q": "cambridge"}).get_data(as_text=True)
    assert cambridge.count('<a href="/id/partnership/') == 4
    closed = web.get("/partnerships", query_string={"status": "closed"}).get_data(as_text=True)
    assert "Cumbria Local Enterprise Partnership" in closed and closed.count('<a href="/id/partnership/') == 1
    by_council = web.get("/partnerships", query_string={"council": "Cambridge City Council"}).get_data(as_text=True)
    assert by_council.count('<a href="/id/partnership/') == 4
    csp_breaches = web.get(
        "/partnerships", query_string={"breach": "Cumbria Strategic Partnership: Principles of Partnership Working"}
    )
    assert csp_breaches.get_data(as_text=True).count('<a href="/id/partnership/') == 1
    faith = web.get("/partnerships", query_string={"sector": "faith sector"}).get_data(as_text=True)
    assert faith.count('<a href="/id/partnership/') == 2  # the CSP (Churches Together) and the CCSP (Inter-Faith Group)


def test_obligations_page_shows_shapes_and_breaches(web):
    page = web.get("/obligations").get_data(as_text=True)
    assert page.count('<a href="/obligation/') == 50
    # CAM-4c: broken by the Community Safety Partnership only, met by the three other Cambridge partnerships
    row = page[page.index('<a href="/obligation/CAM-4c">') :].split("</tr>")[0]
    assert '<td class="n">3</td><td class="n s-not-met">1</td>' in row
    assert 'href="/shape/CAM-4c"' in page


def _framework_rows(page: str) -> dict[str, tuple[int, int]]:
    """The dashboard's violations and warnings by framework."""
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
    cells = [[c.split(">", 1)[1] for c in r.split("</td>")[:4]] for r in rows]
    return {c[0]: (int(c[2]), int(c[3])) for c in cells}


def test_runs_page_and_diff(web, sample_store):
    before = _framework_rows(web.get("/").get_data(as_text=True))
    later = validate(sample_store, as_at=date(2025, 6, 30))
    # the dashboard counts the latest run's findings (each report graph counted once per process)
    after = _framework_rows(web.get("/").get_data(as_text=True))
    assert after != before and sum(v for v, _ in after.values()) == sum(
        f.severity == "Violation" for f in later.findings
    )
    assert sum(w for _, w in after.values()) == sum(f.severity == "Warning" for f in later.findings)
    runs = web.get("/api/runs").get_json()
    first, second = runs[-2]["id"], runs[-1]["id"]
    page = web.get("/runs", query_string={"a": first, "b": second}).get_data(as_text=True)
    assert "<h3>resolved" in page and "<h3>new" in page
    # a run that found what the first found shares its report graph: the pages and the API follow it
    third = validate(sample_store, as_at=date(2026, 11, 22)).id
    runs = web.get("/api/runs").get_json()
    assert runs[-1]["id"] == third and runs[-1]["report_graph"] == runs[-3]["report_graph"]
    rows = web.get("/api/findings", query_string={"run": third}).get_json()
    assert rows and rows == web.get("/api/findings", query_string={"run": first}).get_json()
    page = web.get("/runs", query_string={"a": first, "b": third}).get_data(as_text=True)
    assert "<h3>resolved (0)" in page and "<h3>new (0)" in page
    # the latest run's violations by partnership are read from the graph it names
    assert sum(p["violations"] for p in web.get("/api/partnerships").get_json()) == sum(
        1 for f in rows if f["severity"].endswith("#Violation")
    )


@pytest.mark.parametrize("query", [q.name for q in saved_queries()])
def test_every_saved_query_runs_as_page_and_api(web, query):
    page = web.get(f"/queries/{query}")
    assert page.status_code == 200 and "<table>" in page.get_data(as_text=True)
    api = web.get(f"/api/queries/{query}")
    assert api.status_code == 200 and "results" in api.get_json()


def test_saved_queries_answer_the_questions(web):
    def rows(name, **params):
        return web.get(f"/api/queries/{name}", query_string=params).get_json()["results"]["bindings"]

    assert [r["name"]["value"] for r in rows("observers-who-voted")] == ["Government Office for the North West"]
    assert len(rows("decisions-by-casting-vote")) == 1
    assert {r["name"]["value"] for r in rows("partnerships-without-terms-of-reference")} == {
        "Cambridgeshire Together",
        "Cumbria Local Enterprise Partnership",
        "Cumbria Local Resilience Forum",
    }
    appointments = rows("appointments-of-person")  # Quinn Sampleton's, each once, with its start
    assert sorted((r["to"]["value"], r["role"]["value"]) for r in appointments) == [
        ("Cambridge Community Safety Partnership", "lead member"),
        ("Cambridge Community Safety Partnership", "representative"),
        ("Cambridgeshire Together", "lead member"),
        ("Cambridgeshire Together", "representative"),
        ("Joint Accountability Committee", "representative"),
    ]
    assert {(r["behalf"]["value"], r["start"]["value"]) for r in appointments} == {
        ("Cambridge City Council", "2024-05-23")
    }
    assert not any("end" in r for r in appointments)
    shared = {r["name"]["value"]: int(r["shared"]["value"]) for r in rows("partnerships-sharing-members")}
    assert shared == {  # Cambridgeshire Together's: the county and the city council, not itself
        "Greater Cambridge Partnership": 2,
        "Cambridge Community Safety Partnership": 1,
        "Cambridgeshire and Peterborough Local Resilience Forum": 1,
    }
    csp = str(ID) + "partnership/cambridge-community-safety-partnership"
    assert {
        r["name"]["value"]: int(r["shared"]["value"]) for r in rows("partnerships-sharing-members", partnership=csp)
    }["Cambridgeshire and Peterborough Local Resilience Forum"] == 2  # the city council and the constabulary
    csv_text = web.get("/api/queries/council-resources", query_string={"format": "csv"}).get_data(as_text=True)
    assert list(csv.DictReader(io.StringIO(csv_text)))[0].keys() >= {"partnership", "year", "kind", "total"}
    bad = web.get("/api/queries/bodies-sharing-partnerships", query_string={"more_than": "many"})
    assert bad.status_code == 400 and "more_than" in bad.get_json()["error"]
    assert web.get("/api/queries/no-such-query").status_code == 404


def test_every_saved_query_has_a_title_and_parses(sample_store):
    import pyoxigraph

    for query in saved_queries():
        assert query.title and query.description, query.name
        pyoxigraph.Store().query(query.text, prefixes=__import__("service.namespaces", fromlist=["PREFIXES"]).PREFIXES)


def test_json_api_and_openapi(web):
    partnerships = web.get("/api/partnerships").get_json()
    assert len(partnerships) == 8 and all("violations" in p for p in partnerships)
    assert any(b["name"] == "Cumbria CVS" for b in web.get("/api/bodies").get_json())
    assert any(p["name"] == "Cllr Quinn Sampleton" for p in web.get("/api/people").get_json())
    latest = web.get("/api/findings").get_json()
    assert latest
    bad = web.get("/api/findings", query_string={"run": "no-such-run> } #"})
    assert bad.status_code == 404 and "no-such-run" in bad.get_json()["error"]
    spec = web.get("/api/openapi.json").get_json()
    documented = set(spec["paths"])
    routes = {
        r.rule.replace("<name>", "{name}") for r in web.application.url_map.iter_rules() if r.rule.startswith("/api/")
    }
    assert routes - {"/api/openapi.json"} <= documented


def test_a_partnership_page_has_everything_policy_staff_ask_for(web):
    page = web.get("/id/partnership/cambridge-community-safety-partnership").get_data(as_text=True)
    assert '<a href="/obligation/CAM-4c">CAM-4c</a>' in page
    assert "Agendas and reports can be accessed from the council" in page  # the seed text of the clause
    assert '<td class="Violation">2025-04-16 (3 days)</td>' in page  # the Easter agenda, flagged
    assert "2025-04-14" in page  # the latest date it could have gone up
    assert "Cllr Quinn Sampleton" in page and "lead member" in page
    assert "2026-27" in page and "Scorecard" in page
    csp = web.get("/id/partnership/cumbria-strategic-partnership").get_data(as_text=True)
    assert "Jointly commission a county-wide social prescribing service" in csp and "<td>for</td>" in csp
    assert "CSP CLB" in csp and "Government Office for the North West" in csp


def test_an_organisation_page_shows_who_it_sits_with(web):
    page = web.get("/id/organisation/cumbria-cvs").get_data(as_text=True)
    assert "Cumbria Strategic Partnership" in page
    assert "Cumbria Constabulary" in page and "Who it sits with" in page
    seats = page.split("Partnerships it sits on", 1)[1].split("Who it sits with", 1)[0]
    assert "Cambridge" not in seats  # a Cumbrian body sits on no Cambridgeshire partnership


def test_partnerships_of_a_council_by_every_route(web):
    rows = web.get("/api/queries/partnerships-of-council").get_json()["results"]["bindings"]
    routes = {(r["name"]["value"], r["how"]["value"]) for r in rows}
    assert ("Cambridgeshire Together", "member") in routes and ("Cambridgeshire Together", "appointments") in routes
    assert ("Cambridge Community Safety Partnership", "administers") in routes
    assert not any("Cumbria" in name for name, _ in routes)


def test_the_sparql_editor_page_points_at_our_endpoint(web):
    page = web.get("/query").get_data(as_text=True)
    assert "vendor/yasgui/yasgui.min.js" in page and 'window.location.origin + "/sparql"' in page
    assert "PREFIX pk: <https://w3id.org/partnerkg/def#>" in page.replace("\\u003c", "<").replace("\\u003e", ">")
    script = web.get("/static/vendor/yasgui/yasgui.min.js")
    assert script.status_code == 200
    script.close()


def test_a_person_page_lists_every_appointment(web):
    page = web.get("/id/person/quinn-sampleton").get_data(as_text=True)
    assert page.count("<tr><td><a href=") == 5  # lead member counts once, not also as representative


def test_the_network_view_draws_who_sits_with_whom(web):
    page = web.get("/network").get_data(as_text=True)
    assert "<svg" in page and page.count("<line ") >= 20
    assert "Cumbria CVS" in page and '<a href="/id/organisation/cumbria-cvs">' in page
