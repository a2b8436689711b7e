#include "testgen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "hz-kernels.h"
#include "hz-net.h"

static uint64_t
fnv1a64 (const char *s)
{
  uint64_t h = 0xcbf29ce484222325ull;

  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 0x100000001b3ull;
  return h;
}

static uint64_t
splitmix64 (uint64_t z)
{
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* u in [-1, 1), exact in float */
static double
uniform (uint64_t seed,
         gsize    i)
{
  return (double) (splitmix64 (seed + i) >> 40) / 8388608.0 - 1.0;
}

void
testgen_uniform (const char *name,
                 gsize       n,
                 float      *out)
{
  uint64_t seed = fnv1a64 (name);
  gsize i;

  for (i = 0; i < n; i++)
    out[i] = (float) uniform (seed, i);
}

void
testgen_fill (const char    *name,
              int            ndim,
              const int64_t *shape,
              float         *out)
{
  uint64_t seed = fnv1a64 (name);
  double mul = 1.0, add = 0.0;
  gsize n = 1, i;
  int d;

  for (d = 0; d < ndim; d++)
    n *= (gsize) shape[d];

  if (g_str_has_suffix (name, ".running_mean"))
    mul = 0.1;
  else if (g_str_has_suffix (name, ".running_var"))
    mul = 0.5, add = 1.0;
  else if (g_str_has_suffix (name, ".weight") && ndim == 1)
    mul = 0.25, add = 1.0;
  else if (g_str_has_suffix (name, ".weight"))
    mul = sqrt (3.0 / (double) (n / (gsize) shape[0]));
  else if (g_str_has_suffix (name, ".bias"))
    mul = 0.1;

  /* the same double operations as numpy's, rounded once to float */
  for (i = 0; i < n; i++)
    out[i] = (float) (add + uniform (seed, i) * mul);
}

HzTensor *
testgen_weights (int    width,
                 guint *n)
{
  const HzArchTensor *arch = hz_arch_tensors (width, n);
  HzTensor *tensors = g_new0 (HzTensor, *n);
  guint i;

  for (i = 0; i < *n; i++)
    {
      gsize numel = 1;
      float *data;
      int d;

      for (d = 0; d < arch[i].ndim; d++)
        numel *= (gsize) arch[i].shape[d];
      data = g_new (float, numel);
      testgen_fill (arch[i].name, arch[i].ndim, arch[i].shape, data);
      tensors[i].name = arch[i].name;
      tensors[i].ndim = arch[i].ndim;
      memcpy (tensors[i].shape, arch[i].shape, sizeof tensors[i].shape);
      tensors[i].data = data;
    }
  return tensors;
}

void
testgen_weights_free (HzTensor *tensors,
                      guint     n)
{
  guint i;

  for (i = 0; i < n; i++)
    g_free ((float *) tensors[i].data);
  g_free (tensors);
}

HzWeights *
testgen_weights_open (int        width,
                      gboolean   half,
                      GError   **error)
{
  HzWeights *weights = NULL;
  guint n;
  HzTensor *tensors = testgen_weights (width, &n);
  char *path = NULL;
  int fd = g_file_open_tmp ("testgen-XXXXXX.hzw", &path, error);

  if (fd >= 0)
    {
      close (fd);
      if (hz_weights_write (path, tensors, n, half, error))
        weights = hz_weights_open (path, error);
      g_unlink (path);
    }
  g_free (path);
  testgen_weights_free (tensors, n);
  return weights;
}

double
testgen_nmse (const float *a,
              const float *b,
              gsize        n)
{
  double err = 0.0, ref = 0.0;
  gsize i;

  for (i = 0; i < n; i++)
    {
      double d = (double) a[i] - b[i];

      err += d * d;
      ref += (double) b[i] * b[i];
    }
  return ref > 0.0 ? err / ref : err;
}

double
testgen_max_abs_diff (const float *a,
                      const float *b,
                      gsize        n)
{
  double m = 0.0;
  gsize i;

  for (i = 0; i < n; i++)
    {
      double d = fabs ((double) a[i] - b[i]);

      /* a NaN anywhere must fail a comparison */
      if (!(d <= m))
        m = isnan (d) ? INFINITY : d;
    }
  return m;
}

void
testgen_require_kernels (void)
{
  const char *want = g_getenv ("HARMONIZE_KERNELS");

  if (want && strcmp (want, hz_kernels ()->name) != 0)
    {
      g_print ("skipped: this CPU does not run the %s kernels\n", want);
      exit (77);
    }
}
