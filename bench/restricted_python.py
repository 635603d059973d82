"""Why the own-work rule is the course's own reader (student-kit/coursekit/own_work.py) and not
RestrictedPython's policy: RestrictedPython (zopefoundation, the well-kept restricted-Python compiler)
is compiled here over the same code the rule is tested on. Its compile-time policy is the same kind of
rule (no `_` names, no exec, guards put around attribute access), but it knows no list of library
functions per part, so every attack that calls a built-in loss or a torch.optim class through a plain
name compiles; and it refuses honest code the course must accept (a private helper `_hinge`,
`super().__init__()`, `self.state[p] += ...`). It prints, for the honest corpus (tests/kit/honest.py)
and the own-work attacks (tests/test_own_work.py's ATTACKS), how many RestrictedPython's policy
refuses when compiled, and why.

RestrictedPython is not one of the course's requirements; install it to run this:

    ./course run python -m pip install RestrictedPython
    ./course run python -m bench.restricted_python [--write]
"""
import argparse
import collections
import sys
from importlib import metadata

from bench.results import recorded
from grader.course import ROOT


def refusals(sources, compile_restricted_exec):
    """(how many of `sources` RestrictedPython refuses to compile, Counter of its reasons)."""
    refused, reasons = 0, collections.Counter()
    for source in sources:
        errors = compile_restricted_exec(source).errors
        refused += bool(errors)
        for error in errors:
            reason = error.split(": ", 1)[-1]
            reasons["a name starting with _" if "starts with \"_\"" in reason else reason] += 1
    return refused, reasons


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="replace this benchmark's section of bench/RESULTS.md")
    args = parser.parse_args()
    try:
        from RestrictedPython import compile_restricted_exec
    except ImportError:
        sys.exit("bench.restricted_python: RestrictedPython is not installed here: "
                 "./course run python -m pip install RestrictedPython")
    sys.path[:0] = [str(ROOT / "student-kit"), str(ROOT / "tests")]  # as pytest.ini's pythonpath puts them
    from kit.honest import HONEST
    from test_own_work import ATTACKS
    honest = [v for parts in HONEST.values() for variants in parts.values() for v in variants]
    attacks = [source for _, _, _, source, *_ in ATTACKS]
    with recorded("bench/restricted_python.py", "RestrictedPython's policy on the honest corpus and the attacks", args.write):
        print(f"RestrictedPython {metadata.version('RestrictedPython')}, compile_restricted_exec on each source:\n")
        print("| code | sources | refused at compile time |\n| --- | --- | --- |")
        for label, sources in [("honest variants (tests/kit/honest.py), all accepted by the course's rule", honest),
                               ("own-work attacks (tests/test_own_work.py), all refused by the course's rule", attacks)]:
            refused, reasons = refusals(sources, compile_restricted_exec)
            print(f"| {label} | {len(sources)} | {refused} |")
        _, reasons = refusals(honest, compile_restricted_exec)
        print("\nWhy it refuses honest code: " + "; ".join(f"{reason} ({n})" for reason, n in reasons.most_common(5)))


if __name__ == "__main__":
    main()
