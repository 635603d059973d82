"""Grading through Dask against grading on local processes: the same class, the same number of
workers, on this machine.

    ./course run python -m bench.distributed [--assignment A] [--learners 12] [--workers 2] [--write]

Starts a `dask scheduler` and N `dask worker` processes (one thread each) on 127.0.0.1, grades the
class of honest fixture learners (full marks, a mistake, blank, in turn) once with `./course grade
--workers N` and once with `./course grade --scheduler`, checks that the scores are identical, and
prints the wall times, their ratio, the distributed path's overhead per submission ((distributed
wall - local wall) x N / learners: what each worker spends beyond grading) and, from the measured
cost of one submission, the wall time of 1,000 and 10,000 learners on 10, 100 and 1,000 workers.
With --write the numbers replace this benchmark's section of bench/RESULTS.md.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results import write_section
from grader.course import scratch_course
from tests.kit.course_tools import filled_student_copy
from tests.kit.fixtures import HONEST, hand_in


def grade(course, assignment, *args):
    """(wall seconds, {learner: each cell's score}, [seconds of each learner]) of one `./course grade`
    run, read from its report (--report)."""
    start = time.monotonic()
    report = course / "report.jsonl"
    subprocess.run([sys.executable, "-m", "grader.grade", assignment, "--regrade", f"--report={report}", *args],
                   cwd=course, capture_output=True, text=True, check=True)
    wall = time.monotonic() - start
    learners = [json.loads(line) for line in report.read_text().splitlines()]
    return wall, {r["student"]: r["scores"] for r in learners}, [r["seconds"] for r in learners]


def start_cluster(course, workers):
    env = dict(os.environ, PYTHONPATH=str(course), DASK_DISTRIBUTED__WORKER__DAEMON="False")
    dask = str(Path(sys.executable).parent / "dask")
    info = course / "scheduler.json"
    log = open(course / "dask.log", "w")
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address",
                               "127.0.0.1:0", "--scheduler-file", str(info)], cwd=course, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)]
    while not info.exists():
        time.sleep(0.2)
    address = json.loads(info.read_text())["address"]
    procs += [subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1"], cwd=course, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True) for _ in range(workers)]
    from distributed import Client
    with Client(address) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def hours(seconds):
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def hand_in_class(course, assignment, learners):
    """`learners` learners of `assignment`: the honest fixtures in turn (loss_functions), else the reference solution."""
    import nbformat
    builds = list(HONEST.values()) if assignment == "loss_functions" else [
        lambda c: {f"{assignment}.ipynb": nbformat.writes(filled_student_copy(assignment, f"{assignment}.ipynb", c)).encode()}]
    for i in range(learners):
        folder = hand_in(course, f"learner-{i + 1:02d}", builds[i % len(builds)](course))
        if assignment != folder.name:  # hand_in files under loss_functions
            folder.rename(folder.parent / assignment)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="loss_functions")
    parser.add_argument("--learners", type=int, default=12)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--write", action="store_true", help="write the numbers into bench/RESULTS.md")
    options = parser.parse_args()
    n, w, assignment = options.learners, options.workers, options.assignment
    with tempfile.TemporaryDirectory() as tmp:
        course = scratch_course(Path(tmp) / "course", [assignment])
        hand_in_class(course, assignment, n)
        address, procs = start_cluster(course, w)
        try:
            grade(course, assignment, "--scheduler", address, "--student", "learner-01")  # the workers' fork servers, warm
            local, local_scores, local_per = grade(course, assignment, "--workers", str(w))
            dist, dist_scores, dist_per = grade(course, assignment, "--scheduler", address)
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGKILL)
    assert local_scores == dist_scores and len(local_scores) == n, (local_scores, dist_scores)
    per_submission = local * w / n  # seconds of one worker per learner, grading on this machine
    overhead = (dist - local) * w / n
    lines = [f"{n} learners of {assignment}, {w} workers of one thread each, {os.cpu_count()} cores:",
             f"- local processes (`./course grade --workers {w}`): {local:.1f} s",
             f"- Dask scheduler with {w} workers on 127.0.0.1 (`--scheduler`): {dist:.1f} s",
             f"- ratio distributed / local: {dist / local:.2f}; overhead of the distributed path per submission: "
             f"{overhead:.2f} s; scores identical",
             f"- one submission costs a worker {per_submission:.1f} s here (the class's wall time x workers / learners)",
             "", f"Projected wall time of a class of {assignment} (cost per submission, plus the measured overhead "
             "when positive, x learners / workers):", "",
             "| learners | 10 workers | 100 workers | 1,000 workers |", "| --- | --- | --- | --- |"]
    for learners in (1000, 10000):
        cost = per_submission + max(overhead, 0.0)
        lines.append(f"| {learners:,} | " + " | ".join(hours(cost * learners / k) for k in (10, 100, 1000)) + " |")
    text = "\n".join(lines)
    print(text)
    if options.write:
        write_section(f"bench/distributed.py {assignment}",
                      f"## Grading on Dask: {assignment} (`python -m bench.distributed --assignment {assignment}`)\n\n" + text)


if __name__ == "__main__":
    main()
