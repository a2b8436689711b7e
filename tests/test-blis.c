/* hz-blis: sgemm results, and the choice of BLIS kernels with and without a
 * BLIS_ARCH_TYPE of the user's.  Each choice is made once per process, so
 * those cases run this program again with another environment. */

#include "hz-blis.h"
#include "proc-threads.h"

#include <math.h>
#include <string.h>
#include <stdio.h>

static const char *self;

/* C = A . B (+ C) against a double-precision loop, with padded leading dimensions. */
static void
check_sgemm (int m, int n, int k, gboolean accumulate, int threads)
{
  int lda = k + 3, ldb = n + 5, ldc = n + 2;
  GRand *rand = g_rand_new_with_seed ((guint32) (m * 131 + n * 17 + k));
  float *a = g_new (float, (gsize) m * lda);
  float *b = g_new (float, (gsize) k * ldb);
  float *c = g_new (float, (gsize) m * ldc);
  float *c0 = g_new (float, (gsize) m * ldc);

  for (int i = 0; i < m * lda; i++)
    a[i] = (float) g_rand_double_range (rand, -1, 1);
  for (int i = 0; i < k * ldb; i++)
    b[i] = (float) g_rand_double_range (rand, -1, 1);
  for (int i = 0; i < m * ldc; i++)
    c0[i] = c[i] = (float) g_rand_double_range (rand, -1, 1);

  hz_sgemm (m, n, k, a, lda, b, ldb, c, ldc, accumulate, threads);

  for (int i = 0; i < m; i++)
    {
      for (int j = 0; j < n; j++)
        {
          double want = accumulate ? c0[i * ldc + j] : 0.0;

          for (int p = 0; p < k; p++)
            want += (double) a[i * lda + p] * b[p * ldb + j];
          g_assert_cmpfloat_with_epsilon (c[i * ldc + j], want, 1e-4 * (1 + sqrt (k)));
        }
      /* The padding between rows stays untouched. */
      for (int j = n; j < ldc; j++)
        g_assert_cmpfloat (c[i * ldc + j], ==, c0[i * ldc + j]);
    }
  g_rand_free (rand);
  g_free (a);
  g_free (b);
  g_free (c);
  g_free (c0);
}

static void
test_sgemm (void)
{
  check_sgemm (37, 53, 29, FALSE, 1);
  check_sgemm (37, 53, 29, TRUE, 2);
  check_sgemm (64, 300, 288, FALSE, 0);
  check_sgemm (1, 1, 1, TRUE, 1);
  check_sgemm (3, 1000, 32, FALSE, 2);
}

/* The kernels a fresh process chooses with BLIS_ARCH_TYPE set to value
 * (unset when NULL); its warnings, if any, in *warnings. */
static char *
arch_with (const char *value, char **warnings)
{
  const char *argv[] = { self, "--arch", NULL };
  char **envp = g_get_environ ();
  char *out = NULL;
  int status;
  GError *error = NULL;

  envp = value != NULL ? g_environ_setenv (envp, "BLIS_ARCH_TYPE", value, TRUE)
                       : g_environ_unsetenv (envp, "BLIS_ARCH_TYPE");
  g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL,
                &out, warnings, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
  g_strfreev (envp);
  return g_strstrip (out);
}

static gboolean
has_avx512 (void)
{
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512dq")
         && __builtin_cpu_supports ("avx512cd") && __builtin_cpu_supports ("avx512bw")
         && __builtin_cpu_supports ("avx512vl");
}

static void
test_arch_choice (void)
{
  char *warnings, *chosen, *arch;

  /* Unset: the AVX-512 kernels wherever the CPU has them. */
  chosen = arch_with (NULL, &warnings);
  g_test_message ("BLIS chose '%s'", chosen);
  if (has_avx512 ())
    g_assert_cmpstr (chosen, ==, "skx");
  g_assert_cmpstr (chosen, !=, "");
  g_free (warnings);

  /* The user's choice by name and by number, which also works on BLIS < 2.0. */
  arch = arch_with ("generic", &warnings);
  g_assert_cmpstr (arch, ==, "generic");
  g_assert_cmpstr (warnings, ==, "");
  g_free (arch);
  g_free (warnings);
  arch = arch_with ("GENERIC", &warnings);
  g_assert_cmpstr (arch, ==, "generic");
  g_free (arch);
  g_free (warnings);

  /* Nonsense is refused with a warning, not read as 0 ('skx'). */
  arch = arch_with ("no-such-cpu", &warnings);
  g_assert_cmpstr (arch, ==, chosen);
  g_assert_nonnull (strstr (warnings, "BLIS_ARCH_TYPE=no-such-cpu"));
  g_free (arch);
  g_free (warnings);
  arch = arch_with ("9999", &warnings);
  g_assert_cmpstr (arch, ==, chosen);
  g_assert_nonnull (strstr (warnings, "9999"));
  g_free (arch);
  g_free (warnings);

  /* Kernels the CPU cannot run are refused too. */
  if (!has_avx512 ())
    {
      arch = arch_with ("skx", &warnings);
      g_assert_cmpstr (arch, ==, chosen);
      g_assert_nonnull (strstr (warnings, "cannot run"));
      g_free (arch);
      g_free (warnings);
    }
  g_free (chosen);
}

/* Child: one sgemm on 2 threads, then the number of threads the process has
 * (BLIS's OpenMP workers stay): 1 means BLIS ignored the request. */
static int
threads_child (void)
{
  int n = 256;
  float *a = g_new0 (float, n * n), *b = g_new0 (float, n * n), *c = g_new (float, n * n);

  hz_sgemm (n, n, n, a, n, b, n, c, n, FALSE, 2);
  g_print ("%d\n", proc_threads ());
  return 0;
}

static void
test_threads (void)
{
  const char *argv[] = { self, "--threads", NULL };
  char *out = NULL;
  int status, threads = -1;
  GError *error = NULL;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sscanf (out, "%d", &threads), ==, 1);
  g_free (out);
  if (threads == 0)
    {
      g_test_skip ("no /proc/self/task here");
      return;
    }
  /* OpenMP gives a parallel region the threads it asks for, cores or not. */
  g_assert_cmpint (threads, >=, 2);
}

/* The environment is the user's again once BLIS is set up. */
static void
test_environment_restored (void)
{
  const char *before = g_getenv ("BLIS_ARCH_TYPE");
  char *saved = g_strdup (before);

  hz_blis_init ();
  g_assert_cmpstr (g_getenv ("BLIS_ARCH_TYPE"), ==, saved);
  g_free (saved);
}

int
main (int argc, char **argv)
{
  self = argv[0];
  if (argc == 2 && strcmp (argv[1], "--arch") == 0)
    {
      g_print ("%s\n", hz_blis_arch_name ());
      return 0;
    }
  if (argc == 2 && strcmp (argv[1], "--threads") == 0)
    return threads_child ();

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/blis/environment-restored", test_environment_restored);
  g_test_add_func ("/blis/sgemm", test_sgemm);
  g_test_add_func ("/blis/arch-choice", test_arch_choice);
  g_test_add_func ("/blis/threads", test_threads);
  return g_test_run ();
}
