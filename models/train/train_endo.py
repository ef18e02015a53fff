"""Trains the reference endodontic (periapical lesion) model on prepared tensors and exports it to ONNX.

Input: directories written by models/tools/prepare-endo.ts (images.f32 N×208×160, targets.json).
Output contract (see packages/ai/src/endo.ts): outputs [1, 560]: first the slots [4, 10], one row
per tooth unit (4, 5, 6, 7), then a 26×20 lesion-centre logit map (stride 8 of the input); per row 0 tooth-present logit, 1 lesion logit (PAI-like score ≥ 3), 2 radiolucency diameter
(sigmoid × 10 mm), 3-6 lesion box centre x, centre y, width, height, 7-8 apex x, y (fractions of
the input's width and height), 9 upper-arch logit.

Usage: .venv/bin/python models/train/train_endo.py --train DIR --val DIR --out DIR
"""

import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from periapical_common import H, W, block, coord_channels, export_onnx, load_images, photometric, setup, shift_images

SLOTS, CHANNELS = 4, 10
DIAMETER_SCALE_MM = 10.0


def load(dirname):
    targets = json.load(open(os.path.join(dirname, "targets.json")))
    images = load_images(dirname, len(targets))
    slot = lambda key: np.array([[s[key] for s in t["slots"]] for t in targets], np.float32)  # noqa: E731
    upper = np.array([[t["upper"]] * SLOTS for t in targets], np.float32)
    return images, slot("mask"), slot("lesion"), slot("diameter"), slot("box"), slot("apex"), upper


class EndoNet(nn.Module):
    def __init__(self):
        super().__init__()

        # Coordinates as extra input channels: a slot's tooth is found by place as well as shape.
        self.early = nn.Sequential(
            block(3, 16, 2),  # 104×80
            block(16, 24, 2),  # 52×40
            block(24, 24),
            block(24, 32, 2),  # 26×20
            block(32, 32),
        )
        self.late = nn.Sequential(
            block(32, 48, 2),  # 13×10
            block(48, 48),
            nn.Conv2d(48, 16, 1),
        )
        # A dense lesion-centre heatmap at 26×20: it teaches the early layers what a periapical
        # radiolucency looks like locally, and the decoder places a called lesion's box at its peak.
        self.heatmap = nn.Conv2d(32, 1, 1)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 13 * 10, 128), nn.ReLU(inplace=True), nn.Linear(128, SLOTS * CHANNELS))
        self.register_buffer("coords", coord_channels(), persistent=False)

    def forward(self, x):
        """The exported output: per image the 4×10 slot values, then the 26×20 lesion-centre logits."""
        slots, heat = self.forward_all(x)
        return torch.cat([slots.flatten(1), heat.flatten(1)], 1)

    def forward_all(self, x):
        n = x.shape[0]
        x = torch.cat([x, self.coords.expand(n, -1, -1, -1)], 1)
        early = self.early(x)
        slots = self.head(self.late(early)).view(n, SLOTS, CHANNELS)
        return slots, self.heatmap(early)[:, 0]


def heatmap_target(mask, lesion, box):
    """Per image a 26×20 map: a Gaussian at each lesion-positive slot's box centre (σ from its size)."""
    gh, gw = H // 8, W // 8
    ys = (torch.arange(gh, dtype=torch.float32) + 0.5) / gh
    xs = (torch.arange(gw, dtype=torch.float32) + 0.5) / gw
    pos = (mask * lesion).view(-1, SLOTS, 1, 1)
    cx, cy = box[..., 0].view(-1, SLOTS, 1, 1), box[..., 1].view(-1, SLOTS, 1, 1)
    sx = (box[..., 2].view(-1, SLOTS, 1, 1) / 4).clamp(min=1 / gw)
    sy = (box[..., 3].view(-1, SLOTS, 1, 1) / 4).clamp(min=1 / gh)
    d = ((xs.view(1, 1, 1, gw) - cx) / sx) ** 2 + ((ys.view(1, 1, gh, 1) - cy) / sy) ** 2
    return (torch.exp(-d / 2) * pos).amax(1)


def loss_fn(out, mask, lesion, diameter, box, apex, upper):
    m = mask.bool()
    pos = m & lesion.bool()
    l_present = F.binary_cross_entropy_with_logits(out[..., 0], mask)
    l_lesion = F.binary_cross_entropy_with_logits(out[..., 1][m], lesion[m])
    l_diam = F.smooth_l1_loss(torch.sigmoid(out[..., 2])[m] * DIAMETER_SCALE_MM, diameter[m], beta=0.3)
    l_box = F.smooth_l1_loss(out[..., 3:7][pos], box[pos], beta=0.02) if pos.any() else out.sum() * 0
    l_apex = F.smooth_l1_loss(out[..., 7:9][m], apex[m], beta=0.02)
    l_upper = F.binary_cross_entropy_with_logits(out[..., 9][m], upper[m])
    return l_present + 2 * l_lesion + 0.3 * l_diam + 5 * l_box + 5 * l_apex + 0.5 * l_upper


def shift(x, box, apex, dx, dy):
    """Moves images by (dx, dy) input pixels, and the box and apex targets with them."""
    box, apex = box.clone(), apex.clone()
    for t in (box, apex):
        t[..., 0] += dx / W
        t[..., 1] += dy / H
    return shift_images(x, dx, dy), box, apex


def box_iou(a, b):
    """IoU of (cx, cy, w, h) boxes, row by row."""
    ax0, ay0, ax1, ay1 = a[:, 0] - a[:, 2] / 2, a[:, 1] - a[:, 3] / 2, a[:, 0] + a[:, 2] / 2, a[:, 1] + a[:, 3] / 2
    bx0, by0, bx1, by1 = b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2, b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2
    iw = np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0, None)
    ih = np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0, None)
    inter = iw * ih
    return inter / np.maximum(a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter, 1e-9)


def evaluate(model, images, mask, lesion, diameter, box, apex, upper):
    model.eval()
    outs = []
    with torch.no_grad():
        for s in range(0, len(images), 64):
            outs.append(model.forward_all(torch.from_numpy(images[s : s + 64]))[0])
    out = torch.cat(outs).numpy()
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    m = mask.astype(bool)
    present_ok = ((sig(out[..., 0]) >= 0.5) == m).mean()
    p = sig(out[..., 1])[m]
    y = lesion[m].astype(bool)
    call = p >= 0.5
    pos = m & lesion.astype(bool)
    return {
        "presence_accuracy": float(present_ok),
        "lesion_accuracy": float((call == y).mean()),
        "sensitivity": float(call[y].mean()),
        "specificity": float((~call[~y]).mean()),
        "diameter_mae_mm": float(np.abs(sig(out[..., 2])[m] * DIAMETER_SCALE_MM - diameter[m]).mean()),
        "box_iou_mean": float(box_iou(out[..., 3:7][pos], box[pos]).mean()),
        "arch_accuracy": float(((sig(out[..., 9]) >= 0.5) == upper.astype(bool))[m].mean()),
        "teeth": int(m.sum()),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = setup(args.seed, args.threads)

    train = load(args.train)
    val = load(args.val)
    x_all = torch.from_numpy(train[0])
    t_mask, t_lesion, t_diam, t_box, t_apex, t_upper = (torch.from_numpy(a) for a in train[1:])
    model = EndoNet()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    n = len(x_all)
    steps = args.epochs * ((n + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n)
        total = 0.0
        for s in range(0, n, args.batch):
            idx = perm[s : s + args.batch]
            # Augmentation: a small shift (the test-time views use ±4 px), exposure jitter and noise.
            x, bx, apx = shift(x_all[idx], t_box[idx], t_apex[idx], int(rng.integers(-6, 7)), int(rng.integers(-6, 7)))
            x = photometric(x, rng)
            out, heat = model.forward_all(x)
            loss_v = loss_fn(out, t_mask[idx], t_lesion[idx], t_diam[idx], bx, apx, t_upper[idx])
            target = heatmap_target(t_mask[idx], t_lesion[idx], bx)
            loss_v = loss_v + 5 * F.binary_cross_entropy_with_logits(heat, target)
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
    path = os.path.join(args.out, "endo.onnx")
    torch.save(model.state_dict(), os.path.join(args.out, "endo.pt"))
    export_onnx(model, path, "outputs")
    json.dump(
        {"validation": validation, "epochs": args.epochs, "train_images": n, "train_seconds": train_seconds, "seed": args.seed, "threads": args.threads},
        open(os.path.join(args.out, "training.json"), "w"),
        indent=2,
    )
    print(json.dumps({"validation": validation, "train_seconds": train_seconds}), flush=True)


if __name__ == "__main__":
    main()
