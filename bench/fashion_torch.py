#!/usr/bin/env python3
"""PyTorch reference for the Fashion-MNIST per-epoch time of `mlp train` (bench/fashion_epoch.sh).

Trains 784-H1-H2-10 ReLU + softmax/cross-entropy with Adam on the Debian package's
Fashion-MNIST (inputs /255), minibatches shuffled each epoch, and prints one line per epoch
and then:  TORCH_FASHION threads=T seconds_per_epoch=S test_accuracy=A
(median seconds per epoch over the epochs after the first). Thread settings: the caller sets
OPENBLAS_NUM_THREADS; --threads sets torch.set_num_threads.
"""
import argparse
import gzip
import statistics
import sys
import time

import numpy as np
import torch


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--layers", default="256,128")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x = torch.from_numpy(read_idx(a.dir + "/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(read_idx(a.dir + "/train-labels-idx1-ubyte.gz").astype(np.int64))
    tx = torch.from_numpy(read_idx(a.dir + "/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    ty = torch.from_numpy(read_idx(a.dir + "/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    sizes = [784] + [int(h) for h in a.layers.split(",")] + [10]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    times = []
    for epoch in range(a.epochs):
        t0 = time.monotonic()
        perm = torch.randperm(x.shape[0])
        for s in range(0, x.shape[0], a.batch):
            idx = perm[s:s + a.batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        times.append(time.monotonic() - t0)
        with torch.no_grad():
            acc = (model(tx).argmax(1) == ty).float().mean().item()
        print(f"epoch {epoch + 1} {times[-1]:.2f} s test_accuracy {acc:.4f}", file=sys.stderr)
    sec = statistics.median(times[1:] if len(times) > 1 else times)
    print(f"TORCH_FASHION threads={a.threads} seconds_per_epoch={sec:.3f} test_accuracy={acc:.4f}")


if __name__ == "__main__":
    main()
