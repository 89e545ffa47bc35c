#!/usr/bin/env python3
# The README's baseline: one-hot (train categories; missing/unseen -> zeros) and train-mean imputation,
# written as a numeric CSV with the label last, independent of libmlp's encoder.
# Usage: onehot_baseline.py TRAIN TEST LABEL IGNORE_COLS OUT_TRAIN OUT_TEST
import csv, sys
train_in, test_in, label, ignore, out_train, out_test = sys.argv[1:7]
ignore = set(x for x in ignore.split(',') if x)
MISSING = {'', 'na', 'nan', '?', 'null'}
def read(p):
    with open(p) as f:
        r = list(csv.reader(f))
    return r[0], r[1:]
h, tr = read(train_in)
h2, te = read(test_in)
assert h == h2
li = h.index(label)
tr = [r for r in tr if r[li].strip().lower() not in MISSING]
te = [r for r in te if r[li].strip().lower() not in MISSING]
def num(s):
    try:
        return float(s)
    except ValueError:
        return None
cols = []
for j, name in enumerate(h):
    if j == li or name in ignore: continue
    vals = [r[j].strip() for r in tr if r[j].strip().lower() not in MISSING]
    if all(num(v) is not None for v in vals):
        m = sum(float(v) for v in vals) / len(vals)
        cols.append((j, 'num', m))
    else:
        cols.append((j, 'cat', sorted(set(vals))))
def enc(r):
    x = []
    for j, kind, p in cols:
        s = r[j].strip()
        if kind == 'num':
            x.append(p if s.lower() in MISSING else float(s))
        else:
            x += [1.0 if s == c else 0.0 for c in p]
    return x + [r[li]]
for rows, path in ((tr, out_train), (te, out_test)):
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['f%d' % i for i in range(len(enc(rows[0])) - 1)] + ['label'])
        for r in rows: w.writerow(enc(r))
