"""Every setting of partnerkg, defined once: name, environment variable, default and a sentence of help.

Settings are read from PARTNERKG_* environment variables; a mapping of overrides (tests, the CLI's
own options) wins over the environment. This module imports nothing of ours.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any


class SettingError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Setting:
    """One row of the settings table."""

    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str

    @property
    def env(self) -> str:
        """The environment variable that sets it."""
        return "PARTNERKG_" + self.name.upper()


def _port(value: str) -> int:
    port = int(value)
    if not 0 < port < 65536:
        raise ValueError(f"{port} is not a TCP port")
    return port


def _counting(value: str) -> str:
    modes = ("clear-working-days", "clear-calendar-days", "lga-1972-s243")
    if value not in modes:
        raise ValueError(f"use one of {', '.join(modes)}")
    return value


def _positive_float(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError(f"{number} is not a positive number")
    return number


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("use true or false")


def _dialect(value: str) -> str:
    if value not in ("oxigraph", "fuseki", "graphdb", "virtuoso"):
        raise ValueError("use oxigraph, fuseki, graphdb or virtuoso")
    return value


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"{number} is not a positive whole number")
    return number


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "store",
        "var/store",
        "Where the data lives: a directory for the embedded store (created if missing), or the http(s) URL of a SPARQL server.",
    ),
    Setting(
        "store_dialect",
        "oxigraph",
        "For a remote store: which server it is (oxigraph, fuseki, graphdb or virtuoso); sets the endpoint paths and quirks.",
        _dialect,
    ),
    Setting("store_query_url", "", "For a remote store: the SPARQL query endpoint, if not where the dialect puts it."),
    Setting(
        "store_update_url", "", "For a remote store: the SPARQL update endpoint, if not where the dialect puts it."
    ),
    Setting("store_gsp_url", "", "For a remote store: the Graph Store endpoint, if not where the dialect puts it."),
    Setting("store_user", "", "For a remote store: the user name for updates and the Graph Store, if it needs one."),
    Setting("store_password", "", "For a remote store: that user's password."),
    Setting("store_batch", 50000, "For a remote store: triples sent in one request of a bulk load.", _positive_int),
    Setting("host", "127.0.0.1", "Address the web service listens on."),
    Setting("port", 8080, "TCP port the web service listens on.", _port),
    Setting("threads", 8, "Worker threads of the WSGI server.", _positive_int),
    Setting("base_iri", "https://w3id.org/partnerkg/id/", "Base IRI of the data's own resources."),
    Setting("log_level", "INFO", "Logging level: DEBUG, INFO, WARNING or ERROR."),
    Setting(
        "agenda_notice_days", 5, "Clear days an agenda must be published before its meeting (CAM-4c).", _positive_int
    ),
    Setting(
        "minutes_days",
        10,
        "Working days after a meeting by which minutes count as 'as soon as possible' (CAM-4d).",
        _positive_int,
    ),
    Setting(
        "officer_limit", 3, "Most council officers that should attend one partnership meeting (CAM-5b).", _positive_int
    ),
    Setting("review_months", 12, "How recent a review, assessment or report must be, in months.", _positive_int),
    Setting(
        "query_timeout",
        30.0,
        "Seconds a SPARQL query may run before it is stopped with an error (503); one Oxigraph is still grouping or sorting runs on in the background to its end.",
        _positive_float,
    ),
    Setting(
        "row_cap",
        100000,
        "Most rows (or triples) a query may return; more is an error, not a cut-off answer.",
        _positive_int,
    ),
    Setting(
        "union_default_graph",
        True,
        "Query the union of all named graphs as the default graph while the store's own default graph is empty (false: always the store's own default graph); with the union, /sparql's GRAPH ?g lists the register's graphs only where a query names them.",
        _boolean,
    ),
    Setting(
        "service_allowlist", "", "Space-separated SPARQL endpoints that SERVICE may call; any other SERVICE is refused."
    ),
    Setting(
        "tokens",
        "",
        "File of hashed bearer tokens for writes (partnerkg token create); empty: beside the store, STORE-tokens.json.",
    ),
    Setting(
        "internal_graphs",
        "https://w3id.org/partnerkg/graph/internal/",
        "Space-separated graph IRIs kept out of every public output (SPARQL, pages, linked data, catalogue, "
        "dumps); an entry ending in / covers every graph under it.",
    ),
    Setting(
        "publisher",
        "partnerkg",
        "Name of the body that publishes the catalogue (the dcat:Catalog's publisher).",
    ),
    Setting("contact_email", "open-data@example.invalid", "Contact point of the published catalogue."),
    Setting("catalog_page_size", 50, "Datasets per page of /catalog (hydra paging).", _positive_int),
    Setting(
        "link_endpoints",
        "ons=http://statistics.data.gov.uk/sparql odc=http://opendatacommunities.org/sparql "
        "wikidata=https://query.wikidata.org/sparql",
        "The open-data publishers `partnerkg link` may ask, as NAME=ENDPOINT pairs: the allowlist.",
    ),
    Setting("link_timeout", 20.0, "Seconds `partnerkg link` waits for a publisher's answer.", _positive_float),
    Setting("max_upload_mb", 64, "Largest request body accepted, in MiB.", _positive_int),
    Setting(
        "day_counting",
        "clear-working-days",
        "How notice days are counted: clear-working-days, clear-calendar-days or lga-1972-s243.",
        _counting,
    ),
)
"""The settings table: README.md's configuration section is tested against it."""


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one process."""

    store: str
    store_dialect: str
    store_query_url: str
    store_update_url: str
    store_gsp_url: str
    store_user: str
    store_password: str
    store_batch: int
    host: str
    port: int
    threads: int
    base_iri: str
    log_level: str
    agenda_notice_days: int
    minutes_days: int
    officer_limit: int
    review_months: int
    query_timeout: float
    row_cap: int
    union_default_graph: bool
    service_allowlist: str
    tokens: str
    internal_graphs: str
    publisher: str
    contact_email: str
    catalog_page_size: int
    link_endpoints: str
    link_timeout: float
    max_upload_mb: int
    day_counting: str

    def is_internal(self, graph: str) -> bool:
        """Whether a named graph is kept out of public outputs."""
        for entry in self.internal_graphs.split():
            if graph == entry or (entry.endswith("/") and graph.startswith(entry)):
                return True
        return False

    def endpoints(self) -> dict[str, str]:
        """The allow-listed publishers `partnerkg link` may ask: name to SPARQL endpoint."""
        pairs = (item.partition("=") for item in self.link_endpoints.split())
        return {name: endpoint for name, _, endpoint in pairs if name and endpoint}

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then the environment, then explicit overrides (None means 'not given')."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            value = setting.default
            if setting.env in environ and environ[setting.env] != "":
                raw = environ[setting.env]
                try:
                    value = setting.parse(raw)
                except ValueError as exc:
                    raise SettingError(f"{setting.env}={raw!r}: {exc}") from exc
            if overrides.get(setting.name) is not None:
                value = overrides[setting.name]
            values[setting.name] = value
        if not values["tokens"]:
            store = values["store"].rstrip("/")
            values["tokens"] = store + "-tokens.json"
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """The settings as a plain mapping."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
