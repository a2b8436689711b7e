/* The engine's thread policy, with the seeded test weights
 * (HARMONIZE_TEST_WEIGHTS; skipped without):
 * - once a model is loaded, fitting a scene in a thread of its own never
 *   changes the environment (BLIS's set-up is done by then: a setenv while
 *   another thread reads the environment is a data race);
 * - a fit and the colour mapping run on the threads they are given: a fresh
 *   process asked for one thread has one thread afterwards (OpenMP keeps the
 *   threads of a team), even with OMP_NUM_THREADS=4. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harmonize.h"
#include "proc-threads.h"

#define FG_W 40
#define FG_H 30
#define BG_W 96
#define BG_H 64

static const char *self;
static const char *weights;
static gint        env_writes;

typedef int (*SetenvFunc)   (const char *, const char *, int);
typedef int (*UnsetenvFunc) (const char *);

/* The program's own setenv and unsetenv come first in the dynamic linker's
 * search, GLib's g_setenv included: each call is counted, then passed on. */
int
setenv (const char *name,
        const char *value,
        int         overwrite)
{
  SetenvFunc real = (SetenvFunc) dlsym (RTLD_NEXT, "setenv");

  g_atomic_int_inc (&env_writes);
  return real (name, value, overwrite);
}

int
unsetenv (const char *name)
{
  UnsetenvFunc real = (UnsetenvFunc) dlsym (RTLD_NEXT, "unsetenv");

  g_atomic_int_inc (&env_writes);
  return real (name);
}

typedef struct
{
  float    fg[FG_W * FG_H * 4];
  float    bg[BG_W * BG_H * 4];
  HzPixels fg_pixels, bg_pixels;
  HzScene  scene;
} Fixture;

/* A warm foreground with an elliptic mask over a cool gradient. */
static void
fixture_init (Fixture *f)
{
  for (int y = 0; y < BG_H; y++)
    for (int x = 0; x < BG_W; x++)
      {
        float *p = f->bg + (y * BG_W + x) * 4;

        p[0] = 0.2f + 0.5f * x / BG_W;
        p[1] = 0.3f + 0.4f * y / BG_H;
        p[2] = 0.7f;
        p[3] = 1.0f;
      }
  for (int y = 0; y < FG_H; y++)
    for (int x = 0; x < FG_W; x++)
      {
        float  *p = f->fg + (y * FG_W + x) * 4;
        double  dx = (x - FG_W / 2.0) / (FG_W / 2.0), dy = (y - FG_H / 2.0) / (FG_H / 2.0);

        p[0] = 0.9f;
        p[1] = 0.4f + 0.3f * x / FG_W;
        p[2] = 0.2f;
        p[3] = dx * dx + dy * dy <= 1.0 ? 1.0f : 0.0f;
      }
  f->fg_pixels = (HzPixels) { f->fg, FG_W, FG_H };
  f->bg_pixels = (HzPixels) { f->bg, BG_W, BG_H };
  f->scene = (HzScene) { .foreground = hz_reader_from_pixels (&f->fg_pixels),
                         .fg_x = 30, .fg_y = 20,
                         .background = hz_reader_from_pixels (&f->bg_pixels) };
}

/* Fits the fixture on n_threads and maps its foreground with the result. */
static void
fit (const HzModel *model,
     int            n_threads)
{
  static Fixture  f;
  HzContext      *ctx = hz_context_new (model);
  HzOptions       options;
  HzColorMap      map;
  GError         *error = NULL;
  gsize           n = 20000;   /* above the mapping's threshold for threads */
  float          *pixels = g_new0 (float, 4 * n);

  fixture_init (&f);
  hz_options_init (&options);
  options.working_size = HZ_WORKING_SIZE_MIN;
  options.n_threads = n_threads;
  g_assert_true (hz_fit_scene (ctx, &f.scene, &options, &map, &error));
  g_assert_no_error (error);
  hz_colormap_apply (&map, 1.0, pixels, n, n_threads);
  g_free (pixels);
  hz_context_free (ctx);
}

static HzModel *
load (void)
{
  GError  *error = NULL;
  HzModel *model = hz_model_load (weights, &error);

  g_assert_no_error (error);
  return model;
}

static gpointer
fit_in_thread (gpointer model)
{
  fit (model, 2);
  return NULL;
}

static void
test_environment (void)
{
  HzModel *model = load ();
  int      after_load = g_atomic_int_get (&env_writes);

  /* BLIS's set-up sets (or unsets) BLIS_ARCH_TYPE and puts it back: this
   * also shows that the counting works. */
  g_assert_cmpint (after_load, >, 0);
  g_thread_join (g_thread_new ("fit", fit_in_thread, model));
  g_assert_cmpint (g_atomic_int_get (&env_writes), ==, after_load);
  hz_model_free (model);
}

/* Child: a fit and a mapping on n_threads, then the threads there are. */
static int
fit_child (int n_threads)
{
  HzModel *model = load ();

  fit (model, n_threads);
  g_print ("%d\n", proc_threads ());
  hz_model_free (model);
  return 0;
}

static int
threads_after_fit (int n_threads)
{
  char       *argv[] = { (char *) self, "--fit", g_strdup_printf ("%d", n_threads), NULL };
  char      **envp = g_environ_setenv (g_get_environ (), "OMP_NUM_THREADS", "4", TRUE);
  char       *out = NULL;
  int         status, threads = -1;
  GError     *error = NULL;

  g_spawn_sync (NULL, argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sscanf (out, "%d", &threads), ==, 1);
  g_free (out);
  g_free (argv[2]);
  g_strfreev (envp);
  return threads;
}

static void
test_thread_counts (void)
{
  int one = threads_after_fit (1);

  if (one == 0)
    {
      g_test_skip ("no /proc/self/task here");
      return;
    }
  g_assert_cmpint (one, ==, 1);
  /* The count sees the threads a fit is given. */
  g_assert_cmpint (threads_after_fit (3), >=, 3);
}

int
main (int    argc,
      char **argv)
{
  self = argv[0];
  weights = g_getenv ("HARMONIZE_TEST_WEIGHTS");
  if (! weights)
    {
      g_print ("SKIP: HARMONIZE_TEST_WEIGHTS is not set\n");
      return 77;
    }
  if (argc == 3 && strcmp (argv[1], "--fit") == 0)
    return fit_child (atoi (argv[2]));

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/threads/environment", test_environment);
  g_test_add_func ("/threads/counts", test_thread_counts);
  return g_test_run ();
}
