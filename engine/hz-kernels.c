/* The convolutions' inner kernels (hz-kernels.h), in GCC's vector
 * extensions. Meson builds this file once per variant, naming it
 * (HZ_KERNELS_ID, HZ_KERNELS_NAME), its vector (HZ_KERNELS_VEC floats) and
 * its instruction set (-march): the x86-64-v4 build, with AVX-512's 16-float
 * vectors and 32 registers, doubles the FMAs per instruction where the CPU
 * has 512-bit units, and holds twice the accumulators of AVX2's 16. */
#include "hz-kernels.h"

#include <string.h>

#ifndef HZ_KERNELS_ID   /* the baseline build, the library's own flags */
#define HZ_KERNELS_ID   hz_kernels_baseline
#define HZ_KERNELS_NAME "baseline"
#define HZ_KERNELS_VEC  8
#endif

#define VEC HZ_KERNELS_VEC
typedef float Vec __attribute__ ((vector_size (4 * VEC)));

/* span_products: a block of SPAN_OB output channels by up to SPAN_NV
 * vectors stays in registers over SPAN_CB input channels and their taps:
 * AVX-512's 8 by 3 of its 32 registers (each input vector feeds 8 products;
 * 4 by 6 ran the style encoder's stride-2 layers a fifth slower), AVX2's 4
 * by 3 of its 16 (8 by 1 was slower there). */
#define SPAN_OB (VEC == 16 ? 8 : 4)
#define SPAN_NV 3
/* Input channels whose rows and weights a block keeps in L1 at a time. */
#define SPAN_CB 32
/* matrix_products: rows (output channels) by vectors in registers, as many
 * rows as the vectors of a block (at most 4) leave room for; AVX-512 holds
 * 24 of its 32, but no more than 16 rows, whose weights (kk apart, often a
 * multiple of 2 KiB) would share too few sets of L1 (measured: 24 rows of
 * one vector run at half the speed of 16). AVX2: 12 of its 16. */
#define MATRIX_ACC 24
#define MATRIX_SO(nv) (VEC == 16 ? ((nv) == 1 ? 16 : (nv) == 2 ? 8 : 6) : 12 / (nv))
/* Input channels of the columns a block reads at a time: 16 KiB (4096
 * floats) of them, in L1. */
#define MATRIX_CB(nv) MAX (16, 4096 / ((nv) * VEC))

/* Input channels [c0, c1) of SPAN_OB output channels at span outputs
 * [VEC x0, VEC (x0 + nv)) (out[o]; NULL past cout), vector v of them over
 * the input at x + at[v] (input channels cstride apart, parity planes
 * pstride apart, rows ld apart), with each output channel's weights wt[o]
 * (k x k per input channel); added to what out holds unless c0 is 0. */
static inline __attribute__ ((always_inline)) void
span_block (const float  *x,
            gsize         cstride,
            gsize         pstride,
            int           ld,
            int           stride,
            const float  *wt[SPAN_OB],
            int           c0,
            int           c1,
            int           k,
            int           x0,
            int           nv,
            const gsize   at[SPAN_NV],
            float        *out[SPAN_OB])
{
  Vec acc[SPAN_OB][SPAN_NV];
  int kk = k * k, c, ky, kx, o, v;

  for (o = 0; o < SPAN_OB; o++)
    for (v = 0; v < nv; v++)
      {
        acc[o][v] = (Vec) { 0 };
        if (c0 && out[o])
          memcpy (&acc[o][v], out[o] + VEC * (x0 + v), sizeof acc[o][v]);
      }
  /* the channels innermost: a loop of SPAN_CB turns, not of k */
  for (ky = 0; ky < k; ky++)
    for (kx = 0; kx < k; kx++)
      {
        const float *r = x + ((ky % stride) * stride + kx % stride) * pstride
                         + (gsize) (ky / stride) * ld + kx / stride;
        int t = ky * k + kx;

        for (c = c0; c < c1; c++)
          {
            Vec in[SPAN_NV];

            for (v = 0; v < nv; v++)
              memcpy (&in[v], r + c * cstride + at[v], sizeof in[v]);
            for (o = 0; o < SPAN_OB; o++)
              {
                float w = wt[o][(gsize) c * kk + t];   /* broadcast by the product */

                for (v = 0; v < nv; v++)
                  acc[o][v] += w * in[v];
              }
          }
      }
  for (o = 0; o < SPAN_OB; o++)
    if (out[o])
      for (v = 0; v < nv; v++)
        memcpy (out[o] + VEC * (x0 + v), &acc[o][v], sizeof acc[o][v]);
}

/* By blocks of SPAN_CB input channels over the whole span: the rows under
 * a block, and its weights, stay in L1. */
static void
span_products (const float *x,
               gsize        cstride,
               gsize        pstride,
               int          ld,
               int          stride,
               int          k,
               int          cin,
               int          cout,
               const float *weight,
               int          wld,
               int          pitch,
               int          n,
               int          o0,
               float       *out[HZ_SPAN_OB_MAX])
{
  int nvec = n / VEC, x0, nv, o, c0, v;
  int blocks = (nvec + SPAN_NV - 1) / SPAN_NV;
  const float *wt[SPAN_OB];
  gsize at[SPAN_NV];

  for (o = 0; o < SPAN_OB; o++)   /* past cout: computed, not stored */
    wt[o] = weight + (gsize) MIN (o0 + o, cout - 1) * wld;
  for (c0 = 0; c0 < cin; c0 += SPAN_CB)
    {
      int c1 = MIN (cin, c0 + SPAN_CB), b;

      /* blocks as even as whole vectors make them (4 as 2 + 2, not 3 + 1) */
      for (b = 0, x0 = 0; b < blocks; b++, x0 += nv)
        {
          nv = (nvec - x0 + blocks - b - 1) / (blocks - b);
          for (v = 0; v < nv; v++)
            at[v] = (gsize) (VEC * (x0 + v) / pitch) * ld + VEC * (x0 + v) % pitch;
          switch (nv)
            {
#define SPAN_CASE(N) \
            case N: \
              span_block (x, cstride, pstride, ld, stride, wt, c0, c1, k, x0, N, at, out); \
              break;
              SPAN_CASE (1)
#if SPAN_NV > 1
              SPAN_CASE (2)
              SPAN_CASE (3)
#endif
#undef SPAN_CASE
            }
        }
    }
}

/* so rows (their weights w[o]) by vectors [x0, x0 + nv) of the columns'
 * rows [c0, c1) (pitch floats apart) into the first nstore rows of out
 * (pitch floats apart), added to what they hold unless c0 is 0. */
static inline __attribute__ ((always_inline)) void
matrix_block (const float *w[],
              const float *cols,
              gsize        pitch,
              int          c0,
              int          c1,
              int          x0,
              int          so,
              int          nv,
              int          nstore,
              float       *out)
{
  Vec acc[MATRIX_ACC];
  int o, v, c;

  for (o = 0; o < so; o++)
    for (v = 0; v < nv; v++)
      {
        acc[o * nv + v] = (Vec) { 0 };
        if (c0 && o < nstore)
          memcpy (&acc[o * nv + v], out + o * pitch + VEC * (x0 + v), sizeof (Vec));
      }
  for (c = c0; c < c1; c++)
    {
      Vec in[4];

      for (v = 0; v < nv; v++)
        memcpy (&in[v], cols + c * pitch + VEC * (x0 + v), sizeof in[v]);
      for (o = 0; o < so; o++)
        {
          float wv = w[o][c];

          for (v = 0; v < nv; v++)
            acc[o * nv + v] += wv * in[v];
        }
    }
  for (o = 0; o < so; o++)
    for (v = 0; v < nv && o < nstore; v++)
      memcpy (out + o * pitch + VEC * (x0 + v), &acc[o * nv + v], sizeof (Vec));
}

/* By panels of the columns' rows (that stay in the cache over all the
 * rows), then blocks of rows (MATRIX_SO), then chunks of the panel's rows
 * that stay in L1 (MATRIX_CB), then blocks of vectors: each block's weights
 * are read in order, as the prefetcher likes. Every output's sum runs over
 * the columns' rows in order, whatever the panel. */
static void
matrix_products (const float *weight,
                 int          wld,
                 int          kk,
                 const float *cols,
                 int          pitch,
                 int          panel,
                 int          o0,
                 int          o1,
                 float       *out)
{
  int nvec = pitch / VEC, nv = MIN (nvec, 4), so = MATRIX_SO (nv);
  int cb = MATRIX_CB (nv), k0, c0, ob, x0, o;

  for (k0 = 0; k0 < kk; k0 += panel)
    {
      int k1 = MIN (kk, k0 + panel);

      for (ob = o0; ob < o1; ob += so)
        for (c0 = k0; c0 < k1; c0 += cb)
          {
            const float *w[MATRIX_ACC];
            float *y = out + (gsize) (ob - o0) * pitch;
            int c1 = MIN (k1, c0 + cb), nstore = MIN (so, o1 - ob);

            for (o = 0; o < so; o++)   /* past o1: computed, not stored */
              w[o] = weight + (gsize) MIN (ob + o, o1 - 1) * wld;
            for (x0 = 0; x0 < nvec; x0 += nv)
              {
                int n = MIN (nv, nvec - x0);   /* a last block of fewer: with nv's channels */

                switch (nv * 4 + n)
                  {
#define MATRIX_CASE(NV, N) \
                  case NV * 4 + N: \
                    matrix_block (w, cols, pitch, c0, c1, x0, MATRIX_SO (NV), N, nstore, y); \
                    break;
                  MATRIX_CASE (1, 1)
                  MATRIX_CASE (2, 2)
                  MATRIX_CASE (3, 3)
                  MATRIX_CASE (4, 4)
                  MATRIX_CASE (4, 3)
                  MATRIX_CASE (4, 2)
                  MATRIX_CASE (4, 1)
#undef MATRIX_CASE
                  }
              }
          }
    }
}

/* Lane i of vector v of a run of whole vectors over VEC input channels'
 * weights (VEC kk floats) is tap (VEC v + i) % kk of channel (VEC v + i) /
 * kk: each vector is multiplied by the channels' values permuted so, and
 * added up by v, kk accumulators. */
static inline __attribute__ ((always_inline)) void
tap_runs (const float *weight,
          int          n,
          int          kk,
          const float *values,
          float       *tap)
{
  typedef int Lanes __attribute__ ((vector_size (4 * VEC)));
  Vec acc[HZ_TAPS_MAX];
  Lanes channel[HZ_TAPS_MAX];
  int c0, v, i;

  for (v = 0; v < kk; v++)
    {
      acc[v] = (Vec) { 0 };
      for (i = 0; i < VEC; i++)
        channel[v][i] = (VEC * v + i) / kk;
    }
  for (c0 = 0; c0 + VEC <= n; c0 += VEC)
    {
      Vec vals;

      memcpy (&vals, values + c0, sizeof vals);
      for (v = 0; v < kk; v++)
        {
          Vec x;

          memcpy (&x, weight + (gsize) c0 * kk + VEC * v, sizeof x);
          acc[v] += x * __builtin_shuffle (vals, channel[v]);
        }
    }
  for (v = 0; v < kk; v++)
    for (i = 0; i < VEC; i++)
      tap[(VEC * v + i) % kk] += acc[v][i];
}

static void
tap_sums (const float *weight,
          int          n,
          int          kk,
          const float *values,
          float       *tap)
{
  int c, t;

  for (t = 0; t < kk; t++)
    tap[t] = 0.0f;
  if (kk == 9)   /* 3 x 3: the accumulators in registers */
    tap_runs (weight, n, 9, values, tap);
  else
    tap_runs (weight, n, kk, values, tap);
  for (c = n / VEC * VEC; c < n; c++)
    for (t = 0; t < kk; t++)
      tap[t] += weight[(gsize) c * kk + t] * values[c];
}

typedef int Lanes __attribute__ ((vector_size (4 * VEC)));

/* The even and the odd floats of the 2 VEC at p. */
static inline void
deinterleave (const float *p,
              Vec         *even,
              Vec         *odd)
{
  Lanes e, o;
  Vec a, b;
  int i;

  for (i = 0; i < VEC; i++)
    {
      e[i] = 2 * i;
      o[i] = 2 * i + 1;
    }
  memcpy (&a, p, sizeof a);
  memcpy (&b, p + VEC, sizeof b);
  *even = __builtin_shuffle (a, b, e);
  *odd = __builtin_shuffle (a, b, o);
}

/* One tile's (or VEC tiles') B^T d B from x[r][k], column 2 t + k of row r. */
#define WINO_INPUT(T, x, put) \
  do \
    { \
      int i_, k_; \
      T e_[4][4]; \
      for (k_ = 0; k_ < 4; k_++) \
        { \
          e_[0][k_] = x[0][k_] - x[2][k_]; \
          e_[1][k_] = x[1][k_] + x[2][k_]; \
          e_[2][k_] = x[2][k_] - x[1][k_]; \
          e_[3][k_] = x[1][k_] - x[3][k_]; \
        } \
      for (i_ = 0; i_ < 4; i_++) \
        { \
          put (4 * i_, e_[i_][0] - e_[i_][2]); \
          put (4 * i_ + 1, e_[i_][1] + e_[i_][2]); \
          put (4 * i_ + 2, e_[i_][2] - e_[i_][1]); \
          put (4 * i_ + 3, e_[i_][1] - e_[i_][3]); \
        } \
    } \
  while (0)

static void
wino_input_row (const float *d,
                int          tw,
                float       *v,
                gsize        stride)
{
  int ww = 2 * tw + 2, t = 0, r, k;

  for (; t + VEC <= tw; t += VEC)   /* VEC tiles, their columns deinterleaved */
    {
      Vec x[4][4];

#define PUT_VEC(p, val) \
  do { Vec val_ = (val); memcpy (v + (p) * stride + t, &val_, sizeof val_); } while (0)
      for (r = 0; r < 4; r++)
        {
          deinterleave (d + (gsize) r * ww + 2 * t, &x[r][0], &x[r][1]);
          deinterleave (d + (gsize) r * ww + 2 * t + 2, &x[r][2], &x[r][3]);
        }
      WINO_INPUT (Vec, x, PUT_VEC);
#undef PUT_VEC
    }
  for (; t < tw; t++)
    {
      float x[4][4];

#define PUT_FLOAT(p, val) (v[(p) * stride + t] = (val))
      for (r = 0; r < 4; r++)
        for (k = 0; k < 4; k++)
          x[r][k] = d[(gsize) r * ww + 2 * t + k];
      WINO_INPUT (float, x, PUT_FLOAT);
#undef PUT_FLOAT
    }
}

static void
wino_output_row (const float *m,
                 gsize        stride,
                 int          tw,
                 int          wo,
                 float       *y[])
{
  int t = 0, j, i, full = MIN (tw, wo / 2);   /* tiles whose both columns are in the output */
  Lanes lo, hi;

  for (i = 0; i < VEC; i++)   /* even and odd outputs interleaved */
    {
      lo[i] = i / 2 + (i % 2) * VEC;
      hi[i] = (VEC + i) / 2 + (i % 2) * VEC;
    }
  for (; t + VEC <= full; t += VEC)
    {
      Vec mm[16], s[2][4];

      for (j = 0; j < 16; j++)
        memcpy (&mm[j], m + j * stride + t, sizeof mm[j]);
      for (j = 0; j < 4; j++)   /* A^T m down the columns, then across */
        {
          s[0][j] = mm[j] + mm[4 + j] + mm[8 + j];
          s[1][j] = mm[4 + j] - mm[8 + j] - mm[12 + j];
        }
      for (i = 0; i < 2; i++)
        if (y[i])
          {
            Vec a = s[i][0] + s[i][1] + s[i][2], b = s[i][1] - s[i][2] - s[i][3];
            Vec p = __builtin_shuffle (a, b, lo), q = __builtin_shuffle (a, b, hi);

            memcpy (y[i] + 2 * t, &p, sizeof p);
            memcpy (y[i] + 2 * t + VEC, &q, sizeof q);
          }
    }
  for (; t < tw; t++)
    {
      float s[2][4];

      for (j = 0; j < 4; j++)
        {
          s[0][j] = m[j * stride + t] + m[(4 + j) * stride + t] + m[(8 + j) * stride + t];
          s[1][j] = m[(4 + j) * stride + t] - m[(8 + j) * stride + t] - m[(12 + j) * stride + t];
        }
      for (i = 0; i < 2; i++)
        if (y[i])
          {
            y[i][2 * t] = s[i][0] + s[i][1] + s[i][2];
            if (t < full)   /* an odd width's last tile has its first column only */
              y[i][2 * t + 1] = s[i][1] - s[i][2] - s[i][3];
          }
    }
}

/* ---- Winograd F(4x4, 3x3) (Lavin and Gray's points 0, 1, -1, 2, -2) ---- */

/* The 4 floats a stride apart, phase k of the 4 VEC at p: vector k holds
 * p[4 i + k] for i < VEC. */
static inline void
deinterleave4 (const float *p,
               Vec          out[4])
{
  Lanes e, o;
  Vec a[4], ev[2], od[2];
  int i;

  for (i = 0; i < VEC; i++)
    {
      e[i] = 2 * i;
      o[i] = 2 * i + 1;
    }
  for (i = 0; i < 4; i++)
    memcpy (&a[i], p + i * VEC, sizeof a[i]);
  ev[0] = __builtin_shuffle (a[0], a[1], e);   /* floats 0, 2, 4, ... of the first 2 VEC */
  od[0] = __builtin_shuffle (a[0], a[1], o);
  ev[1] = __builtin_shuffle (a[2], a[3], e);
  od[1] = __builtin_shuffle (a[2], a[3], o);
  out[0] = __builtin_shuffle (ev[0], ev[1], e);   /* 0, 4, 8, ... */
  out[2] = __builtin_shuffle (ev[0], ev[1], o);   /* 2, 6, ... */
  out[1] = __builtin_shuffle (od[0], od[1], e);   /* 1, 5, ... */
  out[3] = __builtin_shuffle (od[0], od[1], o);   /* 3, 7, ... */
}

/* The 4 vectors at in as 4 VEC floats at p, p[4 i + k] = in[k][i]. */
static inline void
interleave4 (const Vec in[4],
             float    *p)
{
  Lanes lo, hi;
  Vec a[2], b[2], r;
  int i;

  for (i = 0; i < VEC; i++)   /* pairs: x0 y0 x1 y1 ... of two vectors */
    {
      lo[i] = i / 2 + (i % 2) * VEC;
      hi[i] = (VEC + i) / 2 + (i % 2) * VEC;
    }
  a[0] = __builtin_shuffle (in[0], in[2], lo);   /* 0 2 | 4 6 | ... phases 0 and 2 */
  a[1] = __builtin_shuffle (in[0], in[2], hi);
  b[0] = __builtin_shuffle (in[1], in[3], lo);
  b[1] = __builtin_shuffle (in[1], in[3], hi);
  r = __builtin_shuffle (a[0], b[0], lo);
  memcpy (p, &r, sizeof r);
  r = __builtin_shuffle (a[0], b[0], hi);
  memcpy (p + VEC, &r, sizeof r);
  r = __builtin_shuffle (a[1], b[1], lo);
  memcpy (p + 2 * VEC, &r, sizeof r);
  r = __builtin_shuffle (a[1], b[1], hi);
  memcpy (p + 3 * VEC, &r, sizeof r);
}

/* B^T x of 6 values (x[0] to x[5]), into e[0..5]. */
#define WINO4_B(T, x, e) \
  do \
    { \
      T x0_ = x[0], x1_ = x[1], x2_ = x[2], x3_ = x[3], x4_ = x[4], x5_ = x[5]; \
      e[0] = 4.0f * x0_ - 5.0f * x2_ + x4_; \
      e[1] = x3_ + x4_ - 4.0f * (x1_ + x2_); \
      e[2] = x4_ - x3_ + 4.0f * (x1_ - x2_); \
      e[3] = x4_ - x2_ + 2.0f * (x3_ - x1_); \
      e[4] = x4_ - x2_ + 2.0f * (x1_ - x3_); \
      e[5] = 4.0f * x1_ - 5.0f * x3_ + x5_; \
    } \
  while (0)

/* One tile's (or VEC tiles') B^T d B from x[r][k], column 4 t + k of row r. */
#define WINO4_INPUT(T, x, put) \
  do \
    { \
      int i_, k_; \
      T e_[6][6], f_[6]; \
      for (k_ = 0; k_ < 6; k_++) \
        { \
          T c_[6]; \
          _Pragma ("GCC unroll 6") \
          for (i_ = 0; i_ < 6; i_++) \
            c_[i_] = x[i_][k_]; \
          WINO4_B (T, c_, f_); \
          for (i_ = 0; i_ < 6; i_++) \
            e_[i_][k_] = f_[i_]; \
        } \
      for (i_ = 0; i_ < 6; i_++) \
        { \
          WINO4_B (T, e_[i_], f_); \
          for (k_ = 0; k_ < 6; k_++) \
            put (6 * i_ + k_, f_[k_]); \
        } \
    } \
  while (0)

static void
wino4_input_row (const float *d,
                 int          tw,
                 float       *v,
                 gsize        stride)
{
  int ww = 4 * tw + 2, t = 0, r, k;

  /* VEC tiles, their columns deinterleaved, and the next tiles' first two:
   * the last reads 2 floats past the row's end, unused (hz-ops.c keeps
   * them in its scratch). */
  for (; t + VEC <= tw; t += VEC)
    {
      Vec x[6][6];

#define PUT_VEC(p, val) \
  do { Vec val_ = (val); memcpy (v + (p) * stride + t, &val_, sizeof val_); } while (0)
      for (r = 0; r < 6; r++)
        {
          Vec ph[4], next[4];

          deinterleave4 (d + (gsize) r * ww + 4 * t, ph);
          deinterleave4 (d + (gsize) r * ww + 4 * t + 4, next);
          for (k = 0; k < 4; k++)
            x[r][k] = ph[k];
          x[r][4] = next[0];
          x[r][5] = next[1];
        }
      WINO4_INPUT (Vec, x, PUT_VEC);
#undef PUT_VEC
    }
  for (; t < tw; t++)
    {
      float x[6][6];

#define PUT_FLOAT(p, val) (v[(p) * stride + t] = (val))
      for (r = 0; r < 6; r++)
        for (k = 0; k < 6; k++)
          x[r][k] = d[(gsize) r * ww + 4 * t + k];
      WINO4_INPUT (float, x, PUT_FLOAT);
#undef PUT_FLOAT
    }
}

/* A^T m of 6 values (m (0) to m (5)), into s[0..3]. */
#define WINO4_A(T, m, s) \
  do \
    { \
      T a_ = m (1) + m (2), b_ = m (1) - m (2), c_ = m (3) + m (4), d_ = m (3) - m (4); \
      s[0] = m (0) + a_ + c_; \
      s[1] = b_ + 2.0f * d_; \
      s[2] = a_ + 4.0f * c_; \
      s[3] = b_ + 8.0f * d_ + m (5); \
    } \
  while (0)

static void
wino4_output_row (const float *m,
                  gsize        stride,
                  int          tw,
                  int          wo,
                  float       *y[])
{
  int t = 0, j, i, full = MIN (tw, wo / 4);   /* tiles whose 4 columns are in the output */

  for (; t + VEC <= full; t += VEC)
    {
      Vec mm[36], s[4][6];

      for (j = 0; j < 36; j++)
        memcpy (&mm[j], m + j * stride + t, sizeof mm[j]);
      for (j = 0; j < 6; j++)   /* A^T m down the columns, then across */
        {
#define COL(r) mm[6 * (r) + j]
          Vec c[4];

          WINO4_A (Vec, COL, c);
          for (i = 0; i < 4; i++)
            s[i][j] = c[i];
#undef COL
        }
      for (i = 0; i < 4; i++)
        if (y[i])
          {
            Vec o[4];

#define ROW(k) s[i][k]
            WINO4_A (Vec, ROW, o);
#undef ROW
            interleave4 (o, y[i] + 4 * t);
          }
    }
  for (; t < tw; t++)
    {
      float s[4][6];

      for (j = 0; j < 6; j++)
        {
#define COL(r) m[(6 * (r) + j) * stride + t]
          float c[4];

          WINO4_A (float, COL, c);
          for (i = 0; i < 4; i++)
            s[i][j] = c[i];
#undef COL
        }
      for (i = 0; i < 4; i++)
        if (y[i])
          {
            float o[4];

#define ROW(k) s[i][k]
            WINO4_A (float, ROW, o);
#undef ROW
            for (j = 0; j < 4 && 4 * t + j < wo; j++)
              y[i][4 * t + j] = o[j];
          }
    }
}

const HzKernels HZ_KERNELS_ID = { HZ_KERNELS_NAME, VEC, SPAN_OB, span_products, matrix_products, tap_sums,
                                    wino_input_row, wino_output_row, wino4_input_row,
                                    wino4_output_row };
