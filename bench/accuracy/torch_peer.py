#!/usr/bin/python3
"""Accuracy benchmark: a common PyTorch MLP recipe, as a practitioner would write it.

Inputs standardised (and regression targets), 2 hidden ReLU layers of 128, AdamW (lr 1e-3,
weight decay 1e-4), batch 64, up to 300 epochs with early stopping on 15% of the training
split (patience 20, best epoch restored); MSE or cross-entropy. One thread.

Usage: torch_peer.py OUTDIR SEED TRAIN.num TEST.num [SEED TRAIN.num TEST.num ...]
writes OUTDIR/torch-<n>.pred (n = 0, 1, ... per triple): one line per test record.
"""
import sys

import numpy as np
import torch


def read(path):
    with open(path) as f:
        d, k, classes = (int(v) for v in f.readline().split())
        a = np.loadtxt(f, ndmin=2)
    return a[:, :d], a[:, d:], classes


def run(seed, train, test, out):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x, y, classes = read(train)
    xt, _, _ = read(test)
    mu, sd = x.mean(0), x.std(0)
    sd[sd == 0] = 1
    x, xt = (x - mu) / sd, (xt - mu) / sd
    if classes:
        y = y[:, 0].astype(np.int64)
        k = classes
    else:
        ym, ys = y.mean(0), y.std(0)
        ys[ys == 0] = 1
        y = (y - ym) / ys
        k = y.shape[1]
    perm = rng.permutation(len(x))
    nv = max(1, int(round(0.15 * len(x))))
    vi, ti = perm[:nv], perm[nv:]
    X = torch.tensor(x, dtype=torch.float32)
    Y = torch.tensor(y, dtype=torch.long if classes else torch.float32)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, k))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    lossf = torch.nn.CrossEntropyLoss() if classes else torch.nn.MSELoss()
    best, best_state, since = float("inf"), None, 0
    for epoch in range(300):
        net.train()
        order = ti[rng.permutation(len(ti))]
        for b in range(0, len(order), 64):
            idx = torch.tensor(order[b:b + 64])
            opt.zero_grad()
            loss = lossf(net(X[idx]), Y[idx])
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            v = lossf(net(X[vi]), Y[vi]).item()
        if v < best:
            best, since = v, 0
            best_state = {n: t.clone() for n, t in net.state_dict().items()}
        else:
            since += 1
            if since >= 20:
                break
    net.load_state_dict(best_state)
    with torch.no_grad():
        o = net(torch.tensor(xt, dtype=torch.float32)).numpy()
    with open(out, "w") as f:
        for row in o:
            if classes:
                f.write("%d\n" % int(np.argmax(row)))
            else:
                f.write(" ".join("%.9g" % v for v in row * ys + ym) + "\n")


def main():
    args = sys.argv[1:]
    if len(args) < 4 or (len(args) - 1) % 3:
        sys.exit(__doc__)
    torch.set_num_threads(1)
    outdir = args[0]
    for n, i in enumerate(range(1, len(args), 3)):
        run(int(args[i]), args[i + 1], args[i + 2], "%s/torch-%d.pred" % (outdir, n))


if __name__ == "__main__":
    main()
