"""Shared parts of the crash and file-system suites: the real binary, the real mock server as its own
process (`avara-onboard mock-server`), real files, real signals, and the server's state as the record
of what was really sent.

A suite calls `main(body)`: body(ctx) runs with ctx.bin (the binary) and ctx.work (a fresh folder);
a failed `check` is collected, the suite exits 1 if any failed, 77 (ctest: skipped) when it said so.
"""
import csv
import io
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

SKIP = 77

HEADER = "email,first_name,last_name,clinic_role,level,can_manage_studies,has_dashboard_access\n"
REPORT_COLUMNS = ["row", "line", "email", "status", "http_status", "user_id", "attempts", "error"]


class Skip(Exception):
    pass


class Context:
    def __init__(self, binary, work):
        self.bin = binary
        self.work = work
        self.failures = 0
        self.passed = 0

    def path(self, name):
        return os.path.join(self.work, name)

    def check(self, condition, what):
        if condition:
            self.passed += 1
        else:
            self.failures += 1
            print("FAIL: " + what, file=sys.stderr, flush=True)
        return condition

    def log(self, text):
        print(text, flush=True)


def main(body):
    binary = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="avara-chaos-")
    ctx = Context(binary, work)
    name = os.path.basename(sys.argv[0])
    try:
        body(ctx)
    except Skip as e:
        print("%s: skipped: %s" % (name, e), flush=True)
        sys.exit(SKIP)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%s: %d passed, %d failed" % (name, ctx.passed, ctx.failures), flush=True)
    sys.exit(1 if ctx.failures else 0)


def email_for(i):
    return "user%05d@example.org" % i


def write_roster(path, count):
    """`count` valid rows with unique emails; returns the emails in row order."""
    emails = [email_for(i) for i in range(1, count + 1)]
    with open(path, "w") as f:
        f.write(HEADER)
        for i, email in enumerate(emails, 1):
            f.write("%s,First%d,Last%d,Registered Nurse,member,false,true\n" % (email, i, i))
    return emails


def read_report(path):
    """The data lines of a CSV report as dicts; the header must be the contract's."""
    with open(path, newline="") as f:
        text = f.read()
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0] != REPORT_COLUMNS:
        raise AssertionError("%s: not a report (header %r)" % (path, rows[:1]))
    return [dict(zip(REPORT_COLUMNS, r)) for r in rows[1:]]


def prefix_rows(path):
    """The row numbers of a report's whole lines (a killed writer may leave half a line after them)."""
    try:
        with open(path, newline="") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    text = text[:text.rfind("\n") + 1]
    rows = list(csv.reader(io.StringIO(text)))
    return [r[0] for r in rows[1:]]


def _whole_text(path):
    try:
        with open(path, newline="") as f:
            text = f.read()
    except FileNotFoundError:
        return ""
    return text[:text.rfind("\n") + 1]


def done_on_disk(report):
    """{email: user_id} of every invited/exists row that a CSV report, its journal and its .previous
    hold in whole lines: what a resume must never send again."""
    done = {}
    records = list(csv.reader(io.StringIO(_whole_text(report))))[1:]
    records += list(csv.reader(io.StringIO(_whole_text(report + ".pending"))))
    for r in records:
        if len(r) == 8 and r[3] in ("invited", "exists"):
            done[r[2].lower()] = r[5]
    for line in _whole_text(report + ".previous").splitlines():
        r = json.loads(line)
        if r["status"] in ("invited", "exists"):
            done[r["email"].lower()] = r["user_id"] or ""
    return done


def whole_lines(path):
    """True when the file is empty or ends with a newline: no half line was left behind."""
    with open(path, "rb") as f:
        data = f.read()
    return not data or data.endswith(b"\n")


class MockServer:
    """`avara-onboard mock-server` in the background; its CA and state file in `folder`."""

    def __init__(self, ctx, folder, *flags):
        self.ca = os.path.join(folder, "ca.pem")
        self.state_file = os.path.join(folder, "state.json")
        self.proc = subprocess.Popen(
            [ctx.bin, "mock-server", "--listen", "127.0.0.1:0", "--write-ca", self.ca,
             "--state-file", self.state_file, "--api-key", "chaos-key", *flags],
            stdout=subprocess.PIPE, stderr=open(os.path.join(folder, "server.err"), "w"), text=True)
        address = self.proc.stdout.readline().strip()
        if not address:
            raise AssertionError("the mock server did not start: " + open(os.path.join(folder, "server.err")).read())
        self.base_url = "https://" + address

    def stats(self):
        """GET /__admin/stats while it runs."""
        context = ssl.create_default_context(cafile=self.ca)
        with urllib.request.urlopen(self.base_url + "/__admin/stats", context=context, timeout=30) as r:
            return json.load(r)

    def stop(self):
        """SIGTERM, then the state file it writes on the way out."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
        with open(self.state_file) as f:
            return json.load(f)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def run_args(ctx, roster, report, server, *extra):
    return [ctx.bin, "run", roster, "--report", report, "--base-url", server.base_url,
            "--ca-file", server.ca, *extra]


def client_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVARA_")}
    env["AVARA_API_KEY"] = "chaos-key"
    return env


def start(args, err_path):
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=open(err_path, "w"), env=client_env())


def run(args, err_path, timeout=180):
    """Runs to the end; (exit code, stderr text)."""
    proc = start(args, err_path)
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = "timed out"
    with open(err_path) as f:
        return code, f.read()


def wait_until(condition, timeout, step=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def complete_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def check_complete(ctx, report_rows, emails, state):
    """Every row exactly once in row order, invited or exists, one user per email on the server,
    and each reported user_id the server's own."""
    ctx.check(len(report_rows) == len(emails),
              "report has %d lines for %d rows" % (len(report_rows), len(emails)))
    ctx.check([r["row"] for r in report_rows] == [str(i) for i in range(1, len(report_rows) + 1)],
              "report rows are 1..N, each once, in order")
    ctx.check([r["email"] for r in report_rows] == emails[:len(report_rows)], "report emails in roster order")
    server_emails = state["emails"]
    ctx.check(state["usersCreated"] == len(emails),
              "server created %d users for %d emails" % (state["usersCreated"], len(emails)))
    bad = []
    for r in report_rows:
        held = server_emails.get(r["email"].lower(), {})
        if r["status"] not in ("invited", "exists") or not r["user_id"] or held.get("userId") != r["user_id"]:
            bad.append("row %s %s: %s id %r (server %r) %s" % (r["row"], r["email"], r["status"], r["user_id"],
                                                             held.get("userId"), r["error"]))
    ctx.check(not bad, "%d rows not invited with the server's id: %s" % (len(bad), bad[:5]))
    missing = [e for e in emails if not server_emails.get(e, {}).get("userId")]
    ctx.check(not missing, "%d emails have no user on the server: %s" % (len(missing), missing[:5]))


class SmallFs:
    """A tmpfs of `size` bytes mounted on a fresh folder (root only); raises Skip when it cannot."""

    def __init__(self, ctx, name, size):
        self.path = ctx.path(name)
        os.makedirs(self.path)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d,mode=0700" % size, "tmpfs", self.path],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise Skip("cannot mount a tmpfs (%s): a full disk needs root to test"
                       % (done.stderr.strip() or done.returncode))

    def file(self, name):
        return os.path.join(self.path, name)

    def grow(self, size):
        subprocess.run(["mount", "-o", "remount,size=%d" % size, self.path], check=True)

    def fill(self):
        """Fills what room is left with a filler file."""
        block = b"f" * 4096
        try:
            with open(self.file("filler"), "wb", buffering=0) as f:
                while True:
                    f.write(block)
        except OSError:
            pass

    def unmount(self):
        subprocess.run(["umount", "-l", self.path], capture_output=True)
