"""The source layers stay apart: the simulator (src/sim/) is built on the
daemon's core library, never into it, and nothing in src/ includes a
simulator header (dependencies point down only)."""
import glob
import os
import re
import subprocess
import unittest

import harness

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def archive_members(lib):
    p = subprocess.run(["ar", "t", lib], capture_output=True, text=True,
                       check=True)
    return set(p.stdout.split())


class TestLayout(unittest.TestCase):

    def test_src_never_includes_a_sim_header(self):
        sim_dir = os.path.join(harness.SRC, "src", "sim")
        sim_headers = {os.path.basename(h) for h in
                       glob.glob(os.path.join(sim_dir, "*.h"))}
        self.assertIn("sim.h", sim_headers)
        files = glob.glob(os.path.join(harness.SRC, "src", "*.[ch]"))
        self.assertGreater(len(files), 20)
        bad = []
        for path in files:
            with open(path, encoding="utf-8") as f:
                for name in INCLUDE.findall(f.read()):
                    if name.startswith("sim/") or name in sim_headers:
                        bad.append("%s: %s" % (os.path.basename(path), name))
        self.assertEqual(bad, [], "src/ includes simulator headers")

    def test_core_library_holds_no_simulator_code(self):
        core = os.path.join(harness.BUILD, "libh5pay_core.a")
        members = archive_members(core)
        self.assertIn("serve.c.o", members)
        self.assertEqual(sorted(m for m in members if m.startswith("sim")),
                         [])
        p = subprocess.run(["nm", "--defined-only", "-g", core],
                           capture_output=True, text=True, check=True)
        syms = [line.split()[-1] for line in p.stdout.splitlines()
                if len(line.split()) == 3]
        self.assertIn("serve_run", syms)
        self.assertEqual([s for s in syms if s.startswith("sim_")], [])

    def test_sim_library_is_every_sim_file_but_main(self):
        want = {os.path.basename(c) + ".o" for c in
                glob.glob(os.path.join(harness.SRC, "src", "sim", "*.c"))}
        self.assertIn("sim_main.c.o", want)
        want.discard("sim_main.c.o")
        got = archive_members(os.path.join(harness.BUILD, "libh5pay_sim.a"))
        self.assertEqual(got, want)


if __name__ == "__main__":
    unittest.main(verbosity=2)
