#!/usr/bin/python3
"""Writes a numeric CSV for the loading benchmark: ROWS x (FEATURES + 1), a header row,
features with 6 decimals (about 9 characters), an integer class label last."""
import sys
import numpy as np

def main():
    path, rows, features = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(1)
    with open(path, "w") as f:
        f.write(",".join([f"x{j}" for j in range(features)] + ["label"]) + "\n")
        block = 20000
        for start in range(0, rows, block):
            n = min(block, rows - start)
            x = rng.normal(size=(n, features))
            y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)
            lines = []
            for i in range(n):
                lines.append(",".join("%.6f" % v for v in x[i]) + ",%d" % y[i])
            f.write("\n".join(lines) + "\n")

if __name__ == "__main__":
    main()
