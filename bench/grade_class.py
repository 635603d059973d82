"""Grading throughput for a class: `./course grade` on fixture learners, serially and with N workers.

    ./course run python -m bench.grade_class [--learners 30] [--workers 2] [--repeat 3]

The class: loss_functions submissions from tests/kit/fixtures.py, the honest ones in turn (full marks,
a mistake, blank), each a learner of its own, in a scratch course. Prints seconds per submission
with 1 worker and with N, the speedup, the per-notebook overhead (a learner's wall time minus the
time its cells ran: kernel start, imports, nbgrader's own work) and how busy the cores were; each
pair of runs `--repeat` times, since a shared machine's speed varies, each next to the speedup the
machine itself gives pure CPU work on N processes just then, for comparison.
"""
import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.course import scratch_course
from tests.kit.fixtures import ASSIGNMENT, HONEST, hand_in
from bench.results import recorded


def cpu_seconds():
    """Busy CPU seconds of the whole machine so far (Linux's /proc/stat), or None."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def grade(course, workers):
    """(wall seconds, [(a learner's seconds, of which in cells)], every learner's scores, busy CPU
    seconds) of one `./course grade` run, read from its report (--report)."""
    start, cpu = time.monotonic(), cpu_seconds()
    report = course / "report.jsonl"
    subprocess.run([sys.executable, "-m", "grader.grade", ASSIGNMENT, "--regrade", "--workers", str(workers),
                    f"--report={report}"], cwd=course, capture_output=True, text=True, check=True)
    wall = time.monotonic() - start
    busy = cpu_seconds() - cpu if cpu else None
    learners = [json.loads(line) for line in report.read_text().splitlines()]
    per = [(r["seconds"], r["cell_seconds"]) for r in learners]
    scores = sorted((r["student"], json.dumps(r["scores"], sort_keys=True)) for r in learners)
    return wall, per, scores, busy


def spin(n):
    """Pure CPU work: no memory, no files."""
    total = 0
    for i in range(n):
        total += i
    return total


def machine_speedup(workers, n=20_000_000):
    """How much faster this machine does `workers` pieces of pure CPU work on `workers` processes
    than one after the other: about the most that parallel grading can gain here, just now."""
    def serially():
        start = time.monotonic()
        for _ in range(workers):
            spin(n)
        return time.monotonic() - start

    with multiprocessing.Pool(workers) as pool:
        pool.map(spin, [1] * workers)  # the processes are started before the clock
        before = serially()
        start = time.monotonic()
        pool.map(spin, [n] * workers, chunksize=1)
        parallel = time.monotonic() - start
        after = serially()
    return (before + after) / 2 / parallel


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (the machine's speed varies)")
    parser.add_argument("--write", action="store_true", help="put the numbers in bench/RESULTS.md")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        course = scratch_course(Path(tmp) / "course", [ASSIGNMENT])
        builds = list(HONEST.values())
        for i in range(options.learners):
            hand_in(course, f"learner-{i + 1:02d}", builds[i % len(builds)](course))
        print(f"{options.learners} learners of {ASSIGNMENT}, {os.cpu_count()} cores")
        speedups, ceilings, scores = [], [], set()
        for repeat in range(options.repeat):
            walls = {}
            for workers in (1, options.workers):
                wall, per, found, busy = grade(course, workers)
                overhead = [w - c for w, c in per]
                walls[workers] = wall
                scores.add(tuple(found))
                print(f"{workers} worker(s): {wall:.1f} s in all, {wall / options.learners:.2f} s per submission; "
                      f"a learner takes {statistics.median(w for w, _ in per):.1f} s (median), of which "
                      f"{statistics.median(overhead):.1f} s overhead (median; max {max(overhead):.1f} s)"
                      + (f"; {busy / wall:.2f} of {os.cpu_count()} cores busy on average" if busy else ""))
            speedups.append(walls[1] / walls[options.workers])
            ceilings.append(machine_speedup(options.workers))
            print(f"run {repeat + 1}: speedup with {options.workers} workers {speedups[-1]:.2f}x; pure CPU work on "
                  f"{options.workers} processes, right after: {ceilings[-1]:.2f}x")
        assert len(scores) == 1, "the scores differ between runs"
        print(f"speedup with {options.workers} workers: {statistics.median(speedups):.2f}x (median of {len(speedups)}; "
              f"{min(speedups):.2f}x to {max(speedups):.2f}x), scores identical in every run; this machine's own "
              f"speedup for pure CPU work: {statistics.median(ceilings):.2f}x (median)")


if __name__ == "__main__":
    with recorded("bench/grade_class.py", "Grading a class on local processes", "--write" in sys.argv[1:]):
        main()
