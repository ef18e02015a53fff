"""Training helpers shared by the periapical-view models (train_endo.py, train_oralpath.py).

Both read the same 208×160 input (packages/ai/src/endo.ts prepareEndo), so they share the conv
block, the coordinate channels, the augmentation and the ONNX export.
"""

import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

H, W = 208, 160


def setup(seed, threads):
    """Deterministic CPU training: fixed seeds, deterministic kernels, a bounded thread count."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.use_deterministic_algorithms(True)
    return np.random.default_rng(seed)


def block(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def coord_channels():
    """x and y in [-1, 1] as two extra input channels [1, 2, H, W]: position matters in a periapical view."""
    ys = torch.linspace(-1, 1, H).view(1, 1, H, 1).expand(1, 1, H, W)
    xs = torch.linspace(-1, 1, W).view(1, 1, 1, W).expand(1, 1, H, W)
    return torch.cat([xs, ys], 1).contiguous()


def load_images(dirname, n):
    return np.fromfile(os.path.join(dirname, "images.f32"), dtype=np.float32).reshape(n, 1, H, W)


def shift_images(x, dx, dy):
    """Moves images by (dx, dy) input pixels, repeating the edges."""
    p = max(abs(dx), abs(dy))
    if p == 0:
        return x
    padded = F.pad(x, (p, p, p, p), mode="replicate")
    return padded[:, :, p - dy : p - dy + H, p - dx : p - dx + W]


def photometric(x, rng):
    """Exposure gain and offset, quantum noise, and a gamma change a quarter of the time."""
    n = len(x)
    g = 1 + 0.2 * (torch.rand(n, 1, 1, 1) - 0.5)
    x = (x * g + 0.08 * (torch.rand(n, 1, 1, 1) - 0.5) + 0.02 * torch.randn_like(x)).clamp(0, 1)
    if rng.random() < 0.25:
        x = x ** float(rng.uniform(0.8, 1.3))
    return x


def export_onnx(model, path, output_name):
    """ONNX opset 18, one file (no external data), input "image" [1, 1, H, W]."""
    import onnx

    model.eval()
    dummy = torch.zeros(1, 1, H, W)
    torch.onnx.export(model, (dummy,), path, input_names=["image"], output_names=[output_name], opset_version=18, dynamo=True)
    m = onnx.load(path, load_external_data=True)
    onnx.save_model(m, path, save_as_external_data=False)
    if os.path.exists(path + ".data"):
        os.remove(path + ".data")
