"""Helpers for tests/cli/sync.sh: rosters for a nightly cycle, and the server's state against a roster.

    sync_helper.py roster OUT.csv DAY      the day's roster (1: 1,002 people; 2: 1,000, two leavers;
                                           3: 15 leave, 15 join, 30 change role or name, the 2 return)
    sync_helper.py seed OUT.json           dashboard users and owners that sync must never touch
    sync_helper.py check BASE CA ROSTER    the server's users (all pages) and its admin stats against the
                                           roster: in scope, exactly the roster's people with its values,
                                           none revoked; everyone else as seeded. Prints what differs.
"""
import csv
import json
import ssl
import sys
import time
import urllib.error
import urllib.request

HEADER = ["email", "first_name", "last_name", "clinic_role", "level", "can_manage_studies",
          "has_dashboard_access"]


def person(i, role="Registered Nurse", last=None):
    return [f"p{i:04d}@clinic.org", f"First{i}", last or f"Last{i}", role, "member", "false", "true"]


def roster(day):
    if day == 1:
        return [person(i) for i in range(1, 1003)]
    if day == 2:
        return [person(i) for i in range(1, 1001)]  # p1001, p1002 leave
    rows = []
    for i in range(16, 1001):  # p0001..p0015 leave
        if i <= 30:
            rows.append(person(i, role="Radiologist"))
        elif i <= 45:
            rows.append(person(i, last=f"Married{i}"))
        else:
            rows.append(person(i))
    rows += [person(i) for i in range(2001, 2016)]  # 15 join
    rows += [person(1001), person(1002)]  # the two leavers return
    return rows


SEED = [
    {"email": "owner@clinic.org", "firstName": "Olive", "lastName": "Owner", "clinicRole": "Other",
     "level": "owner", "canManageStudies": True, "hasDashboardAccess": True, "invitedSource": "dashboard"},
    {"email": "dash@clinic.org", "firstName": "Dana", "lastName": "Dash", "clinicRole": "Physician",
     "level": "member", "canManageStudies": True, "hasDashboardAccess": False, "invitedSource": "dashboard"},
    {"email": "apiowner@clinic.org", "firstName": "Ann", "lastName": "Boss", "clinicRole": "Other",
     "level": "owner", "canManageStudies": True, "hasDashboardAccess": True, "invitedSource": "api"},
]


def get(base, ctx, path):
    # The server may be injecting faults: try again, as a client would.
    for attempt in range(50):
        try:
            req = urllib.request.Request(base + path, headers={"Authorization": "Bearer k"})
            with urllib.request.urlopen(req, context=ctx) as r:
                return json.loads(r.read())
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise SystemExit(f"GET {path}: no answer after 50 tries")


def check(base, ca, roster_path):
    ctx = ssl.create_default_context(cafile=ca)
    users, cursor = [], None
    while True:
        page = get(base, ctx, "/v1/viewer/users?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        users += page["users"]
        if not page["hasMore"]:
            break
        cursor = page["cursor"]
    stats = get(base, ctx, "/__admin/stats")
    revoked = {e for e, s in stats["emails"].items() if s.get("revoked")}
    wanted = {}
    with open(roster_path, newline="") as f:
        for row in csv.DictReader(f):
            wanted[row["email"].lower()] = row
    problems = []
    seen = set()
    for u in users:
        email = u["email"].lower()
        if email in seen:
            problems.append(f"{email}: listed twice")
        seen.add(email)
        seeded = next((s for s in SEED if s["email"] == email), None)
        if seeded:
            for k, v in seeded.items():
                if u.get(k) != v:
                    problems.append(f"{email}: seeded {k} {v!r} became {u.get(k)!r}")
            if email in revoked:
                problems.append(f"{email}: a seeded user was revoked")
            continue
        if email not in wanted:
            if email not in revoked:
                problems.append(f"{email}: not in the roster but still has access")
            continue
        if email in revoked:
            problems.append(f"{email}: in the roster but revoked")
        row = wanted[email]
        for key, field in (("first_name", "firstName"), ("last_name", "lastName"), ("clinic_role", "clinicRole"),
                           ("level", "level")):
            if u.get(field) != row[key]:
                problems.append(f"{email}: {field} {u.get(field)!r}, roster {row[key]!r}")
    for email in wanted:
        if email not in seen:
            problems.append(f"{email}: in the roster, not on the server")
    for p in problems[:20]:
        print(p)
    print(f"{len(users)} users listed, {len(problems)} difference(s)")
    return 0 if not problems else 1


def main():
    cmd = sys.argv[1]
    if cmd == "roster":
        with open(sys.argv[2], "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(HEADER)
            w.writerows(roster(int(sys.argv[3])))
        return 0
    if cmd == "seed":
        with open(sys.argv[2], "w") as f:
            json.dump(SEED, f)
        return 0
    if cmd == "check":
        return check(sys.argv[2], sys.argv[3], sys.argv[4])
    return 2


if __name__ == "__main__":
    sys.exit(main())
