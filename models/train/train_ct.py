"""Trains the generic CT slice classifier (lesion present, per slice) and exports it to ONNX.

Input: directories written by models/tools/prepare-ct.ts (images.f32 N×128×128 brain-windowed
slices in [0, 1], targets.json with a 0/1 label per slice).
Output contract (see packages/ai/src/ct.ts): "probability" [1, 1], the sigmoid of the logit.

Usage: .venv/bin/python models/train/train_ct.py --train DIR --val DIR --out DIR
"""

import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

H, W = 128, 128


def setup(seed, threads):
    """Deterministic CPU training: fixed seeds, deterministic kernels, a bounded thread count."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.use_deterministic_algorithms(True)
    return np.random.default_rng(seed)


def load(dirname):
    targets = json.load(open(os.path.join(dirname, "targets.json")))
    x = np.fromfile(os.path.join(dirname, "images.f32"), dtype=np.float32).reshape(len(targets), 1, H, W)
    y = np.array([t["label"] for t in targets], np.float32)
    series = np.array([t["series"] for t in targets], np.int64)
    return x, y, series


def block(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class CtSliceNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            block(1, 8, 2),  # 64
            block(8, 16, 2),  # 32
            block(16, 16),
            block(16, 24, 2),  # 16
            block(24, 24),
            block(24, 32, 2),  # 8
            block(32, 32),
        )
        # Max pooling finds a small lesion anywhere in the slice; the mean adds context.
        self.head = nn.Linear(64, 1)

    def logits(self, x):
        f = self.features(x)
        return self.head(torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1))

    def forward(self, x):
        return torch.sigmoid(self.logits(x))


def evaluate(model, x, y, series):
    model.eval()
    with torch.no_grad():
        p = torch.cat([model(torch.from_numpy(x[s : s + 128])) for s in range(0, len(x), 128)])[:, 0].numpy()
    pred = p >= 0.5
    pos, neg = y == 1, y == 0
    ids = np.unique(series)
    s_pos = np.array([y[series == i].max() for i in ids]) == 1
    s_pred = np.array([p[series == i].max() for i in ids]) >= 0.5
    return {
        "slice_sensitivity": float(pred[pos].mean()) if pos.any() else None,
        "slice_specificity": float((~pred[neg]).mean()),
        "series_sensitivity": float(s_pred[s_pos].mean()) if s_pos.any() else None,
        "series_specificity": float((~s_pred[~s_pos]).mean()) if (~s_pos).any() else None,
        "slices": int(len(y)),
        "series": int(len(ids)),
    }


def photometric(x, rng):
    """Small window-level and gain changes and extra noise: scanners differ in calibration and dose."""
    n = len(x)
    g = 1 + 0.1 * (torch.rand(n, 1, 1, 1) - 0.5)
    o = 0.06 * (torch.rand(n, 1, 1, 1) - 0.5)
    return (x * g + o + 0.03 * torch.rand(n, 1, 1, 1) * torch.randn_like(x)).clamp(0, 1)


def export_onnx(model, path):
    """ONNX opset 18, one file (no external data), input "image" [1, 1, H, W]."""
    import onnx

    model.eval()
    dummy = torch.zeros(1, 1, H, W)
    torch.onnx.export(model, (dummy,), path, input_names=["image"], output_names=["probability"], opset_version=18, dynamo=True)
    m = onnx.load(path, load_external_data=True)
    onnx.save_model(m, path, save_as_external_data=False)
    if os.path.exists(path + ".data"):
        os.remove(path + ".data")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = setup(args.seed, args.threads)

    x, y, series = load(args.train)
    val = load(args.val)
    x_all, y_all = torch.from_numpy(x), torch.from_numpy(y)
    model = CtSliceNet()
    # Positive slices are about one in ten; the loss is left unweighted so the probability stays
    # calibrated (a weighted loss would inflate it), the series detector takes the slice maximum.
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    n = len(x)
    steps = args.epochs * ((n + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n)
        total = 0.0
        for s in range(0, n, args.batch):
            idx = perm[s : s + args.batch]
            xb = x_all[idx]
            # A lesion is a lesion on either side and either way up: flips are fair.
            if rng.random() < 0.5:
                xb = xb.flip(3)
            if rng.random() < 0.5:
                xb = xb.flip(2)
            xb = photometric(xb, rng)
            loss_v = F.binary_cross_entropy_with_logits(model.logits(xb)[:, 0], y_all[idx])
            opt.zero_grad()
            loss_v.backward()
            opt.step()
            sched.step()
            total += loss_v.item() * len(idx)
        v = evaluate(model, *val)
        print(json.dumps({"epoch": epoch + 1, "loss": round(total / n, 4), "s": round(time.time() - t0, 1), "val": v}), flush=True)

    train_seconds = round(time.time() - t0)
    validation = evaluate(model, *val)
    os.makedirs(args.out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.out, "ct.pt"))
    export_onnx(model, os.path.join(args.out, "ct.onnx"))
    json.dump(
        {
            "validation": validation,
            "epochs": args.epochs,
            "train_slices": n,
            "train_series": int(len(np.unique(series))),
            "train_positive_slices": int(y.sum()),
            "train_seconds": train_seconds,
            "seed": args.seed,
            "threads": args.threads,
        },
        open(os.path.join(args.out, "training.json"), "w"),
        indent=2,
    )
    print(json.dumps({"validation": validation, "train_seconds": train_seconds}), flush=True)


if __name__ == "__main__":
    main()
