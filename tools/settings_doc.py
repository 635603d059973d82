"""docs/settings.md, the grader's settings and their defaults, written from the code (the traitlets of
the classes `./course grade --help-all` lists), so that no default is restated by hand.

    ./course run python -m tools.settings_doc           write docs/settings.md
    ./course run python -m tools.settings_doc --check   exit 1 when docs/settings.md is not current
"""
import sys

from grader.course import ROOT
from grader.grade import ClassGrading

DOC = ROOT / "docs" / "settings.md"


def settings_doc():
    lines = ["# Grading settings", "",
             "Written by `./course run python -m tools.settings_doc` from the grader's code (a test checks it is",
             "current). Set one in `nbgrader_config.py` (`c.Class.name = value`) or on the command line of",
             "`./course grade` (`--Class.name=value`; the command line wins).", ""]
    for cls in ClassGrading().classes:
        traits = cls.class_traits(config=True)
        own = sorted(name for name, trait in traits.items() if trait.this_class is cls or name in vars(cls))
        if not own:
            continue
        doc = (cls.__doc__ or "").strip().split("\n")[0]
        lines += [f"## {cls.__name__}", "", f"`{cls.__module__}`: {doc}", "", "| setting | default | what |",
                  "| --- | --- | --- |"]
        for name in own:
            trait = traits[name]
            default = trait.default_value_repr().replace("|", "\\|")
            text = " ".join((trait.help or "").split()).replace("|", "\\|")
            lines.append(f"| `{name}` | `{default}` | {text} |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    text = settings_doc()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text() != text:
            print("docs/settings.md is not current: ./course run python -m tools.settings_doc", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
