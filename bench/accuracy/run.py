#!/usr/bin/python3
"""Accuracy benchmark driver: every set, every peer, every seed, one table.

Usage: run.py BUILD_DIR SETS_DIR OUT_DIR [--seeds 1,2,3] [--sets a,b] [--no-torch]
              [--no-fann] [--no-r] [--peers-from OLD_OUT_DIR]

For each set (make_sets.py's layout) it runs the `mlp` tool with its defaults only
(--train, --test, --label, --task, --seed), the training mean / majority class and ridge
least squares (acc-ridge), the library's softmax regression alone (acc-softmax,
classification), a linear model and a random forest in R (r_peer.R: lm / glm / multinom,
randomForest; when Rscript and r-cran-randomforest are there), FANN (acc-fann, when built)
and the PyTorch recipe (torch_peer.py, when torch imports), scores every prediction file
the same way (test RMSE over all outputs in the target's units, or accuracy) and writes
OUT_DIR/results.csv and OUT_DIR/table.md (median and min-max over the seeds, and the
median fitting time of mlp and of the forest). OPENBLAS_NUM_THREADS, torch and R use one
thread each, so the shared machine's load changes the times, not the scores.
--peers-from takes every peer but mlp (scores and the forest's times) from an earlier run's
results.csv with the same seeds and sets instead of running them again: they do not depend
on mlp, and the forest alone takes most of an hour on two busy cores.
"""
import argparse
import math
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = ("mean", "ridge", "linear", "softmax", "fann", "torch", "forest", "mlp")


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
    """RMSE over every output, or accuracy (a test class training lacked: index -1)."""
    if len(pred) != len(rows):
        raise ValueError("%d predictions for %d records" % (len(pred), len(rows)))
    if classes:
        return sum(int(p[0]) == int(t[0]) >= 0 for p, t in zip(pred, rows)) / len(rows)
    se = sum((a - b) ** 2 for p, t in zip(pred, rows) for a, b in zip(p, t))
    return math.sqrt(se / (len(rows) * len(rows[0])))


def run_mlp(mlp, set_dir, m, seed, work, extra):
    model = os.path.join(work, "model-%d.mlp" % seed)
    train = [mlp, "train",
             "--train", os.path.join(set_dir, "train.csv"),
             "--test", os.path.join(set_dir, "test.csv"),
             "--label", m["labels"], "--task", m["task"], "--seed", str(seed),
             "--out", model, "--quiet"] + extra
    start = time.time()
    p = subprocess.run(train, capture_output=True, text=True)
    wall = time.time() - start
    log = p.stdout + p.stderr
    if p.returncode != 0:
        return None, log, None
    secs = wall  # the whole `mlp train`: loading, selection, training, saving
    out = subprocess.run([mlp, "predict", model,
                          os.path.join(set_dir, "test.csv")],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    classes = m.get("classes", "").split(",") if m.get("classes") else None
    pred = []
    for line in out[1:]:  # the header row
        cells = line.split(",")
        if classes:
            pred.append([classes.index(cells[0]) if cells[0] in classes else -1])
        else:
            pred.append([float(c) for c in cells])
    return pred, log, secs


def r_available():
    p = subprocess.run(["Rscript", "-e", "library(randomForest); library(nnet)"],
                       capture_output=True)
    return p.returncode == 0


def run_r_peer(model, set_dir, m, seed, work):
    """r_peer.R's predictions in the truth's form, and its fitting time."""
    out = os.path.join(work, "%s-%d.pred" % (model, seed))
    p = subprocess.run(["Rscript", os.path.join(HERE, "r_peer.R"), model, m["task"],
                        os.path.join(set_dir, "train.csv"), os.path.join(set_dir, "test.csv"),
                        m["labels"], str(seed), out], capture_output=True, text=True)
    if p.returncode != 0:
        print("r_peer %s failed on %s: %s" % (model, set_dir, p.stderr.strip()[-300:]),
              file=sys.stderr)
        return None, None
    classes = m.get("classes", "").split(",") if m.get("classes") else None
    pred = []
    with open(out) as f:
        for line in f:
            line = line.rstrip("\n")
            if classes:
                pred.append([classes.index(line) if line in classes else -1])
            elif line.strip():
                pred.append([float(v) for v in line.split()])
    with open(out + ".time") as f:
        return pred, float(f.read())


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
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--mlp", default="", help="the mlp tool (default BUILD/tools/mlp)")
    ap.add_argument("--mlp-args", default="", help="extra options, to try other settings")
    ap.add_argument("--peers-from", default="",
                    help="an earlier OUT_DIR: its peers' results, not run again")
    a = ap.parse_args()
    old = read_results(a.peers_from) if a.peers_from else None
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    os.environ["OMP_NUM_THREADS"] = "1"
    seeds = [int(s) for s in a.seeds.split(",")]
    names = sorted(n for n in os.listdir(a.sets) if os.path.isfile(os.path.join(a.sets, n, "meta.txt")))
    if a.only:
        names = [n for n in names if n in a.only.split(",")]
    fann = os.path.join(a.build, "bench", "accuracy", "acc-fann")
    have_fann = os.path.exists(fann) and not a.no_fann
    have_torch = not a.no_torch and torch_available()
    have_r = not a.no_r and r_available()
    if not a.no_r and not have_r:
        print("run.py: R peers skipped (install r-cran-randomforest and r-cran-nnet)",
              file=sys.stderr)
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
        if old is not None:
            for peer in PEERS + ("mlp_s", "forest_s"):
                results[(name, peer)] = old.get((name, peer), []) if peer not in (
                    "mlp", "mlp_s") else []
            for s in seeds:
                pred, log, secs = run_mlp(a.mlp or os.path.join(a.build, "tools", "mlp"), d,
                                          m, s, work, a.mlp_args.split())
                logs.write("== %s seed %d\n%s" % (name, s, log))
                results[(name, "mlp")].append(None if pred is None else
                                              score(pred, rows, classes))
                results[(name, "mlp_s")].append(secs)
            print("%-15s %s" % (name, "  ".join(
                "%s %s" % (p, cell(results[(name, p)], classes)[0]) for p in PEERS)), flush=True)
            continue
        ridge = os.path.join(a.build, "bench", "accuracy", "acc-ridge")
        results[(name, "mean")] = [score(run_c_peer([ridge, "mean", tr, te]), rows, classes)]
        results[(name, "ridge")] = [score(run_c_peer([ridge, "ridge", tr, te]), rows, classes)]
        for peer in PEERS[2:] + ("mlp_s", "forest_s"):
            results[(name, peer)] = []
        if classes:
            softmax = os.path.join(a.build, "bench", "accuracy", "acc-softmax")
            results[(name, "softmax")] = [score(run_c_peer([softmax, tr, te]), rows, classes)]
        if have_r:
            pred, _ = run_r_peer("linear", d, m, 1, work)
            results[(name, "linear")] = [None if pred is None else score(pred, rows, classes)]
        for s in seeds:
            if have_fann:
                results[(name, "fann")].append(score(run_c_peer([fann, str(s), tr, te]), rows,
                                                     classes))
            pred, log, secs = run_mlp(a.mlp or os.path.join(a.build, "tools", "mlp"), d, m, s,
                                      work, a.mlp_args.split())
            logs.write("== %s seed %d\n%s" % (name, s, log))
            results[(name, "mlp")].append(None if pred is None else score(pred, rows, classes))
            results[(name, "mlp_s")].append(secs)
            if have_r:
                pred, secs = run_r_peer("forest", d, m, s, work)
                results[(name, "forest")].append(None if pred is None else
                                                 score(pred, rows, classes))
                results[(name, "forest_s")].append(secs)
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
            for p in PEERS)), flush=True)
    write_outputs(a, names, results, seeds)


def read_results(out_dir):
    """(set, peer) -> scores in seed order, from an earlier run's results.csv."""
    got = {}
    with open(os.path.join(out_dir, "results.csv")) as f:
        next(f)
        for line in f:
            name, _, peer, _, v = line.rstrip("\n").split(",")
            got.setdefault((name, peer), []).append(float(v) if v else None)
    return got


def seconds(values):
    vals = [v for v in values if v is not None]
    return "%.2g" % statistics.median(vals) if vals else "n/a"


def write_outputs(a, names, results, seeds):
    with open(os.path.join(a.out, "results.csv"), "w") as f:
        f.write("set,task,peer,seed_index,score\n")
        for name in names:
            task = meta(os.path.join(a.sets, name))["task"]
            for p in PEERS + ("mlp_s", "forest_s"):
                for i, v in enumerate(results[(name, p)]):
                    f.write("%s,%s,%s,%d,%s\n" % (name, task, p, i, "" if v is None else v))
    lines = ["| set | records (train/test), inputs, outputs | metric | mean / majority | ridge | "
             "linear (R) | softmax (lib) | FANN | PyTorch | forest (R) | mlp (defaults) | "
             "mlp / best of linear, forest | mlp s | forest s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    ok_mean, failed, reg_ratio, cls_gap = [], [], [], []
    for name in names:
        m = meta(os.path.join(a.sets, name))
        cls = m["task"] == "classify"
        cells, med = {}, {}
        for p in PEERS:
            cells[p], med[p] = cell(results[(name, p)], cls)
        # Losses to compare: RMSE, or the error rate (1 - accuracy).
        loss = {p: (None if med[p] is None else (1 - med[p] if cls else med[p])) for p in PEERS}
        best = min((loss[p] for p in ("linear", "forest") if loss[p] is not None), default=None)
        vs = None
        if loss["mlp"] is None:
            failed.append(name)
        else:
            ok_mean.append(loss["mlp"] <= loss["mean"])
            if best is not None and cls:
                vs = "%+.3f" % (best - loss["mlp"])  # accuracy points, above 0 mlp better
                cls_gap.append(best - loss["mlp"])
            elif best is not None:
                vs = "%.2f" % (loss["mlp"] / best if best > 0 else 1.0)
                reg_ratio.append(loss["mlp"] / best if best > 0 else 1.0)
        metric = "accuracy" if cls else "RMSE"
        if "noise_rmse" in m:
            metric += " (noise %s)" % m["noise_rmse"]
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, m["records"].replace("records=", "").replace(" inputs=", ", ")
                 .replace(" outputs=", ", "),
            metric, cells["mean"], cells["ridge"], cells["linear"],
            cells["softmax"] if cls else "-", cells["fann"], cells["torch"], cells["forest"],
            cells["mlp"] if loss["mlp"] is not None else "**failed**",
            "n/a" if vs is None else vs, seconds(results[(name, "mlp_s")]),
            seconds(results[(name, "forest_s")])))
    med = lambda v: "%.3g" % statistics.median(v) if v else "n/a"
    summary = [
        "",
        "Seeds %s; median (min-max). Linear and softmax are deterministic (one run). "
        "\"mlp / best\": regression, the RMSE ratio to the better of the linear model and "
        "the forest (below 1 mlp is better); classification, mlp's accuracy minus the "
        "better one's (above 0 mlp is better). Times: median seconds fitting, one thread."
        % ",".join(str(s) for s in seeds),
        "mlp failed on %d set(s)%s; no worse than mean/majority: %d of %d sets. Regression: "
        "RMSE at or below the best of (linear, forest) on %d of %d sets, within 10%% on %d, "
        "median ratio %s. Classification: accuracy at or above the best of (logit, forest) "
        "on %d of %d sets, within 3 points on %d, median difference %s." % (
            len(failed), (" (" + ", ".join(failed) + ")") if failed else "",
            sum(ok_mean), len(ok_mean),
            sum(r <= 1.0 for r in reg_ratio), len(reg_ratio),
            sum(r <= 1.1 for r in reg_ratio), med(reg_ratio),
            sum(g >= 0 for g in cls_gap), len(cls_gap), sum(g >= -0.03 for g in cls_gap),
            med(cls_gap)),
    ]
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write("\n".join(lines + summary) + "\n")
    print("\n".join(lines + summary))


if __name__ == "__main__":
    main()
