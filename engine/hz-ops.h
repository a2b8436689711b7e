/* The network's operators on planar C x H x W float32 tensors (batch 1),
 * with PyTorch's semantics. Convolutions run direct, as Winograd F(2x2, 3x3)
 * or F(4x4, 3x3), or through im2col and hz_sgemm (HzConv), on
 * hz_parallel_for's threads. */
#ifndef HZ_OPS_H
#define HZ_OPS_H

#include <glib.h>

typedef enum
{
  HZ_ACT_NONE,
  HZ_ACT_RELU,
  HZ_ACT_LEAKY          /* LeakyReLU, slope 0.2 */
} HzAct;

typedef enum
{
  HZ_PAD_ZERO,
  HZ_PAD_REFLECT        /* see hz_reflect_index */
} HzPadMode;

/* out = shift + scale * act (bias + weight * in), per output channel; an
 * eval-mode BatchNorm after the activation is its scale and shift. */
typedef struct
{
  int           cin, cout;
  int           k, stride, pad;
  HzPadMode     pad_mode;
  gboolean      upsample;  /* convolve the input bilinearly upsampled x2 (align_corners=False) */
  const float  *weight;    /* cout x cin x k x k (PyTorch's layout) */
  int           weight_ld; /* floats from one output channel's weights to the next;
                            * 0: cin * k * k, more: the first cin input channels of a wider conv */
  const float  *bias;      /* cout, or NULL */
  HzAct         act;
  const float  *scale;     /* cout, or NULL: no BatchNorm */
  const float  *shift;     /* cout, with scale */
  const float  *winograd[2];   /* hz_conv_winograd_weights for tiles of 2 and of 4, or NULL */
  gboolean      direct;    /* the direct path (hz_conv_direct_ok): with winograd,
                            * for outputs too small for Winograd; neither: im2col */
} HzConv;

/* PyTorch's reflection (no edge repeat) of index i into [0, n), where it
 * defines one (|i| < n, i < 2n - 1); farther out the reflection repeats with
 * period 2(n - 1), and n = 1 repeats the single element. */
static inline int
hz_reflect_index (int i, int n)
{
  int period = 2 * (n - 1);

  if (n == 1)
    return 0;
  i %= period;
  if (i < 0)
    i += period;
  return i < n ? i : period - i;
}

/* Whether conv can run as Winograd F(m x m, 3x3): 3 x 3, stride 1, pad 1
 * (any padding mode, upsampling or not). */
gboolean hz_conv_winograd_ok  (const HzConv *conv);
/* conv's weights transformed for Winograd F(tile x tile, 3x3), tile 2 or
 * 4: (tile + 2)^2 x cout x cin (g_free them); set conv->winograd[tile / 4]
 * to them to use that path. */
float  *hz_conv_winograd_weights (const HzConv *conv,
                                  int           tile);
/* Rows of the kk rows of a small output's columns (pitch floats each) that
 * one panel of matrix_products holds: kk where the columns fit in L2, else
 * at least 16, as even as they go. */
int     hz_conv_small_panel   (int           kk,
                               gsize         pitch);
/* The tile with which conv, given its weights, runs as Winograd on an
 * input of h x w, or 0 (outputs of at most 64 pixels, and with direct of
 * under 16 a side, do not; see hz-ops.c for which take 4). */
int     hz_conv_winograd_tile (const HzConv *conv,
                               int           h,
                               int           w);

/* Whether conv can run as a direct convolution (set conv->direct): stride 1
 * (any kernel size, padding mode, upsampling or not) or 2 (no upsampling). */
gboolean hz_conv_direct_ok    (const HzConv *conv);

/* Output size along one axis for an input of n. */
int     hz_conv_out_size      (const HzConv *conv,
                               int           n);
/* Floats of scratch hz_conv2d needs for an h x w input and n_threads
 * (bounded: the columns are made a few output rows at a time). */
gsize   hz_conv_scratch_size  (const HzConv *conv,
                               int           h,
                               int           w,
                               int           n_threads);
/* in: cin x h x w; out: cout x ho x wo (must not overlap in). */
void    hz_conv2d             (const HzConv *conv,
                               const float  *in,
                               int           h,
                               int           w,
                               float        *out,
                               float        *scratch,
                               int           n_threads);

/* Adds to out (cout x h x w, the output of conv, stride 1 and zero padding,
 * before any activation) what n more input channels, each constant over
 * the image (values), contribute; their weights are input channels first,
 * first + 1, … of conv->weight. The sum over the taps that fall inside the
 * image, without the columns of a convolution. */
void    hz_conv_add_constant_channels (const HzConv *conv,
                                       int           first,
                                       int           n,
                                       const float  *values,
                                       int           h,
                                       int           w,
                                       float        *out,
                                       int           n_threads);

/* 2 x 2 max pooling, stride 2 (floor): c x h x w to c x h/2 x w/2. */
void    hz_maxpool2           (const float  *in,
                               int           c,
                               int           h,
                               int           w,
                               float        *out,
                               int           n_threads);

/* Per-channel mean: c x n to c. */
void    hz_channel_mean       (const float  *in,
                               int           c,
                               gsize         n,
                               float        *mean);

/* Squeeze-and-excitation (SELayer: Linear c->c/4, ReLU, Linear c/4->c,
 * hard sigmoid) gates from the channel means; fc0 is c/4 x c, fc2 c x c/4. */
void    hz_se_gates           (const float  *mean,
                               int           c,
                               const float  *fc0_w,
                               const float  *fc0_b,
                               const float  *fc2_w,
                               const float  *fc2_b,
                               float        *gates);
/* In place: x (c x n) times its channel's gate. */
void    hz_scale_channels     (float        *x,
                               int           c,
                               gsize         n,
                               const float  *gates,
                               int           n_threads);

/* Reflection padding (hz_reflect_index): c x h x w to
 * c x (top + h + bottom) x (left + w + right). */
void    hz_pad_reflect        (const float  *in,
                               int           c,
                               int           h,
                               int           w,
                               int           top,
                               int           bottom,
                               int           left,
                               int           right,
                               float        *out);

#endif
