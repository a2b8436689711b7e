"""3D colour LUTs as tensors: the Hald CLUT bank, procedurally generated looks, and trilinear lookup.

A LUT here is a float volume [3, n, n, n] (a batch: [B, 3, n, n, n]) in 0..1, indexed [channel, b, g, r]:
the output colour for input (r, g, b) = (i, j, k) / (n - 1) is lut[:, k, j, i]. That order makes the lookup
a single grid_sample, whose 3-vector grid coordinates are (x, y, z) = (W, H, D) = (r, g, b).

The colour operations below work on colours as [B, 3, N] tensors (R'G'B' in 0..1); the procedural looks apply
them to the LUT's node colours, the dev benchmark applies some of them to image pixels.
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'eval'))
import colour  # noqa: E402

LUMA = (0.299, 0.587, 0.114)


def load_hald(path):
    """A level-4 Hald CLUT PNG (64 x 64, node (r, g, b) at pixel r + 16 g + 256 b) as a [3, 16, 16, 16] volume."""
    raw = np.asarray(Image.open(path).convert('RGB'), dtype=np.float32) / 255.0
    if raw.shape != (64, 64, 3):
        raise ValueError(f'{path}: not a level-4 Hald CLUT (64x64), got {raw.shape[1]}x{raw.shape[0]}')
    # Row-major pixel index r + 16 g + 256 b is already [b, g, r] once reshaped.
    return torch.from_numpy(raw.reshape(16, 16, 16, 3)).permute(3, 0, 1, 2).contiguous()


def identity_colours(n, device=None):
    """The n^3 node colours [3, n^3] in the volume's [b, g, r] order."""
    t = torch.linspace(0, 1, n, device=device)
    b, g, r = torch.meshgrid(t, t, t, indexing='ij')
    return torch.stack([r, g, b]).reshape(3, -1)


def identity_lut(n=16, device=None):
    return identity_colours(n, device).reshape(3, n, n, n)


def apply_lut(images, luts):
    """Trilinear lookup of images [B, 3, H, W] (0..1) through luts [B, 3, n, n, n]."""
    grid = (images.clamp(0, 1) * 2 - 1).permute(0, 2, 3, 1).unsqueeze(1)
    out = F.grid_sample(luts, grid, mode='bilinear', padding_mode='border', align_corners=True)
    return out.squeeze(2)


# ---- colour operations on [B, 3, N] ------------------------------------------------------------

def luma(x):
    w = x.new_tensor(LUMA).view(1, 3, 1)
    return (x * w).sum(1, keepdim=True)


def exposure_wb(x, gains):
    """Per-channel gains [B, 3, 1] in (approximately) linear light: white balance and exposure."""
    return ((x.clamp(0, 1) ** 2.2) * gains).clamp(0, 1) ** (1 / 2.2)


def gamma(x, g):
    return x.clamp(1e-6, 1) ** g


def s_curve(x, k):
    """Contrast tone curve blended towards smoothstep by k (k < 0 flattens); monotonic for k >= -0.6."""
    return x + k * (x * x * (3 - 2 * x) - x)


def contrast(x, c):
    """Linear contrast c around each colour set's mean luma."""
    pivot = luma(x).mean(2, keepdim=True)
    return (x - pivot) * c + pivot


def saturation(x, s):
    y = luma(x)
    return y + s * (x - y)


def hue_matrix(theta):
    """Rotations [B, 3, 3] by theta [B] about the grey axis (Rodrigues)."""
    a = torch.full((3,), 1 / math.sqrt(3), device=theta.device, dtype=theta.dtype)
    k = torch.tensor([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], device=theta.device, dtype=theta.dtype) * a[0]
    c, s = torch.cos(theta).view(-1, 1, 1), torch.sin(theta).view(-1, 1, 1)
    eye = torch.eye(3, device=theta.device, dtype=theta.dtype)
    return c * eye + s * k + (1 - c) * torch.outer(a, a)


def hue_rotate(x, theta):
    return torch.bmm(hue_matrix(theta), x)


def split_tone(x, shadows, highlights):
    """Adds tint vectors [B, 3, 1] weighted by darkness and brightness."""
    y = luma(x).clamp(0, 1)
    return x + (1 - y) ** 2 * shadows + y ** 2 * highlights


def fade(x, lift, crush):
    """Raised blacks and lowered whites (lift, crush: [B, 1, 1])."""
    return lift + x * (1 - lift - crush)


# ---- random looks --------------------------------------------------------------------------------

def lab_affine(x, shift, scale):
    """Colours [B, 3, N] moved in CIE Lab (weights/eval/colour.py): Lab' = pivot + scale (Lab - pivot) + shift
    per channel, pivot (50, 0, 0), shift and scale [B, 3]: a photo's whole colour statistics moved, as an
    object cut from another photo has them."""
    pivot = np.array([50.0, 0.0, 0.0])
    lab = colour.srgb_to_lab(x.transpose(1, 2).double().cpu().numpy())
    lab = pivot + (lab - pivot) * scale[:, None].double().cpu().numpy() + shift[:, None].double().cpu().numpy()
    return torch.from_numpy(colour.lab_to_srgb(lab)).to(x).transpose(1, 2)


def random_luts(batch, gen, device, n=16, p_lab=0.0, lab_strength=1.0):
    """A batch of procedural looks [B, 3, n, n, n]: each operation touches a random subset of the batch
    (with p_lab > 0, a Lab statistics move on that share first: shifts up to 12 x lab_strength, scales up to
    exp(0.3 or 0.5 x lab_strength))."""
    def u(*shape):
        return torch.rand(*shape, generator=gen, device=device)

    def sym(*shape):
        return u(*shape) * 2 - 1

    def pick(p, value, neutral):
        return torch.where(u(batch, 1, 1) < p, value, neutral)

    x = identity_colours(n, device).expand(batch, 3, -1)
    if p_lab:
        shift = sym(batch, 3) * torch.tensor([12.0, 12.0, 12.0], device=device) * lab_strength
        scale = torch.exp(sym(batch, 3) * torch.tensor([0.3, 0.5, 0.5], device=device) * lab_strength)
        moved = lab_affine(x, shift, scale)
        x = torch.where(u(batch, 1, 1) < p_lab, moved, x)
    gains = torch.exp(sym(batch, 3, 1) * 0.25) * 2 ** (sym(batch, 1, 1) * 0.8)
    x = exposure_wb(x, pick(0.6, gains, 1.0))
    x = gamma(x, pick(0.5, torch.exp(sym(batch, 3, 1) * 0.25 + sym(batch, 1, 1) * 0.3), 1.0))
    x = s_curve(x, pick(0.5, u(batch, 1, 1) * 1.5 - 0.6, 0.0))
    eye = torch.eye(3, device=device)
    mix = eye + sym(batch, 3, 3) * 0.15
    x = torch.bmm(pick(0.3, mix / mix.sum(2, keepdim=True), eye), x)
    x = saturation(x, pick(0.5, torch.exp(sym(batch, 1, 1) * 0.9), 1.0))
    x = hue_rotate(x, pick(0.35, sym(batch, 1, 1) * math.pi / 4, 0.0).view(batch))
    tints = sym(batch, 3, 2)
    tints = tints - tints.mean(1, keepdim=True)
    tints = tints / tints.norm(dim=1, keepdim=True).clamp_min(1e-6) * u(batch, 1, 2) * 0.12
    tints = pick(0.3, tints, 0.0)
    x = split_tone(x, tints[..., :1], tints[..., 1:])
    x = fade(x, pick(0.3, u(batch, 1, 1) * 0.12, 0.0), pick(0.3, u(batch, 1, 1) * 0.1, 0.0))
    return x.clamp(0, 1).reshape(batch, 3, n, n, n)


def random_appearances(batch, bank, gen, device, p_bank=0.5, p_partial=0.3, p_identity=0.05, p_lab=0.0,
                       lab_strength=1.0):
    """Per sample: a bank LUT (probability p_bank) or a procedural look (p_lab: see random_luts), then with
    probability p_partial only part of its strength, and with probability p_identity no change at all."""
    def u(*shape):
        return torch.rand(*shape, generator=gen, device=device)

    lut = random_luts(batch, gen, device, p_lab=p_lab, lab_strength=lab_strength)
    if bank is not None and len(bank):
        chosen = bank[torch.randint(len(bank), (batch,), generator=gen, device=device)]
        lut = torch.where(u(batch, 1, 1, 1, 1) < p_bank, chosen, lut)
    t = torch.where(u(batch) < p_partial, 0.3 + 0.7 * u(batch), torch.ones(batch, device=device))
    t = torch.where(u(batch) < p_identity, torch.zeros_like(t), t).view(batch, 1, 1, 1, 1)
    ident = identity_lut(lut.shape[-1], device)
    return ident + t * (lut - ident)
