#!/usr/bin/env python3
"""A full disk, for real: the report (and its journal) on a small tmpfs.

1. `run` meets ENOSPC mid-run: exit 3, the message and the resume hint; the report and the journal
   hold whole lines only.
2. `--resume` on the still-full disk: its merge meets ENOSPC, exit 3, nothing sent, no file changed.
3. The disk grows (an operator made room): `--resume` completes, every row exactly once.
4. A summary that cannot be written after the requests went out: exit 3, never 2.

    tests/chaos/disk_full_test.py BINARY        (root only: skips, saying so, when it cannot mount)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROWS = 3000


def read_all(paths):
    out = {}
    for p in paths:
        try:
            with open(p, "rb") as f:
                out[p] = f.read()
        except FileNotFoundError:
            out[p] = None
    return out


def report_on_full_disk(ctx, server):
    disk = harness.SmallFs(ctx, "small", 96 * 1024)
    try:
        roster = ctx.path("roster.csv")
        emails = harness.write_roster(roster, ROWS)
        report = disk.file("roster.report.csv")
        args = harness.run_args(ctx, roster, report, server, "--concurrency", "16", "--rate", "0", "--max-retries", "10")

        code, err = harness.run(args, ctx.path("err1.txt"))
        ctx.check(code == 3, "a run on a full disk exits 3, not %s: %s" % (code, err[-1000:]))
        ctx.check("No space left on device" in err, "the message names the cause: " + err[-500:])
        ctx.check("--resume" in err, "the resume hint is printed")
        sent = server.stats()["totalRequests"]
        ctx.check(0 < sent < ROWS, "requests went out before the disk filled, and stopped (%d)" % sent)
        done = harness.read_report(report)
        ctx.check(0 < len(done) < ROWS, "the report holds part of the rows (%d)" % len(done))
        ctx.check([r["row"] for r in done] == [str(i) for i in range(1, len(done) + 1)],
                  "the report is a gap-free prefix in row order")
        for path in (report, report + ".pending"):
            ctx.check(harness.whole_lines(path), path + " ends with a whole line")
        ctx.log("full disk: the run stopped after %d requests with %d report lines and %d journal lines"
                % (sent, len(done), harness.complete_lines(report + ".pending")))

        files = [report, report + ".pending", report + ".previous", report + ".previous.tmp"]
        before = read_all(files)
        code, err = harness.run(args + ["--resume"], ctx.path("err2.txt"))
        ctx.check(code == 3, "--resume on the still-full disk exits 3, not %s: %s" % (code, err[-1000:]))
        ctx.check("No space left on device" in err, "its message names the cause: " + err[-500:])
        ctx.check(server.stats()["totalRequests"] == sent, "a merge that failed sent nothing")
        ctx.check(read_all(files) == before, "a merge that failed changed no file")

        disk.grow(16 * 1024 * 1024)
        code, err = harness.run(args + ["--resume"], ctx.path("err3.txt"))
        ctx.check(code == 0, "--resume with room exits 0, not %s: %s" % (code, err[-1000:]))
        harness.check_complete(ctx, harness.read_report(report), emails, server.stats())
        for leftover in (".pending", ".previous", ".previous.tmp"):
            ctx.check(not os.path.exists(report + leftover), "left behind: " + leftover)
        ctx.log("full disk: --resume with room completed %d rows, %d requests in all"
                % (ROWS, server.stats()["totalRequests"]))
    finally:
        disk.unmount()


def summary_on_full_disk(ctx, server):
    """The summary's folder fills up while the run sends: the run must end 3, not 2."""
    disk = harness.SmallFs(ctx, "summary-disk", 64 * 1024)
    try:
        roster = ctx.path("roster2.csv")
        harness.write_roster(roster, 400)
        report = ctx.path("roster2.report.csv")
        summary = disk.file("summary.json")
        # Paced (400 rows take 4 s) so that the disk fills while the run sends: unpaced, the run could
        # finish before fill() and write its summary (seen once the sockets got a thread of their own).
        args = harness.run_args(ctx, roster, report, server, "--concurrency", "4", "--rate", "100",
                                "--summary", summary)
        proc = harness.start(args, ctx.path("err4.txt"))
        ctx.check(harness.wait_until(lambda: harness.complete_lines(report) > 20 or proc.poll() is not None, 60),
                  "the run got going")
        disk.fill()
        code = proc.wait(timeout=180)
        err = open(ctx.path("err4.txt")).read()
        ctx.check(code == 3, "a summary that cannot be written after sending exits 3, not %s: %s" % (code, err[-800:]))
        ctx.check("summary" in err and "No space left on device" in err, "the message says why: " + err[-500:])
        ctx.check(not os.path.exists(summary), "no half summary")
        ctx.check(len(harness.read_report(report)) == 400, "the report itself is complete")
    finally:
        disk.unmount()


def body(ctx):
    server = harness.MockServer(ctx, ctx.work, "--latency-ms", "3", "--fail-rate", "0.05", "--seed", "8")
    try:
        report_on_full_disk(ctx, server)
        summary_on_full_disk(ctx, server)
    finally:
        server.kill()


harness.main(body)
