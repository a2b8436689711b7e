/* The convolutions' inner kernels, built once per instruction set
 * (hz-kernels.c, by meson: x86-64-v4 with 16-float vectors, x86-64-v3 and
 * the baseline with 8) and chosen once per process by hz_kernels (). */
#ifndef HZ_KERNELS_H
#define HZ_KERNELS_H

#include <glib.h>

/* Output channels of one span_products call: at most this (span_ob). */
#define HZ_SPAN_OB_MAX 8

typedef struct
{
  const char *name;   /* "x86-64-v4", "x86-64-v3", "baseline" */
  int         vec;    /* floats of a vector: spans are whole vectors of it */
  int         span_ob;   /* output channels of one span_products call */

  /* The first n outputs of a span (n a multiple of vec) of output channels
   * [o0, o0 + span_ob) of cout into out[o] (NULL past cout), from cin
   * input channels cstride apart, each a k x k conv at stride (1 or 2) over
   * its stride x stride parity planes (pstride apart, rows ld apart), with
   * the weights of output channel o at weight + o wld (k x k per input
   * channel, PyTorch's layout). The span holds rows of pitch outputs over
   * input rows ld apart; a vector never straddles two rows (pitch a
   * multiple of vec, or ld). */
  void (*span_products) (const float *x,
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
                         float       *out[HZ_SPAN_OB_MAX]);

  /* Rows [o0, o1) of the matrix product of the weights (row o at weight +
   * o wld, kk floats) and the kk rows of cols (pitch floats each, a multiple
   * of vec) into the rows of out (pitch floats apart, the first o0's): the
   * small outputs' convs (over their columns) and Winograd's products. The
   * columns are read in panels of at most panel rows (> 0), each over all
   * the rows of the weights: a panel stays in the cache where the whole
   * columns would not; the sums are the same for any panel. */
  void (*matrix_products) (const float *weight,
                           int          wld,
                           int          kk,
                           const float *cols,
                           int          pitch,
                           int          panel,
                           int          o0,
                           int          o1,
                           float       *out);

  /* tap[t] = the sum over input channels c < n of weight[c kk + t] values[c],
   * for taps t < kk (at most HZ_TAPS_MAX): a conv's weights for input
   * channels that hold one value each, summed per tap. */
  void (*tap_sums) (const float *weight,
                    int          n,
                    int          kk,
                    const float *values,
                    float       *tap);

  /* Winograd F(2x2, 3x3)'s input transform B^T d B of one row of tw tiles,
   * from the 4 padded input rows at d (ww = 2 tw + 2 floats each, ww
   * apart) into tile t of the 16 planes at v (stride apart). */
  void (*wino_input_row) (const float *d,
                          int          tw,
                          float       *v,
                          gsize        stride);

  /* Its output transform A^T m A of one row of tw tiles of one output
   * channel, from the 16 planes of products at m (stride apart) into the
   * output rows y[0] and y[1] (NULL past the output) of wo outputs. */
  void (*wino_output_row) (const float *m,
                           gsize        stride,
                           int          tw,
                           int          wo,
                           float       *y[]);

  /* The same for Winograd F(4x4, 3x3): tiles of 4 x 4 outputs from 6 padded
   * input rows (ww = 4 tw + 2 floats each) into 36 planes, and back into
   * the 4 output rows y[0..3] (NULL past the output). The two sizes'
   * kernels take the same arguments. */
  void (*wino4_input_row) (const float *d,
                           int          tw,
                           float       *v,
                           gsize        stride);
  void (*wino4_output_row) (const float *m,
                            gsize        stride,
                            int          tw,
                            int          wo,
                            float       *y[]);
} HzKernels;

#define HZ_TAPS_MAX 49

/* The fastest variant this CPU runs, or the one HARMONIZE_KERNELS names
 * ("x86-64-v4", "x86-64-v3" or "baseline") where the CPU runs it. */
const HzKernels *hz_kernels (void);

/* The variants built, best first, NULL-terminated (tests run each). */
extern const HzKernels *const hz_kernel_variants[];

/* Whether this CPU runs variant k. */
gboolean hz_kernels_supported (const HzKernels *k);

#endif
