/* bench-sgemm: GFLOP/s of hz_sgemm at the network's shapes, for each BLIS
 * kernel configuration this CPU can run, on 1 and 2 threads.
 *
 *   bench-sgemm [CONFIG...]   (default: the engine's automatic choice, then
 *                              every x86-64 configuration)
 *
 * BLIS chooses its kernels once per process, so each configuration runs in a
 * child process (this program again, with BLIS_ARCH_TYPE set). */

#include "bench-common.h"
#include "hz-blis.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUTO "auto"

/* M = output channels, K = input channels x 3 x 3, N = pixels of the layer. */
static const struct
{
  const char *layer;
  int         m, k, n;
} shapes[] = {
  { "conv1_2@256",   32,  288, 256 * 256 },
  { "conv2_2@256",   64,  576, 128 * 128 },
  { "conv3_2@256",  128, 1152,  64 *  64 },
  { "conv4_2@256",  256, 2304,  32 *  32 },
  { "conv5_2@256",  512, 4608,  16 *  16 },
  { "cs_conv@256",  512, 9216,  16 *  16 },
  { "conv3_2@1024", 128, 1152, 256 * 256 },
};

static const char *x86_configs[] = {
  "skx", "haswell", "zen3", "zen2", "zen", "sandybridge", "penryn", "generic",
};

/* Median of 5 timed runs, each of enough calls to last about 0.1 s. */
static double
gflops (GRand *rand, int m, int k, int n, int threads)
{
  float *a = g_new (float, (gsize) m * k);
  float *b = g_new (float, (gsize) k * n);
  float *c = g_new0 (float, (gsize) m * n);
  double times[5];
  int calls;
  gint64 t0;

  for (gsize i = 0; i < (gsize) m * k; i++)
    a[i] = (float) g_rand_double_range (rand, -1, 1);
  for (gsize i = 0; i < (gsize) k * n; i++)
    b[i] = (float) g_rand_double_range (rand, -1, 1);

  t0 = g_get_monotonic_time ();
  hz_sgemm (m, n, k, a, k, b, n, c, n, FALSE, threads);
  calls = CLAMP ((int) (1e5 / MAX (g_get_monotonic_time () - t0, 1)), 1, 1000);
  for (int r = 0; r < 5; r++)
    {
      t0 = g_get_monotonic_time ();
      for (int i = 0; i < calls; i++)
        hz_sgemm (m, n, k, a, k, b, n, c, n, FALSE, threads);
      times[r] = (g_get_monotonic_time () - t0) * 1e-6 / calls;
    }
  g_free (a);
  g_free (b);
  g_free (c);
  return 2.0 * m * k * n / bench_median (times, 5) * 1e-9;
}

/* One configuration's rows of the table, in this process. */
static int
run_child (const char *config)
{
  const char *chosen = hz_blis_arch_name ();
  GRand *rand = g_rand_new_with_seed (7);
  char *label = strcmp (config, AUTO) == 0 ? g_strdup_printf ("auto=%s", chosen)
                                           : g_strdup (config);

  if (strcmp (config, AUTO) != 0 && strcmp (config, chosen) != 0)
    {
      printf ("%-13s  not usable here (BLIS runs '%s')\n", config, chosen);
      return 0;
    }
  for (int threads = 1; threads <= 2; threads++)
    {
      printf ("%-13s %2d", label, threads);
      for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
        {
          printf (" %13.1f", gflops (rand, shapes[s].m, shapes[s].k, shapes[s].n, threads));
          fflush (stdout);
        }
      printf ("\n");
    }
  g_free (label);
  g_rand_free (rand);
  return 0;
}

static gboolean
spawn_child (const char *self, const char *config)
{
  const char *argv[] = { self, "--child", config, NULL };
  char **envp = g_get_environ ();
  GError *error = NULL;
  int status;
  gboolean ok;

  /* Warnings about unusable configurations would only repeat the table. */
  envp = g_environ_setenv (envp, "G_MESSAGES_DEBUG", "", TRUE);
  if (strcmp (config, AUTO) != 0)
    envp = g_environ_setenv (envp, "BLIS_ARCH_TYPE", config, TRUE);
  ok = g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, &error)
       && g_spawn_check_wait_status (status, &error);
  if (!ok)
    {
      printf ("%-13s  failed: %s\n", config, error->message);
      g_error_free (error);
    }
  g_strfreev (envp);
  return ok;
}

int
main (int argc, char **argv)
{
  gboolean ok = TRUE;

  if (argc == 3 && strcmp (argv[1], "--child") == 0)
    return run_child (argv[2]);

  printf ("sgemm GFLOP/s (median of 5), M x K x N:\n%-13s %2s", "config", "th");
  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    printf (" %13s", shapes[s].layer);
  printf ("\n%-16s", "");
  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      char *dims = g_strdup_printf ("%dx%dx%d", shapes[s].m, shapes[s].k, shapes[s].n);
      printf (" %13s", dims);
      g_free (dims);
    }
  printf ("\n");
  fflush (stdout);

  if (argc > 1)
    for (int i = 1; i < argc; i++)
      ok &= spawn_child (argv[0], argv[i]);
  else
    {
      ok &= spawn_child (argv[0], AUTO);
      for (gsize i = 0; i < G_N_ELEMENTS (x86_configs); i++)
        ok &= spawn_child (argv[0], x86_configs[i]);
    }
  return ok ? 0 : 1;
}
