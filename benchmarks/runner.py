"""The parent side of `bench`: build what is missing, run each measured phase in a child process.

Children are `manage.py bench --phase NAME` with IMR_DATA_DIR set to a folder inside the
benchmark's data folder, so nothing here can open the user's database or index. A built corpus
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

from benchmarks import datadir, httpload
from benchmarks.peers import haystack_whoosh

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
                 peer_rounds: int, log=print):
        self.data_dir = Path(data_dir).resolve()
        self.items = items
        self.letters = letters
        self.seed = seed
        self.rounds = rounds
        self.peer_rounds = peer_rounds
        self.log = log
        self.project_dir = Path(settings.BASE_DIR)
        self.python = sys.executable

    # --- children -------------------------------------------------------------------------

    def phase(self, name: str, app_folder: Path, **arguments) -> dict:
        out = Path(tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".json")[1])
        command = [self.python, str(self.project_dir / "manage.py"), "bench", "--phase", name,
                   "--phase-out", str(out), "--data-dir", str(self.data_dir)]
        for key, value in arguments.items():
            command += [f"--{key.replace('_', '-')}", str(value)]
        self.log(f"- {name} {' '.join(f'{k}={v}' for k, v in arguments.items())}")
        try:
            subprocess.run(  # noqa: S603 - our own interpreter and manage.py
                command, cwd=self.project_dir, env=datadir.child_environment(app_folder),
                check=True,
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
        target = datadir.peers_dir(self.data_dir) / ("fts5.sqlite3" if peer == "fts5" else peer)
        if built and target.exists():
            return built
        built = self.phase("build-peer", datadir.app_dir(self.data_dir), engine=peer)
        manifest["peers"][peer] = built
        datadir.write_manifest(self.data_dir, manifest)
        return built

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
            sample_letters: Path | None, http_seconds: float) -> dict:
        started = time.perf_counter()
        manifest = self.corpus(rebuild)
        build = manifest["build"]
        results: dict = {
            "machine": machine_summary(),
            "corpus": {"items": build["items"], "letters": build["letters"], "seed": self.seed,
                       "data_dir": str(self.data_dir)},
            "build": build,
            "peers_build": {},
            "search": {},
        }
        app = datadir.app_dir(self.data_dir)
        for peer in peers:
            results["peers_build"][peer] = self.peer_index(manifest, peer)
        results["search"]["ours"] = self.phase("search", app, engine="ours", rounds=self.rounds)
        for peer in peers:
            rounds = self.rounds if peer == "fts5" else self.peer_rounds
            results["search"][peer] = self.phase("search", app, engine=peer, rounds=rounds)
        if add_letters:
            results["add"] = self.add_letters(manifest, add_letters)
        if http:
            from benchmarks.phases import query_set_for_database

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
