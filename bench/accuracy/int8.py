#!/usr/bin/python3
"""int8 against float on the accuracy benchmark's sets: each set's model trained by the
`mlp` tool's defaults (run.py's command, one seed), quantized with its own training data as
the calibration set (`mlp quantize MODEL train.csv -o Q`), both evaluated on the test part
(`mlp eval`). Writes OUT_DIR/int8.csv and OUT_DIR/int8.md: the float and int8 metric
(accuracy, or test RMSE in the target's units) and their relative difference, against the
target of 1% of the float metric.

Usage: int8.py BUILD_DIR SETS_DIR OUT_DIR [--seed 1] [--sets a,b]
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402  (run.py's meta and training command)


def metric(mlp, model, set_dir):
    """(accuracy or rmse, its name) of `mlp eval` on the test part."""
    out = subprocess.run([mlp, "eval", model, os.path.join(set_dir, "test.csv")],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    last = out.stdout.strip().splitlines()[-1]
    m = re.search(r"test_(accuracy|rmse)=([0-9.eE+-]+|nan)", last)
    if not m:
        raise RuntimeError("no metric in: " + last)
    return float(m.group(2)), m.group(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("sets")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sets", dest="only", default="")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    mlp = os.path.join(a.build, "tools", "mlp")
    names = sorted(n for n in os.listdir(a.sets)
                   if os.path.exists(os.path.join(a.sets, n, "meta.txt")))
    if a.only:
        names = [n for n in names if n in a.only.split(",")]
    rows = []
    for name in names:
        d = os.path.join(a.sets, name)
        m = run.meta(d)
        work = os.path.join(a.out, name)
        os.makedirs(work, exist_ok=True)
        model = os.path.join(work, "model.mlp")
        q = os.path.join(work, "model-int8.mlp")
        train = [mlp, "train", "--train", os.path.join(d, "train.csv"),
                 "--test", os.path.join(d, "test.csv"), "--label", m["labels"],
                 "--task", m["task"], "--seed", str(a.seed), "--out", model, "--quiet"]
        try:
            for cmd in (train, [mlp, "quantize", model, os.path.join(d, "train.csv"), "-o", q]):
                p = subprocess.run(cmd, capture_output=True, text=True)
                if p.returncode != 0:
                    raise RuntimeError(p.stderr.strip())
            f, kind = metric(mlp, model, d)
            i, _ = metric(mlp, q, d)
        except RuntimeError as e:
            print("%s: %s" % (name, e), file=sys.stderr)
            rows.append((name, m["task"], None, None, None))
            continue
        # accuracy: points lost; rmse: relative growth. Both as a share of the float metric.
        rel = (f - i) / f if kind == "accuracy" else (i - f) / f
        rows.append((name, kind, f, i, rel))
        print("%-24s %-8s float %.4f int8 %.4f  %+.2f%%" % (name, kind, f, i, 100 * rel),
              flush=True)
    with open(os.path.join(a.out, "int8.csv"), "w") as f:
        f.write("set,metric,float,int8,relative_loss\n")
        for r in rows:
            f.write(",".join("" if v is None else str(v) for v in r) + "\n")
    with open(os.path.join(a.out, "int8.md"), "w") as f:
        f.write("| set | metric | float | int8 | int8 worse by | within 1% |\n|---|---|---|---|---|---|\n")
        for name, kind, fl, i8, rel in rows:
            if fl is None:
                f.write("| %s | %s | failed | | | |\n" % (name, kind))
                continue
            f.write("| %s | %s | %.4f | %.4f | %+.2f%% | %s |\n"
                    % (name, kind, fl, i8, 100 * rel, "yes" if rel <= 0.01 else "**no**"))
        ok = sum(1 for r in rows if r[4] is not None and r[4] <= 0.01)
        f.write("\n%d of %d sets within 1%% of the float metric (seed %d; calibration: the "
                "training part).\n" % (ok, len(rows), a.seed))


if __name__ == "__main__":
    main()
