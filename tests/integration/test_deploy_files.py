"""The shipped deploy files stay valid: the example config passes
`h5payd -t` (with its secret paths pointed at temp files), the
production nginx site passes `nginx -t` and never injects the simulator,
and the demo's launcher (deploy/stack.py) runs on the stdlib alone."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness


class TestDeployFiles(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="h5pay-deploy-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_example_config_is_valid(self):
        with open(os.path.join(harness.SRC, "deploy",
                               "h5pay.conf.example")) as f:
            text = f.read()
        # point the absolute paths into the temp dir, keep everything else
        for path in set(re.findall(r"= (/\S+)", text)):
            local = os.path.join(self.dir, path.strip("/").replace("/", "_"))
            text = text.replace("= " + path, "= " + local)
            if "secret" in path or path.endswith(".key"):
                harness.write_secret(local, "test-secret")
        conf = os.path.join(self.dir, "h5pay.conf")
        with open(conf, "w") as f:
            f.write(text)
        p = subprocess.run([os.path.join(harness.BUILD, "h5payd"), "-t",
                            "-c", conf], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_readme_config_table_is_current(self):
        p = subprocess.run([os.path.join(harness.BUILD, "h5pay"),
                            "config-keys"], capture_output=True, text=True,
                           check=True)
        with open(os.path.join(harness.SRC, "README.md")) as f:
            readme = f.read()
        self.assertIn(p.stdout.strip(), readme,
                      "README's config table differs from `h5pay "
                      "config-keys`: paste its output into the README")

    def test_demo_launches_deploy_stack(self):
        with open(os.path.join(harness.SRC, "deploy", "demo.sh")) as f:
            demo = f.read()
        self.assertIn('"$top/deploy/stack.py" demo', demo)
        self.assertNotIn("tests/", demo)
        # -S: no site-packages, so the launcher needs nothing but stdlib
        p = subprocess.run(["/usr/bin/python3", "-S", os.path.join(
            harness.SRC, "deploy", "stack.py"), "demo", "--help"],
            capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        for opt in ("--dir", "--shop-port", "--sim-port"):
            self.assertIn(opt, p.stdout)

    def test_production_nginx_site(self):
        certs = os.path.join(self.dir, "certs")
        subprocess.run([os.path.join(harness.SRC, "deploy", "local-ca.sh"),
                        certs], check=True)
        with open(os.path.join(harness.SRC, "nginx", "h5pay.conf")) as f:
            site = f.read()
        self.assertNotIn("jsbridge", site)
        self.assertNotIn("sub_filter", site)
        self.assertIn("server_tokens off", site + open(os.path.join(
            harness.SRC, "nginx", "h5pay-locations.conf")).read())
        site = re.sub(r"ssl_certificate (\S+);",
                      "ssl_certificate %s/server.pem;" % certs, site)
        site = re.sub(r"ssl_certificate_key (\S+);",
                      "ssl_certificate_key %s/server.key;" % certs, site)
        site = site.replace("/var/log/nginx/", self.dir + "/")
        os.symlink(os.path.join(harness.SRC, "nginx"),
                   os.path.join(self.dir, "h5pay"))
        with open(os.path.join(self.dir, "site.conf"), "w") as f:
            f.write(site)
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write("pid %s/nginx.pid;\nerror_log %s/error.log;\n"
                    "events {}\nhttp {\ninclude /etc/nginx/mime.types;\n"
                    "include site.conf;\n}\n" % (self.dir, self.dir))
        p = subprocess.run([harness.NGINX, "-t", "-p", self.dir, "-c",
                            os.path.join(self.dir, "nginx.conf")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)

    # issue 15: the unit's sandbox (systemd-analyze security <= 2.0)
    HARDENING = ("NoNewPrivileges=yes", "CapabilityBoundingSet=\n",
                 "ProtectSystem=strict", "ProtectHome=yes",
                 "PrivateTmp=yes", "PrivateDevices=yes",
                 "ProtectKernelTunables=yes", "ProtectKernelModules=yes",
                 "ProtectControlGroups=yes", "ProtectClock=yes",
                 "RestrictNamespaces=yes", "RestrictSUIDSGID=yes",
                 "MemoryDenyWriteExecute=yes", "SystemCallArchitectures=native",
                 "SystemCallFilter=@system-service",
                 "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                 "ReadWritePaths=/var/lib/h5pay", "UMask=0077")

    def test_service_hardening(self):
        unit = os.path.join(harness.SRC, "deploy", "h5payd.service")
        with open(unit) as f:
            text = f.read()
        for d in self.HARDENING:
            self.assertIn("\n" + d, text, d)
        tool = shutil.which("systemd-analyze")
        if tool is None:
            return      # the directives above are the contract
        p = subprocess.run([tool, "security", "--offline=yes", unit],
                           capture_output=True, text=True)
        m = re.search(r"Overall exposure level for h5payd.service: "
                      r"([0-9.]+)", p.stdout + p.stderr)
        self.assertIsNotNone(m, p.stdout + p.stderr)
        self.assertLessEqual(float(m.group(1)), 2.0)

    def test_backup_units(self):
        d = os.path.join(harness.SRC, "deploy")
        with open(os.path.join(d, "h5pay-backup.service")) as f:
            svc = f.read()
        with open(os.path.join(d, "h5pay-backup.timer")) as f:
            timer = f.read()
        with open(os.path.join(d, "install.sh")) as f:
            install = f.read()
        self.assertIn("ExecStart=/usr/sbin/h5pay-backup ", svc)
        self.assertIn("User=h5pay", svc)
        self.assertIn("deploy/h5pay-backup.sh /usr/sbin/h5pay-backup",
                      install)
        self.assertIn("h5pay-backup.timer", install)
        self.assertIn("OnCalendar=", timer)
        self.assertIn("Persistent=true", timer)
        self.assertTrue(os.access(os.path.join(d, "h5pay-backup.sh"),
                                  os.X_OK))


if __name__ == "__main__":
    unittest.main(verbosity=2)
