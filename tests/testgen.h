/* Test data shared with tests/golden/make_fixtures.py, and comparisons.
 *
 * Element i of the tensor named NAME is u = the top 24 bits of
 * splitmix64 (fnv1a64 (NAME) + i) mapped to [-1, 1) (u = bits / 2^23 - 1),
 * scaled by the tensor's kind (testgen_fill) so activations stay O(1). */
#ifndef TESTGEN_H
#define TESTGEN_H

#include <glib.h>
#include <stdint.h>

#include "hz-weights.h"

/* Plain u values (test inputs, random operands). */
void        testgen_uniform       (const char     *name,
                                   gsize           n,
                                   float          *out);

/* Values for a network tensor by its name and shape: conv and linear
 * weights u * sqrt (3 / fan_in), biases 0.1 u, BatchNorm weight 1 + 0.25 u,
 * running_mean 0.1 u, running_var 1 + 0.5 u; anything else plain u. */
void        testgen_fill          (const char     *name,
                                   int             ndim,
                                   const int64_t  *shape,
                                   float          *out);

/* Every tensor of the architecture at this width (hz_arch_tensors), filled. */
HzTensor   *testgen_weights       (int             width,
                                   guint          *n);
void        testgen_weights_free  (HzTensor       *tensors,
                                   guint           n);
/* The same written with hz_weights_write (as fp16 when half) to a temporary
 * file and opened again with hz_weights_open: tests go through the loader. */
HzWeights  *testgen_weights_open  (int             width,
                                   gboolean        half,
                                   GError        **error);

/* sum (a - b)^2 / sum b^2 */
double      testgen_nmse          (const float    *a,
                                   const float    *b,
                                   gsize           n);
double      testgen_max_abs_diff  (const float    *a,
                                   const float    *b,
                                   gsize           n);

/* Exits 77 (skipped) unless the kernels that run are those that
 * HARMONIZE_KERNELS names, where it is set: meson runs the numeric tests
 * once for each variant built (tests/meson.build), the CPU may lack one. */
void        testgen_require_kernels (void);

#endif
