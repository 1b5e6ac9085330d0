"""The production load test behind `python manage.py loadtest`.

gunicorn (several sync workers, 127.0.0.1) serves a benchmark corpus (IMR_DATA_DIR inside the
benchmark folder, never the site's own data), and a load generator in a separate process sends a
mix of requests at a fixed rate for the whole run: searches, facet clicks, letter pages, the API,
the feed and CSV export now and then, and hostile input. The command prints throughput, latency
per kind of request, errors and memory per worker, and exits 1 on any error.

One job per module:

- plan.py: which URLs, of which kind, expecting which status, in which order;
- client.py: the load generator process (`python -m benchmarks.loadtest client ...`): a coverage
  pass, then the open-loop timed run, one record per request;
- summary.py: error classes and the figures per kind of request;
- report.py: the printed report;
- server.py: the run itself (corpus, gunicorn, the client process, memory per worker).

Our own client rather than locust: see BENCHMARKS.md ("The load client").
"""
