"""Trains the reference periodontal bone-loss model on prepared tensors and exports it to ONNX.

Input: directories written by models/tools/prepare-perio.ts (images.f32 N×192×256, targets.json).
Output contract (see packages/ai/src/perio.ts): slots [1, 8, 8], one row per tooth position
(upper 4-7, lower 4-7 in the right-side layout); per row 0 bone-loss logit (sigmoid → fraction of
the root length), 1-3 stage logits (I, II, III/IV), 4 tooth axis x, 5 CEJ y, 6 crest y, 7 apex y
(fractions of the input's width and height).

Usage: .venv/bin/python models/train/train_perio.py --train DIR --val DIR --out DIR
"""

import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

H, W = 192, 256
SLOTS, CHANNELS = 8, 8
STAGE_CUTS = (15.0, 33.0)  # AAP/EFP 2017 by radiographic bone loss: I < 15 ≤ II ≤ 33 < III/IV


def stage_of(pct):
    """Mirror of perioStage in synth-perio.ts, on arrays of percentages."""
    return np.where(pct < STAGE_CUTS[0], 0, np.where(pct <= STAGE_CUTS[1], 1, 2))


def load(dirname):
    targets = json.load(open(os.path.join(dirname, "targets.json")))
    images = np.fromfile(os.path.join(dirname, "images.f32"), dtype=np.float32).reshape(len(targets), 1, H, W)
    mask = np.array([[s["mask"] for s in t["slots"]] for t in targets], np.float32)
    loss = np.array([[s["loss"] for s in t["slots"]] for t in targets], np.float32)
    stage = np.array([[s["stage"] for s in t["slots"]] for t in targets], np.int64)
    marks = np.array([[s["landmarks"] for s in t["slots"]] for t in targets], np.float32)
    return images, mask, loss, stage, marks


class PerioNet(nn.Module):
    def __init__(self):
        super().__init__()

        def block(cin, cout, stride=1):
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            )

        # Coordinates as extra input channels: in the canonical layout a slot is a place in the image.
        self.features = nn.Sequential(
            block(3, 16, 2),  # 96×128
            block(16, 24, 2),  # 48×64
            block(24, 24),
            block(24, 32, 2),  # 24×32
            block(32, 32),
            block(32, 48, 2),  # 12×16
            block(48, 48),
            nn.Conv2d(48, 8, 1),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(8 * 12 * 16, 128), nn.ReLU(inplace=True), nn.Linear(128, SLOTS * CHANNELS))
        ys = torch.linspace(-1, 1, H).view(1, 1, H, 1).expand(1, 1, H, W)
        xs = torch.linspace(-1, 1, W).view(1, 1, 1, W).expand(1, 1, H, W)
        self.register_buffer("coords", torch.cat([xs, ys], 1).contiguous(), persistent=False)

    def forward(self, x):
        n = x.shape[0]
        x = torch.cat([x, self.coords.expand(n, -1, -1, -1)], 1)
        return self.head(self.features(x)).view(n, SLOTS, CHANNELS)


def loss_fn(out, mask, loss, stage, marks):
    m = mask.bool()
    l_loss = F.smooth_l1_loss(torch.sigmoid(out[..., 0])[m], loss[m], beta=0.02)
    l_stage = F.cross_entropy(out[..., 1:4][m], stage[m])
    l_marks = F.smooth_l1_loss(out[..., 4:8][m], marks[m], beta=0.02)
    return 10 * l_loss + 0.5 * l_stage + 5 * l_marks


def shift(x, marks, dx, dy):
    """Moves images by (dx, dy) input pixels, repeating the edges, and their landmark targets with them."""
    p = max(abs(dx), abs(dy))
    if p == 0:
        return x, marks
    padded = F.pad(x, (p, p, p, p), mode="replicate")
    x = padded[:, :, p - dy : p - dy + H, p - dx : p - dx + W]
    marks = marks.clone()
    marks[..., 0] += dx / W
    marks[..., 1:] += dy / H
    return x, marks


def evaluate(model, images, mask, loss, stage):
    model.eval()
    outs = []
    with torch.no_grad():
        for s in range(0, len(images), 64):
            outs.append(model(torch.from_numpy(images[s : s + 64])))
    out = torch.cat(outs).numpy()
    pred = np.round(1000 / (1 + np.exp(-out[..., 0]))) / 10
    true = loss * 100
    m = mask.astype(bool)
    err = np.abs(pred - true)[m]
    return {
        "mae_pct": float(err.mean()),
        "within_10pp": float((err <= 10).mean()),
        "stage_accuracy": float((stage_of(pred) == stage_of(true))[m].mean()),
        "stage_head_accuracy": float((out[..., 1:4].argmax(-1) == stage)[m].mean()),
        "teeth": int(m.sum()),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=14)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)

    images, mask, loss, stage, marks = load(args.train)
    val = load(args.val)
    x_all = torch.from_numpy(images)
    t_mask, t_loss, t_stage, t_marks = (torch.from_numpy(a) for a in (mask, loss, stage, marks))
    model = PerioNet()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = args.epochs * ((len(images) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(images))
        total = 0.0
        for s in range(0, len(images), args.batch):
            idx = perm[s : s + args.batch]
            # Augmentation: a small shift (the test-time views use ±4 px), exposure jitter and noise.
            x, mk = shift(x_all[idx], t_marks[idx], int(rng.integers(-6, 7)), int(rng.integers(-4, 5)))
            g = 1 + 0.2 * (torch.rand(len(idx), 1, 1, 1) - 0.5)
            x = (x * g + 0.08 * (torch.rand(len(idx), 1, 1, 1) - 0.5) + 0.02 * torch.randn_like(x)).clamp(0, 1)
            if rng.random() < 0.25:
                x = x ** float(rng.uniform(0.8, 1.3))
            out = model(x)
            loss_v = loss_fn(out, t_mask[idx], t_loss[idx], t_stage[idx], mk)
            opt.zero_grad()
            loss_v.backward()
            opt.step()
            sched.step()
            total += loss_v.item() * len(idx)
        v = evaluate(model, *val[:4])
        print(json.dumps({"epoch": epoch + 1, "loss": round(total / len(images), 4), "s": round(time.time() - t0, 1), "val": v}), flush=True)

    train_seconds = round(time.time() - t0)
    validation = evaluate(model, *val[:4])
    os.makedirs(args.out, exist_ok=True)
    model.eval()
    path = os.path.join(args.out, "perio.onnx")
    dummy = torch.zeros(1, 1, H, W)
    torch.onnx.export(model, (dummy,), path, input_names=["image"], output_names=["slots"], opset_version=18, dynamo=True)
    import onnx

    m = onnx.load(path, load_external_data=True)
    onnx.save_model(m, path, save_as_external_data=False)
    if os.path.exists(path + ".data"):
        os.remove(path + ".data")
    json.dump(
        {"validation": validation, "epochs": args.epochs, "train_images": len(images), "train_seconds": train_seconds, "seed": args.seed},
        open(os.path.join(args.out, "training.json"), "w"),
        indent=2,
    )
    print(json.dumps({"validation": validation, "train_seconds": train_seconds}), flush=True)


if __name__ == "__main__":
    main()
