"""What one learner's grading passes along, from the class command to the kernel and back: three
frozen objects, each made in one place.

- `Settings`: the grading settings, resolved once from traitlets (nbgrader_config.py, then the
  command line) by `Settings.resolve(app)`. The settings of the classes that grade a notebook
  (ReadLearnerCode, GuardedExecute, SandboxedKernelManager, nbgrader's Execute) ride in `grading`,
  as traitlets config data; each learner's nbgrader loads them from a JSON config file
  (grader/worker.py's `autograde_config`), so a setting keeps its form from the command line to the
  kernel's side.
- `Shared` and `Task`: one learner's work is a `Task` (the learner's id and files) with the
  class's `Shared` inputs (the course's nbgrader_config.py, the student copies, the source files,
  a gradebook holding only the assignment, the secret, the `Settings`). They travel apart so that a
  Dask cluster gets the class's part once (`Client.scatter`), not once per learner.
  `fingerprint(shared, task)` is the resume fingerprint: a hash of everything in them that decides a
  score.
- `Report`: what grading one learner made (the autograded files, each cell's score, the problems,
  the seconds), and the record behind the score once it is filed.

A new setting is one trait and, if the class command itself uses it, one field of `Settings`
(tests/test_grader_units.py proves every trait reaches the learner's nbgrader and the fingerprint).
"""
import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field

# The ClassGrading settings of the run, not of any learner's grading: which learners, where, how
# many at once, where to write what. They never reach a learner's nbgrader nor the fingerprint.
OF_THE_RUN = {"workers": "learners graded at once", "students": "which learners",
              "scheduler": "where they are graded", "regrade": "whether unchanged learners are graded again",
              "root": "the course", "report": "a file the run writes"}

# Settings fields that say where and how fast a learner's grading runs, not what it decides: the
# fingerprint leaves them out (grading with 8 workers instead of 2 keeps every score).
# The kernel's memory counts as given (`memory_given`; 0: the default), not as derived from the
# machine's memory and the number of workers.
NOT_A_VERDICT = {"threads", "hidden_folders", "debug_logs", "memory"}


def grading_classes():
    """The classes whose settings a learner's nbgrader reads: their traits ride in Settings.grading."""
    from nbgrader.preprocessors import Execute

    from .execute import GuardedExecute
    from .learner_code import ReadLearnerCode
    from .sandbox import SandboxedKernelManager
    return [ReadLearnerCode, GuardedExecute, Execute, SandboxedKernelManager]


def configured(config, cls, name):
    """The value of setting `name` of `cls` as traitlets gives it to an instance: from the config
    section of the class or of its nearest base class that sets it, else the trait's default."""
    for klass in cls.__mro__:
        section = config.get(klass.__name__, {}) if klass.__name__ in config else {}
        if name in section:
            return section[name]
    return cls.class_traits()[name].default()


@dataclass(frozen=True)
class Settings:
    """The grading settings, resolved once (see the module's docstring)."""
    timeout: int            # seconds a cell may run: ClassGrading.timeout, else Execute.timeout
    memory: int             # bytes a learner's kernel may use
    memory_given: int       # ClassGrading.memory or SandboxedKernelManager.memory as set (0: not set)
    threads: int            # threads of a learner's checks and kernel
    grace: int              # seconds a learner's grading may take beyond its cells' limits
    cell_margin: int        # seconds each code cell adds to that
    max_file_bytes: int
    max_learner_bytes: int
    max_learner_files: int
    sandbox: bool           # GuardedExecute.sandbox
    secret_file: str        # GuardedExecute.secret_file, relative to the course root
    debug_logs: bool = False  # print a failed grading's whole log
    hidden_folders: tuple = ()  # besides the staging folder and the grader's own course
    # {class name: {trait: value}}: the grading classes' settings as nbgrader_config.py and the
    # command line give them, ClassGrading's not included; each learner's nbgrader loads them as config
    grading: dict = field(default_factory=dict)

    @classmethod
    def resolve(cls, app):
        """The settings of the class command `app` (a ClassGrading, its config loaded)."""
        from .execute import GuardedExecute
        from .sandbox import default_memory
        config, distributed = app.config, bool(app.scheduler)
        workers = max(1, app.workers or os.cpu_count() or 1)
        names = {c.__name__ for c in grading_classes()}
        grading = {section: dict(values) for section, values in sorted(config.items())
                   if section in names and hasattr(values, "items")}
        memory = app.memory or grading.get("SandboxedKernelManager", {}).get("memory") or 0
        return cls(timeout=app.timeout or configured(config, GuardedExecute, "timeout"),
                   memory=memory or (3 * (4 << 30) // 4 if distributed else default_memory(workers)),
                   memory_given=memory,
                   threads=app.threads or configured(config, GuardedExecute, "threads") or
                   (1 if distributed else max(1, (os.cpu_count() or 1) // workers)),
                   grace=app.grace, cell_margin=app.cell_margin, max_file_bytes=app.max_file_bytes,
                   max_learner_bytes=app.max_learner_bytes, max_learner_files=app.max_learner_files,
                   sandbox=configured(config, GuardedExecute, "sandbox"),
                   secret_file=configured(config, GuardedExecute, "secret_file"),
                   debug_logs=app.debug_logs,
                   hidden_folders=tuple(dict.fromkeys([*grading.get("SandboxedKernelManager", {}).get(
                       "hidden_folders", []), *(() if distributed else [str(app.root_path)])])),
                   grading=grading)

    def verdict(self):
        """The fields that can change a score, as data (what the fingerprint and the record hold)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in NOT_A_VERDICT}


@dataclass(frozen=True)
class Shared:
    """What every learner's task of one assignment needs; made by grader/grade.py's `read_shared`."""
    assignment: str
    course_id: str
    settings: Settings
    secret: str
    config: str             # the course's nbgrader_config.py, as text
    release: dict           # {notebook name: the student copy, as nbformat data}
    source_files: dict      # {path: bytes} of source/<assignment>/ but its notebooks
    source_notebooks: list  # the source notebooks' bytes (the gradebook copy's ids are random: these decide)
    gradebook: bytes        # a SQLite gradebook holding only this assignment
    duedate: str = "None"

    @property
    def code_cells(self):
        return sum(1 for nb in self.release.values() for c in nb["cells"] if c["cell_type"] == "code")

    @property
    def notebooks(self):
        return list(self.release)

    def deadline(self):
        """Seconds a learner's grading may take as a whole: each code cell's limit and margin, and the grace."""
        s = self.settings
        return self.code_cells * (s.timeout + s.cell_margin) + s.grace


@dataclass(frozen=True)
class Task:
    """One learner's part of a task (the class's part is `Shared`). `files` ({name: bytes}) are read
    when the task is sent; `digest` (grade.files_digest's) and `extension` are what the
    fingerprint holds of them."""
    student: str
    digest: list = None     # None: unreadable, graded and never skipped
    extension: str = "None"
    files: dict = field(default_factory=dict)
    notes: tuple = ()       # problems found reading the files, said in the feedback
    timestamp: object = None
    reason: str = None      # set: grade the blank copy instead, for this reason
    lost: int = 0           # times this task was lost with its workers
    cpus: str = ""          # the cores of its slot (local runner)

    def but(self, **changes):
        return dataclasses.replace(self, **changes)


def fingerprint(shared, task):
    """The resume fingerprint: a hash of what decides `task`'s score (None when its files could not be read)."""
    if task.digest is None:
        return None
    decides = dict(config=shared.config, secret=shared.secret, release=shared.release,
                   source_files={k: hashlib.sha256(v).hexdigest() for k, v in shared.source_files.items()},
                   source_notebooks=[hashlib.sha256(b).hexdigest() for b in shared.source_notebooks],
                   duedate=shared.duedate, settings=shared.settings.verdict(), files=task.digest,
                   extension=task.extension)
    return hashlib.sha256(json.dumps(decides, sort_keys=True, default=repr).encode()).hexdigest()


@dataclass(frozen=True)
class Report:
    """What grading one learner made. `graded` False: no score (the machine's fault, or a task
    lost), the problems say why, the next run grades them again."""
    student: str
    assignment: str
    graded: bool
    problems: dict          # {notebook: [problem, ...]}
    seconds: float = 0.0
    cell_seconds: float = 0.0
    files: dict = field(default_factory=dict)   # the autograded folder, {path: bytes}
    scores: dict = field(default_factory=dict)  # {notebook: {grade_id: [auto score, max score]}}
    host: str = None
    fingerprint: str = None
    record: dict = None     # the record behind the score, once filed (grader/report.py)

    @classmethod
    def not_graded(cls, student, assignment, notebooks, why, **fields):
        """The report of a learner left without a score, one line per notebook saying why."""
        return cls(student=student, assignment=assignment, graded=False,
                   problems={n: [f"NOT GRADED: {why}; grade this learner again"] for n in notebooks}, **fields)

    def but(self, **changes):
        return dataclasses.replace(self, **changes)

    def summary(self):
        """The report as one JSON-able dict, its files left out (the --report line)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "files"}
