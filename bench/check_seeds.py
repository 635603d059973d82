"""Do the checks hold for every seed? Grading draws each check's random inputs from a seed of the
course's secret and the learner, so a check that the reference solution fails for one seed in a
thousand costs one honest learner in a thousand their points. This runs every check of each
assignment (tests/kit/judged.py: the judge, with the reference solution in a stand-in kernel) for
many seeds, and prints the checks that failed and for how many seeds. The checks that train on
MNIST (30 s each on 2 cores) run only for the first --training-seeds seeds.

With --honest, every honest style of tests/kit/honest.py (many ways of writing correct code, run as
the grader runs them) takes the place of the reference solution: a check that one of them fails
for some seed (float rounding in another order of operations, say) costs that honest learner points.

    ./course run python -m bench.check_seeds [--seeds 200] [--training-seeds 0] [--assignment NAME] [--honest] [--write]
"""
import argparse
import collections
import contextlib
import io
import time

from bench.results import recorded
from grader.course import assignments
from tests.kit.judged import SLOW_CELLS, fake_kernel, honest_notebooks, judge_notebook


def sweep(assignment, seeds, training_seeds=0, honest=False):
    """({grade_id: [(seed, error), ...]}, the number of checks, a line per training check run)."""
    failures, checks, training = collections.defaultdict(list), 0, []
    if honest:
        for k, found, code in honest_notebooks(assignment):
            assert not found, (k, found)
            f, checks, _ = sweep_one(assignment, seeds, 0, code)
            for grade_id, failed in f.items():
                failures[f"{grade_id} (honest style {k})"] += failed
        return failures, checks, training
    return sweep_one(assignment, seeds, training_seeds)


def sweep_one(assignment, seeds, training_seeds=0, learner_code=""):
    with contextlib.redirect_stdout(io.StringIO()):  # what the notebook's cells print
        request, _ = fake_kernel(assignment, learner_code=learner_code)
    failures, checks, training = collections.defaultdict(list), 0, []
    for seed in seeds:
        printed = {}
        with contextlib.redirect_stdout(io.StringIO()):
            verdicts = judge_notebook(assignment, request, seed=seed, printed=printed,
                                      skip=() if seed < training_seeds else SLOW_CELLS)
        checks = max(checks, len(verdicts))
        for grade_id, error in verdicts.items():
            if error is not None:
                failures[grade_id].append((seed, error))
            if grade_id in SLOW_CELLS:
                said = "; ".join(line for line in printed[grade_id].splitlines() if line.strip())
                training.append(f"- seed {seed}, {grade_id}: {'passed' if error is None else 'FAILED'} ({said})")
    return failures, checks, training


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200, help="seeds 0, 1, ... per assignment")
    parser.add_argument("--training-seeds", type=int, default=0, help="run the MNIST training checks for this many")
    parser.add_argument("--assignment", action="append", help="only these (default: all)")
    parser.add_argument("--honest", action="store_true", help="every honest style of tests/kit/honest.py, not the reference")
    parser.add_argument("--write", action="store_true", help="write the result to bench/RESULTS.md")
    args = parser.parse_args()
    any_failed, notes = False, []
    script = "bench/check_seeds.py --honest" if args.honest else "bench/check_seeds.py"
    title = ("Every honest style of the corpus against every check, for many seeds" if args.honest
             else "The reference solution against every check, for many seeds")
    with recorded(script, title, args.write):
        print("| assignment | checks | seeds | failed (check: seeds) | seconds |\n| --- | --- | --- | --- | --- |")
        for assignment in args.assignment or assignments():
            start = time.perf_counter()
            failures, checks, training = sweep(assignment, range(args.seeds), args.training_seeds, args.honest)
            any_failed = any_failed or bool(failures)
            failed = ", ".join(f"{g}: {len(f)}" for g, f in failures.items()) or "none"
            print(f"| {assignment} | {checks} | {args.seeds} | {failed} | {time.perf_counter() - start:.0f} |")
            notes += training + [f"- {g}, first failed at seed {f[0][0]}: {type(f[0][1]).__name__}: "
                                 f"{str(f[0][1])[:300]}" for g, f in failures.items()]
        if notes:
            print("\n" + "\n".join(notes))
    return 1 if any_failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
