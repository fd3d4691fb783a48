"""doc/conformance.md is complete and truthful: every requirement ID of
the specification has a row naming at least one test, and every test it
names exists (an integration test method, or a unit test program that
tests/unit builds and runs)."""

import ast
import os
import re
import unittest

from coitest.dovecot import SRC_DIR

SPEC_CANDIDATES = [
    os.path.join(SRC_DIR, "..", "shared", "spec", "requirements.md"),
    os.path.join(SRC_DIR, "doc", "requirements-ids.txt"),
]
CONFORMANCE = os.path.join(SRC_DIR, "doc", "conformance.md")
INTEGRATION = os.path.join(SRC_DIR, "tests", "integration")
UNIT = os.path.join(SRC_DIR, "tests", "unit")


def spec_ids():
    """The IDs of the requirements list (shared/spec beside the checkout),
    or the copy of its IDs kept in doc/ when shared/ is not there."""
    for path in SPEC_CANDIDATES:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            return (re.findall(r"^\| ((?:CS|WP)-\d\d) \|", text, re.M)
                    or re.findall(r"^((?:CS|WP)-\d\d)$", text, re.M))
    raise AssertionError("no requirements list found")


def conformance_rows():
    rows = {}
    with open(CONFORMANCE) as f:
        for line in f:
            m = re.match(r"^\| ((?:CS|WP)-\d\d) \|([^|]*)\|([^|]*)\|([^|]*)\|", line)
            if m:
                rows[m.group(1)] = (m.group(2).strip(), m.group(3).strip(), m.group(4).strip())
    return rows


def integration_tests():
    """{"module.Class.test_name"} of every test method in tests/integration,
    inherited ones included (a class runs its bases' tests too)."""
    classes = {}   # (module, name) -> (base names, own test methods)
    by_name = {}   # name -> (module, name), for bases imported from elsewhere
    for name in os.listdir(INTEGRATION):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        with open(os.path.join(INTEGRATION, name)) as f:
            tree = ast.parse(f.read())
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                bases = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                         for b in node.bases]
                methods = {i.name for i in node.body
                           if isinstance(i, ast.FunctionDef) and i.name.startswith("test")}
                classes[(name[:-3], node.name)] = (bases, methods)
                by_name.setdefault(node.name, (name[:-3], node.name))

    def methods_of(key, seen=()):
        if key not in classes or key in seen:
            return set()
        bases, own = classes[key]
        out = set(own)
        for base in bases:
            local = (key[0], base)
            out |= methods_of(local if local in classes else by_name.get(base), seen + (key,))
        return out

    return {"%s.%s.%s" % (mod, cls, m) for (mod, cls) in classes for m in methods_of((mod, cls))}


def unit_tests():
    """{"unit:test-program"} and {"unit:test-program:test_function"} of every
    program listed in TESTS of tests/unit/*.am."""
    out = set()
    for name in os.listdir(UNIT):
        if not name.endswith(".am"):
            continue
        with open(os.path.join(UNIT, name)) as f:
            text = f.read()
        for prog in re.findall(r"^TESTS\s*\+?=\s*(.*)$", text, re.M):
            for p in prog.split():
                out.add("unit:" + p)
                src = os.path.join(UNIT, p + ".c")
                if os.path.exists(src):
                    with open(src) as c:
                        for fn in re.findall(r"^static void (test_\w+)\(void\)", c.read(), re.M):
                            out.add("unit:%s:%s" % (p, fn))
    return out


class ConformanceMap(unittest.TestCase):
    def test_every_requirement_has_a_row_with_tests(self):
        rows = conformance_rows()
        missing = [i for i in spec_ids() if i not in rows]
        self.assertEqual(missing, [], "IDs without a row in doc/conformance.md")
        untested = [i for i, (_, _, tests) in rows.items() if not tests]
        self.assertEqual(untested, [], "IDs whose row names no test")

    def test_every_named_test_exists(self):
        known = integration_tests() | unit_tests()
        unknown = []
        for ident, (_, _, tests) in conformance_rows().items():
            for t in (x.strip().strip("`") for x in tests.split(",")):
                if t and t not in known:
                    unknown.append("%s: %s" % (ident, t))
        self.assertEqual(unknown, [], "tests named in doc/conformance.md that do not exist")
