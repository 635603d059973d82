"""Grading throughput for a class: `./course grade` on fixture learners, serially and with N workers.

    ./course run python bench/grade_class.py [--learners 30] [--workers 2]

The class: loss_functions submissions from tools/fixtures.py, the honest ones in turn (full marks,
a mistake, blank), each a learner of its own, in a scratch course. Prints seconds per submission
with 1 worker and with N, the speedup, the per-notebook overhead (a learner's wall time minus the
time its cells ran: kernel start, imports, nbgrader's own work) and how busy the cores were.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from course_tools import scratch_course  # noqa: E402
from fixtures import ASSIGNMENT, HONEST, hand_in  # noqa: E402


def cpu_seconds():
    """Busy CPU seconds of the whole machine so far (Linux's /proc/stat), or None."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def grade(course, workers):
    start, cpu = time.monotonic(), cpu_seconds()
    out = subprocess.run([sys.executable, "tools/grade.py", ASSIGNMENT, "--workers", str(workers)], cwd=course,
                         capture_output=True, text=True, check=True).stdout
    wall = time.monotonic() - start
    busy = cpu_seconds() - cpu if cpu else None
    per = [(float(a), float(b)) for a, b in re.findall(r"\] \S+: ([\d.]+) s \(([\d.]+) s in cells", out)]
    scores = re.findall(r"^(learner-\d+)\s+([\d.]+)", out, re.M)
    return wall, per, scores, busy


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        course = scratch_course(Path(tmp) / "course", [ASSIGNMENT])
        builds = list(HONEST.values())
        for i in range(options.learners):
            hand_in(course, f"learner-{i + 1:02d}", builds[i % len(builds)](course))
        print(f"{options.learners} learners of {ASSIGNMENT}, {os.cpu_count()} cores")
        runs = {}
        for workers in (1, options.workers):
            wall, per, scores, busy = grade(course, workers)
            overhead = [w - c for w, c in per]
            runs[workers] = (wall, scores)
            print(f"{workers} worker(s): {wall:.1f} s in all, {wall / options.learners:.2f} s per submission; "
                  f"a learner takes {statistics.median(w for w, _ in per):.1f} s (median), of which "
                  f"{statistics.median(overhead):.1f} s overhead (median; max {max(overhead):.1f} s)"
                  + (f"; {busy / wall:.2f} of {os.cpu_count()} cores busy on average" if busy else ""))
        assert runs[1][1] == runs[options.workers][1], "the scores differ between 1 and N workers"
        print(f"speedup with {options.workers} workers: {runs[1][0] / runs[options.workers][0]:.2f}x "
              f"(scores identical)")


if __name__ == "__main__":
    main()
