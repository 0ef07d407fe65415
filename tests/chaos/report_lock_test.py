#!/usr/bin/env python3
"""One run at a time per report, end to end.

1. While a `run` holds its report, a second `run` on it exits 2 at once, naming the holder's pid and
   start time, and opens no connection; `validate` on that report is refused the same way.
2. SIGKILL of the holder frees the report: `--resume` then finishes the job.
3. An output path that cannot be created is refused before the first request (exit 2, nothing sent,
   the old report untouched).

    tests/chaos/report_lock_test.py BINARY
"""
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class SilentListener:
    """A TCP port nobody answers: proves a refused run opened no connection at all."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.base_url = "https://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.ca = None

    def was_contacted(self):
        try:
            conn, _ = self.sock.accept()
            conn.close()
            return True
        except BlockingIOError:
            return False


def body(ctx):
    server = harness.MockServer(ctx, ctx.work, "--latency-ms", "100")
    silent = SilentListener()
    try:
        roster = ctx.path("roster.csv")
        emails = harness.write_roster(roster, 300)
        report = ctx.path("roster.report.csv")
        args = harness.run_args(ctx, roster, report, server, "--concurrency", "2", "--rate", "0", "--resume")
        holder = harness.start(args, ctx.path("holder.txt"))
        ctx.check(harness.wait_until(lambda: harness.complete_lines(report) > 5, 60), "the first run got going")

        second = [ctx.bin, "run", roster, "--report", report, "--base-url", silent.base_url,
                  "--ca-file", server.ca]
        started = time.monotonic()
        code, err = harness.run(second, ctx.path("second.txt"), timeout=30)
        ctx.check(code == 2, "a second run on a held report exits 2, not %s: %s" % (code, err))
        ctx.check(time.monotonic() - started < 10, "refused at once")
        ctx.check(re.search(r"pid %d, started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC" % holder.pid, err) is not None,
                  "the refusal names the holder's pid and start time: " + err)
        ctx.check(not silent.was_contacted(), "the refused run opened no connection")

        code, err = harness.run([ctx.bin, "validate", roster, "--report", report], ctx.path("validate.txt"))
        ctx.check(code == 2, "validate on a held report exits 2, not %s: %s" % (code, err))
        ctx.check("pid %d" % holder.pid in err, "validate names the holder: " + err)
        ctx.check(holder.poll() is None, "the holder is still running")

        holder.send_signal(signal.SIGKILL)
        holder.wait()
        args[args.index("--concurrency") + 1] = "32"
        code, err = harness.run(args, ctx.path("after.txt"))
        ctx.check(code == 0, "after SIGKILL of the holder, --resume runs and finishes: %s %s" % (code, err[-800:]))
        harness.check_complete(ctx, harness.read_report(report), emails, server.stats())

        before = open(report, "rb").read()
        refused = [ctx.bin, "run", roster, "--base-url", silent.base_url, "--ca-file", server.ca]
        for flag, path, report_flag in (
                ("--summary", ctx.path("no/such/folder/summary.json"), ["--report", report]),
                ("--report", ctx.path("no/such/folder/r.csv"), [])):
            code, err = harness.run(refused + report_flag + [flag, path], ctx.path("bad.txt"))
            ctx.check(code == 2, "%s in a missing folder exits 2, not %s: %s" % (flag, code, err))
            ctx.check("no/such/folder" in err, "the message names the path: " + err)
            ctx.check(not silent.was_contacted(), "nothing was sent with a bad " + flag)
        ctx.check(open(report, "rb").read() == before, "the old report is untouched")
    finally:
        server.kill()


harness.main(body)
