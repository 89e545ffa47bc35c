#!/usr/bin/python3
"""int8 against float on the accuracy benchmark's sets: each set's model trained by the
`mlp` tool's defaults (run.py's command, one seed), quantized with its own training data as
the calibration set (`mlp quantize MODEL train.csv -o Q`: static input scales, the default)
and without one (dynamic: each record's own scale), all evaluated on the test part (`mlp
eval`). Writes OUT_DIR/int8.csv and OUT_DIR/int8.md: the float and int8 metrics (accuracy,
or test RMSE in the target's units) and their relative differences, against the target of
1% of the float metric. A model already in OUT_DIR/SET/model.mlp is reused.

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
        dq = os.path.join(work, "model-int8-dynamic.mlp")
        train = [mlp, "train", "--train", os.path.join(d, "train.csv"),
                 "--test", os.path.join(d, "test.csv"), "--label", m["labels"],
                 "--task", m["task"], "--seed", str(a.seed), "--out", model, "--quiet"]
        cmds = [] if os.path.exists(model) else [train]
        cmds += [[mlp, "quantize", model, os.path.join(d, "train.csv"), "-o", q],
                 [mlp, "quantize", model, "-o", dq]]
        try:
            for cmd in cmds:
                p = subprocess.run(cmd, capture_output=True, text=True)
                if p.returncode != 0:
                    raise RuntimeError(p.stderr.strip())
            f, kind = metric(mlp, model, d)
            i, _ = metric(mlp, q, d)
            di, _ = metric(mlp, dq, d)
        except RuntimeError as e:
            print("%s: %s" % (name, e), file=sys.stderr)
            rows.append((name, m["task"], None, None, None, None, None))
            continue

        def worse(v):  # accuracy: points lost; rmse: growth; both a share of the float metric
            return (f - v) / f if kind == "accuracy" else (v - f) / f
        rows.append((name, kind, f, i, worse(i), di, worse(di)))
        print("%-24s %-8s float %.4f int8 %.4f %+.2f%%  dynamic %.4f %+.2f%%"
              % (name, kind, f, i, 100 * worse(i), di, 100 * worse(di)), flush=True)
    with open(os.path.join(a.out, "int8.csv"), "w") as f:
        f.write("set,metric,float,int8_static,static_relative_loss,int8_dynamic,"
                "dynamic_relative_loss\n")
        for r in rows:
            f.write(",".join("" if v is None else str(v) for v in r) + "\n")
    with open(os.path.join(a.out, "int8.md"), "w") as f:
        f.write("| set | metric | float | int8 static | worse by | int8 dynamic | worse by |\n"
                "|---|---|---|---|---|---|---|\n")
        for name, kind, fl, i8, rel, d8, drel in rows:
            if fl is None:
                f.write("| %s | %s | failed | | | | |\n" % (name, kind))
                continue
            f.write("| %s | %s | %.4f | %.4f | %s | %.4f | %s |\n"
                    % (name, kind, fl, i8, mark(rel), d8, mark(drel)))
        for col, label in ((4, "static"), (6, "dynamic")):
            ok = sum(1 for r in rows if r[col] is not None and r[col] <= 0.01)
            f.write("\n%s: %d of %d sets within 1%% of the float metric" % (label, ok, len(rows)))
        f.write(" (seed %d; static calibration: the training part).\n" % a.seed)


def mark(rel):
    text = "%+.2f%%" % (100 * rel)
    return text if rel <= 0.01 else "**" + text + "**"


if __name__ == "__main__":
    main()
