"""sRGB <-> CIE L*a*b* (D65) in numpy, and Lab mean/std matching (Reinhard et al. 2001, in Lab)."""
import numpy as np

_M = np.array([[0.4124564, 0.3575761, 0.1804375],
               [0.2126729, 0.7151522, 0.0721750],
               [0.0193339, 0.1191920, 0.9503041]])
_WHITE = np.array([0.95047, 1.0, 1.08883])
_D = 6 / 29


def srgb_to_lab(rgb):
    """rgb [..., 3] in 0..1 -> Lab [..., 3]."""
    c = np.clip(rgb, 0, 1).astype(np.float64)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    t = lin @ _M.T / _WHITE
    f = np.where(t > _D ** 3, np.cbrt(t), t / (3 * _D * _D) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def lab_to_srgb(lab):
    """Lab [..., 3] -> rgb [..., 3] clipped to 0..1."""
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], -1)
    t = np.where(f > _D, f ** 3, 3 * _D * _D * (f - 4 / 29)) * _WHITE
    lin = np.clip(t @ np.linalg.inv(_M).T, 0, 1)
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)


def lab_stats(lab, weight):
    """Weighted mean and standard deviation per channel of lab [H, W, 3] with weight [H, W]."""
    w = weight[..., None] / max(float(weight.sum()), 1e-12)
    mean = (lab * w).sum((0, 1))
    std = np.sqrt(((lab - mean) ** 2 * w).sum((0, 1)))
    return mean, std


def match_lab(rgb, source_weight, target_mean, target_std):
    """The whole image rgb [H, W, 3] (0..1) with the Lab statistics of its source_weight region moved to
    target_mean / target_std."""
    lab = srgb_to_lab(rgb)
    mean, std = lab_stats(lab, source_weight)
    return lab_to_srgb((lab - mean) / np.maximum(std, 1e-6) * target_std + target_mean)
