"""bench/RESULTS.md, the one place for the course's measured numbers: each benchmark run with
--write replaces its own section there (between `<!-- bench/NAME.py -->` and `<!-- end -->`),
so a number is never typed by hand and cannot silently go stale."""
import re
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
