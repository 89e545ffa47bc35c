#!/usr/bin/python3
"""Accuracy benchmark driver: every set, every peer, every seed, one table.

Usage: run.py BUILD_DIR SETS_DIR OUT_DIR [--seeds 1,2,3] [--sets a,b] [--no-torch] [--no-fann]

For each set (make_sets.py's layout) it runs the `mlp` tool with its defaults only
(--train, --test, --label, --task, --seed), the training mean / majority class and ridge
least squares (acc-ridge), FANN (acc-fann, when built) and the PyTorch recipe
(torch_peer.py, when torch imports), scores every prediction file the same way (test RMSE
over all outputs in the target's units, or accuracy) and writes OUT_DIR/results.csv and
OUT_DIR/table.md (median and min-max over the seeds). OPENBLAS_NUM_THREADS and torch use
one thread each, so the shared machine's load changes the time, not the numbers.
"""
import argparse
import math
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def meta(set_dir):
    m = {}
    with open(os.path.join(set_dir, "meta.txt")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            m[k] = v
    return m


def truth(set_dir):
    with open(os.path.join(set_dir, "test.num")) as f:
        d, k, classes = (int(v) for v in f.readline().split())
        rows = [[float(v) for v in line.split()][d:] for line in f if line.strip()]
    return rows, classes


def read_pred(path):
    with open(path) as f:
        return [[float(v) for v in line.split()] for line in f if line.strip()]


def score(pred, rows, classes):
    """RMSE over every output, or accuracy."""
    if len(pred) != len(rows):
        raise ValueError("%d predictions for %d records" % (len(pred), len(rows)))
    if classes:
        return sum(int(p[0]) == int(t[0]) for p, t in zip(pred, rows)) / len(rows)
    se = sum((a - b) ** 2 for p, t in zip(pred, rows) for a, b in zip(p, t))
    return math.sqrt(se / (len(rows) * len(rows[0])))


def run_mlp(mlp, set_dir, m, seed, work, extra):
    model = os.path.join(work, "model-%d.mlp" % seed)
    train = [mlp, "train",
             "--train", os.path.join(set_dir, "train.csv"),
             "--test", os.path.join(set_dir, "test.csv"),
             "--label", m["labels"], "--task", m["task"], "--seed", str(seed),
             "--out", model, "--quiet"] + extra
    p = subprocess.run(train, capture_output=True, text=True)
    log = p.stdout + p.stderr
    if p.returncode != 0:
        return None, log
    out = subprocess.run([mlp, "predict", model,
                          os.path.join(set_dir, "test.csv")],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    classes = m.get("classes", "").split(",") if m.get("classes") else None
    pred = []
    for line in out[1:]:  # the header row
        cells = line.split(",")
        if classes:
            pred.append([classes.index(cells[0])])
        else:
            pred.append([float(c) for c in cells])
    return pred, log


def run_c_peer(argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (argv[0], p.stderr.strip()))
    return [[float(v) for v in line.split()] for line in p.stdout.splitlines() if line]


def torch_available():
    p = subprocess.run(["/usr/bin/python3", "-c", "import torch"], capture_output=True)
    return p.returncode == 0


def fmt(v, classify):
    if v is None:
        return "n/a"
    return "%.3f" % v if classify else "%.4g" % v


def cell(values, classify):
    vals = [v for v in values if v is not None]
    if not vals:
        return "n/a", None
    med = statistics.median(vals)
    if len(vals) == 1 or min(vals) == max(vals):
        return fmt(med, classify), med
    return "%s (%s-%s)" % (fmt(med, classify), fmt(min(vals), classify),
                           fmt(max(vals), classify)), med


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("sets")
    ap.add_argument("out")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--sets", dest="only", default="")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--no-fann", action="store_true")
    ap.add_argument("--mlp", default="", help="the mlp tool (default BUILD/tools/mlp)")
    ap.add_argument("--mlp-args", default="", help="extra options, to try other settings")
    a = ap.parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    seeds = [int(s) for s in a.seeds.split(",")]
    names = sorted(n for n in os.listdir(a.sets) if os.path.isfile(os.path.join(a.sets, n, "meta.txt")))
    if a.only:
        names = [n for n in names if n in a.only.split(",")]
    fann = os.path.join(a.build, "bench", "accuracy", "acc-fann")
    have_fann = os.path.exists(fann) and not a.no_fann
    have_torch = not a.no_torch and torch_available()
    os.makedirs(a.out, exist_ok=True)
    results = {}  # (set, peer) -> list of scores
    logs = open(os.path.join(a.out, "mlp-logs.txt"), "w")
    for name in names:
        d = os.path.join(a.sets, name)
        m = meta(d)
        rows, classes = truth(d)
        work = os.path.join(a.out, name)
        os.makedirs(work, exist_ok=True)
        tr, te = os.path.join(d, "train.num"), os.path.join(d, "test.num")
        ridge = os.path.join(a.build, "bench", "accuracy", "acc-ridge")
        results[(name, "mean")] = [score(run_c_peer([ridge, "mean", tr, te]), rows, classes)]
        results[(name, "ridge")] = [score(run_c_peer([ridge, "ridge", tr, te]), rows, classes)]
        for peer in ("fann", "torch", "mlp"):
            results[(name, peer)] = []
        for s in seeds:
            if have_fann:
                results[(name, "fann")].append(score(run_c_peer([fann, str(s), tr, te]), rows,
                                                     classes))
            pred, log = run_mlp(a.mlp or os.path.join(a.build, "tools", "mlp"), d, m, s, work,
                                a.mlp_args.split())
            logs.write("== %s seed %d\n%s" % (name, s, log))
            results[(name, "mlp")].append(None if pred is None else score(pred, rows, classes))
        if have_torch:
            args = [a.out + "/" + name]
            for s in seeds:
                args += [str(s), tr, te]
            subprocess.run(["/usr/bin/python3", os.path.join(HERE, "torch_peer.py")] + args,
                           check=True)
            for i in range(len(seeds)):
                results[(name, "torch")].append(
                    score(read_pred(os.path.join(a.out, name, "torch-%d.pred" % i)), rows,
                          classes))
        print("%-15s %s" % (name, "  ".join(
            "%s %s" % (p, cell(results[(name, p)], classes)[0])
            for p in ("mean", "ridge", "fann", "torch", "mlp"))), flush=True)
    write_outputs(a, names, results, seeds)


def write_outputs(a, names, results, seeds):
    peers = ("mean", "ridge", "fann", "torch", "mlp")
    with open(os.path.join(a.out, "results.csv"), "w") as f:
        f.write("set,task,peer,seed_index,score\n")
        for name in names:
            task = meta(os.path.join(a.sets, name))["task"]
            for p in peers:
                for i, v in enumerate(results[(name, p)]):
                    f.write("%s,%s,%s,%d,%s\n" % (name, task, p, i, "" if v is None else v))
    lines = ["| set | records (train/test), inputs, outputs | metric | mean / majority | ridge | "
             "FANN | PyTorch | mlp (defaults) | mlp / best peer | mlp / FANN |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    vs_fann, ok_mean, ok_best = [], [], []
    for name in names:
        m = meta(os.path.join(a.sets, name))
        cls = m["task"] == "classify"
        cells, med = {}, {}
        for p in peers:
            cells[p], med[p] = cell(results[(name, p)], cls)
        # Losses to compare: RMSE, or the error rate (1 - accuracy).
        loss = {p: (None if med[p] is None else (1 - med[p] if cls else med[p])) for p in peers}
        best = min((loss[p] for p in ("ridge", "fann", "torch") if loss[p] is not None),
                   default=None)
        ratio = lambda x, y: None if x is None or y is None else (x / y if y > 0 else (1.0 if x == 0 else math.inf))
        r_best, r_fann = ratio(loss["mlp"], best), ratio(loss["mlp"], loss["fann"])
        if r_fann is not None:
            vs_fann.append(r_fann)
        if loss["mlp"] is not None:
            ok_mean.append(loss["mlp"] <= loss["mean"])
            # classification: within 10% of the best accuracy; regression: of the best RMSE
            ok_best.append(med["mlp"] >= 0.9 * (1 - best) if cls else r_best <= 1.1)
        metric = "accuracy" if cls else "RMSE"
        if "noise_rmse" in m:
            metric += " (noise %s)" % m["noise_rmse"]
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, m["records"].replace("records=", "").replace(" inputs=", ", ")
                 .replace(" outputs=", ", "),
            metric, cells["mean"], cells["ridge"], cells["fann"], cells["torch"], cells["mlp"],
            "n/a" if r_best is None else "%.2f" % r_best,
            "n/a" if r_fann is None else "%.2f" % r_fann))
    summary = [
        "",
        "Seeds %s; median (min-max). Ratios compare losses (RMSE, or error rate 1 - accuracy) "
        "of the medians; below 1 mlp is better." % ",".join(str(s) for s in seeds),
        "mlp no worse than mean/majority: %d of %d sets; within 10%% of the best peer (RMSE "
        "ratio <= 1.1, or accuracy >= 0.9 x best): %d of %d; median mlp / FANN loss ratio: %s."
        % (sum(ok_mean), len(ok_mean), sum(ok_best), len(ok_best),
           "%.2f" % statistics.median(vs_fann) if vs_fann else "n/a"),
    ]
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write("\n".join(lines + summary) + "\n")
    print("\n".join(lines + summary))


if __name__ == "__main__":
    main()
