"""A local HTTP server playing OpenSearch for the wire-contract tests (no OpenSearch can run
here). It records every request opensearch-py sends and answers as OpenSearch 2.x documents:
index creation and deletion acks, ``_bulk`` items, ``_alias``/``_aliases``, ``_refresh``, and
``_search`` responses that each test scripts. Aliases and documents are kept as state, so a
sequence of requests (create, bulk, swap, delete) gets consistent answers."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: Any  # a JSON document, a list of NDJSON lines, or None

    @property
    def lines(self) -> list[dict[str, Any]]:
        assert isinstance(self.body, list), f"{self.method} {self.path} had no NDJSON body"
        return self.body


Response = tuple[int, Any]
Responder = Callable[[RecordedRequest], Response]


@dataclass
class OpenSearchStub:
    requests: list[RecordedRequest] = field(default_factory=list)
    aliases: dict[str, set[str]] = field(default_factory=dict)  # alias -> concrete indexes
    indexes: set[str] = field(default_factory=set)
    documents: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # by index
    search_responder: Responder | None = None
    url: str = ""
    server: ThreadingHTTPServer | None = None
    fail_bulk_with: str | None = None  # an error type every indexing item then fails with

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # --- what tests read --------------------------------------------------------------------

    def sent(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, optionally only those with this method and a path matching the
        regular expression ``path`` in full."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method)
            and (path is None or re.fullmatch(path, r.path))
        ]

    def summary(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.requests]

    def respond_to_search(self, responder: Responder | dict[str, Any]) -> None:
        if isinstance(responder, dict):
            document = responder
            self.search_responder = lambda request: (200, document)
        else:
            self.search_responder = responder

    # --- OpenSearch's answers ---------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> Response:
        method, parts = request.method, [p for p in request.path.split("/") if p]
        if method == "HEAD" and parts[:1] == ["_alias"]:
            return (200 if parts[1] in self.aliases else 404), None
        if method == "GET" and parts[:1] == ["_alias"]:
            return self._get_alias(parts[1])
        if method == "POST" and parts == ["_aliases"]:
            return self._update_aliases(request.body)
        if method in {"POST", "PUT"} and parts[-1:] == ["_bulk"]:
            return 200, self._bulk(request.lines)
        if method in {"POST", "GET"} and parts[-1:] == ["_search"]:
            if self.search_responder is None:
                return _error(500, "stub_error", "no _search response scripted")
            return self.search_responder(request)
        if method == "POST" and parts[-1:] == ["_refresh"]:
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if method == "PUT" and len(parts) == 1:
            return self._create_index(parts[0], request.body or {})
        if method == "DELETE" and len(parts) == 1:
            return self._delete_indexes(parts[0].split(","))
        return _error(400, "stub_error", f"no behaviour for {method} {request.path}")

    def _create_index(self, name: str, body: dict[str, Any]) -> Response:
        if name in self.indexes:
            return _error(
                400,
                "resource_already_exists_exception",
                f"index [{name}/Xy1Zq0bNQe2uHh1n3gJk8w] already exists",
                index=name,
            )
        self.indexes.add(name)
        for alias in body.get("aliases", {}):
            self.aliases.setdefault(alias, set()).add(name)
        return 200, {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def _delete_indexes(self, names: list[str]) -> Response:
        missing = [name for name in names if name not in self.indexes]
        if missing:
            return _error(404, "index_not_found_exception", f"no such index [{missing[0]}]")
        for name in names:
            self.indexes.discard(name)
            self.documents.pop(name, None)
            for members in self.aliases.values():
                members.discard(name)
        self.aliases = {alias: members for alias, members in self.aliases.items() if members}
        return 200, {"acknowledged": True}

    def _get_alias(self, alias: str) -> Response:
        if alias not in self.aliases:
            return 404, {"error": f"alias [{alias}] missing", "status": 404}
        return 200, {index: {"aliases": {alias: {}}} for index in sorted(self.aliases[alias])}

    def _update_aliases(self, body: dict[str, Any]) -> Response:
        for action in body["actions"]:
            ((kind, target),) = action.items()
            if kind == "add":
                self.aliases.setdefault(target["alias"], set()).add(target["index"])
            elif kind == "remove":
                self.aliases.get(target["alias"], set()).discard(target["index"])
        self.aliases = {alias: members for alias, members in self.aliases.items() if members}
        return 200, {"acknowledged": True}

    def _resolve(self, name: str) -> str:
        """Writes through an alias land in its one index."""
        members = self.aliases.get(name)
        return sorted(members)[0] if members else name

    def _bulk(self, lines: list[dict[str, Any]]) -> dict[str, Any]:
        items = []
        position = 0
        while position < len(lines):
            ((operation, meta),) = lines[position].items()
            source = lines[position + 1] if operation in {"index", "create"} else None
            position += 1 if source is None else 2
            index = self._resolve(meta["_index"])
            item: dict[str, Any] = {"_index": index, "_id": meta["_id"]}
            if source is not None and self.fail_bulk_with:
                reason = "failed to parse field [published_at] of type [date]"
                item.update(status=400, error={"type": self.fail_bulk_with, "reason": reason})
                items.append({operation: item})
                continue
            stored = self.documents.setdefault(index, {})
            existed = meta["_id"] in stored
            if source is None:
                stored.pop(meta["_id"], None)
                result, status = ("deleted", 200) if existed else ("not_found", 404)
            else:
                stored[meta["_id"]] = source
                result, status = ("updated", 200) if existed else ("created", 201)
            item.update(
                _version=1,
                result=result,
                _shards={"total": 2, "successful": 1, "failed": 0},
                _seq_no=len(items),
                _primary_term=1,
                status=status,
            )
            items.append({operation: item})
        has_errors = any("error" in item for entry in items for item in entry.values())
        return {"took": 7, "errors": has_errors, "items": items}


def _error(status: int, kind: str, reason: str, **extra: str) -> Response:
    cause = {"type": kind, "reason": reason, **extra}
    return status, {"error": {"root_cause": [cause], **cause}, "status": status}


def _parse_body(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def start() -> OpenSearchStub:
    """A stub listening on a free port of 127.0.0.1 (``stub.url``); ``stub.stop()`` ends it."""
    stub = OpenSearchStub()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as urllib3 expects

        def setup(self) -> None:
            super().setup()
            # Headers and body go out as two writes; without this, Nagle's algorithm and the
            # client's delayed ACK add 40 ms to every response.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = RecordedRequest(
                method=self.command,
                path=unquote(parts.path),
                query=dict(parse_qsl(parts.query)),
                body=_parse_body(self.rfile.read(length)),
            )
            stub.requests.append(request)
            status, document = stub.handle(request)
            payload = b"" if document is None else json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the recorded requests are the log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    stub.server = server
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return stub


# --- what OpenSearch computes for a search ----------------------------------------------------
# The stub does not analyse text or evaluate query clauses: a test says which documents match
# (taken from the Postgres backend for the same query). Sorting, ``search_after``, ``size`` and
# the terms/range aggregations are computed from the request as OpenSearch does.

LONG_MAX, LONG_MIN = 2**63 - 1, -(2**63)


def search_response(
    body: dict[str, Any], documents: list[dict[str, Any]], *, index: str
) -> dict[str, Any]:
    sort = body.get("sort", [])
    keyed = [(_sort_values(document, sort), document) for document in documents]
    for position in reversed(range(len(sort))):  # stable sorts, last key first
        keyed.sort(key=lambda pair: pair[0][position], reverse=_is_descending(sort[position]))
    if "search_after" in body:
        keyed = [pair for pair in keyed if _is_after(pair[0], body["search_after"], sort)]
    hits = [
        {"_index": index, "_id": str(document["id"]), "_score": None, "sort": values}
        for values, document in keyed[: body.get("size", 10)]
    ]
    response: dict[str, Any] = {
        "took": 3,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"max_score": None, "hits": hits},
    }
    if body.get("track_total_hits", True) is not False:
        response["hits"]["total"] = {"value": len(documents), "relation": "eq"}
    if "aggs" in body:
        response["aggregations"] = aggregate(body["aggs"], documents)
    return response


def _field_and_options(spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ((name, options),) = spec.items()
    return name, options if isinstance(options, dict) else {"order": options}


def _is_descending(spec: dict[str, Any]) -> bool:
    name, options = _field_and_options(spec)
    return bool(options.get("order", "desc" if name == "_score" else "asc") == "desc")


def _sort_values(document: dict[str, Any], sort: list[dict[str, Any]]) -> list[Any]:
    values = []
    for spec in sort:
        name, options = _field_and_options(spec)
        value = 1.0 if name == "_score" else _numeric(document.get(name))
        if value is None:
            missing = options.get("missing", "_last")
            is_low = (missing == "_first") != _is_descending(spec)
            value = missing if isinstance(missing, int) else (LONG_MIN if is_low else LONG_MAX)
        values.append(value)
    return values


def _numeric(value: Any) -> Any:
    """Dates sort (and come back in ``sort``) as epoch milliseconds."""
    if isinstance(value, str):
        return int(datetime.fromisoformat(value).timestamp() * 1000)
    return value


def _is_after(values: list[Any], after: list[Any], sort: list[dict[str, Any]]) -> bool:
    for value, bound, spec in zip(values, after, sort, strict=True):
        if value != bound:
            return bool(value < bound if _is_descending(spec) else value > bound)
    return False


def _values(document: dict[str, Any], field_name: str) -> list[Any]:
    value = document.get(field_name.removesuffix(".keyword"))
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def aggregate(aggs: dict[str, Any], documents: list[dict[str, Any]]) -> dict[str, Any]:
    result = {}
    for name, definition in aggs.items():
        if "terms" in definition:
            result[name] = _terms(definition, documents)
        elif "range" in definition:
            result[name] = _range(definition["range"], documents)
        else:
            raise AssertionError(f"the stub does not compute {definition}")
    return result


def _terms(definition: dict[str, Any], documents: list[dict[str, Any]]) -> dict[str, Any]:
    terms = definition["terms"]
    groups: dict[Any, list[dict[str, Any]]] = {}
    for document in documents:
        for value in set(_values(document, terms["field"])):
            groups.setdefault(value, []).append(document)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    size = terms.get("size", 10)
    buckets = []
    for key, members in ordered[:size]:
        bucket: dict[str, Any] = {"key": key, "doc_count": len(members)}
        bucket.update(aggregate(definition.get("aggs", {}), members))
        buckets.append(bucket)
    return {
        "doc_count_error_upper_bound": 0,
        "sum_other_doc_count": sum(len(members) for _, members in ordered[size:]),
        "buckets": buckets,
    }


def _range(definition: dict[str, Any], documents: list[dict[str, Any]]) -> dict[str, Any]:
    ranges = sorted(
        definition["ranges"],
        key=lambda r: (r.get("from", float("-inf")), r.get("to", float("inf"))),
    )
    buckets = []
    for bounds in ranges:
        low, high = bounds.get("from", float("-inf")), bounds.get("to", float("inf"))
        bucket: dict[str, Any] = {"key": bounds["key"]}
        if "from" in bounds:
            bucket["from"] = float(bounds["from"])
        if "to" in bounds:
            bucket["to"] = float(bounds["to"])
        bucket["doc_count"] = sum(
            1
            for document in documents
            if any(low <= value < high for value in _values(document, definition["field"]))
        )
        buckets.append(bucket)
    return {"buckets": buckets}
