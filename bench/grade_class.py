"""Grading throughput for a class: `./course grade` on fixture learners, serially and with N workers.

    ./course run python bench/grade_class.py [--learners 30] [--workers 2]

The class: loss_functions submissions from tools/fixtures.py, the honest ones in turn (full marks,
a mistake, blank), each a learner of its own, in a scratch course. Prints seconds per submission
with 1 worker and with N, the speedup, and the per-notebook overhead: a learner's wall time
minus the time its cells ran (kernel start, imports, nbgrader's own work).
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


def grade(course, workers):
    start = time.monotonic()
    out = subprocess.run([sys.executable, "tools/grade.py", ASSIGNMENT, "--workers", str(workers)], cwd=course,
                         capture_output=True, text=True, check=True).stdout
    wall = time.monotonic() - start
    per = [(float(a), float(b)) for a, b in re.findall(r"\] \S+: ([\d.]+) s \(([\d.]+) s in cells", out)]
    scores = re.findall(r"^(learner-\d+)\s+([\d.]+)", out, re.M)
    return wall, per, scores


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
            wall, per, scores = grade(course, workers)
            overhead = [w - c for w, c in per]
            runs[workers] = (wall, scores)
            print(f"{workers} worker(s): {wall:.1f} s in all, {wall / options.learners:.2f} s per submission; "
                  f"a learner takes {statistics.median(w for w, _ in per):.1f} s (median), of which "
                  f"{statistics.median(overhead):.1f} s overhead (median; max {max(overhead):.1f} s)")
        assert runs[1][1] == runs[options.workers][1], "the scores differ between 1 and N workers"
        print(f"speedup with {options.workers} workers: {runs[1][0] / runs[options.workers][0]:.2f}x "
              f"(scores identical)")


if __name__ == "__main__":
    main()
