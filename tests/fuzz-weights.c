/* libFuzzer target for the weights loader and the architecture check (built
 * and run by tests/run-fuzz.sh). Each input is loaded as it is, then again
 * with its checksum mended, so that mutations reach the checks behind it. */
#include "hz-net.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

G_DEFINE_QUARK (hz-error-quark, hz_error)

static void
load (const guint8 *data,
      gsize         size)
{
  GError    *error = NULL;
  HzWeights *w = hz_weights_from_data (data, size, &error);
  volatile float sum = 0;

  if (!w)
    {
      /* One line naming the source and the defect, every time. */
      if (!error || error->domain != HZ_ERROR || error->code != HZ_ERROR_WEIGHTS ||
          !g_str_has_prefix (error->message, "weights data: ") || strchr (error->message, '\n'))
        __builtin_trap ();
      g_error_free (error);
      return;
    }
  /* Every tensor's data is readable in full (the sanitizers watch) and finite. */
  for (guint i = 0; i < hz_weights_n_tensors (w); i++)
    {
      const HzTensor *t = hz_weights_nth (w, i);
      gsize           count = 1;

      for (int d = 0; d < t->ndim; d++)
        count *= t->shape[d];
      for (gsize k = 0; k < count; k++)
        if (!isfinite (t->data[k]))
          __builtin_trap ();
      sum += t->data[0] + t->data[count - 1];
      if (hz_weights_lookup (w, t->name) != t)
        __builtin_trap ();
    }
  (void) hz_weights_meta (w, "architecture");
  if (!hz_arch_check (w, NULL, &error))
    g_error_free (error);
  hz_weights_free (w);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  load (data, size);
  if (size >= 64)
    {
      guint8  *copy = g_memdup2 (data, size);
      guint32  crc;

      /* CRC-32 over the file with the checksum field as zeros, stored
       * little-endian at 32; the reserved bytes after it stay zero. */
      memset (copy + 32, 0, 32);
      crc = GUINT32_TO_LE (crc32_z (0, copy, size));
      memcpy (copy + 32, &crc, 4);
      load (copy, size);
      g_free (copy);
    }
  return 0;
}
