#!/usr/bin/env python3
"""Chaos: 5,000 rows against the mock server with 503s, dropped connections (before and after the
user is created) and latency; 20 SIGKILLs of `run --resume` at seeded random moments: most after a random number of
requests, some in the first milliseconds, some the instant `--resume`'s merge has started (its
REPORT.previous.tmp exists); then a final `--resume`
that must finish. Asserted from the server's own state: every row exactly once in row order, one user
per email, every user_id the server's.

    tests/chaos/chaos_test.py BINARY            (CHAOS_SEED=N to replay a run; it prints its seed)
"""
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROWS = 5000
KILLS = 20
MERGE_KILLS = 5  # of the KILLS, the ones aimed at the merge step
STARTUP_KILLS = 3  # and those in the first milliseconds
BUDGET_S = 120


def kill_at_startup(proc, rng):
    """A moment in the first milliseconds: parsing, the lock, the merge, the first connections."""
    delay = rng.uniform(0.0, 0.03)
    time.sleep(delay)
    return "at %3.0f ms" % (delay * 1000)


def kill_in_merge(proc, report):
    """The moment the merge's temporary file appears (the merge of a few thousand lines takes
    milliseconds, hence the busy wait)."""
    temp = report + ".previous.tmp"
    previous = report + ".previous"
    started = time.time()

    def merged():  # the merge finished between two looks: kill now, just after it
        try:
            return os.stat(previous).st_mtime >= started
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 10
    while not os.path.exists(temp) and not merged() and proc.poll() is None and time.monotonic() < deadline:
        pass
    if os.path.exists(temp):
        return "in the merge"
    return "just after the merge" if merged() else "merge missed"


def kill_after_requests(proc, rng, server):
    """Once the server has seen a random number of new requests: a moment in the middle of sending,
    whatever the machine's speed."""
    wanted = rng.randint(20, 300)
    start = server.stats()["totalRequests"]
    while proc.poll() is None and server.stats()["totalRequests"] - start < wanted:
        time.sleep(0.005)
    return "after %3d req" % wanted


def body(ctx):
    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1, 2**31))
    ctx.log("chaos seed %d (replay: CHAOS_SEED=%d %s %s)" % (seed, seed, sys.argv[0], ctx.bin))
    rng = random.Random(seed)
    started = time.monotonic()
    server = harness.MockServer(ctx, ctx.work, "--fail-rate", "0.05", "--drop-rate", "0.05",
                                "--latency-ms", "15", "--seed", str(seed))
    try:
        roster = ctx.path("roster.csv")
        report = ctx.path("roster.report.csv")
        emails = harness.write_roster(roster, ROWS)
        args = harness.run_args(ctx, roster, report, server, "--resume", "--concurrency", "16", "--rate", "0",
                                "--max-retries", "20", "--timeout", "5", "--quiet")
        kinds = ["requests"] * KILLS
        for i in rng.sample(range(4, KILLS), MERGE_KILLS):
            kinds[i] = "merge"
        for i in rng.sample([k for k in range(KILLS) if kinds[k] == "requests"], STARTUP_KILLS):
            kinds[i] = "startup"
        landed_in_merge = 0
        killed = 0
        recorded = {}  # email -> (user_id, the server's POSTs for it) when first seen done on disk
        for i, kind in enumerate(kinds):
            proc = harness.start(args, ctx.path("err.txt"))
            if kind == "merge":
                moment = kill_in_merge(proc, report)
            elif kind == "startup":
                moment = kill_at_startup(proc, rng)
            else:
                moment = kill_after_requests(proc, rng, server)
            finished = proc.poll() is not None
            if not finished:
                proc.send_signal(signal.SIGKILL)
            code = proc.wait()
            killed += not finished
            landed = not finished and os.path.exists(report + ".previous.tmp")
            landed_in_merge += landed
            ctx.log("kill %2d %-13s %s; report %d lines, journal %d" % (
                i + 1, moment, "finished first (exit %d)" % code if finished else "killed",
                harness.complete_lines(report), harness.complete_lines(report + ".pending")))
            # What reached the disk is never sent again: its POSTs so far are all it will ever get.
            attempts = server.stats()["emails"]
            for email, user_id in harness.done_on_disk(report).items():
                if email not in recorded:
                    recorded[email] = (user_id, attempts.get(email, {}).get("attempts", 0))
            rows = harness.prefix_rows(report)
            if not ctx.check(rows == [str(r) for r in range(1, len(rows) + 1)],
                             "after kill %d the report is not a gap-free prefix in row order" % (i + 1)):
                ctx.log("rows: %s" % rows[:50])
            if finished:
                # A run that ends on its own must have ended well: never refused by a stale lock.
                ctx.check(code in (0, 1), "run %d ended with %d: %s" % (i + 1, code, open(ctx.path("err.txt")).read()))
        ctx.check(killed == KILLS, "%d of %d runs were still running when killed" % (killed, KILLS))
        code, err = harness.run(args, ctx.path("err.txt"))
        ctx.check(code == 0, "the final --resume exited %s: %s" % (code, err[-2000:]))
        state = server.stop()
        harness.check_complete(ctx, harness.read_report(report), emails, state)
        resent = [e for e, (_, n) in recorded.items() if state["emails"][e]["attempts"] != n]
        ctx.check(not resent, "%d rows recorded done on disk were sent again: %s" % (len(resent), resent[:5]))
        wrong = [e for e, (uid, _) in recorded.items() if uid != state["emails"][e]["userId"]]
        ctx.check(not wrong, "%d rows recorded with another user_id than the server's: %s" % (len(wrong), wrong[:5]))
        for leftover in (".pending", ".previous", ".previous.tmp"):
            ctx.check(not os.path.exists(report + leftover), "left behind: " + report + leftover)
        ctx.check(oct(os.stat(report).st_mode & 0o777) == "0o600", "report mode 0600")
        ctx.check(landed_in_merge >= 1, "no kill landed inside the merge (%d aimed)" % MERGE_KILLS)
        elapsed = time.monotonic() - started
        ctx.log("chaos seed %d: %d rows, %d kills (%d inside the merge), %d requests (%.2f per row), "
                "%d users, %d rows seen done on disk between kills, %.1f s"
                % (seed, ROWS, KILLS, landed_in_merge, state["totalRequests"], state["totalRequests"] / ROWS,
                   state["usersCreated"], len(recorded), elapsed))
        ctx.check(elapsed < BUDGET_S, "took %.1f s, over %d s" % (elapsed, BUDGET_S))
    finally:
        server.kill()


harness.main(body)
