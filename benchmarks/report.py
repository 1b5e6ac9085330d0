"""The printed report: one table per question the benchmark answers, then the goals."""

from __future__ import annotations

from collections.abc import Iterable

ENGINE_LABELS = {
    "ours": "ours (Whoosh, bitset facets)",
    "haystack": "django-haystack + Whoosh as shipped",
    "fts5": "SQLite FTS5 (bm25, GROUP BY)",
    "solr": "Solr 9.10.1 SolrCloud (the Solr backend)",
}


def _table(headers: list[str], rows: Iterable[list[str]]) -> list[str]:
    rows = [list(map(str, row)) for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]

    def line(cells):
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _ms(value) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _ratio(theirs, ours) -> str:
    if not theirs or not ours:
        return "-"
    return f"{theirs / ours:.2f}x"


def _at_a_million(results: dict) -> bool:
    """Whether the issue's 1,000,000-item goals apply to this run instead of the 100,000 ones."""
    return results.get("corpus", {}).get("items", 0) >= 1_000_000


def goals(results: dict) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, met) for each goal of the issue that this run measured."""
    out: list[tuple[str, str, bool | None]] = []
    million = _at_a_million(results)
    search = results.get("search", {})
    ours = search.get("ours", {}).get("latency")
    if ours:
        limit = 500 if million else 100
        out.append((f"search p95 < {limit} ms (mixed set, facets + passages)",
                    f"{_ms(ours['p95'])} ms", ours["p95"] < limit))
        for peer, factor, label in (("haystack", 5, "at least 5x faster than haystack (p95)"),
                                    ("fts5", 1 / 3, "within 3x of SQLite FTS5 (p95)")):
            theirs = search.get(peer, {}).get("latency")
            if theirs:
                ratio = theirs["p95"] / ours["p95"]
                out.append((label, f"{theirs['p95'] / ours['p95']:.2f}x", ratio >= factor))
    build = results.get("build")
    if build:
        rate = build["letters"] / build["wall_seconds"]
        out.append(("bulk ingest >= 200 letters/s", f"{rate:,.0f} letters/s", rate >= 200))
        if million:
            minutes = build["wall_seconds"] / 60
            out.append(("the corpus (database and index) builds in < 1 h",
                        f"{minutes:.1f} min", minutes < 60))
    add = results.get("add")
    if add and not add.get("error"):
        if add["letters"] == 1000:
            out.append(("add 1,000 letters to the large index < 30 s",
                        f"{add['wall_seconds']:.1f} s", add["wall_seconds"] < 30))
    http = results.get("http")
    if http:
        out.append(("gunicorn search pages p95 < 200 ms at 20 req/s",
                    f"{_ms(http['search']['p95'])} ms", http["search"]["p95"] < 200))
        out.append(("gunicorn letter pages p95 < 50 ms",
                    f"{_ms(http['letter']['p95'])} ms", http["letter"]["p95"] < 50))
    return out


def render(results: dict) -> str:
    lines: list[str] = []
    corpus = results["corpus"]
    build = results.get("build", {})
    lines += [
        "== Corpus ==",
        f"items {corpus['items']:,} in {corpus['letters']:,} synthetic letters (seed "
        f"{corpus['seed']}), data folder {corpus['data_dir']}",
        f"machine: {results['machine']['summary']}",
        "",
    ]
    if build:
        parse_rate = build["letters"] / build["parse_seconds"]
        ingest_rate = build["letters"] / build["wall_seconds"]
        if build.get("store_includes_parse"):
            steps = f"parse and database in one pass {build['store_seconds']:.1f} s"
        else:
            steps = (f"parse {build['parse_seconds']:.1f} s, database "
                     f"{build['store_seconds']:.1f} s")
        by_rebuild = build.get("index_path") == "rebuild_index"
        lines += [
            "== Parse and ingest ==",
            f"parse only:   {parse_rate:,.0f} letters/s",
            f"bulk ingest:  {ingest_rate:,.0f} letters/s ({build['letters']:,} letters in "
            f"{build['wall_seconds']:.1f} s: {steps}, index {build['index_seconds']:.1f} s"
            + (" by rebuild_index" if by_rebuild else "") + ")",
        ]
        add = results.get("add")
        if add and add.get("error"):
            lines.append(f"add {add['letters']:,} letters: not measured ({add['error']})")
        elif add:
            lines.append(
                f"add {add['letters']:,} letters to the {add['items_before']:,}-item index: "
                f"{add['wall_seconds']:.1f} s ({add['letters'] / add['wall_seconds']:,.0f} "
                f"letters/s; index {add['index_seconds']:.1f} s)"
            )
        lines.append("")
        lines += ["== Index size on disk =="]
        size_rows = [["ours: Whoosh index", f"{build['index_mb']:,.0f} MB"],
                     ["ours: SQLite database", f"{build['database_mb']:,.0f} MB"]]
        for peer, info in results.get("peers_build", {}).items():
            size_rows.append([f"{peer} index", f"{info['size_mb']:,.0f} MB"])
        lines += _table(["what", "size"], size_rows) + [""]

    search = results.get("search", {})
    if search:
        ours = search.get("ours", {}).get("latency", {})
        lines += [
            "== Search latency, in-process (ms; 20 hits with passages + all facet counts) ==",
        ]
        rows = []
        for engine, info in search.items():
            lat = info["latency"]
            build_info = results.get("peers_build", {}).get(engine, {})
            rows.append([
                ENGINE_LABELS.get(engine, engine), _ms(lat["p50"]), _ms(lat["p95"]),
                _ms(lat["p99"]), _ms(lat["max"]), _ms(info["cold_first_query_ms"]),
                "1.00x" if engine == "ours" else _ratio(lat["p50"], ours.get("p50")),
                "1.00x" if engine == "ours" else _ratio(lat["p95"], ours.get("p95")),
                f"{info['peak_rss_mb']:,.0f}",
                f"{build_info['seconds']:,.0f}" if build_info else "-",
            ])
        lines += _table(
            ["engine", "p50", "p95", "p99", "max", "cold 1st", "p50 vs ours", "p95 vs ours",
             "peak MB", "build s"],
            rows,
        )
        cut = {e: i.get("timed_out", 0) for e, i in search.items() if i.get("timed_out")}
        if cut:
            lines.append("answers stopped by a time limit (counts partial): " + ", ".join(
                f"{engine} {n}" for engine, n in cut.items()))
        cached = search.get("ours", {}).get("cached_latency")
        samples = search.get("ours", {}).get("latency", {}).get("count")
        lines.append(
            f"({samples} timed searches per engine; ratios are the peer's time over ours, so "
            "above 1 means ours is faster. Ours runs with its result cache emptied before each "
            "query; searcher and facet tables warm.)"
        )
        if cached:
            lines.append(
                f"ours with its result cache (a repeated query): p50 {_ms(cached['p50'])}, "
                f"p95 {_ms(cached['p95'])} ms"
            )
        vectors = search.get("ours", {}).get("vectors")
        if results.get("ranking") == "words":
            lines.append("every engine ranks by words alone (bench --ranking words)")
        elif vectors:
            lines.append(
                f"ours ranks by words and meaning fused: the query embedded by the model on every "
                f"search (its cache emptied too); {vectors['items']:,} item vectors, random "
                f"stand-ins ({vectors['stand_ins']:,} put by this run): the benchmark never "
                "embeds its synthetic corpus, and a scan costs the same whatever they hold"
            )
        lines.append("")
        lines += ["== Median ms by kind of query =="]
        kinds: dict[str, dict[str, list[float]]] = {}
        for engine, info in search.items():
            for per in info["per_query"].values():
                kinds.setdefault(per["kind"], {}).setdefault(engine, []).append(per["median_ms"])
        engines = list(search)
        rows = []
        for kind, by_engine in kinds.items():
            row = [kind]
            for engine in engines:
                values = sorted(by_engine.get(engine, []))
                row.append(_ms(values[len(values) // 2]) if values else "-")
            rows.append(row)
        lines += _table(["kind", *engines], rows) + [""]
        lines += ["== Matching items per query (a cross-check; * where engines disagree) =="]
        rows = []
        names = list(search.get("ours", next(iter(search.values())))["per_query"])
        for name in names:
            totals = [search[e]["per_query"].get(name, {}).get("total") for e in engines]
            flag = "" if len({t for t in totals if t is not None}) <= 1 else " *"
            rows.append([name + flag, *(f"{t:,}" if t is not None else "-" for t in totals)])
        lines += _table(["query", *engines], rows) + [""]

    http = results.get("http")
    if http:
        lines += [f"== Through gunicorn ({http['workers']} workers on 127.0.0.1, open-loop "
                  f"client at {http['search']['rate']:.0f} requests/s, "
                  f"{http['search']['seconds']:.0f} s per page kind) =="]
        rows = []
        for kind, url in (("search", http["search_url"]), ("letter", http["letter_url"])):
            info = http[kind]
            rows.append([f"{kind} pages ({url})", _ms(info["p50"]), _ms(info["p95"]),
                         _ms(info["p99"]), str(info["count"]), str(info.get("skipped", 0)),
                         ", ".join(f"{k}: {v}" for k, v in info["statuses"].items())])
        lines += _table(
            ["pages", "p50", "p95", "p99", "answered", "skipped", "statuses"], rows
        )
        lines.append("(skipped: not sent because 40 requests were already waiting, i.e. the "
                     "server could not keep up; status 0: no answer within 15 s)")
        lines.append("peak memory: " + ", ".join(
            f"{name} {mb:,.0f} MB" for name, mb in http["peak_rss_mb"].items() if mb
        ))
        lines.append("")

    solr_nodes = results.get("peers_build", {}).get("solr", {}).get("nodes")
    if solr_nodes:
        lines += ["== Solr nodes after the build (collection " +
                  results["peers_build"]["solr"].get("collection", "?") + ") =="]
        lines += _table(
            ["node", "heap used MB", "RSS MB", "peak RSS MB", "index MB"],
            [[url, f"{n['heap_used_mb']:,.0f}", f"{n.get('rss_mb') or 0:,.0f}",
              f"{n.get('peak_rss_mb') or 0:,.0f}", f"{n['index_mb']:,.0f}"]
             for url, n in solr_nodes.items()],
        ) + [""]

    memory_rows = []
    if build:
        memory_rows.append(["bulk ingest (parse + database + index)", build["peak_rss_mb"]])
    if results.get("add", {}).get("peak_rss_mb"):
        memory_rows.append(["add 1,000 letters", results["add"]["peak_rss_mb"]])
    for peer, info in results.get("peers_build", {}).items():
        memory_rows.append([f"{peer}: build", info["peak_rss_mb"]])
    for engine, info in search.items():
        memory_rows.append([f"{engine}: search", info["peak_rss_mb"]])
    if memory_rows:
        lines += ["== Peak memory per process (ru_maxrss) =="]
        lines += _table(["process", "MB"], [[n, f"{mb:,.0f}"] for n, mb in memory_rows]) + [""]

    samples = results.get("samples")
    if samples:
        lines += [
            "== Sample letters ==",
            f"{samples['letters']} letters ({samples['pdf']} PDF, {samples['text']} text): "
            f"extract {samples['extract_per_second']:,.1f} letters/s, parse "
            f"{samples['parse_per_second']:,.0f} letters/s, ingest end to end "
            f"{samples['ingest_per_second']:,.1f} letters/s ({samples['ingested']} ingested, "
            f"{samples['rejected']} rejected, {samples['items_indexed']} items indexed)",
        ]
        pdfs = samples.get("real_pdfs")
        if pdfs:
            lines += [
                f"real PDFs end to end: {pdfs['letters_per_second']:,.1f} letters/s "
                f"({pdfs['pdf_letters']} PDFs in {pdfs['seconds']:.1f} s: read, parse, store, "
                f"index, the index {pdfs.get('index_seconds', 0):.1f} s of it); pypdf's "
                f"extraction alone over the same {pdfs['pypdf_files']} files: "
                f"{pdfs['pypdf_per_second']:,.1f} letters/s; ratio {pdfs['ratio_to_pypdf']:.2f}x; "
                f"peak memory {pdfs['peak_rss_mb']:,.0f} MB (storing, indexing), "
                f"{pdfs['worker_peak_rss_mb']:,.0f} MB (a reader process)",
            ]
        lines += [""]

    checks = goals(results)
    if checks:
        size = "1,000,000" if _at_a_million(results) else "100,000"
        lines += [f"== Goals (issue 5, as set for {size} items) =="]
        lines += _table(
            ["goal", "measured", "met"],
            [[g, m, "yes" if ok else "NO"] for g, m, ok in checks],
        )
    return "\n".join(lines) + "\n"
