/* The C network against PyTorch's (weights/ssh_model.py) layer by layer, at
 * two widths, on generated weights and inputs, and the engine's pull-push fill
 * against the training recipe's (weights/train/augment.py): the fixtures in
 * tests/golden/ are made by tests/golden/make_fixtures.py with the generator
 * tests/testgen.c shares. Also: threads, buffer reuse, cancellation, tiny and
 * bad sizes. */
#include <math.h>
#include <string.h>

#include "hz-net.h"
#include "hz-thumb.h"
#include "testgen.h"

#define LAYER_NMSE_TOL   1e-7    /* the same maths, float rounding apart */
#define OUTPUT_MAX_ERR   1e-4    /* end to end, on values of order 1 */
#define FILL_MAX_ERR     1e-5    /* colours in 0..1; double against float sums */
#define NARROW_WIDTH     8       /* the second width the fixtures hold */

typedef struct
{
  char   *cas, *layer;
  int     c, h, w;
  gsize   offset;
} FixtureTap;

typedef struct
{
  char   *name;
  int     width, h, w, hr, wr;
} FixtureCase;

static struct
{
  float     *data;
  gsize      n_floats;
  GPtrArray *cases;     /* FixtureCase */
  GPtrArray *taps;      /* FixtureTap */
  GPtrArray *gens;      /* FixtureTap: layer = tensor name, c = count */
  GPtrArray *fills;     /* FixtureTap: layer = fill name */
  HzWeights *weights, *narrow_weights;
  HzNet     *net;       /* the one forward () runs */
  HzNet     *full, *narrow;
} fx;

static void
load_fixtures (void)
{
  GError *error = NULL;
  char *index, *bytes, **lines;
  gsize size;
  guint i;

  g_assert_true (g_file_get_contents (GOLDEN_DIR "/ssh-golden.bin", &bytes, &size, &error));
  g_assert_no_error (error);
  fx.data = (float *) bytes;
  fx.n_floats = size / sizeof (float);
  for (i = 0; i < fx.n_floats; i++)   /* the fixtures are little-endian */
    {
      guint32 v;

      memcpy (&v, &fx.data[i], 4);
      v = GUINT32_FROM_LE (v);
      memcpy (&fx.data[i], &v, 4);
    }

  g_assert_true (g_file_get_contents (GOLDEN_DIR "/ssh-golden.txt", &index, NULL, &error));
  fx.cases = g_ptr_array_new ();
  fx.taps = g_ptr_array_new ();
  fx.gens = g_ptr_array_new ();
  fx.fills = g_ptr_array_new ();
  lines = g_strsplit (index, "\n", -1);
  for (i = 0; lines[i]; i++)
    {
      char **f = g_strsplit (lines[i], " ", -1);
      guint n = g_strv_length (f);

      if (n == 7 && strcmp (f[0], "case") == 0)
        {
          FixtureCase *c = g_new0 (FixtureCase, 1);

          c->name = g_strdup (f[1]);
          c->width = atoi (f[2]);
          c->h = atoi (f[3]);
          c->w = atoi (f[4]);
          c->hr = atoi (f[5]);
          c->wr = atoi (f[6]);
          g_assert_true (c->width == HZ_ARCH_FULL_WIDTH || c->width == NARROW_WIDTH);
          g_ptr_array_add (fx.cases, c);
        }
      else if (n == 6 && strcmp (f[0], "fill") == 0)
        {
          FixtureTap *t = g_new0 (FixtureTap, 1);

          t->layer = g_strdup (f[1]);
          t->c = atoi (f[2]);
          t->h = atoi (f[3]);
          t->w = atoi (f[4]);
          t->offset = g_ascii_strtoull (f[5], NULL, 10);
          g_assert_cmpuint (t->offset + (gsize) t->c * t->h * t->w, <=, fx.n_floats);
          g_ptr_array_add (fx.fills, t);
        }
      else if ((n == 7 && strcmp (f[0], "tap") == 0) || (n == 4 && strcmp (f[0], "gen") == 0))
        {
          FixtureTap *t = g_new0 (FixtureTap, 1);
          gboolean gen = n == 4;

          t->cas = gen ? NULL : g_strdup (f[1]);
          t->layer = g_strdup (f[gen ? 1 : 2]);
          t->c = atoi (f[gen ? 2 : 3]);
          t->h = gen ? 1 : atoi (f[4]);
          t->w = gen ? 1 : atoi (f[5]);
          t->offset = g_ascii_strtoull (f[gen ? 3 : 6], NULL, 10);
          g_assert_cmpuint (t->offset + (gsize) t->c * t->h * t->w, <=, fx.n_floats);
          g_ptr_array_add (gen ? fx.gens : fx.taps, t);
        }
      else
        g_assert_true (lines[i][0] == '#' || lines[i][0] == '\0');
      g_strfreev (f);
    }
  g_strfreev (lines);
  g_free (index);
  g_assert_cmpuint (fx.cases->len, >, 0);
}

static const FixtureCase *
find_case (const char *name)
{
  guint i;

  for (i = 0; i < fx.cases->len; i++)
    {
      const FixtureCase *c = g_ptr_array_index (fx.cases, i);

      if (strcmp (c->name, name) == 0)
        return c;
    }
  g_assert_not_reached ();
}

/* ---- running ----------------------------------------------------------------- */

typedef struct
{
  int     c, h, w;
  float  *data;
} Taken;

static void
taken_free (gpointer p)
{
  Taken *t = p;

  g_free (t->data);
  g_free (t);
}

static void
collect (const char  *layer,
         const float *data,
         int          c,
         int          h,
         int          w,
         gpointer     user_data)
{
  GHashTable *taken = user_data;
  Taken *t = g_new (Taken, 1);

  g_assert_false (g_hash_table_contains (taken, layer));
  t->c = c;
  t->h = h;
  t->w = w;
  t->data = g_memdup2 (data, (gsize) c * h * w * sizeof (float));
  g_hash_table_insert (taken, g_strdup (layer), t);
}

typedef struct
{
  float *content, *ref;
} Inputs;

static Inputs
make_inputs (const char *cas,
             int         h,
             int         w,
             int         hr,
             int         wr)
{
  char *cn = g_strdup_printf ("input.%s.content", cas);
  char *rn = g_strdup_printf ("input.%s.ref", cas);
  Inputs in = { g_new (float, 3 * (gsize) h * w), g_new (float, 3 * (gsize) hr * wr) };

  testgen_uniform (cn, 3 * (gsize) h * w, in.content);
  testgen_uniform (rn, 3 * (gsize) hr * wr, in.ref);
  g_free (cn);
  g_free (rn);
  return in;
}

/* Output (3 x h x w) of a forward pass on case cas' inputs, resized. */
static float *
forward (HzNetBuffers *buffers,
         const char   *cas,
         int           h,
         int           w,
         int           hr,
         int           wr,
         int           n_threads,
         GHashTable   *taken)
{
  Inputs in = make_inputs (cas, h, w, hr, wr);
  float *out = g_new (float, 3 * (gsize) h * w);
  HzOptions options;
  GError *error = NULL;

  hz_options_init (&options);
  options.n_threads = n_threads;
  g_assert_true (hz_net_forward (fx.net, buffers, in.content, h, w, in.ref, hr, wr, out,
                                 &options, taken ? collect : NULL, taken, &error));
  g_assert_no_error (error);
  g_free (in.content);
  g_free (in.ref);
  return out;
}

/* ---- tests --------------------------------------------------------------------- */

static void
test_generator (void)
{
  guint i;

  g_assert_cmpuint (fx.gens->len, >, 0);
  for (i = 0; i < fx.gens->len; i++)
    {
      const FixtureTap *g = g_ptr_array_index (fx.gens, i);
      const HzTensor *t = hz_weights_lookup (fx.weights, g->layer);
      float *mine = g_new (float, g->c);

      if (t)
        memcpy (mine, t->data, g->c * sizeof (float));
      else   /* an input */
        testgen_uniform (g->layer, g->c, mine);
      g_assert_cmpmem (mine, g->c * sizeof (float), fx.data + g->offset, g->c * sizeof (float));
      g_free (mine);
    }
}

static void
test_golden (gconstpointer data)
{
  const FixtureCase *c = data;
  GHashTable *taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, taken_free);
  HzNetBuffers *buffers = hz_net_buffers_new ();
  float *out;
  guint i, n = 0;

  fx.net = c->width == NARROW_WIDTH ? fx.narrow : fx.full;
  g_assert_cmpint (hz_net_width (fx.net), ==, c->width);
  out = forward (buffers, c->name, c->h, c->w, c->hr, c->wr, 2, taken);
  fx.net = fx.full;
  for (i = 0; i < fx.taps->len; i++)
    {
      const FixtureTap *t = g_ptr_array_index (fx.taps, i);
      const float *want = fx.data + t->offset;
      gsize size = (gsize) t->c * t->h * t->w;
      const Taken *got;
      double nmse, max_err;

      if (strcmp (t->cas, c->name) != 0)
        continue;
      got = g_hash_table_lookup (taken, t->layer);
      if (!got)
        g_error ("the network did not tap layer %s", t->layer);
      g_assert_cmpint (got->c, ==, t->c);
      g_assert_cmpint (got->h, ==, t->h);
      g_assert_cmpint (got->w, ==, t->w);
      nmse = testgen_nmse (got->data, want, size);
      max_err = testgen_max_abs_diff (got->data, want, size);
      g_test_message ("case %s %-22s %4d x %3d x %3d  NMSE %.3g  max abs error %.3g",
                      c->name, t->layer, t->c, t->h, t->w, nmse, max_err);
      g_assert_cmpfloat (nmse, <=, LAYER_NMSE_TOL);
      if (strcmp (t->layer, "output") == 0)
        {
          g_assert_cmpfloat (max_err, <=, OUTPUT_MAX_ERR);
          g_assert_cmpmem (out, size * sizeof (float), got->data, size * sizeof (float));
        }
      n++;
    }
  g_assert_cmpuint (n, >, 0);
  g_free (out);
  g_hash_table_unref (taken);
  hz_net_buffers_free (buffers);
}

/* The engine's hole filling is the one training used (augment.py fill_holes). */
static void
test_fill_golden (void)
{
  g_assert_cmpuint (fx.fills->len, >, 0);
  for (guint i = 0; i < fx.fills->len; i++)
    {
      const FixtureTap *t = g_ptr_array_index (fx.fills, i);
      gsize n = (gsize) t->h * t->w;
      float *img = g_new (float, t->c * n), *cover = g_new (float, n);
      char *name = g_strdup_printf ("fill.%s.image", t->layer);
      double err;

      testgen_uniform (name, t->c * n, img);
      for (gsize j = 0; j < t->c * n; j++)
        img[j] = (img[j] + 1) / 2;
      g_free (name);
      name = g_strdup_printf ("fill.%s.cover", t->layer);
      testgen_uniform (name, n, cover);
      for (gsize j = 0; j < n; j++)
        cover[j] = (float) CLAMP (1.5 * cover[j] + 0.25, 0.0, 1.0);
      g_free (name);
      g_assert_true (hz_fill_holes (img, cover, t->c, t->w, t->h));
      err = testgen_max_abs_diff (img, fx.data + t->offset, t->c * n);
      g_test_message ("fill %s %d x %d x %d: max abs error %.3g", t->layer, t->c, t->h, t->w, err);
      g_assert_cmpfloat (err, <=, FILL_MAX_ERR);
      g_free (img);
      g_free (cover);
    }
}

static void
test_threads (void)
{
  const FixtureCase *c = find_case ("c");
  HzNetBuffers *buffers = hz_net_buffers_new ();
  float *one = forward (buffers, c->name, c->h, c->w, c->hr, c->wr, 1, NULL);
  float *two = forward (buffers, c->name, c->h, c->w, c->hr, c->wr, 2, NULL);
  gsize n = 3 * (gsize) c->h * c->w;
  double d = testgen_max_abs_diff (one, two, n);

  g_test_message ("1 thread against 2: max abs difference %.3g", d);
  g_assert_cmpfloat (d, <=, 1e-6);
  g_free (one);
  g_free (two);
  hz_net_buffers_free (buffers);
}

/* Buffers grown, then reused for smaller sizes, give exactly what fresh ones do. */
static void
test_buffer_reuse (void)
{
  static const int sizes[][4] = { { 20, 30, 12, 9 }, { 70, 45, 40, 33 }, { 14, 27, 27, 35 }, { 33, 17, 9, 64 } };
  HzNetBuffers *reused = hz_net_buffers_new ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      const int *s = sizes[i];
      HzNetBuffers *fresh = hz_net_buffers_new ();
      float *a = forward (reused, "reuse", s[0], s[1], s[2], s[3], 2, NULL);
      float *b = forward (fresh, "reuse", s[0], s[1], s[2], s[3], 2, NULL);
      gsize n = 3 * (gsize) s[0] * s[1];

      g_assert_cmpmem (a, n * sizeof (float), b, n * sizeof (float));
      g_free (a);
      g_free (b);
      hz_net_buffers_free (fresh);
    }
  hz_net_buffers_free (reused);
}

typedef struct
{
  int      calls, stop_at;
  double   last;
} Progress;

static gboolean
progress_cb (double   fraction,
             gpointer data)
{
  Progress *p = data;

  g_assert_cmpfloat (fraction, >=, p->last);
  g_assert_cmpfloat (fraction, <=, 1.0);
  p->last = fraction;
  return ++p->calls != p->stop_at;
}

static gboolean
run_with (HzOptions *options,
          GError   **error)
{
  Inputs in = make_inputs ("cancel", 24, 20, 16, 16);
  HzNetBuffers *buffers = hz_net_buffers_new ();
  float out[3 * 24 * 20];
  gboolean ok;

  ok = hz_net_forward (fx.net, buffers, in.content, 24, 20, in.ref, 16, 16, out,
                       options, NULL, NULL, error);
  hz_net_buffers_free (buffers);
  g_free (in.content);
  g_free (in.ref);
  return ok;
}

static void
test_progress_and_cancel (void)
{
  HzOptions options;
  Progress p = { 0 };
  GError *error = NULL;
  int all;

  hz_options_init (&options);
  options.progress = progress_cb;
  options.progress_data = &p;
  g_assert_true (run_with (&options, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (p.last, ==, 1.0);
  all = p.calls;
  g_test_message ("%d progress calls", all);
  g_assert_cmpint (all, >, 20);

  /* stop half way through */
  p = (Progress) { .stop_at = all / 2 };
  g_assert_false (run_with (&options, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_CANCELLED);
  g_assert_cmpint (p.calls, ==, all / 2);
  g_clear_error (&error);

  /* a cancellable cancelled before */
  p = (Progress) { 0 };
  options.cancellable = g_cancellable_new ();
  g_cancellable_cancel (options.cancellable);
  g_assert_false (run_with (&options, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_CANCELLED);
  g_assert_cmpint (p.calls, ==, 1);
  g_clear_error (&error);
  g_object_unref (options.cancellable);
}

/* fp16 weights files (converted to fp32 on loading) run the same network,
 * their rounding apart. */
static void
test_half_weights (void)
{
  const FixtureCase *c = find_case ("a");
  const FixtureTap *want = NULL;
  GError *error = NULL;
  HzWeights *weights = testgen_weights_open (HZ_ARCH_FULL_WIDTH, TRUE, &error);
  HzNet *net, *full = fx.net;
  HzNetBuffers *buffers = hz_net_buffers_new ();
  float *out;
  double nmse, max_err;
  guint i;

  g_assert_no_error (error);
  net = hz_net_new (weights, &error);
  g_assert_no_error (error);
  for (i = 0; i < fx.taps->len; i++)
    {
      const FixtureTap *t = g_ptr_array_index (fx.taps, i);

      if (strcmp (t->cas, "a") == 0 && strcmp (t->layer, "output") == 0)
        want = t;
    }
  g_assert_nonnull (want);

  fx.net = net;
  out = forward (buffers, c->name, c->h, c->w, c->hr, c->wr, 2, NULL);
  fx.net = full;
  nmse = testgen_nmse (out, fx.data + want->offset, 3 * (gsize) c->h * c->w);
  max_err = testgen_max_abs_diff (out, fx.data + want->offset, 3 * (gsize) c->h * c->w);
  g_test_message ("fp16 weights, case a output: NMSE %.3g, max abs error %.3g", nmse, max_err);
  g_assert_cmpfloat (nmse, <=, 1e-5);   /* measured 2e-7 */
  g_assert_cmpfloat (nmse, >, 0.0);   /* the rounding is there: the file was fp16 */

  g_free (out);
  hz_net_buffers_free (buffers);
  hz_net_free (net);
  hz_weights_free (weights);
}

/* Sizes down to 1 x 1 for content and reference run (reflection continues
 * past PyTorch's range); 0 is an input error. */
static void
test_tiny_and_bad_sizes (void)
{
  static const int sizes[][4] = { { 1, 1, 1, 1 }, { 1, 40, 2, 3 }, { 17, 1, 8, 1 }, { 2, 2, 5, 4 } };
  HzNetBuffers *buffers = hz_net_buffers_new ();
  float x[3 * 4] = { 0 }, out[3 * 4];
  GError *error = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      const int *s = sizes[i];
      float *o = forward (buffers, "tiny", s[0], s[1], s[2], s[3], 2, NULL);
      gsize j, n = 3 * (gsize) s[0] * s[1];

      for (j = 0; j < n; j++)
        g_assert_true (isfinite (o[j]));
      g_free (o);
    }
  g_assert_false (hz_net_forward (fx.net, buffers, x, 0, 2, x, 2, 2, out, NULL, NULL, NULL, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_INPUT);
  g_clear_error (&error);
  g_assert_false (hz_net_forward (fx.net, buffers, x, 2, 2, x, 2, -1, out, NULL, NULL, NULL, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_INPUT);
  g_clear_error (&error);
  hz_net_buffers_free (buffers);
}

int
main (int    argc,
      char **argv)
{
  GError *error = NULL;
  guint i;
  int ret;

  g_test_init (&argc, &argv, NULL);
  testgen_require_kernels ();
  load_fixtures ();
  fx.weights = testgen_weights_open (HZ_ARCH_FULL_WIDTH, FALSE, &error);
  g_assert_no_error (error);
  fx.net = fx.full = hz_net_new (fx.weights, &error);
  g_assert_no_error (error);
  fx.narrow_weights = testgen_weights_open (NARROW_WIDTH, FALSE, &error);
  g_assert_no_error (error);
  fx.narrow = hz_net_new (fx.narrow_weights, &error);
  g_assert_no_error (error);

  g_test_add_func ("/net/generator", test_generator);
  for (i = 0; i < fx.cases->len; i++)
    {
      const FixtureCase *c = g_ptr_array_index (fx.cases, i);
      char *path = g_strdup_printf ("/net/golden/%s", c->name);

      g_test_add_data_func (path, c, test_golden);
      g_free (path);
    }
  g_test_add_func ("/fill/golden", test_fill_golden);
  g_test_add_func ("/net/threads", test_threads);
  g_test_add_func ("/net/buffer-reuse", test_buffer_reuse);
  g_test_add_func ("/net/progress-and-cancel", test_progress_and_cancel);
  g_test_add_func ("/net/tiny-and-bad-sizes", test_tiny_and_bad_sizes);
  g_test_add_func ("/net/half-weights", test_half_weights);
  ret = g_test_run ();

  hz_net_free (fx.full);
  hz_net_free (fx.narrow);
  hz_weights_free (fx.weights);
  hz_weights_free (fx.narrow_weights);
  return ret;
}
