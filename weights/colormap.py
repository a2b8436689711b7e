"""The engine's 17-term colour mapping (engine/hz-colormap.c) in PyTorch: one implementation for training
(the mapping head's loss) and evaluation (weights/eval/pyengine.py).

A mapping is 3 x 17 coefficients per image, [B, 3, 17], acting on linear RGB through the Cheung 2004
expansion in colour-science's order (R, G, B, RG, RB, GB, R², G², B², RGB, R²G, G²B, B²R, R³, G³, B³, 1).
apply() does what hz_colormap_apply does at strength 1: clamp R'G'B' to [0, 1], linearise (exact sRGB), map,
encode, clamp. fit() is hz_colormap_fit: weighted least squares in double, ridge toward the identity.
"""
import torch

TERMS = 17
RIDGE = 1e-5              # HZ_COLORMAP_RIDGE
DECODE_KNEE = 0.04045
ENCODE_KNEE = 0.0031308


def identity(batch=1, dtype=torch.float32, device=None):
    """[batch, 3, 17] coefficients of the identity mapping."""
    coef = torch.zeros(batch, 3, TERMS, dtype=dtype, device=device)
    coef[:, [0, 1, 2], [0, 1, 2]] = 1
    return coef


def srgb_to_linear(v):
    """Exact sRGB decoding of values clamped to [0, 1]."""
    v = v.clamp(0, 1)
    return torch.where(v <= DECODE_KNEE, v / 12.92, ((v.clamp_min(DECODE_KNEE) + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(v, clamp=True):
    """Exact sRGB encoding. clamp=True: as the engine, to [0, 1]; clamp=False (training): the curve carried
    on below 0 (linear) and above 1, so that out-of-range predictions still get a gradient."""
    if clamp:
        v = v.clamp(0, 1)
    high = 1.055 * v.clamp_min(ENCODE_KNEE) ** (1 / 2.4) - 0.055
    return torch.where(v <= ENCODE_KNEE, v * 12.92, high)


def terms(lin):
    """[B, 3, ...] linear RGB -> [B, 17, ...] terms, in the engine's order."""
    r, g, b = lin[:, 0], lin[:, 1], lin[:, 2]
    return torch.stack([r, g, b, r * g, r * b, g * b, r * r, g * g, b * b, r * g * b,
                        r * r * g, g * g * b, b * b * r, r * r * r, g * g * g, b * b * b, torch.ones_like(r)], 1)


def evaluate(coef, lin):
    """hz_colormap_eval: coef [B, 3, 17] on linear RGB [B, 3, ...] (no clipping) -> [B, 3, ...]."""
    t = terms(lin)
    return torch.einsum('bck,bk...->bc...', coef.to(t.dtype), t)


def apply(coef, srgb, clamp=True):
    """The mapping on R'G'B' images [B, 3, H, W] in [0, 1] -> R'G'B' (clamped to [0, 1] with clamp=True,
    as hz_colormap_apply; see linear_to_srgb for clamp=False)."""
    return linear_to_srgb(evaluate(coef, srgb_to_linear(srgb)), clamp)


def fit(before, after, weight=None, ridge=RIDGE):
    """hz_colormap_fit for one image: before, after [3, H, W] R'G'B' (clamped to [0, 1], linearised here),
    weight [H, W] (None: all 1). Minimises |W^1/2 (A x - y)|² + ridge * sum(W) * |x - I|², in double.
    Returns [1, 3, 17]."""
    x = terms(srgb_to_linear(before.double().reshape(1, 3, -1)))[0].T          # [n, 17]
    y = srgb_to_linear(after.double().reshape(3, -1)).T                       # [n, 3]
    w = torch.ones(x.shape[0], dtype=torch.float64) if weight is None else weight.double().reshape(-1)
    w = w.clamp_min(0)
    total = w.sum()
    if not total > 0:
        raise ValueError('the colour fit has no pixels with a non-zero mask')
    lam = ridge * total
    ata = (x * w[:, None]).T @ x + lam * torch.eye(TERMS, dtype=torch.float64)
    aty = (x * w[:, None]).T @ y + lam * identity(1, torch.float64)[0].T
    return torch.linalg.solve(ata, aty).T[None]
