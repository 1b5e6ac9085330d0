"""The parent side of `bench`: build what is missing, run each measured phase in a child process.

Children are `manage.py bench --phase NAME` with IMR_DATA_DIR set to a folder inside the
benchmark's data folder, so nothing here can open the user's database or index. The haystack peer
is built and searched by `python -m benchmarks.peers.haystack_whoosh`, a child without our code,
so that it runs on Whoosh as shipped (benchmarks/peers/haystack_whoosh/__init__.py). A built corpus
(and the peers' indexes) is kept with a manifest and reused by later runs with the same size and
seed; "add 1,000 letters" runs on a scratch copy that is deleted afterwards, so the corpus stays
as it was built.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from benchmarks import datadir, httpload, solr
from benchmarks.peers import haystack_whoosh
from benchmarks.phases import PEER_FILES

PEERS = ("haystack", "fts5")


def machine_summary() -> dict:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = int(line.split()[1]) / 1_048_576
    except OSError:
        pass
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "load_average": load,
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "summary": (
            f"{os.cpu_count()} CPUs ({cpu}), {memory_gib or 0:.0f} GiB, Python "
            f"{platform.python_version()}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        ),
    }


class Runner:
    def __init__(self, *, data_dir: Path, items: int, letters: int, seed: int, rounds: int,
                 peer_rounds: int, ranking: str = "hybrid", log=print):
        self.data_dir = Path(data_dir).resolve()
        self.items = items
        self.letters = letters
        self.seed = seed
        self.rounds = rounds
        self.peer_rounds = peer_rounds
        self.ranking = ranking
        self.log = log
        self.project_dir = Path(settings.BASE_DIR)
        self.python = sys.executable

    # --- children -------------------------------------------------------------------------

    def phase(self, name: str, app_folder: Path, *, env: dict | None = None,
              **arguments) -> dict:
        out = Path(tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".json")[1])
        command = [self.python, str(self.project_dir / "manage.py"), "bench", "--phase", name,
                   "--phase-out", str(out), "--data-dir", str(self.data_dir)]
        for key, value in arguments.items():
            command += [f"--{key.replace('_', '-')}", str(value)]
        self.log(f"- {name} {' '.join(f'{k}={v}' for k, v in arguments.items())}")
        try:
            subprocess.run(  # noqa: S603 - our own interpreter and manage.py
                command, cwd=self.project_dir,
                env={**datadir.child_environment(app_folder), **(env or {})}, check=True,
            )
            return json.loads(out.read_text())
        finally:
            out.unlink(missing_ok=True)

    def haystack_phase(self, command: str, **arguments) -> dict:
        """One run of the haystack peer's own process (no Django settings of ours)."""
        out = Path(tempfile.mkstemp(prefix=f"bench-haystack-{command}-", suffix=".json")[1])
        process = [self.python, "-m", "benchmarks.peers.haystack_whoosh", command,
                   "--out", str(out)]
        for key, value in arguments.items():
            process += [f"--{key.replace('_', '-')}", str(value)]
        self.log(f"- haystack {command} (own process, Whoosh as shipped)")
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env["PYTHONUNBUFFERED"] = "1"
        try:
            subprocess.run(  # noqa: S603 - our own interpreter and module
                process, cwd=self.project_dir, env=env, check=True,
            )
            return json.loads(out.read_text())
        finally:
            out.unlink(missing_ok=True)

    # --- the steps ------------------------------------------------------------------------

    def corpus(self, rebuild: bool) -> dict:
        manifest = datadir.read_manifest(self.data_dir)
        wanted = {"items": self.items, "letters": self.letters, "seed": self.seed}
        if not rebuild and manifest.get("corpus") == wanted and manifest.get("build"):
            self.log(f"Reusing the corpus in {self.data_dir}")
            if manifest["build"].get("schema_version") != current_schema_version():
                self.reindex(manifest)
            return manifest
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        datadir.app_dir(self.data_dir).mkdir(parents=True)
        size = f"{self.letters:,} letters" if self.letters else f"{self.items:,} items"
        self.log(f"Building a corpus of {size} in {self.data_dir}")
        build = self.phase("build", datadir.app_dir(self.data_dir), items=self.items,
                           letters=self.letters, seed=self.seed)
        manifest = {"corpus": wanted, "build": build, "peers": {}}
        datadir.write_manifest(self.data_dir, manifest)
        return manifest

    def reindex(self, manifest: dict) -> None:
        """The index was built by another schema version: index the stored letters again."""
        self.log("The corpus's index has an older schema: indexing it again (rebuild_index)")
        build = manifest["build"]
        result = self.phase("reindex", datadir.app_dir(self.data_dir))
        build.update(result)
        parse = 0.0 if build.get("store_includes_parse") else build["parse_seconds"]
        build["wall_seconds"] = parse + build["store_seconds"] + build["index_seconds"]
        build["peak_rss_mb"] = max(build["peak_rss_mb"], result["index_peak_rss_mb"])
        datadir.write_manifest(self.data_dir, manifest)

    def peer_index(self, manifest: dict, peer: str) -> dict:
        built = manifest.setdefault("peers", {}).get(peer)
        target = datadir.peers_dir(self.data_dir) / PEER_FILES[peer]
        if built and target.exists() and (peer != "haystack" or "whoosh" in built):
            return built
        if peer == "haystack":
            built = self.haystack_index(target)
        else:
            built = self.phase("build-peer", datadir.app_dir(self.data_dir), engine=peer)
        manifest["peers"][peer] = built
        datadir.write_manifest(self.data_dir, manifest)
        return built

    def haystack_index(self, target: Path) -> dict:
        """Our process writes the documents, haystack's own process indexes them: the build
        time is both, as the FTS5 peer's is reading the documents and indexing them."""
        documents = datadir.peers_dir(self.data_dir) / "haystack-documents.jsonl"
        documents.parent.mkdir(parents=True, exist_ok=True)
        try:
            written = self.phase("peer-documents", datadir.app_dir(self.data_dir),
                                 documents_path=documents)
            built = self.haystack_phase("build", index=target, documents=documents)
        finally:
            documents.unlink(missing_ok=True)
        seconds = written["seconds"] + built["seconds"]
        return {
            **built,
            "seconds": seconds,
            "items_per_second": built["items"] / seconds if seconds else 0.0,
            "documents_seconds": written["seconds"],
            "index_seconds": built["seconds"],
            "peak_rss_mb": max(written["peak_rss_mb"], built["peak_rss_mb"]),
        }

    def add_letters(self, manifest: dict, count: int) -> dict:
        scratch = datadir.scratch_dir(self.data_dir)
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.copytree(datadir.app_dir(self.data_dir), scratch)
        try:
            return self.phase("add", scratch, seed=self.seed,
                              start=manifest["build"]["letters"], count=count)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def run(self, *, peers: list[str], http: bool, rebuild: bool, add_letters: int,
            sample_letters: Path | None, http_seconds: float,
            backends: tuple[str, ...] = ()) -> dict:
        started = time.perf_counter()
        manifest = self.corpus(rebuild)
        build = manifest["build"]
        results: dict = {
            "machine": machine_summary(),
            "ranking": self.ranking,
            "corpus": {"items": build["items"], "letters": build["letters"], "seed": self.seed,
                       "data_dir": str(self.data_dir)},
            "build": build,
            "peers_build": {},
            "search": {},
        }
        app = datadir.app_dir(self.data_dir)
        for peer in peers:
            results["peers_build"][peer] = self.peer_index(manifest, peer)
        results["search"]["ours"] = self.phase("search", app, engine="ours", rounds=self.rounds,
                                               ranking=self.ranking)
        for peer in peers:
            if peer == "haystack":
                results["search"][peer] = self.haystack_phase(
                    "search", index=datadir.peers_dir(self.data_dir) / PEER_FILES[peer],
                    database=app / "imr.sqlite3", rounds=self.peer_rounds,
                )
            else:
                results["search"][peer] = self.phase("search", app, engine=peer,
                                                     rounds=self.rounds)
        if "solr" in backends:
            # The Solr backend beside ours on the same corpus (benchmarks/solr.py).
            env = solr.environment(build["items"], self.seed)
            results["peers_build"]["solr"] = self.phase("build-solr", app, env=env)
            results["search"]["solr"] = self.phase(
                "search", app, env=env, engine="ours", rounds=self.rounds, ranking=self.ranking
            )
        if add_letters:
            results["add"] = self.add_letters(manifest, add_letters)
        if http:
            from benchmarks.queries import query_set_for_database

            self.log("- gunicorn load test")
            results["http"] = httpload.run_load(
                app, self.project_dir, self.python,
                query_set_for_database(app / "imr.sqlite3"), seconds=http_seconds,
            )
        if sample_letters is not None:
            folder = self.data_dir / "samples"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            try:
                results["samples"] = self.phase("samples", folder, letters_path=sample_letters)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        results["seconds"] = time.perf_counter() - started
        return results


def current_schema_version() -> int:
    from search.engine.whoosh import schema

    return schema.SCHEMA_VERSION


def available_peers(requested: list[str]) -> list[str]:
    chosen = []
    for peer in requested:
        if peer == "haystack" and not haystack_whoosh.available():
            print("bench: django-haystack is not installed; skipping that peer", file=sys.stderr)
            continue
        chosen.append(peer)
    return chosen
