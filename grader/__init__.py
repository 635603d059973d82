"""The course's grader: nbgrader's autograde, made safe for any submission and fast for a class.

Layers, from the learner's code outwards (each module does one thing):

- `kernel_side`  what runs inside the learner's kernel: answers the checks' calls, as data;
- `sandbox`      the kernel's sandbox: an allowlist of mounts, no network, cgroup limits;
- `heldout`      test sets whose labels never enter the kernel;
- `judge`        the checks (test cells), run in the grader's process, never in the kernel;
- `tamper`       what the learner's code does to the checks, read from its source; what each graded
                 function may use (an allowlist) is `coursekit.own_work`, in the student kit
                 (student-kit/), so that a learner's notebook applies the same rule before handing in;
- `execute`      `GuardedExecute`, the nbgrader preprocessor that puts the above together in
                 place of nbgrader's `Execute`;
- `feedback`     `HideHiddenTestCode`, the nbgrader preprocessor that keeps hidden tests out of
                 feedback;
- `notebook`     the rules every layer reads a notebook by (cell kinds, hidden regions, the note);
- `staging`      a learner's handed-in files checked and mended before nbgrader sees them;
- `task`         what passes from the class command to each learner's nbgrader and back: the
                 settings (resolved once), a learner's task, the class's shared inputs, the report;
- `grade`        `./course grade`: a class graded in parallel (or on a Dask cluster), one report
                 per learner, the gradebook written by this process alone;
- `report`       the class report (scores, each check's health, the slips named, problems, seconds)
                 and the record behind every score;
- `lms`          Canvas in and out (nbgrader's zip_collect and export plugins);
- `canvas`       `./course canvas pull|push`: the same, through Canvas's API (canvasapi), no zip;
- `course`       the course's assignments, in module order, and nbgrader run in a course root.

nbgrader_config.py names the plug-ins; every setting is a traitlets setting there.
"""
