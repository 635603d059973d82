"""bench/RESULTS.md, the one place for the course's measured numbers: each benchmark run with
--write replaces its own section there (between `<!-- bench/NAME.py -->` and `<!-- end -->`),
so a number is never typed by hand and cannot silently go stale."""
import contextlib
import re
import shlex
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(script, text):
    """Replace the section of `script` (such as "bench/distributed.py") in RESULTS.md with `text`."""
    start, end = f"<!-- {script} -->", "<!-- end -->"
    body = RESULTS.read_text() if RESULTS.exists() else "# Measured\n"
    block = f"{start}\n{text.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    body = pattern.sub(lambda _: block, body) if pattern.search(body) else body.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(body)


class _Tee:
    def __init__(self, stream):
        self.stream, self.text = stream, []

    def write(self, text):
        self.text.append(text)
        return self.stream.write(text)

    def flush(self):
        self.stream.flush()


@contextlib.contextmanager
def recorded(script, title, write):
    """What the benchmark `script` prints inside this block, printed as usual and, when `write`,
    made its section of RESULTS.md under the heading `title` (only when the block completes)."""
    tee = _Tee(sys.stdout)
    sys.stdout = tee
    try:
        yield
    finally:
        sys.stdout = tee.stream
    if write:
        command = f"./course run python -m {script[:-3].replace('/', '.')} {shlex.join(sys.argv[1:])}"
        write_section(script, f"## {title}\n\n`{command}` measured this:\n\n" + "".join(tee.text).strip())
