"""The plugin docs are tested (Datasette's ``test_docs.py`` and ``test_plugin_hooks_have_tests``):
the hook reference matches the hookspecs, every hook is implemented by a plugin some test
drives, and the tutorial's code is the example's code."""

from __future__ import annotations

import re

from core.plugins.reference import DOC_PATH, hook_names, update_doc
from tests.plugins.conftest import PROJECT

EXAMPLES = PROJECT / "docs" / "examples"


def test_hook_reference_is_current() -> None:
    assert not update_doc(DOC_PATH, check=True), "docs/plugins.md is stale: run `jiefen plugins docs`"


def test_every_hook_has_a_test() -> None:
    sources = [p.read_text(encoding="utf-8") for p in (PROJECT / "tests" / "plugins").glob("test_*.py")]
    # The tutorial's plugin counts: test_elders_panel drives every hook it implements.
    sources += [p.read_text(encoding="utf-8") for p in (EXAMPLES / "elders_panel").glob("*.py")]
    untested = [name for name in hook_names() if not any(re.search(rf"\bdef {name}\(", s) for s in sources)]
    assert not untested, f"hooks no test plugin implements: {untested}"


def test_tutorial_code_is_the_examples_code() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- file: (\S+) -->\n```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 8
    for path, code in blocks:
        source = (EXAMPLES / path).read_text(encoding="utf-8")
        assert code.strip() in source, f"the tutorial's block for {path} differs from the file"
