/* Writes the seeded test weights (tests/testgen.h) to a weights file, so
 * tests can run the engine and the CLI end to end before trained weights
 * exist. Usage: make-test-weights OUT.hzw [WIDTH] (default: the authors' 32;
 * the file names no width, so the engine reads it from the tensors). */
#include <stdio.h>

#include "harmonize.h"
#include "hz-net.h"
#include "testgen.h"

int
main (int    argc,
      char **argv)
{
  GError *error = NULL;
  HzTensor *tensors;
  guint n;
  gboolean ok;
  gint64 width = HZ_ARCH_FULL_WIDTH;

  if (argc < 2 || argc > 3
      || (argc == 3 && (!g_ascii_string_to_signed (argv[2], 10, 1, HZ_ARCH_FULL_WIDTH, &width, NULL)
                        || !hz_arch_width_ok ((int) width))))
    {
      fprintf (stderr, "usage: %s OUT.hzw [WIDTH: 4, 8, 16 or 32]\n", argv[0]);
      return 2;
    }
  tensors = testgen_weights ((int) width, &n);
  /* fp16 halves the file; the values are as good for tests. */
  ok = hz_weights_write (argv[1], tensors, n, TRUE, &error);
  testgen_weights_free (tensors, n);
  if (!ok)
    {
      fprintf (stderr, "%s: %s\n", argv[0], error->message);
      g_error_free (error);
      return 1;
    }
  return 0;
}
