"""Trains the reference oral-pathology screening classifier on prepared tensors and exports it to ONNX.

Input: directories written by models/tools/prepare-oralpath.ts (images.f32 N×208×160, targets.json).
Output contract (see packages/ai/src/oralpath.ts): logits [1, 4] in the order none, well-defined
radiolucency, radiopaque mass, ill-defined radiolucency (softmax → class probabilities).

Usage: .venv/bin/python models/train/train_oralpath.py --train DIR --val DIR --out DIR
"""

import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from periapical_common import block, coord_channels, export_onnx, load_images, photometric, setup, shift_images

CLASSES = 4


def load(dirname):
    targets = json.load(open(os.path.join(dirname, "targets.json")))
    return load_images(dirname, len(targets)), np.array([t["cls"] for t in targets], np.int64)


class OralPathNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            block(3, 16, 2),  # 104×80
            block(16, 24, 2),  # 52×40
            block(24, 24),
            block(24, 32, 2),  # 26×20
            block(32, 32),
            block(32, 48, 2),  # 13×10
            block(48, 48),
            block(48, 64, 2),  # 7×5
        )
        # Mean and max pooling: a lesion is a local finding anywhere in the view.
        self.head = nn.Linear(128, CLASSES)
        self.register_buffer("coords", coord_channels(), persistent=False)

    def forward(self, x):
        n = x.shape[0]
        f = self.features(torch.cat([x, self.coords.expand(n, -1, -1, -1)], 1))
        return self.head(torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1))


def evaluate(model, images, cls):
    model.eval()
    outs = []
    with torch.no_grad():
        for s in range(0, len(images), 64):
            outs.append(model(torch.from_numpy(images[s : s + 64])))
    p = torch.softmax(torch.cat(outs), 1).numpy()
    pred = p.argmax(1)
    return {
        "accuracy": float((pred == cls).mean()),
        "per_class_sensitivity": [float((pred[cls == k] == k).mean()) for k in range(CLASSES)],
        "refer_sensitivity_at_0.3": float((p[cls == 3, 3] >= 0.3).mean()),
        "refer_specificity_at_0.3": float((p[cls != 3, 3] < 0.3).mean()),
        "images": int(len(cls)),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = setup(args.seed, args.threads)

    images, cls = load(args.train)
    val = load(args.val)
    x_all, y_all = torch.from_numpy(images), torch.from_numpy(cls)
    model = OralPathNet()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    n = len(images)
    steps = args.epochs * ((n + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n)
        total = 0.0
        for s in range(0, n, args.batch):
            idx = perm[s : s + args.batch]
            # The class does not change with place, side or arch: shifts and both flips are fair.
            x = shift_images(x_all[idx], int(rng.integers(-8, 9)), int(rng.integers(-8, 9)))
            if rng.random() < 0.5:
                x = x.flip(3)
            if rng.random() < 0.5:
                x = x.flip(2)
            x = photometric(x, rng)
            loss_v = F.cross_entropy(model(x), y_all[idx])
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
    torch.save(model.state_dict(), os.path.join(args.out, "oralpath.pt"))
    export_onnx(model, os.path.join(args.out, "oralpath.onnx"), "logits")
    json.dump(
        {"validation": validation, "epochs": args.epochs, "train_images": n, "train_seconds": train_seconds, "seed": args.seed, "threads": args.threads},
        open(os.path.join(args.out, "training.json"), "w"),
        indent=2,
    )
    print(json.dumps({"validation": validation, "train_seconds": train_seconds}), flush=True)


if __name__ == "__main__":
    main()
