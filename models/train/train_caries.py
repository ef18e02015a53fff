"""Trains the reference caries model on prepared tensors and exports it to ONNX.

Input: directories written by models/tools/prepare.ts (images.f32 N×128×256, targets.json).
Output contract (see packages/ai/src/caries.ts): grid [1, 16, 16, 32] per image; channel 0
objectness logit, 1-2 centre offset logits (sigmoid → fraction of the 8-px cell), 3-4 log box
width/height in cells, 5-7 severity logits, 8-15 tooth-position logits.

Usage: .venv/bin/python models/train/train_caries.py --train DIR --val DIR --out models/caries
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

H, W, STRIDE = 128, 256, 8
GH, GW = H // STRIDE, W // STRIDE


def load(dirname):
    targets = json.load(open(os.path.join(dirname, "targets.json")))
    images = np.fromfile(os.path.join(dirname, "images.f32"), dtype=np.float32).reshape(len(targets), 1, H, W)
    return images, targets


def grid_targets(targets):
    """Per image: heatmap (CenterNet style, Gaussian around each centre cell) and per-cell box/class targets."""
    n = len(targets)
    heat = np.zeros((n, GH, GW), np.float32)
    pos = np.zeros((n, GH, GW), np.float32)
    box = np.zeros((n, 4, GH, GW), np.float32)
    sev = np.zeros((n, GH, GW), np.int64)
    tooth = np.zeros((n, GH, GW), np.int64)
    yy, xx = np.mgrid[0:GH, 0:GW]
    for i, t in enumerate(targets):
        for (x, y, w, h), s, th in zip(t["boxes"], t["severity"], t["tooth"]):
            cx, cy = (x + w / 2) / STRIDE, (y + h / 2) / STRIDE
            gx, gy = min(GW - 1, int(cx)), min(GH - 1, int(cy))
            g = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * 0.8**2))
            heat[i] = np.maximum(heat[i], g)
            pos[i, gy, gx] = 1
            box[i, :, gy, gx] = [cx - gx, cy - gy, math.log(max(w, 1) / STRIDE), math.log(max(h, 1) / STRIDE)]
            sev[i, gy, gx] = s
            tooth[i, gy, gx] = th
    return heat, pos, box, sev, tooth


class CariesNet(nn.Module):
    def __init__(self):
        super().__init__()

        def block(cin, cout, stride=1, dilation=1):
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            )

        # Coordinates are extra input channels: in the canonical layout a tooth's number follows from where it is.
        self.stem = block(3, 12, 2)  # 64×128
        self.b1 = block(12, 16)
        self.b2 = nn.Sequential(block(16, 32, 2), block(32, 32))  # 32×64
        self.b3 = nn.Sequential(block(32, 48, 2), block(48, 48), block(48, 48, dilation=2))  # 16×32
        self.ctx = nn.Linear(48, 48)
        self.head = nn.Sequential(block(96 + 2, 32), nn.Conv2d(32, 16, 1))
        ys = torch.linspace(-1, 1, H).view(1, 1, H, 1).expand(1, 1, H, W)
        xs = torch.linspace(-1, 1, W).view(1, 1, 1, W).expand(1, 1, H, W)
        self.register_buffer("coords", torch.cat([xs, ys], 1).contiguous(), persistent=False)
        gy = torch.linspace(-1, 1, GH).view(1, 1, GH, 1).expand(1, 1, GH, GW)
        gx = torch.linspace(-1, 1, GW).view(1, 1, 1, GW).expand(1, 1, GH, GW)
        self.register_buffer("gcoords", torch.cat([gx, gy], 1).contiguous(), persistent=False)

    def forward(self, x):
        n = x.shape[0]
        x = torch.cat([x, self.coords.expand(n, -1, -1, -1)], 1)
        f = self.b3(self.b2(self.b1(self.stem(x))))
        g = F.relu(self.ctx(f.mean(dim=(2, 3)))).view(n, 48, 1, 1).expand(-1, -1, GH, GW)
        return self.head(torch.cat([f, g, self.gcoords.expand(n, -1, -1, -1)], 1))


def focal(logit, heat):
    p = torch.sigmoid(logit).clamp(1e-4, 1 - 1e-4)
    pos = heat.eq(1).float()
    pos_loss = -((1 - p) ** 2) * torch.log(p) * pos
    neg_loss = -((1 - heat) ** 4) * (p**2) * torch.log(1 - p) * (1 - pos)
    return (pos_loss.sum() + neg_loss.sum()) / pos.sum().clamp(min=1)


def loss_fn(out, heat, pos, box, sev, tooth):
    l_heat = focal(out[:, 0], heat)
    m = pos.bool()
    if m.sum() == 0:
        return l_heat
    off = torch.sigmoid(out[:, 1:3]).permute(0, 2, 3, 1)[m]
    size = out[:, 3:5].permute(0, 2, 3, 1)[m]
    tb = box.permute(0, 2, 3, 1)[m]
    l_box = F.l1_loss(off, tb[:, :2]) + F.l1_loss(size, tb[:, 2:])
    l_sev = F.cross_entropy(out[:, 5:8].permute(0, 2, 3, 1)[m], sev[m])
    l_tooth = F.cross_entropy(out[:, 8:16].permute(0, 2, 3, 1)[m], tooth[m])
    return l_heat + l_box + 0.5 * l_sev + 0.5 * l_tooth


def decode(out, threshold):
    """Mirror of decodeCaries in caries.ts (local maxima over 3×3, then box NMS)."""
    res = []
    heat = torch.sigmoid(out[:, 0:1])
    peak = F.max_pool2d(out[:, 0:1], 3, 1, 1) == out[:, 0:1]
    for i in range(out.shape[0]):
        found = []
        ys, xs = torch.nonzero((heat[i, 0] >= threshold) & peak[i, 0], as_tuple=True)
        for y, x in zip(ys.tolist(), xs.tolist()):
            o = out[i, :, y, x]
            cx = (x + torch.sigmoid(o[1]).item()) * STRIDE
            cy = (y + torch.sigmoid(o[2]).item()) * STRIDE
            w = math.exp(min(4, o[3].item())) * STRIDE
            h = math.exp(min(4, o[4].item())) * STRIDE
            found.append((heat[i, 0, y, x].item(), [cx - w / 2, cy - h / 2, w, h], int(o[5:8].argmax()), int(o[8:16].argmax())))
        found.sort(key=lambda f: -f[0])
        kept = []
        for f in found:
            if all(iou(k[1], f[1]) < 0.3 for k in kept):
                kept.append(f)
        res.append(kept)
    return res


def iou(a, b):
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter + 1e-9)


def evaluate(model, images, targets, threshold, match_iou=0.3):
    model.eval()
    preds = []
    with torch.no_grad():
        for s in range(0, len(images), 64):
            preds += decode(model(torch.from_numpy(images[s : s + 64])), threshold)
    tp = fp = fn = 0
    tooth_ok = sev_ok = 0
    img = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
    for p, t in zip(preds, targets):
        used = set()
        for score, b, sv, th in p:
            best, bj = 0, -1
            for j, gb in enumerate(t["boxes"]):
                if j not in used and iou(b, gb) > best:
                    best, bj = iou(b, gb), j
            if best >= match_iou:
                used.add(bj)
                tp += 1
                tooth_ok += th == t["tooth"][bj]
                sev_ok += sv == t["severity"][bj]
            else:
                fp += 1
        fn += len(t["boxes"]) - len(used)
        has, said = len(t["boxes"]) > 0, len(p) > 0
        img["tp" if has and said else "fn" if has else "fp" if said else "tn"] += 1
    return {
        "lesion_precision": tp / max(1, tp + fp),
        "lesion_recall": tp / max(1, tp + fn),
        "tooth_accuracy_matched": tooth_ok / max(1, tp),
        "severity_accuracy_matched": sev_ok / max(1, tp),
        "image_sensitivity": img["tp"] / max(1, img["tp"] + img["fn"]),
        "image_specificity": img["tn"] / max(1, img["tn"] + img["fp"]),
        "image_accuracy": (img["tp"] + img["tn"]) / max(1, len(targets)),
        "images": len(targets),
        "lesions": tp + fn,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N training images")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    images, targets = load(args.train)
    if args.limit:
        images, targets = images[: args.limit], targets[: args.limit]
    val_images, val_targets = load(args.val)
    heat, pos, box, sev, tooth = (torch.from_numpy(a) for a in grid_targets(targets))
    x_all = torch.from_numpy(images)
    model = CariesNet()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = args.epochs * math.ceil(len(images) / args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(images))
        total = 0.0
        for s in range(0, len(images), args.batch):
            idx = perm[s : s + args.batch]
            x = x_all[idx]
            # Augmentation: contrast/brightness jitter and noise, so the model does not lean on one exposure.
            g = 1 + 0.15 * (torch.rand(len(idx), 1, 1, 1) - 0.5)
            x = (x * g + 0.05 * (torch.rand(len(idx), 1, 1, 1) - 0.5) + 0.02 * torch.randn_like(x)).clamp(0, 1)
            out = model(x)
            loss = loss_fn(out, heat[idx], pos[idx], box[idx], sev[idx], tooth[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            if s % (40 * args.batch) == 0:
                print(json.dumps({"epoch": epoch + 1, "batch": s // args.batch, "loss": round(loss.item(), 4), "s": round(time.time() - t0, 1)}), flush=True)
        print(json.dumps({"epoch": epoch + 1, "loss": round(total / len(images), 4), "s": round(time.time() - t0, 1)}), flush=True)

    # Threshold: the one with the best lesion F1 on the validation set.
    best = None
    for th in [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6]:
        m = evaluate(model, val_images, val_targets, th)
        f1 = 2 * m["lesion_precision"] * m["lesion_recall"] / max(1e-9, m["lesion_precision"] + m["lesion_recall"])
        if best is None or f1 > best[0]:
            best = (f1, th, m)
    print(json.dumps({"threshold": best[1], "val": best[2]}), flush=True)

    os.makedirs(args.out, exist_ok=True)
    model.eval()
    path = os.path.join(args.out, "caries.onnx")
    dummy = torch.zeros(1, 1, H, W)
    torch.onnx.export(model, (dummy,), path, input_names=["image"], output_names=["grid"], opset_version=18, dynamo=True)
    import onnx

    m = onnx.load(path, load_external_data=True)
    onnx.save_model(m, path, save_as_external_data=False)
    if os.path.exists(path + ".data"):
        os.remove(path + ".data")
    json.dump(
        {"threshold": best[1], "validation": best[2], "epochs": args.epochs, "train_images": len(images), "train_seconds": round(time.time() - t0)},
        open(os.path.join(args.out, "training.json"), "w"),
        indent=2,
    )


if __name__ == "__main__":
    main()
