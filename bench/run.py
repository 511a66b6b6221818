"""Benchmark: how long authors and readers wait. Prints a table and writes bench/results.json.

Run with `make bench` (or `.venv/bin/python bench/run.py`). Figures, not pass/fail: nothing here
is a test. Every build is a fresh process, as the README runs it, alternated with the import
floor (`python -c "import jinja2, yaml, markdown"`) so both see the same machine load.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FLOOR = [PYTHON, "-c", "import jinja2, yaml, markdown"]
# Every command runs as on an author's machine: Python keeps compiled modules (__pycache__),
# even where this shell says not to (PYTHONDONTWRITEBYTECODE), or every build would compile
# the project's own modules again while the libraries in the floor come precompiled.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
sys.path.insert(0, str(PROJECT / "tests"))


def run_measured(command: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run command as a fresh process; return its wall time, CPU time (its own and its
    workers') and peak memory (the largest single process, as the OS reports it)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env or ENV
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
    }


def tree_memory_kb(pid: int, field: str) -> int:
    """Return a memory figure of /proc (Rss or Pss) for pid and its child processes, in KB."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(f"{field}:"):
                total += int(line.split()[1])
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:  # gone, or exiting
        return total
    return total + sum(tree_memory_kb(int(child), field) for child in children)


def peak_of_all_processes(command: list[str]) -> dict[str, float]:
    """Run command once, sampling the memory of it and its workers every millisecond; return
    the largest sums seen, in MB. RSS counts a page shared by a forked worker in both
    processes; PSS splits it between them, so their sum is what the machine really holds."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    peaks = {"Rss": 0, "Pss": 0}
    while process.poll() is None:
        for field in peaks:
            peaks[field] = max(peaks[field], tree_memory_kb(process.pid, field))
        time.sleep(0.001)
    return {"rss_sum_mb": peaks["Rss"] / 1024, "pss_sum_mb": peaks["Pss"] / 1024}


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def cold_build(content: Path, runs: int) -> dict:
    """Alternate fresh builds with the import floor; return medians and the ratio.

    A build here is an author's next build: into the existing output folder, with Python's
    and Jinja's compiled caches warm. The first build (no output folder, empty template
    cache) is measured too.
    """
    builds, floors, firsts = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "site"
        command = [PYTHON, str(PROJECT / "build.py"), "--content", str(content), "--out", str(out)]
        run_measured(command)  # warm the page cache once, as an author's second build would
        for _ in range(runs):
            builds.append(run_measured(command))
            floors.append(run_measured(FLOOR))
        pages = sum(1 for _ in out.rglob("*.html"))
        all_processes_mb = peak_of_all_processes(command)
        for index in range(max(3, runs // 2)):
            cache = Path(folder) / f"tmp-{index}"
            cache.mkdir()
            first = command[:-1] + [str(Path(folder) / f"first-{index}")]
            firsts.append(run_measured(first, env={**ENV, "XDG_CACHE_HOME": str(cache)}))
    build, floor = median_of(builds), median_of(floors)
    build.update(all_processes_mb)
    return {
        "build": build,
        "floor": floor,
        "ratio": build["wall_s"] / floor["wall_s"],
        "first_build": median_of(firsts),
        "pages": pages,
        "per_page_ms": 1000 * build["wall_s"] / pages,
    }


# Each speed mechanism of the README's "How a build stays fast", and how a copy of the project
# is made without it: (file, text, replacement). A text no longer found fails the benchmark, so
# this list cannot silently fall behind the code.
MECHANISMS = {
    "YAML parsed in C (libyaml)": [
        ("sipref/load.py", 'getattr(yaml, "CSafeLoader", yaml.SafeLoader)', "yaml.SafeLoader")
    ],
    "every CPU (forked workers)": [
        ("build.py", "processes = usable_cpus()", "processes = 1"),
    ],
    "templates compiled once (bytecode cache)": [
        ("sipref/render.py", "bytecode_cache=template_cache(),", "bytecode_cache=None,")
    ],
    "citations found once per text": [
        ("sipref/model.py", "@functools.lru_cache(maxsize=16384)\n", ""),
    ],
}


def project_without(mechanism: str, target: Path) -> Path:
    """Copy the project's code and content into target, with mechanism taken out."""
    for name in ("sipref", "templates", "content"):
        shutil.copytree(PROJECT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT / "build.py", target / "build.py")
    shutil.copy(PROJECT / "pyproject.toml", target / "pyproject.toml")
    for name, text, replacement in MECHANISMS[mechanism]:
        source = (target / name).read_text()
        if text not in source:
            raise SystemExit(f"bench: {name} no longer holds {text!r}; update MECHANISMS")
        (target / name).write_text(source.replace(text, replacement))
    return target


def mechanism_gains(contents: dict[str, Path], runs: int) -> dict:
    """Return, per mechanism and per content folder, the median cold build with it and
    without it, in alternating runs (ABBA), and the share of the build it saves."""
    gains: dict = {}
    for mechanism in MECHANISMS:
        with tempfile.TemporaryDirectory() as folder:
            without = project_without(mechanism, Path(folder) / "project")
            gains[mechanism] = {}
            for label, content in contents.items():
                commands = {
                    side: [
                        PYTHON,
                        str(root / "build.py"),
                        "--content",
                        str(content),
                        "--out",
                        str(Path(folder) / f"{side}-{label}"),
                    ]
                    for side, root in (("with", PROJECT), ("without", without))
                }
                times: dict[str, list[float]] = {"with": [], "without": []}
                for side in times:  # a first build of each, so both link against a site
                    run_measured(commands[side])
                for index in range(runs):
                    order = ("with", "without") if index % 2 == 0 else ("without", "with")
                    for side in order:
                        times[side].append(run_measured(commands[side])["wall_s"])
                with_s, without_s = (statistics.median(times[s]) for s in ("with", "without"))
                gains[mechanism][label] = {
                    "with_s": with_s,
                    "without_s": without_s,
                    "saves": 1 - with_s / without_s,
                }
    return gains


def synthetic_content(target: Path) -> Path:
    """Write a content/ with every code from 100 to 699, each with long Markdown in every field.

    Every text is different (each code draws on other codes' texts and names itself), so no
    page costs less because another one said the same thing.
    """
    shutil.copytree(PROJECT / "content", target)
    codes = target / "codes"
    models = [yaml.safe_load(p.read_text()) for p in sorted(codes.glob("*.yaml"))]
    for number in range(100, 700):
        pick = [models[(number + step) % len(models)] for step in range(4)]
        mark = f"This paragraph belongs to synthetic code {number}."

        def long(field: str, pick: list[dict] = pick, mark: str = mark) -> str:
            return "\n\n".join(f"{mark} {model[field]}" for model in pick)

        model = dict(pick[0])
        model.update(
            code=number,
            phrase=f"Synthetic Response {number}",
            status="non-standard",
            description=long("description"),
            sent_by=long("sent_by"),
            what_to_do=long("what_to_do"),
            causes=[
                f"{cause} (Seen with code {number}, case {index}.)"
                for index, cause in enumerate(pick[0]["causes"] + pick[1]["causes"])
            ],
            references=[{"rfc": 3261}],
            example=f"SIP/2.0 {number} Synthetic Response {number}\nContent-Length: 0\n",
            related=[{"code": 100 + (number - 99) % 600, "note": "The next code."}],
            headers=[h for h in model["headers"] if h["rfc"] == 3261],
        )
        (codes / f"{number}.yaml").write_text(yaml.safe_dump(model, sort_keys=False))
    return target  # rfcs.yaml as it is: the other files cite RFCs beyond the codes' 3261


def rebuild_while_editing(rounds: int) -> dict:
    """With `build.py serve` running, time from saving 487.yaml to the new page on disk."""
    with tempfile.TemporaryDirectory() as folder:
        content = Path(folder) / "content"
        shutil.copytree(PROJECT / "content", content)
        out = Path(folder) / "site"
        port = free_port()
        server = subprocess.Popen(
            [
                PYTHON,
                str(PROJECT / "build.py"),
                "serve",
                "--content",
                str(content),
                "--out",
                str(out),
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: (out / "codes" / "487.html").is_file(), 30)
            source = content / "codes" / "487.yaml"
            original = source.read_text()
            page = out / "codes" / "487.html"
            times = []
            for index in range(rounds):
                marker = f"Edited summary number {index}."
                saved = time.perf_counter()
                source.write_text(
                    original.replace(original.split("\n")[3], f"summary: {marker}", 1)
                )
                wait_for(lambda m=marker: m in page.read_text(encoding="utf-8"), 10)
                times.append(time.perf_counter() - saved)
                time.sleep(0.3)
        finally:
            server.terminate()
            server.wait()
    return {
        "median_ms": 1000 * statistics.median(times),
        "max_ms": 1000 * max(times),
        "rounds": rounds,
    }


def warm_rebuild(rounds: int) -> dict:
    """In one process, as serve does, rebuild with nothing changed: the floor of an edit."""
    sys.path.insert(0, str(PROJECT))
    from sipref.incremental import Rebuilder

    with tempfile.TemporaryDirectory() as folder:
        rebuild = Rebuilder(PROJECT / "content", PROJECT / "templates", Path(folder) / "site", None)
        rebuild()
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            rebuild()
            times.append(time.perf_counter() - started)
    return {"median_ms": 1000 * statistics.median(times)}


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, seconds: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.002)
    raise SystemExit("timed out waiting for the rebuild")


def page_weight(site: Path) -> dict:
    """Bytes and gzipped bytes of a code page with what it loads, and of the search index."""

    def sizes(paths: list[Path]) -> dict[str, int]:
        raw = sum(p.stat().st_size for p in paths)
        gz = sum(len(gzip.compress(p.read_bytes(), 9, mtime=0)) for p in paths)
        return {"bytes": raw, "gzip_bytes": gz}

    page = [
        site / "codes/487.html",
        site / "static/style.css",
        site / "static/search.js",
        site / "static/copylink.js",
        site / "static/favicon.svg",
    ]
    return {
        "code_page_with_assets": sizes(page),
        "first_paint_blocking": sizes(page[:2]),
        "search_json": sizes([site / "search.json"]),
        "search_on_first_keystroke": sizes(
            [site / "static/search-engine.js", site / "search.json"]
        ),
    }


SEARCH_QUERIES = [
    "487",
    "48",
    "busy here",
    "request terminated",
    "unauthorised",
    "SIP/2.0 503 Service Unavailable",
    "temporarily unavailable",
    "hang up",
    'Reason: Q.850;cause=16;text="Normal call clearing"',
    "AST_CAUSE_NO_ANSWER",
    'Warning: 399 sbc "Media timeout"',
    "X-Asterisk-HangupCauseCode: 58",
    "Min-Expires: 3600",
]

SEARCH_SCRIPT = """([entries, size, queries]) => {
  let pool = entries;
  while (pool.length < size) {
    pool = pool.concat(entries.map((e, i) => ({...e, code: 100 + (pool.length + i) % 600,
      phrase: e.phrase + " variant " + (pool.length + i)})));
  }
  const index = prepare(pool.slice(0, size));
  const times = [];
  for (const query of queries) {
    for (let n = 1; n <= query.length; n++) {
      const started = performance.now();
      for (let r = 0; r < 5; r++) search(index, query.slice(0, n));
      times.push((performance.now() - started) / 5);
    }
  }
  times.sort((a, b) => a - b);
  return {entries: size, keystrokes: times.length,
          median_ms: times[Math.floor(times.length / 2)],
          p95_ms: times[Math.floor(times.length * 0.95)], max_ms: times[times.length - 1]};
}"""


def search_speed(site: Path) -> list[dict]:
    """Time per keystroke of the real search code in Chromium, over growing indexes."""
    from browser import launch
    from playwright.sync_api import sync_playwright

    entries = json.loads((site / "search.json").read_text())["entries"]
    with sync_playwright() as playwright:
        browser = launch(playwright)
        # add_script_tag injects the engine inline, which every page's CSP would block
        page = browser.new_page(bypass_csp=True)
        page.goto((site / "index.html").as_uri())
        page.add_script_tag(path=str(site / "static" / "search-engine.js"))
        page.wait_for_function("typeof search === 'function'")
        results = [
            page.evaluate(SEARCH_SCRIPT, [entries, size, SEARCH_QUERIES])
            for size in (len(entries), 600, 10_000)
        ]
        browser.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="alternating runs (default 7)")
    args = parser.parse_args()
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    results["real_site"] = cold_build(PROJECT / "content", args.runs)
    with tempfile.TemporaryDirectory() as folder:
        results["all_600_codes"] = cold_build(
            synthetic_content(Path(folder) / "content"), max(3, args.runs // 2)
        )
        results["mechanisms"] = mechanism_gains(
            {"real site": PROJECT / "content", "600 codes": Path(folder) / "content"},
            args.runs,
        )
    results["rebuild_while_editing"] = rebuild_while_editing(args.runs)
    results["no_change_rebuild"] = warm_rebuild(args.runs)
    with tempfile.TemporaryDirectory() as folder:
        site, dist = Path(folder) / "site", Path(folder) / "dist"
        subprocess.run(
            [PYTHON, str(PROJECT / "build.py"), "--out", str(site)], check=True, capture_output=True
        )
        subprocess.run(
            [PYTHON, str(PROJECT / "build.py"), "bundle", "--dist", str(dist)],
            check=True,
            capture_output=True,
        )
        results["page_weight"] = page_weight(site)
        [bundle] = dist.glob("*.zip")
        results["page_weight"]["offline_zip_bytes"] = bundle.stat().st_size
        with zipfile.ZipFile(bundle) as archive:
            results["page_weight"]["offline_zip_files"] = len(archive.infolist())
        results["search"] = search_speed(site)
    (PROJECT / "bench" / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print_table(results)
    return 0


def print_table(r: dict) -> None:
    real, big = r["real_site"], r["all_600_codes"]
    weight = r["page_weight"]
    rows = [
        (
            "cold build, real site (median wall)",
            f"{real['build']['wall_s'] * 1000:.0f} ms",
            f"{real['pages']} pages, CPU {real['build']['cpu_s'] * 1000:.0f} ms",
        ),
        (
            "import floor (jinja2, yaml, markdown)",
            f"{real['floor']['wall_s'] * 1000:.0f} ms",
            f"peak {real['floor']['peak_mb']:.1f} MB",
        ),
        ("build / floor", f"{real['ratio']:.2f} x", "target under 3 x"),
        (
            "first build (new output folder, no template cache)",
            f"{real['first_build']['wall_s'] * 1000:.0f} ms",
            "real site",
        ),
        (
            "peak memory, real site",
            f"{real['build']['peak_mb']:.1f} MB",
            f"with workers: PSS {real['build']['pss_sum_mb']:.1f} MB, RSS "
            f"{real['build']['rss_sum_mb']:.1f} MB; target under 60 MB",
        ),
        (
            "cold build, 600 codes",
            f"{big['build']['wall_s'] * 1000:.0f} ms",
            f"{big['per_page_ms']:.2f} ms per page, CPU {big['build']['cpu_s'] * 1000:.0f} ms, "
            "target under 2 s",
        ),
        (
            "peak memory, 600 codes",
            f"{big['build']['peak_mb']:.1f} MB",
            f"with workers: PSS {big['build']['pss_sum_mb']:.1f} MB, RSS "
            f"{big['build']['rss_sum_mb']:.1f} MB; target under 100 MB",
        ),
        (
            "save to page on disk (serve)",
            f"{r['rebuild_while_editing']['median_ms']:.0f} ms",
            f"max {r['rebuild_while_editing']['max_ms']:.0f} ms, target under 50 ms",
        ),
        ("no-change rebuild (serve, warm)", f"{r['no_change_rebuild']['median_ms']:.0f} ms", ""),
        (
            "code page + CSS + JS",
            f"{weight['code_page_with_assets']['bytes']:,} B",
            f"{weight['code_page_with_assets']['gzip_bytes']:,} B gzipped, target under 12 KB",
        ),
        (
            "search.json",
            f"{weight['search_json']['bytes']:,} B",
            f"{weight['search_json']['gzip_bytes']:,} B gzipped, target under 30 KB",
        ),
        (
            "loaded on the first keystroke (engine + index)",
            f"{weight['search_on_first_keystroke']['bytes']:,} B",
            f"{weight['search_on_first_keystroke']['gzip_bytes']:,} B gzipped",
        ),
        (
            "offline zip",
            f"{weight['offline_zip_bytes']:,} B",
            f"{weight['offline_zip_files']} files",
        ),
    ]
    rows += [
        (
            f"search, {s['entries']:,} entries (median per keystroke)",
            f"{s['median_ms']:.3f} ms",
            f"p95 {s['p95_ms']:.3f} ms, max {s['max_ms']:.3f} ms",
        )
        for s in r["search"]
    ]
    # The README keeps a mechanism that saves at least a tenth of either cold build.
    rows += [
        (
            f"{mechanism}, {label}",
            f"{gain['saves'] * 100:+.0f} %",
            f"cold build {gain['with_s'] * 1000:.0f} ms with it, "
            f"{gain['without_s'] * 1000:.0f} ms without",
        )
        for mechanism, by_content in r["mechanisms"].items()
        for label, gain in by_content.items()
    ]
    width = max(len(row[0]) for row in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}")


if __name__ == "__main__":
    sys.exit(main())
