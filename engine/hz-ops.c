#include "hz-ops.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include "hz-blis.h"
#include "hz-clones.h"
#include "hz-kernels.h"

/* Floats of im2col columns one thread makes at a time (2 MiB): bounds the
 * scratch memory while leaving hz_sgemm a thousand columns or more. */
#define COL_BUDGET (1 << 19)

/* n rounded up to whole vectors of the kernels (hz_kernels). */
static gsize
whole_vectors (gsize n)
{
  gsize vec = (gsize) hz_kernels ()->vec;

  return (n + vec - 1) / vec * vec;
}

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

/* Rows per chunk of n rows of per_row floats each: within budget, and
 * chunks enough to keep every thread busy, all about the same size. */
static int
even_chunk_rows (int   n,
                 gsize per_row,
                 gsize budget,
                 int   n_threads)
{
  int rows = (int) CLAMP (budget / per_row, 1, (gsize) n);
  int n_chunks = (n + rows - 1) / rows;

  n_chunks = (n_chunks + n_threads - 1) / n_threads * n_threads;
  return MAX ((n + n_chunks - 1) / n_chunks, 1);
}

/* Output rows per chunk of im2col columns. */
static int
chunk_rows (const HzConv *conv,
            int           ho,
            int           wo,
            int           n_threads)
{
  return even_chunk_rows (ho, (gsize) conv->cin * conv->k * conv->k * wo, COL_BUDGET, n_threads);
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

/* ---- Winograd F(m x m, 3x3) (Lavin and Gray): each m x m output tile
 * from the a x a input tile d over it (a = m + 2) as
 * A^T [(G g G^T) . (B^T d B)] A; the products for all tiles are a^2 matrix
 * products, cout x cin by cin x tiles, made by the kernels'
 * matrix_products: unlike a gemm's, it packs nothing, so chunks of a few
 * tile rows do. The transforms are kernels too. F(4x4, 3x3) makes 36
 * products for 16 outputs where F(2x2, 3x3) makes 64 (16 for 4), at a
 * cost of 2.25 times its transformed weights: it takes the convs whose
 * weights are small (WINO4_MAX_WEIGHTS), F(2x2, 3x3) the wider ones. */

/* The convs that take F(4x4, 3x3): at most this cin x cout (the full
 * width's two top levels and the third's first conv: their transformed
 * weights 2.25 times F(2x2)'s would cost too much memory for the wider
 * ones, a 256 px forward's peak at the target of 150 MB), on outputs of at
 * least this a side (smaller ones have too few tiles a thread: at 32 and
 * 16, two threads, F(4x4) took up to twice F(2x2)'s time). */
#define WINO4_MAX_WEIGHTS (64 * 128)
#define WINO4_MIN_SIDE 64

/* Floats of transformed input and products that one thread makes at a
 * time: 512 KiB, within L2, unless that is under WINO_MIN_TILES tiles
 * (too few for the products' blocks of vectors). */
#ifndef WINO_BUDGET
#define WINO_BUDGET (1 << 17)
#endif
#define WINO_MIN_TILES 64
/* Smaller outputs have too few tiles for the transforms to pay: the direct
 * path takes them where the conv has it (measured at 8 and 16). */
#define WINO_MIN_SIDE 16

gboolean
hz_conv_winograd_ok (const HzConv *conv)
{
  return conv->k == 3 && conv->stride == 1 && conv->pad == 1;
}


float *
hz_conv_winograd_weights (const HzConv *conv,
                          int           tile)
{
  /* G of F(2x2, 3x3) and of F(4x4, 3x3) */
  static const double g2[4][3] = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 } };
  static const double g4[6][3] = {
    { 1.0 / 4, 0, 0 }, { -1.0 / 6, -1.0 / 6, -1.0 / 6 }, { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
    { 1.0 / 24, 1.0 / 12, 1.0 / 6 }, { 1.0 / 24, -1.0 / 12, 1.0 / 6 }, { 0, 0, 1 } };
  int cin = conv->cin, cout = conv->cout, a = tile + 2, o, c, i, j, p;
  int ld = conv->weight_ld ? conv->weight_ld : cin * 9;
  const double (*gm)[3] = tile == 4 ? g4 : g2;
  float *u;

  g_return_val_if_fail (hz_conv_winograd_ok (conv) && (tile == 2 || tile == 4), NULL);
  u = g_new (float, (gsize) a * a * cout * cin);
  for (o = 0; o < cout; o++)
    for (c = 0; c < cin; c++)
      {
        const float *g = conv->weight + (gsize) o * ld + (gsize) c * 9;
        double t[6][3];   /* G g */

        for (i = 0; i < a; i++)
          for (j = 0; j < 3; j++)
            t[i][j] = gm[i][0] * g[j] + gm[i][1] * g[3 + j] + gm[i][2] * g[6 + j];
        for (i = 0; i < a; i++)
          for (j = 0; j < a; j++)
            {
              double r = 0.0;

              for (p = 0; p < 3; p++)
                r += t[i][p] * gm[j][p];
              u[((gsize) (i * a + j) * cout + o) * cin + c] = (float) r;
            }
      }
  return u;
}

/* Tile rows per chunk. */
static int
wino_chunk_rows (const HzConv *conv,
                 int           tile,
                 int           th,
                 int           tw,
                 int           n_threads)
{
  int a = tile + 2;
  gsize per_row = (gsize) a * a * (conv->cin + conv->cout) * tw;

  return even_chunk_rows (th, per_row, MAX (WINO_BUDGET, per_row * ((WINO_MIN_TILES + tw - 1) / tw)),
                          n_threads);
}

/* Floats from one plane of transformed input or products to the next:
 * the chunk's tiles rounded to whole vectors. */
static gsize
wino_pitch (int tw,
            int rows)
{
  return whole_vectors ((gsize) rows * tw);
}

/* Floats from one of the a^2 sets of planes (channels of them, np apart)
 * to the next: a cache line more than the planes, so that the a^2 floats
 * of a tile, one in each set, do not all fall in one set of L1 (the planes
 * are often a multiple of 4 KiB). */
static gsize
wino_set_stride (int   channels,
                 gsize np)
{
  return (gsize) channels * np + 16;
}

/* One thread's scratch: transformed input, products, the padded input rows
 * under a chunk of one channel, and upsampling's row (which also takes
 * what the input kernel reads past the last row). */
static gsize
wino_thread_scratch (const HzConv *conv,
                     int           m,
                     int           w,
                     int           tw,
                     int           rows)
{
  int a = m + 2;
  gsize np = wino_pitch (tw, rows);
  gsize n = (gsize) a * a * (wino_set_stride (conv->cin, np) + wino_set_stride (conv->cout, np))
            + (gsize) (m * rows + 2) * (m * tw + 2) + MAX (w, 2);

  return (n + 15) & ~(gsize) 15;   /* every thread's planes on 64 bytes */
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
HZ_X86_64_V4_CLONES static void
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
HZ_X86_64_V4_CLONES static void
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

/* Columns for output rows [oy0, oy1): row (c, ky, kx) of col (rows n
 * floats apart, its outputs ps apart: 1, or transposed) holds the input
 * under tap (ky, kx) of channel c for every output position. Each padded
 * input row is made once (in prow) and copied to every tap that reads it. */
static void
im2col (const HzConv *conv,
        const float  *in,
        int           h,
        int           w,
        int           oy0,
        int           oy1,
        int           wo,
        float        *col,
        gsize         n,
        gsize         ps,
        float        *prow)
{
  int k = conv->k, s = conv->stride;
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
                               + (gsize) (oy - oy0) * wo * ps;
                  int ox;

                  if (s == 1 && ps == 1 && wo > 16)
                    memcpy (dst, prow + kx, sizeof (float) * wo);
                  else if (s == 1 && ps == 1)   /* a few floats: a call would cost more */
                    for (ox = 0; ox < wo; ox++)
                      dst[ox] = prow[kx + ox];
                  else
                    for (ox = 0; ox < wo; ox++)
                      dst[ox * ps] = prow[ox * s + kx];
                }
            }
        }
    }
}

/* bias, activation, then scale and shift, of n outputs of channel o from
 * src into dst (the same, or apart: a copy and the epilogue in one pass). */
HZ_X86_64_V4_CLONES static void
epilogue_channel (const HzConv *conv,
                  int           o,
                  const float  *src,
                  float        *dst,
                  gsize         n)
{
  float b = conv->bias ? conv->bias[o] : 0.0f;
  float sc = conv->scale ? conv->scale[o] : 1.0f;
  float sh = conv->scale ? conv->shift[o] : 0.0f;
  gsize i;

  switch (conv->act)
    {
    case HZ_ACT_NONE:
      for (i = 0; i < n; i++)
        dst[i] = (src[i] + b) * sc + sh;
      break;
    case HZ_ACT_RELU:
      for (i = 0; i < n; i++)
        {
          float v = src[i] + b;
          dst[i] = (v > 0.0f ? v : 0.0f) * sc + sh;
        }
      break;
    case HZ_ACT_LEAKY:
      /* max (v, 0.2 v), both computed: the compiler will not speculate
       * a multiplication that could trap, and a branch mispredicts */
      for (i = 0; i < n; i++)
        {
          float v = src[i] + b, l = 0.2f * v;
          dst[i] = (v > l ? v : l) * sc + sh;
        }
      break;
    }
}

/* epilogue_channel on n outputs of every channel, ld apart. */
static void
epilogue (const HzConv *conv,
          float        *out,
          gsize         ld,
          gsize         n)
{
  int o;

  for (o = 0; o < conv->cout; o++)
    epilogue_channel (conv, o, out + ld * o, out + ld * o, n);
}

/* One convolution's work, shared by the threads of hz_parallel_for: chunk
 * i of rows output rows (tile rows for Winograd), each thread in its slot
 * of per_thread floats of scratch. */
typedef struct
{
  const HzConv *conv;
  const float  *in;
  int           h, w, ho, wo, rows;
  int           groups;   /* of output channels, each chunk of rows split into (direct path) */
  float        *out, *scratch;
  gsize         per_thread;
  int           tile;     /* Winograd's: 2 or 4 */
} ConvJob;

/* ---- direct convolution, stride 1 or 2 (any kernel size, padding,
 * upsampling at stride 1): for channel counts too small for a gemm's
 * packing or Winograd's transforms to pay, and for the wide layers whose
 * Winograd weights would cost too much memory. The padded input rows under
 * a chunk of output rows are made once, one after the other, so that the
 * chunk's outputs are one span of vectors: where a row's outputs are not
 * whole vectors, output j reads the padded rows at j + ky (wo + k - 1) + kx
 * at stride 1, and the k - 1 outputs past each row's end are computed and
 * dropped (this keeps the vectors full on small images).
 * At stride 2 the padded input is split by the parity of its rows and
 * columns into 4 planes, in each of which the taps of that parity read as
 * at stride 1. The span's products are the kernels' span_products
 * (hz-kernels.c), in whole vectors of their width (8 or 16 floats), with
 * the weights where they are (PyTorch's layout): no copy. */

/* sysconf's names of the caches' sizes (glibc's), -1 where it has none. */
#if defined _SC_LEVEL1_DCACHE_SIZE && defined _SC_LEVEL2_CACHE_SIZE
#define SC_L1 _SC_LEVEL1_DCACHE_SIZE
#define SC_L2 _SC_LEVEL2_CACHE_SIZE
#else
#define SC_L1 (-1)
#define SC_L2 (-1)
#endif

/* Floats in 1/share of the cache that sysconf's name gives (-1: none),
 * clamped to [lo, hi], or unknown where it does not say; made once, in
 * *once. */
static gsize
cache_floats (gsize *once,
              int    name,
              int    share,
              gsize  lo,
              gsize  hi,
              gsize  unknown)
{
  if (g_once_init_enter (once))
    {
      long bytes = name < 0 ? -1 : sysconf (name);

      g_once_init_leave (once, bytes > 0 ? CLAMP ((gsize) bytes / share / sizeof (float), lo, hi) : unknown);
    }
  return *once;
}

/* Floats of padded input rows one thread makes at a time: half of L2 (the
 * wide layers' weights are read once a chunk, so chunks as large as L2
 * holds: with 2 MiB of L2, 1 MiB rather than 256 KiB took the style
 * encoder's last three layers at 512 px, full width, 19 to 23% less time),
 * 256 KiB where the size is unknown. */
static gsize
direct_budget (void)
{
  static gsize budget;

  return cache_floats (&budget, SC_L2, 2, 1 << 15, 1 << 19, 1 << 16);
}

gboolean
hz_conv_direct_ok (const HzConv *conv)
{
  return conv->stride == 1 || (conv->stride == 2 && !conv->upsample);
}

/* Floats of a row of a (parity) plane: the outputs of a row and the taps past them. */
static int
direct_ld (const HzConv *conv,
           int           wo)
{
  return wo + (conv->k - 1) / conv->stride;
}

/* Output rows per chunk, and the groups of output channels each chunk is
 * split into: by rows, unless the weights outweigh the input (the deep
 * layers of a small working size), where threads splitting the rows would
 * each read all the weights for a few outputs: then by output channels. */
static int
direct_chunk_rows (const HzConv *conv,
                   int           ho,
                   int           wo,
                   int           n_threads,
                   int          *groups)
{
  gsize per_row = (gsize) conv->cin * conv->stride * conv->stride * direct_ld (conv, wo);
  gsize weights = (gsize) conv->cout * conv->cin * conv->k * conv->k;
  int ob = hz_kernels ()->span_ob, blocks = (conv->cout + ob - 1) / ob;

  *groups = 1;
  if (n_threads > 1 && weights > per_row * ho && blocks >= n_threads)
    {
      *groups = n_threads;
      n_threads = 1;
    }
  return even_chunk_rows (ho, per_row, direct_budget (), n_threads);
}

/* Floats of one plane under a chunk of rows output rows, with what the
 * span's last block reads past them. */
static gsize
direct_plane (const HzConv *conv,
              int           wo,
              int           rows)
{
  int reach = (conv->k - 1) / conv->stride;

  return (gsize) (rows + reach) * direct_ld (conv, wo) + reach + hz_kernels ()->vec;
}

/* Outputs from one row of the span to the next: a row's outputs when they
 * are whole vectors (none computed past its end), else a plane row's. */
static int
direct_pitch (const HzConv *conv,
              int           wo)
{
  return wo % hz_kernels ()->vec == 0 ? wo : direct_ld (conv, wo);
}

/* The span's outputs rounded to whole vectors. */
static gsize
direct_span (const HzConv *conv,
             int           wo,
             int           rows)
{
  return whole_vectors ((gsize) rows * direct_pitch (conv, wo));
}

/* One thread's scratch: the planes of every input channel, the span of
 * span_ob output channels, a padded row, and upsampling's row. */
static gsize
direct_thread_scratch (const HzConv *conv,
                       int           w,
                       int           wo,
                       int           rows)
{
  int win = conv->upsample ? 2 * w : w;
  gsize n = (gsize) conv->cin * conv->stride * conv->stride * direct_plane (conv, wo, rows)
            + hz_kernels ()->span_ob * direct_span (conv, wo, rows) + win + 2 * conv->pad + w;

  return (n + 15) & ~(gsize) 15;
}

/* The planes of input channel c under padded rows [py0, py0 + nr) into
 * planes (pstride apart); prow and tmp: a padded row, upsampling's row. */
HZ_X86_64_V4_CLONES static void
direct_planes (const HzConv *conv,
               const float  *x,
               int           h,
               int           w,
               int           py0,
               int           nr,
               int           ld,
               gsize         pstride,
               float        *planes,
               float        *prow,
               float        *tmp)
{
  int s = conv->stride, wp = (conv->upsample ? 2 * w : w) + 2 * conv->pad, r, p, i;

  for (r = 0; r < nr; r++)
    {
      if (s == 1)   /* padded_row makes ld floats */
        {
          padded_row (conv, x, h, w, py0 + r, planes + (gsize) r * ld, tmp);
          continue;
        }
      padded_row (conv, x, h, w, py0 + r, prow, tmp);
      for (p = 0; p < s; p++)
        {
          float *dst = planes + ((r % s) * s + p) * pstride + (gsize) (r / s) * ld;
          int full = MIN (ld, (wp - p + s - 1) / s);   /* the i with s i + p < wp */

          if (s == 2)   /* a loop the compiler vectorises */
            for (i = 0; i < full; i++)
              dst[i] = prow[2 * i + p];
          else
            for (i = 0; i < full; i++)
              dst[i] = prow[s * i + p];
          for (i = full; i < ld; i++)
            dst[i] = 0.0f;
        }
    }
  /* what the blocks read past the rows */
  for (p = 0; p < s * s; p++)
    {
      gsize filled = (gsize) (nr - p / s + s - 1) / s * ld;

      memset (planes + p * pstride + filled, 0, sizeof (float) * (pstride - filled));
    }
}

/* Output channels [*begin, *end) of group g of groups: whole blocks of
 * the kernels' span_ob. */
static void
group_channels (const HzConv *conv,
                int           groups,
                int           g,
                int          *begin,
                int          *end)
{
  int ob = hz_kernels ()->span_ob, per_group = ((conv->cout + ob - 1) / ob + groups - 1) / groups * ob;

  *begin = g * per_group;
  *end = MIN (conv->cout, *begin + per_group);
}

static void
direct_chunk (int      i,
              int      slot,
              gpointer data)
{
  const ConvJob *job = data;
  const HzConv *conv = job->conv;
  int h = job->h, w = job->w, ho = job->ho, wo = job->wo, s = conv->stride;
  int ld = direct_ld (conv, wo), pitch = direct_pitch (conv, wo);
  int oy0 = i / job->groups * job->rows, oy1 = MIN (ho, oy0 + job->rows), o_begin, o_end;
  gsize pstride = direct_plane (conv, wo, job->rows), span = direct_span (conv, wo, job->rows);
  float *buf = job->scratch + job->per_thread * slot;
  int ob = hz_kernels ()->span_ob;
  float *sp = buf + conv->cin * s * s * pstride, *prow = sp + ob * span;
  float *tmp = prow + (conv->upsample ? 2 * w : w) + 2 * conv->pad;
  int n = (int) direct_span (conv, wo, oy1 - oy0), c, o0, o, oy;

  group_channels (conv, job->groups, i % job->groups, &o_begin, &o_end);
  for (c = 0; c < conv->cin; c++)
    direct_planes (conv, job->in + (gsize) c * h * w, h, w, s * oy0, s * (oy1 - oy0 - 1) + conv->k,
                   ld, pstride, buf + c * s * s * pstride, prow, tmp);
  for (o0 = o_begin; o0 < o_end; o0 += ob)
    {
      float *spans[HZ_SPAN_OB_MAX];

      for (o = 0; o < ob; o++)
        spans[o] = o0 + o < o_end ? sp + o * span : NULL;
      hz_kernels ()->span_products (buf, pstride * s * s, pstride, ld, s, conv->k, conv->cin,
                                    conv->cout, conv->weight,
                                    conv->weight_ld ? conv->weight_ld : conv->cin * conv->k * conv->k,
                                    pitch, n, o0, spans);
      for (o = 0; o < ob && spans[o]; o++)
        for (oy = oy0; oy < oy1; oy++)
          {
            float *y = job->out + ((gsize) (o0 + o) * ho + oy) * wo;

            epilogue_channel (conv, o0 + o, spans[o] + (gsize) (oy - oy0) * pitch, y, wo);
          }
    }
}

/* hz_conv2d's direct path, by chunks of output rows as the im2col one. */
static void
direct_conv2d (ConvJob *job,
               int      nt)
{
  job->rows = direct_chunk_rows (job->conv, job->ho, job->wo, nt, &job->groups);
  job->per_thread = direct_thread_scratch (job->conv, job->w, job->wo, job->rows);
  hz_parallel_for ((job->ho + job->rows - 1) / job->rows * job->groups, nt, direct_chunk, job);
}

/* Transformed input B^T d B of tile rows [ty0, ty1) (tw tiles each) into
 * v: a^2 sets (stride apart) of cin planes, np apart. rows holds the padded
 * rows under them, made once. */
static void
wino_input (const HzConv *conv,
            int           m,
            const float  *in,
            int           h,
            int           w,
            int           ty0,
            int           ty1,
            int           tw,
            float        *v,
            gsize         np,
            gsize         stride,
            float        *rows)
{
  int ww = m * tw + 2, nr = m * (ty1 - ty0) + 2;
  int wp = (conv->upsample ? 2 * w : w) + 2;
  float *tmp = rows + (gsize) nr * ww;
  const HzKernels *kern = hz_kernels ();
  void (*input_row) (const float *, int, float *, gsize) = m == 4 ? kern->wino4_input_row
                                                                  : kern->wino_input_row;
  int c, r, i;

  for (c = 0; c < conv->cin; c++)
    {
      const float *x = in + (gsize) c * h * w;
      float *vc = v + (gsize) c * np;

      for (i = 0; i < nr; i++)
        {
          float *prow = rows + (gsize) i * ww;

          padded_row (conv, x, h, w, m * ty0 + i, prow, tmp);
          if (ww > wp)   /* the last tile's columns past the input's */
            memset (prow + wp, 0, sizeof (float) * (ww - wp));
        }
      for (r = 0; r < ty1 - ty0; r++)
        input_row (rows + (gsize) m * r * ww, tw, vc + (gsize) r * tw, stride);
    }
}

/* Output tiles A^T m A of the products m (a^2 sets, stride apart, of cout
 * planes, np apart) into out's rows from m ty0, dropping what falls outside
 * ho x wo, then the epilogue. */
static void
wino_output (const HzConv *conv,
             int           tm,
             const float  *m,
             int           ty0,
             int           ty1,
             int           tw,
             int           ho,
             int           wo,
             float        *out,
             gsize         np,
             gsize         stride)
{
  const HzKernels *kern = hz_kernels ();
  int o, r, k;

  for (o = 0; o < conv->cout; o++)
    for (r = 0; r < ty1 - ty0; r++)
      {
        const float *mr = m + (gsize) o * np + (gsize) r * tw;
        int oy = tm * (ty0 + r);
        float *y[4];

        for (k = 0; k < tm; k++)
          y[k] = oy + k < ho ? out + ((gsize) o * ho + oy + k) * wo : NULL;
        (tm == 4 ? kern->wino4_output_row : kern->wino_output_row) (mr, stride, tw, wo, y);
        for (k = 0; k < tm && y[k]; k++)
          epilogue_channel (conv, o, y[k], y[k], wo);
      }
}

static void
wino_chunk (int      i,
            int      slot,
            gpointer data)
{
  const ConvJob *job = data;
  const HzConv *conv = job->conv;
  int tm = job->tile, sets = (tm + 2) * (tm + 2);
  int th = (job->ho + tm - 1) / tm, tw = (job->wo + tm - 1) / tm;
  int ty0 = i * job->rows, ty1 = MIN (th, ty0 + job->rows), xi, c;
  gsize n = (gsize) (ty1 - ty0) * tw, np = wino_pitch (tw, job->rows);
  gsize vs = wino_set_stride (conv->cin, np), ms = wino_set_stride (conv->cout, np);
  float *v = job->scratch + job->per_thread * slot, *m = v + sets * vs;

  wino_input (conv, tm, job->in, job->h, job->w, ty0, ty1, tw, v, np, vs, m + sets * ms);
  for (xi = 0; xi < sets; xi++)
    for (c = 0; c < conv->cin; c++)   /* the last vector's tiles past the chunk's */
      memset (v + xi * vs + c * np + n, 0, sizeof (float) * (wino_pitch (tw, ty1 - ty0) - n));
  for (xi = 0; xi < sets; xi++)
    hz_kernels ()->matrix_products (conv->winograd[tm / 4] + (gsize) xi * conv->cout * conv->cin, conv->cin,
                                    conv->cin, v + xi * vs, (int) np, conv->cin, 0, conv->cout,
                                    m + xi * ms);   /* one panel: a set's planes are in L1 or L2 */
  wino_output (conv, tm, m, ty0, ty1, tw, job->ho, job->wo, job->out, np, ms);
}

/* hz_conv2d's Winograd path, by chunks of tile rows as the im2col one. */
static void
wino_conv2d (ConvJob *job,
             int      nt)
{
  int tm = job->tile, th = (job->ho + tm - 1) / tm, tw = (job->wo + tm - 1) / tm;

  job->rows = wino_chunk_rows (job->conv, tm, th, tw, nt);
  job->per_thread = wino_thread_scratch (job->conv, tm, job->w, tw, job->rows);
  hz_parallel_for ((th + job->rows - 1) / job->rows, nt, wino_chunk, job);
}

/* ---- small outputs (the deepest layers of a small working size): the
 * whole output as one span of whole vectors, its columns gathered by
 * im2col, and the products made by matrix_products, which holds more output
 * channels in registers where the vectors are few. The direct path would
 * compute the span over padded rows (a 4 x 4 output as 24 outputs rather
 * than 16), and a gemm would pack weights that are used once. Threads share
 * the columns' making by input channels, then split the output channels. */

#define SMALL_MAX_OUTPUTS 64

static gboolean
use_small (const HzConv *conv,
           int           ho,
           int           wo)
{
  return !conv_is_pointwise (conv) && ho * wo <= SMALL_MAX_OUTPUTS;
}

/* Floats of the columns, made once for all threads. */
static gsize
small_columns (const HzConv *conv,
               int           ho,
               int           wo)
{
  return ((gsize) conv->cin * conv->k * conv->k * whole_vectors ((gsize) ho * wo) + 15) & ~(gsize) 15;
}

/* One thread's scratch, after the columns: the products of its group's
 * output channels, or before them im2col's row buffer. */
static gsize
small_thread_scratch (const HzConv *conv,
                      int           w,
                      int           ho,
                      int           wo,
                      int           groups)
{
  int o_begin, o_end;
  gsize n;

  group_channels (conv, groups, 0, &o_begin, &o_end);
  n = MAX ((o_end - o_begin) * whole_vectors ((gsize) ho * wo), row_buffer_size (conv, w));
  return (n + 15) & ~(gsize) 15;
}

/* Input channels [c0, c1) of group i of the columns. */
static void
small_columns_chunk (int      i,
                     int      slot,
                     gpointer data)
{
  const ConvJob *job = data;
  HzConv part = *job->conv;   /* im2col of its channels alone */
  int per = (part.cin + job->groups - 1) / job->groups, c0 = i * per, c1 = MIN (part.cin, c0 + per);
  int kk = part.k * part.k, n = job->ho * job->wo, r;
  gsize pitch = whole_vectors (n);
  float *col = job->scratch + (gsize) c0 * kk * pitch;

  if (c0 >= c1)
    return;
  part.cin = c1 - c0;
  /* im2col's row buffer where this thread's products go later */
  im2col (&part, job->in + (gsize) c0 * job->h * job->w, job->h, job->w, 0, job->ho, job->wo, col,
          pitch, 1, job->scratch + small_columns (job->conv, job->ho, job->wo) + job->per_thread * slot);
  for (r = 0; r < part.cin * kk; r++)   /* the last vector's floats past the output */
    memset (col + r * pitch + n, 0, sizeof (float) * (pitch - n));
}

/* Floats of the small outputs' columns that matrix_products reads over all
 * of a thread's output channels at a time, where the whole columns do not
 * fit in L2 (576 KiB for the deepest layers at 64 px against Zen 3's 512
 * KiB): the L1 data cache's size (32 KiB where unknown), so that each panel
 * is read from L1 by every block of output channels, where the whole
 * columns came from L3 once a block. Columns within L2 stay whole: there
 * panels were slower (`bench-matrix`, README). */
static gsize
l1_budget (void)
{
  static gsize budget;

  return cache_floats (&budget, SC_L1, 1, 1 << 12, 1 << 15, 1 << 13);
}

int
hz_conv_small_panel (int   kk,
                     gsize pitch)
{
  int most = (int) MAX (16, l1_budget () / pitch), panels = (kk + most - 1) / most;

  if ((gsize) kk * pitch <= 2 * direct_budget ())   /* within L2: panels cost more than they save */
    return kk;
  return (kk + panels - 1) / panels;
}

static void
small_chunk (int      i,
             int      slot,
             gpointer data)
{
  const ConvJob *job = data;
  const HzConv *conv = job->conv;
  int kk = conv->cin * conv->k * conv->k, n = job->ho * job->wo, o_begin, o_end, o;
  gsize pitch = whole_vectors (n);
  float *products = job->scratch + small_columns (conv, job->ho, job->wo) + job->per_thread * slot;

  group_channels (conv, job->groups, i, &o_begin, &o_end);
  hz_kernels ()->matrix_products (conv->weight, conv->weight_ld ? conv->weight_ld : kk, kk,
                                  job->scratch, (int) pitch, hz_conv_small_panel (kk, pitch), o_begin,
                                  o_end, products);
  for (o = o_begin; o < o_end; o++)
    {
      float *y = job->out + (gsize) o * n;

      epilogue_channel (conv, o, products + (gsize) (o - o_begin) * pitch, y, n);
    }
}

/* Groups of output channels (and of input channels for the columns): one a thread. */
static int
small_groups (const HzConv *conv,
              int           nt)
{
  int ob = hz_kernels ()->span_ob;

  return MIN (nt, (conv->cout + ob - 1) / ob);
}

/* The columns by groups of input channels, then the products by groups of
 * output channels: two parallel loops, each thread's part of the columns
 * (the deepest layers' are most of the im2col path's time) made once. */
static void
small_conv2d (ConvJob *job,
              int      nt)
{
  job->groups = small_groups (job->conv, nt);
  job->per_thread = small_thread_scratch (job->conv, job->w, job->ho, job->wo, job->groups);
  hz_parallel_for (job->groups, nt, small_columns_chunk, job);
  hz_parallel_for (job->groups, nt, small_chunk, job);
}

/* The tile with which conv, given its Winograd weights, takes that path on
 * an output of ho x wo, or 0. */
static int
winograd_wanted (const HzConv *conv,
                 int           ho,
                 int           wo)
{
  if (use_small (conv, ho, wo) || (conv->direct && (ho < WINO_MIN_SIDE || wo < WINO_MIN_SIDE)))
    return 0;
  return conv->cin * conv->cout <= WINO4_MAX_WEIGHTS && ho >= WINO4_MIN_SIDE && wo >= WINO4_MIN_SIDE
         ? 4 : 2;
}

int
hz_conv_winograd_tile (const HzConv *conv,
                       int           h,
                       int           w)
{
  return winograd_wanted (conv, hz_conv_out_size (conv, h), hz_conv_out_size (conv, w));
}

/* The tile with which conv runs as Winograd on an output of ho x wo, or 0.
 * Its weights may be set by another thread meanwhile (hz-net.c makes them
 * on first use). */
static int
use_winograd (const HzConv *conv,
              int           ho,
              int           wo)
{
  int tile = winograd_wanted (conv, ho, wo);

  return tile && __atomic_load_n (&conv->winograd[tile / 4], __ATOMIC_ACQUIRE) ? tile : 0;
}

gsize
hz_conv_scratch_size (const HzConv *conv,
                      int           h,
                      int           w,
                      int           n_threads)
{
  int nt = resolve_threads (n_threads);
  int ho = hz_conv_out_size (conv, h), wo = hz_conv_out_size (conv, w), tm;

  if (use_small (conv, ho, wo))
    return small_columns (conv, ho, wo)
           + nt * small_thread_scratch (conv, w, ho, wo, small_groups (conv, nt));
  if ((tm = use_winograd (conv, ho, wo)))
    {
      int th = (ho + tm - 1) / tm, tw = (wo + tm - 1) / tm;

      return nt * wino_thread_scratch (conv, tm, w, tw, wino_chunk_rows (conv, tm, th, tw, nt));
    }
  if (conv->direct)
    {
      int groups;

      return nt * direct_thread_scratch (conv, w, wo, direct_chunk_rows (conv, ho, wo, nt, &groups));
    }
  return nt * thread_scratch_size (conv, w, wo, chunk_rows (conv, ho, wo, nt));
}

/* A 1 x 1 conv's products at n pixels (channels ld floats apart, in and
 * out), by blocks of pixels that stay in L1: the network's only one,
 * conv10, has 3 output channels, too few for a gemm to pay for its packing
 * (BLIS took 0.1 ms of a 64 px forward, 4 GFLOP/s). */
#define POINTWISE_BLOCK 1024

HZ_X86_64_V4_CLONES static void
pointwise_products (const HzConv *conv,
                    int           lda,
                    const float  *in,
                    gsize         ld,
                    gsize         n,
                    float        *out)
{
  for (gsize p0 = 0; p0 < n; p0 += POINTWISE_BLOCK)
    {
      gsize m = MIN (POINTWISE_BLOCK, n - p0), p;

      for (int o = 0; o < conv->cout; o++)
        {
          const float *w = conv->weight + (gsize) o * lda;
          float *y = out + ld * o + p0;

          for (p = 0; p < m; p++)
            y[p] = w[0] * in[p0 + p];
          for (int c = 1; c < conv->cin; c++)
            {
              const float *x = in + ld * c + p0;

              for (p = 0; p < m; p++)
                y[p] += w[c] * x[p];
            }
        }
    }
}

static void
im2col_chunk (int      i,
              int      slot,
              gpointer data)
{
  const ConvJob *job = data;
  const HzConv *conv = job->conv;
  int kk = conv->cin * conv->k * conv->k, lda = conv->weight_ld ? conv->weight_ld : kk;
  int oy0 = i * job->rows, oy1 = MIN (job->ho, oy0 + job->rows), wo = job->wo;
  gsize n = (gsize) (oy1 - oy0) * wo, plane = (gsize) job->ho * wo;
  float *c = job->out + (gsize) oy0 * wo;

  if (conv_is_pointwise (conv))
    pointwise_products (conv, lda, job->in + (gsize) oy0 * wo, plane, n, c);
  else
    {
      float *col = job->scratch + job->per_thread * slot;

      im2col (conv, job->in, job->h, job->w, oy0, oy1, wo, col, n, 1, col + (gsize) kk * n);
      hz_sgemm (conv->cout, (int) n, kk, conv->weight, lda, col, (int) n, c, (int) plane, FALSE, 1);
    }
  epilogue (conv, c, plane, n);
}

/* Threads share the work by chunks of output rows, each making its own
 * columns and running a single-threaded hz_sgemm and the epilogue on them:
 * one hz_parallel_for per layer with nothing to wait for inside it (many
 * small parallel regions, each with its barriers, crawl on a busy machine). */
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
  ConvJob job = { conv, in, h, w, hz_conv_out_size (conv, h), hz_conv_out_size (conv, w), 0, 1,
                  out, scratch, 0, 0 };

  if (use_small (conv, job.ho, job.wo))
    small_conv2d (&job, nt);
  else if ((job.tile = use_winograd (conv, job.ho, job.wo)))
    wino_conv2d (&job, nt);
  else if (conv->direct)
    direct_conv2d (&job, nt);
  else
    {
      job.rows = chunk_rows (conv, job.ho, job.wo, nt);
      job.per_thread = thread_scratch_size (conv, w, job.wo, job.rows);
      hz_parallel_for ((job.ho + job.rows - 1) / job.rows, nt, im2col_chunk, &job);
    }
}

typedef struct
{
  const HzConv *conv;
  int           first, n, h, w;
  const float  *values;
  float        *out;
} ConstantJob;

/* Output channel o of hz_conv_add_constant_channels. */
static void
constant_channel (int      o,
                  int      slot,
                  gpointer data)
{
  const ConstantJob *job = data;
  const HzConv *conv = job->conv;
  int k = conv->k, kk = k * k, pad = conv->pad, h = job->h, w = job->w, n = job->n;
  int ld = conv->weight_ld ? conv->weight_ld : conv->cin * kk;
  const float *wt = conv->weight + (gsize) o * ld + (gsize) job->first * kk, *values = job->values;
  float *p = job->out + (gsize) o * h * w;
  float tap[HZ_TAPS_MAX];
  int y, x;

  (void) slot;
  hz_kernels ()->tap_sums (wt, n, kk, values, tap);
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
  ConstantJob job = { conv, first, n, h, w, values, out };

  g_return_if_fail (conv->stride == 1 && conv->pad_mode == HZ_PAD_ZERO && !conv->upsample
                    && conv->k * conv->k <= HZ_TAPS_MAX);
  hz_parallel_for (conv->cout, resolve_threads (n_threads), constant_channel, &job);
}

typedef struct
{
  const float *in;
  float       *out;
  int          h, w;
} PoolJob;

static void
maxpool_channel (int      ch,
                 int      slot,
                 gpointer data)
{
  const PoolJob *job = data;
  int h = job->h, w = job->w, ho = h / 2, wo = w / 2, y, x;

  (void) slot;
  for (y = 0; y < ho; y++)
    {
      const float *r0 = job->in + ((gsize) ch * h + 2 * y) * w;
      const float *r1 = r0 + w;
      float *o = job->out + ((gsize) ch * ho + y) * wo;

      for (x = 0; x < wo; x++)
        {
          float a = MAX (r0[2 * x], r0[2 * x + 1]);
          float b = MAX (r1[2 * x], r1[2 * x + 1]);

          o[x] = MAX (a, b);
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
  PoolJob job = { in, out, h, w };

  hz_parallel_for (c, resolve_threads (n_threads), maxpool_channel, &job);
}

/* Double sums in DOUBLE_LANES independent chains, added at the end: the
 * compiler makes them one vector (a single chain of dependent adds ran at
 * four cycles an element, the SE blocks' 0.1 to 0.2 ms on one thread, long
 * enough for the pool's helpers to fall asleep; see hz-pool.c). */
#define DOUBLE_LANES 8

HZ_X86_64_V4_CLONES static double
sum_floats (const float *p,
            gsize        n)
{
  double lane[DOUBLE_LANES] = { 0 }, sum = 0.0;
  gsize i = 0;
  int l;

  for (; i + DOUBLE_LANES <= n; i += DOUBLE_LANES)
    for (l = 0; l < DOUBLE_LANES; l++)
      lane[l] += p[i + l];
  for (l = 0; l < DOUBLE_LANES; l++)
    sum += lane[l];
  for (; i < n; i++)
    sum += p[i];
  return sum;
}

HZ_X86_64_V4_CLONES static double
dot_floats (const float *a,
            const float *b,
            int          n)
{
  double lane[DOUBLE_LANES] = { 0 }, sum = 0.0;
  int i = 0, l;

  for (; i + DOUBLE_LANES <= n; i += DOUBLE_LANES)
    for (l = 0; l < DOUBLE_LANES; l++)
      lane[l] += (double) a[i + l] * b[i + l];
  for (l = 0; l < DOUBLE_LANES; l++)
    sum += lane[l];
  for (; i < n; i++)
    sum += (double) a[i] * b[i];
  return sum;
}

void
hz_channel_mean (const float *in,
                 int          c,
                 gsize        n,
                 float       *mean)
{
  for (int ch = 0; ch < c; ch++)
    mean[ch] = (float) (sum_floats (in + n * ch, n) / (double) n);
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
  for (int o = 0; o < n_out; o++)
    y[o] = (float) (b[o] + dot_floats (wt + (gsize) o * n_in, x, n_in));
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

typedef struct
{
  float       *x;
  gsize        n;
  const float *gates;
} ScaleJob;

static void
scale_channel (int      ch,
               int      slot,
               gpointer data)
{
  const ScaleJob *job = data;
  float *p = job->x + job->n * ch;
  float g = job->gates[ch];
  gsize i;

  (void) slot;
  for (i = 0; i < job->n; i++)
    p[i] *= g;
}

void
hz_scale_channels (float       *x,
                   int          c,
                   gsize        n,
                   const float *gates,
                   int          n_threads)
{
  ScaleJob job = { x, n, gates };

  hz_parallel_for (c, resolve_threads (n_threads), scale_channel, &job);
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
