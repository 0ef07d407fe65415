#!/usr/bin/env bash
# Renders every clinic overlay in deploy/kubernetes with `kubectl kustomize` and checks, on the
# rendered YAML, what the contract needs of a scheduled run: concurrencyPolicy Forbid, --resume, the
# report on a PersistentVolumeClaim that the overlay also creates, the key from a Secret it creates,
# the config from its ConfigMap, every name prefixed by the clinic, and only options that this
# binary's `run --help` knows. Without kubectl it checks the base alone and says so.
#   usage: kustomize.sh BINARY SOURCE_DIR
set -uo pipefail
source "$(dirname "$0")/../cli/lib.bash"
PY=/usr/bin/python3
deploy=$SRC/deploy/kubernetes

if ! "$PY" -c 'import yaml' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 has no yaml module (Debian package python3-yaml)"
    finish
    exit $?
fi
"$BIN" run --help | grep -oE '^  (-[a-z],)?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+' >"$WORK/flags"

check_rendered() {  # yaml file, clinic name ("" for the base)
    if "$PY" - "$1" "$2" "$WORK/flags" <<'PYTHON' >"$WORK/check.out" 2>&1; then pass; else
import posixpath, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
clinic, known = sys.argv[2], set(open(sys.argv[3]).read().split())
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
problems = []
def need(cond, what):
    if not cond:
        problems.append(what)
jobs = list(by_kind.get("CronJob", {}).values())
need(len(jobs) == 1, f"one CronJob, found {len(jobs)}")
job = jobs[0]
spec = job["spec"]
need(spec.get("concurrencyPolicy") == "Forbid", "concurrencyPolicy: Forbid")
pod = spec["jobTemplate"]["spec"]["template"]["spec"]
need(pod.get("restartPolicy") == "Never", "restartPolicy: Never")
need(pod.get("terminationGracePeriodSeconds", 30) > 30, "terminationGracePeriodSeconds above --timeout")
(container,) = pod["containers"]
args = container["args"]
need(args[0] == "run", "the container runs `run`")
need("--resume" in args, "--resume in the arguments")
for a in args:
    if a.startswith("--"):
        need(a in known, f"{a} is not an option of this build's `run`")
def value(flag):
    return args[args.index(flag) + 1] if flag in args else None
volumes = {v["name"]: v for v in pod["volumes"]}
mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
def volume_of(path):
    folder = posixpath.dirname(path)
    m = mounts.get(folder)
    need(m is not None, f"{path}: no volume mounted at {folder}")
    return volumes[m["name"]] if m else {}
report = value("--report")
need(report is not None, "--report names the report's path")
data = volume_of(report or "/")
claim = data.get("persistentVolumeClaim", {}).get("claimName")
need(claim in by_kind.get("PersistentVolumeClaim", {}), f"the report's volume is a PVC of this overlay ({claim})")
need(not mounts.get(posixpath.dirname(report or "/"), {}).get("readOnly"), "the report volume is writable")
need(posixpath.dirname(args[1]) == posixpath.dirname(report or ""), "the roster is on the same volume")
key = volume_of(value("--api-key-file") or "/")
need(key.get("secret", {}).get("secretName") in by_kind.get("Secret", {}), "the key comes from a Secret of this overlay")
config = volume_of(value("--config") or "/")
need(config.get("configMap", {}).get("name") in by_kind.get("ConfigMap", {}) or not clinic,
     "the config comes from a ConfigMap of this overlay")
if clinic:
    for kind, objects in by_kind.items():
        for name in objects:
            need(name.startswith(clinic + "-"), f"{kind} {name} carries the prefix {clinic}-")
print(spec["schedule"])
for p in problems:
    print("problem:", p)
sys.exit(1 if problems else 0)
PYTHON
        fail "$(basename "$(dirname "$1")")/$2: $(grep problem "$WORK/check.out" | tr '\n' ';')$(grep -v problem "$WORK/check.out" | tail -3)"
    fi
}

if [[ ${AVARA_TEST_NO_KUBECTL:-0} != 1 ]] && command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1; then
    schedules=()
    for overlay in "$deploy"/overlays/*/; do
        clinic=$(basename "$overlay")
        if kubectl kustomize "$overlay" >"$WORK/$clinic.yaml" 2>"$WORK/$clinic.err"; then pass; else
            fail "kubectl kustomize $overlay: $(cat "$WORK/$clinic.err")"
            continue
        fi
        check_rendered "$WORK/$clinic.yaml" "$clinic"
        schedules+=("$(head -1 "$WORK/check.out")")
        expect_not_contains "$WORK/$clinic.err" "Warning"
    done
    expect_eq "$(printf '%s\n' "${schedules[@]}" | sort -u | wc -l | tr -d ' ')" "${#schedules[@]}" \
        "each clinic has its own schedule"
    [[ ${#schedules[@]} -ge 2 ]] && pass || fail "fewer than two clinic overlays"
else
    echo "SKIP: kubectl is not installed: the base is checked as plain YAML, the overlays are not rendered"
    for f in "$deploy"/base/*.yaml; do [[ $(basename "$f") == kustomization.yaml ]] || { cat "$f"; echo ---; }; done >"$WORK/base.yaml"
    # The base has no ConfigMap of its own (each overlay generates it): the check allows that.
    check_rendered "$WORK/base.yaml" ""
fi
finish
