"""README.rst and docs/ must stay valid reStructuredText (merges have broken titles before)."""

import io
import pathlib

import docutils.core
import docutils.utils

from tests.unit import base

TOP = pathlib.Path(__file__).resolve().parents[2]
DOCS = sorted([TOP / "README.rst", *(p for p in (TOP / "docs").rglob("*.rst")
                                     if "_build" not in p.parts)])
#: Sphinx roles/directives are fine in docs/ (docutils alone does not know them).
SPHINX_ONLY = ("Unknown interpreted text role", "Unknown directive type", 'No role entry for')


def _merge_markers(lines):
    """Lines a merge left behind: ``<<<<<<<``/``>>>>>>>`` and a lone ``=======`` that is
    not a title's underline (docutils reads such a line as paragraph text, silently)."""
    found = []
    for i, line in enumerate(lines):
        if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line in ("<<<<<<<", ">>>>>>>"):
            found.append(i + 1)
        elif line == "=======":
            title = lines[i - 1].rstrip() if i else ""
            before = lines[i - 2].strip() if i > 1 else ""
            after = lines[i + 1].rstrip() if i + 1 < len(lines) else ""
            below = lines[i + 2] if i + 2 < len(lines) else ""
            underline = title and len(title) <= 7 and not before
            # a title with an overline: ``=======`` / ``Testing`` / ``=======``
            overline = after and len(after) <= 7 and below == line
            closing = title and len(title) <= 7 and before == line
            if not (underline or overline or closing):
                found.append(i + 1)
    return found


class TestDocs(base.TestCase):
    def test_rst_parses_without_warnings(self):
        for path in DOCS:
            with self.subTest(path=path):
                stream = io.StringIO()
                docutils.core.publish_doctree(
                    path.read_text(),
                    source_path=str(path),
                    settings_overrides={"warning_stream": stream, "report_level": 2,
                                        "halt_level": 5},
                )
                problems = [
                    line for line in stream.getvalue().splitlines()
                    if ("WARNING" in line or "ERROR" in line or "SEVERE" in line)
                    and not any(s in line for s in SPHINX_ONLY)
                ]
                self.assertFalse(problems, "\n".join(problems))

    def test_every_doc_page_is_in_the_index(self):
        index = (TOP / "docs" / "index.rst").read_text()
        for path in DOCS:
            if path.parent.name == "docs" and path.stem != "index":
                self.assertIn(
                    f"   {path.stem}\n", index, f"{path.name} missing from docs/index.rst")

    def test_merge_markers_are_caught(self):
        self.assertEqual(_merge_markers(["text", "more text here", "=======", ""]), [3])
        self.assertEqual(_merge_markers(["", "Install", "=======", ""]), [])
        self.assertEqual(_merge_markers(["=======", "Testing", "=======", "", "text"]), [])
        self.assertEqual(
            _merge_markers(["<<<<<<< HEAD", "a", "=======", "b", ">>>>>>> x"]), [1, 3, 5])

    def test_no_merge_markers_left(self):
        for path in DOCS:
            with self.subTest(path=path):
                self.assertFalse(
                    _merge_markers(path.read_text().splitlines()), f"{path.name}: merge markers")
