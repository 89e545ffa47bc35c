#!/usr/bin/python3
"""Writes the accuracy benchmark's data sets as CSV train/test splits (fixed seeds).

Every set comes from a Debian package already on the machine (python3-sklearn,
python3-statsmodels, r-cran-mass, r-cran-aer, r-cran-cardata and r-cran-hsaur3 through
Rscript) or is synthetic with known noise; nothing is downloaded. The R tables keep their
text columns and missing cells (train.csv/test.csv as the package holds them; .num a plain
one-hot, mean-imputed encoding fitted on the training part for the numeric peers). A set whose package is missing is skipped with a note on stderr.

Usage: make_sets.py OUTDIR
For each set NAME: OUTDIR/NAME/train.csv, test.csv (header row; the label column(s) last,
named y or y1..yk for regression, class for classification) and meta.txt:
  task=regress|classify  labels=y1,y2  noise_rmse=... (synthetic: the best possible test RMSE)
"""
import os
import subprocess
import sys
import numpy as np

SPLIT_SEED = 20260   # train/test split of the real sets
TEST_FRACTION = 0.3


def write(outdir, name, X, Y, task, noise=None, split=None, note=""):
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y)
    if Y.ndim == 1:
        Y = Y[:, None]
    if split is None:
        rng = np.random.default_rng(SPLIT_SEED)
        perm = rng.permutation(len(X))
        n_test = int(round(TEST_FRACTION * len(X)))
        split = (perm[n_test:], perm[:n_test])
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    if task == "classify":
        labels = ["class"]
    else:
        labels = ["y"] if Y.shape[1] == 1 else ["y%d" % (k + 1) for k in range(Y.shape[1])]
    header = ",".join(["x%d" % (j + 1) for j in range(X.shape[1])] + labels)
    for part, idx in (("train", split[0]), ("test", split[1])):
        with open(os.path.join(d, part + ".csv"), "w") as f:
            f.write(header + "\n")
            for i in idx:
                xs = ",".join(repr(float(v)) for v in X[i])
                ys = ",".join(str(v) if task == "classify" else repr(float(v)) for v in Y[i])
                f.write(xs + "," + ys + "\n")
    # The same split for the C peers: "inputs outputs classes" then one record per line,
    # the class as its index in sorted order (the order the tool's CSV reader uses).
    classes = []
    if task == "classify":
        names = sorted(set(str(v) for v in Y[:, 0]))
        numeric = all(n.lstrip("-").replace(".", "", 1).isdigit() for n in names)
        classes = sorted(names, key=float) if numeric else names
    for part, idx in (("train", split[0]), ("test", split[1])):
        with open(os.path.join(d, part + ".num"), "w") as f:
            f.write("%d %d %d\n" % (X.shape[1], Y.shape[1], len(classes)))
            for i in idx:
                ys = [classes.index(str(Y[i, 0]))] if classes else [float(v) for v in Y[i]]
                f.write(" ".join(repr(float(v)) for v in X[i]) + " " +
                        " ".join(repr(v) for v in ys) + "\n")
    with open(os.path.join(d, "meta.txt"), "w") as f:
        f.write("task=%s\nlabels=%s\n" % (task, ",".join(labels)))
        if classes:
            f.write("classes=%s\n" % ",".join(classes))
        if noise is not None:
            f.write("noise_rmse=%g\n" % noise)
        f.write("records=%d/%d inputs=%d outputs=%d\n" % (len(split[0]), len(split[1]),
                                                          X.shape[1], Y.shape[1]))
        if note:
            f.write("note=%s\n" % note)


def sklearn_sets(outdir):
    from sklearn import datasets as ds
    d = ds.load_diabetes()  # 442 x 10, disease progression (raw, unscaled inputs)
    raw = ds.load_diabetes(scaled=False)
    write(outdir, "diabetes", raw.data, d.target, "regress")
    ln = ds.load_linnerud()  # 20 x 3 -> 3 outputs (weight, waist, pulse)
    write(outdir, "linnerud", ln.data, ln.target, "regress")
    for name, loader in (("iris", ds.load_iris), ("wine", ds.load_wine),
                         ("breast_cancer", ds.load_breast_cancer), ("digits", ds.load_digits)):
        b = loader()
        write(outdir, name, b.data, b.target, "classify")


def friedman_sets(outdir):
    from sklearn.datasets import make_friedman1, make_friedman2, make_friedman3
    # Friedman (1991) with his noise levels; the noise standard deviation is the best
    # possible test RMSE (the true function's).
    for name, make, n_train, noise in (("friedman1", make_friedman1, 10000, 1.0),
                                       ("friedman2", make_friedman2, 1000, 125.0),
                                       ("friedman3", make_friedman3, 1000, 0.1)):
        n_test = 5000
        X, y = make(n_samples=n_train + n_test, noise=noise, random_state=7)
        write(outdir, name, X, y, "regress", noise=noise,
              split=(np.arange(n_train), np.arange(n_train, n_train + n_test)))
    # Three outputs of the same ten uniform inputs, each with noise sd 0.5.
    rng = np.random.default_rng(11)
    n_train, n_test = 2000, 2000
    X = rng.uniform(size=(n_train + n_test, 10))
    f = np.column_stack([
        10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2 + 10 * X[:, 3],
        5 * X[:, 4] * X[:, 5] + 3 * np.cos(4 * X[:, 6]),
        4 * np.abs(X[:, 7] - X[:, 8]) - 2 * X[:, 9] ** 2,
    ])
    Y = f + rng.normal(scale=0.5, size=f.shape)
    write(outdir, "friedman_multi", X, Y, "regress", noise=0.5,
          split=(np.arange(n_train), np.arange(n_train, n_train + n_test)))


def statsmodels_sets(outdir):
    import statsmodels.api as sm
    fair = sm.datasets.fair.load_pandas().data  # 6366 x 8 -> time in affairs
    write(outdir, "fair", fair.drop(columns="affairs").values, fair["affairs"].values,
          "regress")
    star = sm.datasets.star98.load_pandas()  # 303 x 20 -> 2 outputs (counts above/below)
    write(outdir, "star98", star.exog.values, star.endog.values, "regress")


R_SCRIPT = r"""
library(MASS)
d <- commandArgs(TRUE)[1]
write.csv(Boston, file.path(d, "Boston.csv"), row.names = FALSE)
write.csv(cpus[, 2:8], file.path(d, "cpus.csv"), row.names = FALSE)
write.csv(fgl, file.path(d, "fgl.csv"), row.names = FALSE)
write.csv(rbind(Pima.tr, Pima.te), file.path(d, "Pima.csv"), row.names = FALSE)
"""


def r_sets(outdir):
    import csv
    tmp = os.path.join(outdir, ".r")
    os.makedirs(tmp, exist_ok=True)
    subprocess.run(["Rscript", "-e", R_SCRIPT, tmp], check=True, stdout=subprocess.DEVNULL)

    def table(name):
        with open(os.path.join(tmp, name)) as f:
            rows = list(csv.reader(f))
        return rows[0], rows[1:]

    h, rows = table("Boston.csv")  # 506 x 13 -> median value
    a = np.array(rows, dtype=float)
    write(outdir, "boston", a[:, :-1], a[:, -1], "regress")
    h, rows = table("cpus.csv")  # 209 x 6 heavy-tailed -> published performance
    a = np.array(rows, dtype=float)
    write(outdir, "cpus", a[:, :-1], a[:, -1], "regress",
          note="heavy-tailed inputs and target (MASS::cpus)")
    h, rows = table("fgl.csv")  # 214 x 9 -> 6 glass types
    write(outdir, "glass", np.array([r[:-1] for r in rows], dtype=float),
          np.array([r[-1] for r in rows]), "classify")
    h, rows = table("Pima.csv")  # 532 x 7 -> diabetes yes/no
    write(outdir, "pima", np.array([r[:-1] for r in rows], dtype=float),
          np.array([r[-1] for r in rows]), "classify")


# Real tables with text columns and missing cells (carData, AER, HSAUR3), written as the
# packages hold them: factors as text, NA as NA. MASS, mlbench and R's own data sets are
# kept out: they are the independent check of the tool's defaults.
R_TABLES_SCRIPT = r"""
suppressMessages({library(carData); library(AER); library(HSAUR3)})
d <- commandArgs(TRUE)[1]
data(HMDA, CreditCard, CPS1985, HousePrices, package = "AER")
data(CHFLS, Forbes2000, package = "HSAUR3")
out <- function(x, name) write.csv(x, file.path(d, paste0(name, ".csv")), row.names = FALSE,
                                   na = "NA")
out(Arrests, "Arrests"); out(Chile, "Chile"); out(TitanicSurvival, "TitanicSurvival")
out(WVS, "WVS"); out(Womenlf, "Womenlf"); out(SLID, "SLID"); out(Salaries, "Salaries")
out(Prestige, "Prestige"); out(HMDA, "HMDA"); out(CreditCard, "CreditCard")
out(CPS1985, "CPS1985"); out(HousePrices, "HousePrices"); out(CHFLS, "CHFLS")
out(Forbes2000, "Forbes2000")
"""

# name: (file, label, task, columns dropped, note)
R_TABLES = {
    "arrests": ("Arrests", "released", "classify", [], "carData: released with a summons"),
    "chile": ("Chile", "vote", "classify", [], "carData: 1988 plebiscite vote, 4 classes"),
    "titanic": ("TitanicSurvival", "survived", "classify", [], "carData: age missing"),
    "wvs": ("WVS", "poverty", "classify", [], "carData: World Values Survey, 3 classes"),
    "womenlf": ("Womenlf", "partic", "classify", [], "carData: work, 3 classes"),
    "hmda": ("HMDA", "deny", "classify", [], "AER: mortgage denied"),
    # share and expenditure give the label away (no card, no spending)
    "creditcard": ("CreditCard", "card", "classify", ["share", "expenditure"],
                   "AER: card application accepted"),
    "chfls": ("CHFLS", "R_happy", "classify", [], "HSAUR3: happiness, 4 classes"),
    "slid": ("SLID", "wages", "regress", [], "carData: Ontario wages, missing cells"),
    "salaries": ("Salaries", "salary", "regress", [], "carData: professors' salaries"),
    "prestige": ("Prestige", "prestige", "regress", [], "carData: occupations, type missing"),
    "cps1985": ("CPS1985", "wage", "regress", [], "AER: wages"),
    "houseprices": ("HousePrices", "price", "regress", [], "AER: house prices"),
    "forbes": ("Forbes2000", "profits", "regress", ["rank"],
               "HSAUR3: profits; name is an identifier"),
}

# Text columns with more distinct values than this are left out of the numeric encoding
# the C and PyTorch peers read (an identifier, or a factor R's forest cannot take).
NUM_MAX_LEVELS = 53


def numeric_encoding(train, test, label):
    """One-hot text columns, mean-imputed numbers with a missing indicator; fitted on
    train: the plain preprocessing a user of the numeric peers would write."""
    import pandas as pd
    cols_tr, cols_te = [], []
    for c in train.columns:
        if c == label:
            continue
        if pd.api.types.is_numeric_dtype(train[c]):
            mean = train[c].mean()
            cols_tr.append(train[c].fillna(mean).values)
            cols_te.append(test[c].fillna(mean).values)
            if train[c].isna().any():
                cols_tr.append(train[c].isna().values.astype(float))
                cols_te.append(test[c].isna().values.astype(float))
        else:
            levels = sorted(train[c].dropna().astype(str).unique())
            if len(levels) > NUM_MAX_LEVELS:
                continue
            for v in levels:
                cols_tr.append((train[c].astype(str) == v).values.astype(float))
                cols_te.append((test[c].astype(str) == v).values.astype(float))
            if train[c].isna().any():
                cols_tr.append(train[c].isna().values.astype(float))
                cols_te.append(test[c].isna().values.astype(float))
    return np.column_stack(cols_tr), np.column_stack(cols_te)


def write_table(outdir, name, df, label, task, note):
    """A set from a data frame with text and missing cells: CSV as it is (label last) for
    the tool and the R peers, .num (numeric encoding) for the others."""
    df = df[df[label].notna()].reset_index(drop=True)
    df = df[[c for c in df.columns if c != label] + [label]]
    rng = np.random.default_rng(SPLIT_SEED)
    perm = rng.permutation(len(df))
    n_test = int(round(TEST_FRACTION * len(df)))
    train, test = df.iloc[sorted(perm[n_test:])], df.iloc[sorted(perm[:n_test])]
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    train.to_csv(os.path.join(d, "train.csv"), index=False, na_rep="NA")
    test.to_csv(os.path.join(d, "test.csv"), index=False, na_rep="NA")
    xtr, xte = numeric_encoding(train, test, label)
    classes = sorted(train[label].astype(str).unique()) if task == "classify" else []
    for part, x, frame in (("train", xtr, train), ("test", xte, test)):
        with open(os.path.join(d, part + ".num"), "w") as f:
            f.write("%d %d %d\n" % (x.shape[1], 1, len(classes)))
            for row, yv in zip(x, frame[label]):
                # a test class the training part lacks is scored as a miss (index -1)
                y = (classes.index(str(yv)) if str(yv) in classes else -1) if classes \
                    else float(yv)
                f.write(" ".join(repr(float(v)) for v in row) + " " + repr(y) + "\n")
    text_cols = sum(1 for c in train.columns if c != label and
                    not np.issubdtype(train[c].dtype, np.number))
    with open(os.path.join(d, "meta.txt"), "w") as f:
        f.write("task=%s\nlabels=%s\n" % (task, label))
        if classes:
            f.write("classes=%s\n" % ",".join(classes))
        f.write("records=%d/%d inputs=%d outputs=1\n" % (len(train), len(test),
                                                         len(train.columns) - 1))
        f.write("table=text columns %d, missing cells %d\n" % (
            text_cols, int(df.drop(columns=[label]).isna().sum().sum())))
        f.write("note=%s\n" % note)


def r_tables(outdir):
    import pandas as pd
    tmp = os.path.join(outdir, ".rtables")
    os.makedirs(tmp, exist_ok=True)
    subprocess.run(["Rscript", "-e", R_TABLES_SCRIPT, tmp], check=True,
                   stdout=subprocess.DEVNULL)
    for name, (src, label, task, drop, note) in R_TABLES.items():
        df = pd.read_csv(os.path.join(tmp, src + ".csv"), keep_default_na=False,
                         na_values=["NA"])
        write_table(outdir, name, df.drop(columns=drop), label, task, note)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name, fn, pkg in (("sklearn", sklearn_sets, "python3-sklearn"),
                          ("friedman", friedman_sets, "python3-sklearn"),
                          ("statsmodels", statsmodels_sets, "python3-statsmodels"),
                          ("R MASS", r_sets, "r-cran-mass"),
                          ("R tables", r_tables, "r-cran-aer r-cran-cardata r-cran-hsaur3")):
        try:
            fn(outdir)
        except (ImportError, FileNotFoundError, subprocess.CalledProcessError, OSError) as e:
            print("make_sets: %s sets skipped (%s; install %s)" % (name, e, pkg),
                  file=sys.stderr)


if __name__ == "__main__":
    main()
