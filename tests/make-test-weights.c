/* Writes the seeded test weights (tests/testgen.h) to a weights file, so
 * tests can run the engine and the CLI end to end before trained weights
 * exist. Usage: make-test-weights OUT.hzw */
#include <stdio.h>

#include "harmonize.h"
#include "testgen.h"

int
main (int    argc,
      char **argv)
{
  GError *error = NULL;
  HzTensor *tensors;
  guint n;
  gboolean ok;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s OUT.hzw\n", argv[0]);
      return 2;
    }
  tensors = testgen_weights (&n);
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
