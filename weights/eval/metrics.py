"""Harmonization metrics as the papers report them, on 8-bit values (0..255), images [H, W, 3].

MSE and PSNR over the whole image; fMSE (iHarmony4's foreground MSE) = the image's summed squared error
divided by 3 x the foreground area (the mask's sum, soft masks weighted); SSIM (Wang et al. 2004) with an
11-tap Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03, L = 255, per channel over the fully covered
('valid') positions, averaged.
"""
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _f64(a):
    return np.asarray(a, dtype=np.float64)


def mse(pred, gt):
    return float(np.mean((_f64(pred) - _f64(gt)) ** 2))


def psnr(pred, gt):
    e = mse(pred, gt)
    return math.inf if e == 0 else 10 * math.log10(255.0 ** 2 / e)


def fmse(pred, gt, mask):
    """mask: [H, W] in 0..1."""
    area = float(np.sum(mask))
    if area <= 0:
        raise ValueError('empty mask')
    return float(np.sum((_f64(pred) - _f64(gt)) ** 2) / (3 * area))


def _gaussian(size=11, sigma=1.5):
    x = np.arange(size) - (size - 1) / 2
    k = np.exp(-x * x / (2 * sigma * sigma))
    return k / k.sum()


def _filter(img, k):
    """Separable 'valid' filtering of [H, W, C] along H and W."""
    img = sliding_window_view(img, len(k), axis=0) @ k
    return sliding_window_view(img, len(k), axis=1) @ k


def ssim(pred, gt):
    x, y = _f64(pred), _f64(gt)
    k = _gaussian()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = _filter(x, k), _filter(y, k)
    sxx = _filter(x * x, k) - mx * mx
    syy = _filter(y * y, k) - my * my
    sxy = _filter(x * y, k) - mx * my
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(s.mean())
