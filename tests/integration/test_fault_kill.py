"""kill -9 in a loop under concurrent first deliveries (issue 15, "Fault
tests"): notify workers and the whole daemon (its process group, as a
crash or the OOM killer would), at least 200 kills in a bounded time.
Then, before any resend, every acknowledged order is PAID exactly once;
after a full resend (UseePay's retries) every order is PAID exactly once
and the database passes integrity_check.
"""
import os
import random
import signal
import sys
import time

import faultlib
import harness

KILLS = 200
DAEMON_EVERY = 10         # every 10th kill takes the whole daemon down
BUDGET_S = 170            # the loop's bound, ASan included


class KillLoopTest(harness.StackTest):
    stack_kwargs = dict(sim=False, notify_workers=6, notify_threads=2,
                        web_workers=1, web_threads=2,
                        config={"reconcile_interval_sec": "0"})

    def test_kill9_loop(self):
        st = self.stack
        rnd = random.Random(1515)
        orders = faultlib.new_orders(st, "KL", 40000)
        load = faultlib.Load(st, orders, threads=6, pace=0.04).start()
        seen = {}                 # worker pid -> first time seen
        kills = {"worker": 0, "daemon": 0}
        t0 = time.monotonic()
        t_end = t0 + BUDGET_S
        try:
            while sum(kills.values()) < KILLS and \
                    time.monotonic() < t_end and load.work:
                n = sum(kills.values())
                if n % DAEMON_EVERY == DAEMON_EVERY - 1:
                    self.kill_daemon(st)
                    kills["daemon"] += 1
                    continue
                now = time.monotonic()
                pids = st.worker_pids("notify")
                for p in pids:
                    seen.setdefault(p, now)
                # a worker killed within 1 s of its start makes the
                # supervisor back off (by design): kill settled ones
                ripe = [p for p in pids if now - seen[p] >= 1.0]
                if not ripe:
                    time.sleep(0.05)
                    continue
                try:
                    os.kill(rnd.choice(ripe), signal.SIGKILL)
                    kills["worker"] += 1
                except ProcessLookupError:
                    pass
                time.sleep(0.05 + 0.1 * rnd.random())
        finally:
            load.stop()
        total = sum(kills.values())
        sys.stderr.write("kill loop: %.0f s, %d worker + %d daemon kills, "
                         "%d deliveries, %d acknowledged, answers %r\n" %
                         (time.monotonic() - t0, kills["worker"],
                          kills["daemon"],
                          sum(load.answers.values()), len(load.acked),
                          load.answers))
        self.assertGreaterEqual(total, KILLS, "kills within the budget")
        self.assertGreater(len(load.acked), 1000)
        # a failed delivery is never a 2xx or a 4xx: UseePay must retry it
        wrong = [(no, s) for no, s, _ in load.failed
                 if s is not None and not 500 <= s < 600]
        self.assertEqual(wrong[:10], [])
        # before any resend: nothing acknowledged was lost or doubled
        faultlib.assert_acked_paid(self, st, load.acked)
        # every order the load took (posted, answered or not)
        sent = orders[:len(orders) - len(load.work)]
        t1 = time.monotonic()
        self.assertEqual(faultlib.resend_all(st, sent, threads=8), [])
        sys.stderr.write("full resend of %d: %.0f s\n" %
                         (len(sent), time.monotonic() - t1))
        faultlib.assert_all_paid_once(self, st, sent)
        # the last generation is whole again
        harness.wait_for(lambda: len(st.worker_pids("notify")) == 6,
                         timeout=30, what="6 notify workers")

    def kill_daemon(self, st):
        p = st.procs["h5payd"]
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(timeout=30)
        # workers die with their supervisor (PR_SET_PDEATHSIG)
        harness.wait_for(lambda: not self.orphans(p.pid), timeout=10,
                         what="workers gone with the supervisor")
        st.start_h5payd()
        harness.wait_for(lambda: len(st.worker_pids("notify")) >= 1,
                         timeout=30, what="notify workers after restart")

    @staticmethod
    def orphans(pgid):
        out = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                out.append(int(pid))
        return out


if __name__ == "__main__":
    harness.main()
