#include "hz-ops.h"

#include <math.h>
#include <string.h>
#include <omp.h>

#include "hz-blis.h"

/* Floats of im2col columns one thread makes at a time (2 MiB): bounds the
 * scratch memory while leaving hz_sgemm a thousand columns or more. */
#define COL_BUDGET (1 << 19)

static int
resolve_threads (int n_threads)
{
  return n_threads > 0 ? n_threads : hz_default_threads ();
}

int
hz_conv_out_size (const HzConv *conv,
                  int           n)
{
  if (conv->upsample)
    n *= 2;
  return (n + 2 * conv->pad - conv->k) / conv->stride + 1;
}

static gboolean
conv_is_pointwise (const HzConv *conv)
{
  return conv->k == 1 && conv->stride == 1 && conv->pad == 0 && !conv->upsample;
}

/* Output rows per chunk: within the budget, and chunks enough to keep every
 * thread busy, all about the same size. */
static int
chunk_rows (const HzConv *conv,
            int           ho,
            int           wo,
            int           n_threads)
{
  gsize per_row = (gsize) conv->cin * conv->k * conv->k * wo;
  int rows = (int) CLAMP (COL_BUDGET / per_row, 1, (gsize) ho);
  int n_chunks = (ho + rows - 1) / rows;

  n_chunks = (n_chunks + n_threads - 1) / n_threads * n_threads;
  return MAX ((ho + n_chunks - 1) / n_chunks, 1);
}

/* One thread's row buffer: a padded input row, and for upsampling the
 * vertically interpolated source row. */
static gsize
row_buffer_size (const HzConv *conv,
                 int           w)
{
  int win = conv->upsample ? 2 * w : w;

  return (gsize) win + 2 * conv->pad + (conv->upsample ? w : 0);
}

/* Scratch of one thread: its columns, then its row buffer. */
static gsize
thread_scratch_size (const HzConv *conv,
                     int           w,
                     int           wo,
                     int           rows)
{
  if (conv_is_pointwise (conv))
    return 0;
  return (gsize) conv->cin * conv->k * conv->k * rows * wo + row_buffer_size (conv, w);
}

gsize
hz_conv_scratch_size (const HzConv *conv,
                      int           h,
                      int           w,
                      int           n_threads)
{
  int nt = resolve_threads (n_threads);
  int ho = hz_conv_out_size (conv, h), wo = hz_conv_out_size (conv, w);

  return nt * thread_scratch_size (conv, w, wo, chunk_rows (conv, ho, wo, nt));
}

/* PyTorch's source index and weights for output o of a x2 linear
 * upsampling of n samples (align_corners=False, scale 1/2). */
static void
upsample_source (int    o,
                 int    n,
                 int   *i0,
                 int   *i1,
                 float *l0,
                 float *l1)
{
  float real = 0.5f * (o + 0.5f) - 0.5f;
  float src = real < 0.0f ? 0.0f : real;
  int i = MIN ((int) src, n - 1);

  *i0 = i;
  *i1 = i + (i < n - 1 ? 1 : 0);
  *l1 = MIN (src - i, 1.0f);
  *l0 = 1.0f - *l1;
}

/* Row y of channel plane x (h x w) upsampled x2 in both directions into
 * dst (2w floats); tmp holds w floats. The weights are upsample_source's
 * for every column: 1 and 0 at the left edge, then 1/4 and 3/4 pairs, and
 * the right edge's second sample clamped to the last one. */
static void
upsample_row (const float *x,
              int          h,
              int          w,
              int          y,
              float       *tmp,
              float       *dst)
{
  int y0, y1, j;
  float a0, a1;
  const float *r0, *r1;

  upsample_source (y, h, &y0, &y1, &a0, &a1);
  r0 = x + (gsize) y0 * w;
  r1 = x + (gsize) y1 * w;
  for (j = 0; j < w; j++)
    tmp[j] = a0 * r0[j] + a1 * r1[j];

  dst[0] = tmp[0];
  for (j = 1; j < w; j++)
    dst[2 * j] = 0.25f * tmp[j - 1] + 0.75f * tmp[j];
  for (j = 0; j < w - 1; j++)
    dst[2 * j + 1] = 0.75f * tmp[j] + 0.25f * tmp[j + 1];
  dst[2 * w - 1] = 0.75f * tmp[w - 1] + 0.25f * tmp[w - 1];
}

/* Padded row py (padding included) of channel plane x into prow. */
static void
padded_row (const HzConv *conv,
            const float  *x,
            int           h,
            int           w,
            int           py,
            float        *prow,
            float        *tmp)
{
  int pad = conv->pad;
  int hin = conv->upsample ? 2 * h : h, win = conv->upsample ? 2 * w : w;
  int y = py - pad, j;

  if (y < 0 || y >= hin)
    {
      if (conv->pad_mode == HZ_PAD_ZERO)
        {
          memset (prow, 0, sizeof (float) * (win + 2 * pad));
          return;
        }
      y = hz_reflect_index (y, hin);
    }
  if (conv->upsample)
    upsample_row (x, h, w, y, tmp, prow + pad);
  else
    memcpy (prow + pad, x + (gsize) y * w, sizeof (float) * w);

  for (j = 0; j < pad; j++)
    {
      gboolean zero = conv->pad_mode == HZ_PAD_ZERO;

      prow[pad - 1 - j] = zero ? 0.0f : prow[pad + hz_reflect_index (-1 - j, win)];
      prow[pad + win + j] = zero ? 0.0f : prow[pad + hz_reflect_index (win + j, win)];
    }
}

/* Columns for output rows [oy0, oy1): row (c, ky, kx) of col holds the
 * input under tap (ky, kx) of channel c for every output position. Each
 * padded input row is made once (in prow) and copied to every tap that
 * reads it. */
static void
im2col (const HzConv *conv,
        const float  *in,
        int           h,
        int           w,
        int           oy0,
        int           oy1,
        int           wo,
        float        *col,
        float        *prow)
{
  int k = conv->k, s = conv->stride;
  gsize n = (gsize) (oy1 - oy0) * wo;
  float *tmp = prow + (conv->upsample ? 2 * w : w) + 2 * conv->pad;
  int c;

  for (c = 0; c < conv->cin; c++)
    {
      const float *x = in + (gsize) c * h * w;
      int py;

      for (py = oy0 * s; py <= (oy1 - 1) * s + k - 1; py++)
        {
          int ky;

          padded_row (conv, x, h, w, py, prow, tmp);
          for (ky = 0; ky < k; ky++)
            {
              int t = py - ky, oy, kx;

              if (t < oy0 * s || t % s != 0 || t / s >= oy1)
                continue;
              oy = t / s;
              for (kx = 0; kx < k; kx++)
                {
                  float *dst = col + ((gsize) (c * k + ky) * k + kx) * n
                               + (gsize) (oy - oy0) * wo;
                  int ox;

                  if (s == 1)
                    memcpy (dst, prow + kx, sizeof (float) * wo);
                  else
                    for (ox = 0; ox < wo; ox++)
                      dst[ox] = prow[ox * s + kx];
                }
            }
        }
    }
}

/* bias, activation, then scale and shift, on n outputs of every channel. */
static void
epilogue (const HzConv *conv,
          float        *out,
          gsize         ld,
          gsize         n)
{
  int o;

  for (o = 0; o < conv->cout; o++)
    {
      float *p = out + ld * o;
      float b = conv->bias ? conv->bias[o] : 0.0f;
      float sc = conv->scale ? conv->scale[o] : 1.0f;
      float sh = conv->scale ? conv->shift[o] : 0.0f;
      gsize i;

      switch (conv->act)
        {
        case HZ_ACT_NONE:
          for (i = 0; i < n; i++)
            p[i] = (p[i] + b) * sc + sh;
          break;
        case HZ_ACT_RELU:
          for (i = 0; i < n; i++)
            {
              float v = p[i] + b;
              p[i] = (v > 0.0f ? v : 0.0f) * sc + sh;
            }
          break;
        case HZ_ACT_LEAKY:
          /* max (v, 0.2 v), both computed: the compiler will not speculate
           * a multiplication that could trap, and a branch mispredicts */
          for (i = 0; i < n; i++)
            {
              float v = p[i] + b, l = 0.2f * v;
              p[i] = (v > l ? v : l) * sc + sh;
            }
          break;
        }
    }
}

/* Threads share the work by chunks of output rows, each making its own
 * columns and running a single-threaded hz_sgemm and the epilogue on them:
 * one parallel region per layer with nothing to wait for inside it (many
 * small regions, each with its barriers, crawl on a busy machine). */
void
hz_conv2d (const HzConv *conv,
           const float  *in,
           int           h,
           int           w,
           float        *out,
           float        *scratch,
           int           n_threads)
{
  int nt = resolve_threads (n_threads);
  int ho = hz_conv_out_size (conv, h), wo = hz_conv_out_size (conv, w);
  int kk = conv->cin * conv->k * conv->k;
  int lda = conv->weight_ld ? conv->weight_ld : kk;
  int rows = chunk_rows (conv, ho, wo, nt);
  int n_chunks = (ho + rows - 1) / rows, i;
  gsize plane = (gsize) ho * wo;
  gsize per_thread = thread_scratch_size (conv, w, wo, rows);

#pragma omp parallel for num_threads (MIN (nt, n_chunks)) schedule (dynamic, 1)
  for (i = 0; i < n_chunks; i++)
    {
      int oy0 = i * rows, oy1 = MIN (ho, oy0 + rows);
      gsize n = (gsize) (oy1 - oy0) * wo;
      float *c = out + (gsize) oy0 * wo;

      if (conv_is_pointwise (conv))
        hz_sgemm (conv->cout, (int) n, kk, conv->weight, lda, in + (gsize) oy0 * wo,
                  (int) plane, c, (int) plane, FALSE, 1);
      else
        {
          float *col = scratch + per_thread * omp_get_thread_num ();

          im2col (conv, in, h, w, oy0, oy1, wo, col, col + (gsize) kk * n);
          hz_sgemm (conv->cout, (int) n, kk, conv->weight, lda, col, (int) n,
                    c, (int) plane, FALSE, 1);
        }
      epilogue (conv, c, plane, n);
    }
}

void
hz_conv_add_constant_channels (const HzConv *conv,
                               int           first,
                               int           n,
                               const float  *values,
                               int           h,
                               int           w,
                               float        *out,
                               int           n_threads)
{
  int k = conv->k, kk = k * k, pad = conv->pad, o;
  int ld = conv->weight_ld ? conv->weight_ld : conv->cin * kk;

  g_return_if_fail (conv->stride == 1 && conv->pad_mode == HZ_PAD_ZERO && !conv->upsample && kk <= 49);

#pragma omp parallel for num_threads (resolve_threads (n_threads)) schedule (static)
  for (o = 0; o < conv->cout; o++)
    {
      const float *wt = conv->weight + (gsize) o * ld + (gsize) first * kk;
      float *p = out + (gsize) o * h * w;
      float tap[49];
      int t, c, y, x;

      /* each tap's sum over the constant channels */
      for (t = 0; t < kk; t++)
        {
          double sum = 0.0;

          for (c = 0; c < n; c++)
            sum += (double) wt[c * kk + t] * values[c];
          tap[t] = (float) sum;
        }
      for (y = 0; y < h; y++)
        {
          int ky0 = MAX (0, pad - y), ky1 = MIN (k, h + pad - y);

          for (x = 0; x < w; x++)
            {
              int kx0 = MAX (0, pad - x), kx1 = MIN (k, w + pad - x), ky, kx;
              float sum = 0.0f;

              for (ky = ky0; ky < ky1; ky++)
                for (kx = kx0; kx < kx1; kx++)
                  sum += tap[ky * k + kx];
              p[(gsize) y * w + x] += sum;
            }
        }
    }
}

void
hz_maxpool2 (const float *in,
             int          c,
             int          h,
             int          w,
             float       *out,
             int          n_threads)
{
  int ho = h / 2, wo = w / 2, ch;

#pragma omp parallel for num_threads (resolve_threads (n_threads)) schedule (static)
  for (ch = 0; ch < c; ch++)
    {
      int y, x;

      for (y = 0; y < ho; y++)
        {
          const float *r0 = in + ((gsize) ch * h + 2 * y) * w;
          const float *r1 = r0 + w;
          float *o = out + ((gsize) ch * ho + y) * wo;

          for (x = 0; x < wo; x++)
            {
              float a = MAX (r0[2 * x], r0[2 * x + 1]);
              float b = MAX (r1[2 * x], r1[2 * x + 1]);

              o[x] = MAX (a, b);
            }
        }
    }
}

void
hz_channel_mean (const float *in,
                 int          c,
                 gsize        n,
                 float       *mean)
{
  int ch;

  for (ch = 0; ch < c; ch++)
    {
      const float *p = in + n * ch;
      double sum = 0.0;
      gsize i;

      for (i = 0; i < n; i++)
        sum += p[i];
      mean[ch] = (float) (sum / (double) n);
    }
}

/* y (n_out) = W (n_out x n_in) x + b */
static void
linear (const float *wt,
        const float *b,
        const float *x,
        int          n_in,
        int          n_out,
        float       *y)
{
  int o, i;

  for (o = 0; o < n_out; o++)
    {
      const float *row = wt + (gsize) o * n_in;
      double sum = b[o];

      for (i = 0; i < n_in; i++)
        sum += (double) row[i] * x[i];
      y[o] = (float) sum;
    }
}

void
hz_se_gates (const float *mean,
             int          c,
             const float *fc0_w,
             const float *fc0_b,
             const float *fc2_w,
             const float *fc2_b,
             float       *gates)
{
  int r = c / 4, i;
  float *hidden = g_newa (float, r);

  linear (fc0_w, fc0_b, mean, c, r, hidden);
  for (i = 0; i < r; i++)
    hidden[i] = MAX (hidden[i], 0.0f);
  linear (fc2_w, fc2_b, hidden, r, c, gates);
  for (i = 0; i < c; i++)   /* hard sigmoid: relu6 (x + 3) / 6 */
    gates[i] = CLAMP (gates[i] + 3.0f, 0.0f, 6.0f) / 6.0f;
}

void
hz_scale_channels (float       *x,
                   int          c,
                   gsize        n,
                   const float *gates,
                   int          n_threads)
{
  int ch;

#pragma omp parallel for num_threads (resolve_threads (n_threads)) schedule (static)
  for (ch = 0; ch < c; ch++)
    {
      float *p = x + n * ch;
      float g = gates[ch];
      gsize i;

      for (i = 0; i < n; i++)
        p[i] *= g;
    }
}

void
hz_pad_reflect (const float *in,
                int          c,
                int          h,
                int          w,
                int          top,
                int          bottom,
                int          left,
                int          right,
                float       *out)
{
  int ho = top + h + bottom, wo = left + w + right, ch, y, x;

  for (ch = 0; ch < c; ch++)
    for (y = 0; y < ho; y++)
      {
        const float *src = in + ((gsize) ch * h + hz_reflect_index (y - top, h)) * w;
        float *dst = out + ((gsize) ch * ho + y) * wo;

        for (x = 0; x < left; x++)
          dst[x] = src[hz_reflect_index (x - left, w)];
        memcpy (dst + left, src, sizeof (float) * w);
        for (x = left + w; x < wo; x++)
          dst[x] = src[hz_reflect_index (x - left, w)];
      }
}
