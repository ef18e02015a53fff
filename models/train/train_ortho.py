"""Trains the reference cephalometric landmark model on prepared tensors and exports it to ONNX.

Input: directories written by models/tools/prepare-ortho.ts (images.f32 N×256×256, targets.json).
Output contract (see packages/ai/src/ortho.ts): heatmaps [1, 13, 64, 64], one map of logits per
landmark (S, N, Or, Po, ANS, PNS, A, B, Pog, Me, Go, U1, L1); the runtime takes each map's
softmax mean (soft-argmax) as the position and its spread as the uncertainty. The loss is the one
the runtime reads: L1 distance in mm of the soft-argmax to the label, plus a small cross-entropy
to a Gaussian target that keeps each map a single compact peak.

After training, the heatmap spread is calibrated on the validation set: the scale k that makes
the radial errors most likely under a normal error of k·spread per axis (Rayleigh maximum
likelihood, k² = mean(r² / 2σ²)). The card carries k as thresholds.spreadScale.

Usage: .venv/bin/python models/train/train_ortho.py --train DIR --val DIR --out DIR
"""

import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

H, W = 256, 256
HH, HW = 64, 64
K = 13
S_, N_, A_, B_ = 0, 1, 6, 7  # indices in the landmark order above
TARGET_SIGMA_CELLS = 1.0


def load(dirname):
    targets = json.load(open(os.path.join(dirname, "targets.json")))
    images = np.fromfile(os.path.join(dirname, "images.f32"), dtype=np.float32).reshape(len(targets), 1, H, W)
    marks = np.array([t["landmarks"] for t in targets], np.float32)  # N×K×2 fractions
    mm = np.array([t["mm_per_fraction"] for t in targets], np.float32)  # N×2
    anb = np.array([t["anb"] for t in targets], np.float32)
    return images, marks, mm, anb


def block(cin, cout, stride=1, dilation=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class CephNet(nn.Module):
    """A small encoder-decoder: 1/16 context with dilations, heatmaps back at 1/4 with a skip."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(block(3, 12, 2), block(12, 16, 2), block(16, 16))  # 64×64
        self.down1 = nn.Sequential(block(16, 32, 2), block(32, 32))  # 32×32
        self.down2 = nn.Sequential(block(32, 48, 2), block(48, 48, dilation=2), block(48, 48, dilation=4))  # 16×16
        self.up1 = block(48 + 32, 32)  # 32×32
        self.up2 = block(32 + 16, 24)  # 64×64
        self.head = nn.Conv2d(24, K, 1)
        ys = torch.linspace(-1, 1, H).view(1, 1, H, 1).expand(1, 1, H, W)
        xs = torch.linspace(-1, 1, W).view(1, 1, 1, W).expand(1, 1, H, W)
        self.register_buffer("coords", torch.cat([xs, ys], 1).contiguous(), persistent=False)

    def forward(self, x):
        n = x.shape[0]
        x = torch.cat([x, self.coords.expand(n, -1, -1, -1)], 1)
        s4 = self.stem(x)
        s8 = self.down1(s4)
        s16 = self.down2(s8)
        u8 = self.up1(torch.cat([F.interpolate(s16, scale_factor=2.0, mode="nearest"), s8], 1))
        u4 = self.up2(torch.cat([F.interpolate(u8, scale_factor=2.0, mode="nearest"), s4], 1))
        return self.head(u4)


CX = (torch.arange(HW, dtype=torch.float32) + 0.5) / HW
CY = (torch.arange(HH, dtype=torch.float32) + 0.5) / HH


def soft_argmax(logits):
    """Logits N×K×64×64 → positions N×K×2 (fractions), spreads N×K×2, probabilities."""
    p = torch.softmax(logits.flatten(2), -1).view_as(logits)
    px = p.sum(2)  # N×K×W
    py = p.sum(3)  # N×K×H
    mx = (px * CX).sum(-1)
    my = (py * CY).sum(-1)
    sx = ((px * CX**2).sum(-1) - mx**2).clamp_min(0).sqrt()
    sy = ((py * CY**2).sum(-1) - my**2).clamp_min(0).sqrt()
    return torch.stack([mx, my], -1), torch.stack([sx, sy], -1), p


def gaussian_targets(marks):
    gx = torch.exp(-(((CX.view(1, 1, HW) - marks[..., 0:1]) * HW) ** 2) / (2 * TARGET_SIGMA_CELLS**2))
    gy = torch.exp(-(((CY.view(1, 1, HH) - marks[..., 1:2]) * HH) ** 2) / (2 * TARGET_SIGMA_CELLS**2))
    g = gy.unsqueeze(-1) * gx.unsqueeze(-2)  # N×K×H×W
    return g / g.flatten(2).sum(-1).clamp_min(1e-9)[..., None, None]


def loss_fn(logits, marks, mm):
    pos, _, _ = soft_argmax(logits)
    l1 = ((pos - marks).abs() * mm[:, None, :]).sum(-1).mean()
    logp = torch.log_softmax(logits.flatten(2), -1)
    ce = -(gaussian_targets(marks).flatten(2) * logp).sum(-1).mean()
    return l1 + 0.1 * ce


def shift(x, marks, dx, dy):
    """Moves images by (dx, dy) input pixels, repeating the edges, and their landmarks with them."""
    p = max(abs(dx), abs(dy))
    if p == 0:
        return x, marks
    padded = F.pad(x, (p, p, p, p), mode="replicate")
    x = padded[:, :, p - dy : p - dy + H, p - dx : p - dx + W]
    marks = marks.clone()
    marks[..., 0] += dx / W
    marks[..., 1] += dy / H
    return x, marks


def angle_at(v, a, b):
    ax, ay = a[..., 0] - v[..., 0], a[..., 1] - v[..., 1]
    bx, by = b[..., 0] - v[..., 0], b[..., 1] - v[..., 1]
    return np.degrees(np.arctan2(np.abs(ax * by - ay * bx), ax * bx + ay * by))


def anb_of(mm_marks):
    """Signed ANB (degrees) as packages/ai/src/synth-ortho.ts cephalometricAngles computes it."""
    S, N, A, B = (mm_marks[:, i] for i in (S_, N_, A_, B_))

    def cross(p):
        return (A[:, 0] - N[:, 0]) * (p[:, 1] - N[:, 1]) - (A[:, 1] - N[:, 1]) * (p[:, 0] - N[:, 0])

    same = (np.sign(cross(B)) == np.sign(cross(S))) | (cross(B) == 0)
    return np.where(same, 1, -1) * angle_at(N, A, B)


def skeletal_class(anb):
    return np.where(anb < 0, 2, np.where(anb <= 4, 0, 1))  # III, I, II as in SKELETAL_CLASSES order I, II, III


def predict(model, images):
    model.eval()
    pos, spread = [], []
    with torch.no_grad():
        for s in range(0, len(images), 32):
            p, sp, _ = soft_argmax(model(torch.from_numpy(images[s : s + 32])))
            pos.append(p)
            spread.append(sp)
    return torch.cat(pos).numpy(), torch.cat(spread).numpy()


def evaluate(model, images, marks, mm, anb):
    pos, spread = predict(model, images)
    pred_mm = pos * mm[:, None, :]
    true_mm = marks * mm[:, None, :]
    err = np.linalg.norm(pred_mm - true_mm, axis=-1)  # N×K
    sigma = np.sqrt(((spread * mm[:, None, :]) ** 2).sum(-1) / 2)
    k2 = float(np.mean(err**2 / (2 * np.maximum(sigma, 1e-6) ** 2)))
    anb_pred = anb_of(pred_mm)
    return {
        "mre_mm": float(err.mean()),
        "sdr_2mm": float((err <= 2).mean()),
        "sdr_4mm": float((err <= 4).mean()),
        "per_landmark_mre_mm": [round(float(v), 3) for v in err.mean(0)],
        "anb_mae_deg": float(np.abs(anb_pred - anb).mean()),
        "class_accuracy": float((skeletal_class(anb_pred) == skeletal_class(anb)).mean()),
        "spread_scale": math.sqrt(k2),
        "images": int(len(images)),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N training images (a quick check)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)

    images, marks, mm, anb = load(args.train)
    if args.limit:
        images, marks, mm = images[: args.limit], marks[: args.limit], mm[: args.limit]
    val = load(args.val)
    x_all = torch.from_numpy(images)
    t_marks, t_mm = torch.from_numpy(marks), torch.from_numpy(mm)
    model = CephNet()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = args.epochs * ((len(images) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.2)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(images))
        total = 0.0
        for s in range(0, len(images), args.batch):
            idx = perm[s : s + args.batch]
            # Augmentation: a shift (the test-time views use ±4 px), exposure jitter, gamma and noise.
            x, mk = shift(x_all[idx], t_marks[idx], int(rng.integers(-10, 11)), int(rng.integers(-10, 11)))
            g = 1 + 0.2 * (torch.rand(len(idx), 1, 1, 1) - 0.5)
            x = (x * g + 0.1 * (torch.rand(len(idx), 1, 1, 1) - 0.5) + 0.02 * torch.randn_like(x)).clamp(0, 1)
            if rng.random() < 0.3:
                x = x ** float(rng.uniform(0.75, 1.35))
            loss_v = loss_fn(model(x), mk, t_mm[idx])
            opt.zero_grad()
            loss_v.backward()
            opt.step()
            sched.step()
            total += loss_v.item() * len(idx)
        v = evaluate(model, *val)
        v.pop("per_landmark_mre_mm")
        print(json.dumps({"epoch": epoch + 1, "loss": round(total / len(images), 4), "s": round(time.time() - t0, 1), "val": v}), flush=True)

    train_seconds = round(time.time() - t0)
    validation = evaluate(model, *val)
    os.makedirs(args.out, exist_ok=True)
    model.eval()
    path = os.path.join(args.out, "ortho.onnx")
    dummy = torch.zeros(1, 1, H, W)
    torch.onnx.export(model, (dummy,), path, input_names=["image"], output_names=["heatmaps"], opset_version=18, dynamo=True)
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
