/* bench-net: speed and memory of the engine's network (hz_net_forward)
 * against PyTorch running the reference model (weights/ssh_model.py) and ONNX
 * Runtime running its export, with the same weights on the same inputs, in
 * the same run.
 *
 *   bench-net [--sizes 256,512,1024] [--threads 1,2] [--weights FILE.hzw]
 *             [--ort DIR] [--idle MS] [--layers]
 *
 * Without --weights it writes the seeded full-width test weights
 * (tests/testgen.h); FLOPs are counted at the file's width.  Content and
 * reference are both S x S.  Engine, PyTorch and ONNX Runtime runs alternate,
 * so that all see the same load on a shared machine; times are medians.
 * Each run starts after the machine has idled --idle MS (30): the threads a
 * runner leaves spinning after its run (PyTorch's OpenMP team does so for
 * some 10 ms) would otherwise take a core from the next runner, and every
 * runner starts as a single forward in the plug-in does.  Where the others
 * still used over 5% of a core during a runner's runs, a line says so.
 * The peers are optional: each one missing is said in one line.  ONNX Runtime
 * is npm's onnxruntime-node under DIR/node_modules (--ort, else
 * $HARMONIZE_ORT_DIR, else the build folder's ort/), installed with
 *   npm install --prefix DIR --ignore-scripts onnxruntime-node
 * (its install script fetches from outside; the CPU binary is in the
 * package), and runs with node ($HARMONIZE_NODE) on the model ort_export.py
 * exports with PyTorch (python3-onnx).
 * The peak RSS of a 256 px forward is taken in a child process (this program
 * again with --rss) so that nothing else of the benchmark counts.  --layers
 * profiles the engine layer by layer instead. */

#include "bench-common.h"
#include "hz-blis.h"
#include "hz-net.h"
#include "testgen.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RSS_SIZE       256
#define RSS_TARGET_MB  150.0
/* Timed runs of each size and thread count: enough for about RUN_SECONDS
 * of the engine, at least MIN_RUNS (odd: the median is one of the runs). */
#define MIN_RUNS       5
#define MAX_RUNS       41
#define RUN_SECONDS    1.0

/* What the benchmark writes in its temporary folder. */
static const char *scratch_files[] = {
  "weights.hzw", "content.raw", "reference.raw", "peer-out.raw", "model.onnx",
};

/* ---- the model's arithmetic --------------------------------------------- */

/* Side of an encoder/decoder level (0 = full size) after padding to 16. */
static int
level_side (int side, int level)
{
  return (side + 15) / 16 * 16 >> level;
}

/* FLOPs of one forward with content h x w and reference hr x wr: 2 per
 * multiply-add of every convolution and linear layer, from the weight shapes
 * of the architecture table and the resolution each layer runs at. */
static double
forward_flops (int width, int h, int w, int hr, int wr)
{
  guint n;
  const HzArchTensor *arch = hz_arch_tensors (width, &n);
  double total = 0;

  for (guint t = 0; t < n; t++)
    {
      const HzArchTensor *a = &arch[t];
      double macs = 1;
      int i, j, level = -1, oh, ow;

      if (!g_str_has_suffix (a->name, ".weight") || a->ndim < 2)
        continue;
      for (int d = 0; d < a->ndim; d++)
        macs *= (double) a->shape[d];
      if (a->ndim == 2)            /* the SE blocks' linear layers */
        {
          total += 2 * macs;
          continue;
        }
      if (sscanf (a->name, "style_encoder.model.%d.", &j) == 1)
        {
          /* The reference at its own size: a 7x7 conv, then stride-2 3x3 convs. */
          oh = hr, ow = wr;
          for (i = 0; i < j; i++)
            oh = (oh + 1) / 2, ow = (ow + 1) / 2;
          total += 2 * macs * oh * ow;
          continue;
        }
      if (sscanf (a->name, "conv%d_%d.", &i, &j) == 2)
        level = i <= 5 ? i - 1 : 9 - i;
      else if (sscanf (a->name, "deconv%d.", &i) == 1)
        level = 8 - i;
      else if (g_str_has_prefix (a->name, "content_style_conv."))
        level = 4;
      else if (g_str_has_prefix (a->name, "conv10."))
        level = 0;
      else
        g_error ("bench-net: no resolution known for layer %s", a->name);
      total += 2 * macs * level_side (h, level) * level_side (w, level);
    }
  return total;
}

/* ---- inputs and weights ------------------------------------------------- */

static float *
make_image (const char *name, int side)
{
  float *image = g_new (float, 3 * (gsize) side * side);

  testgen_uniform (name, 3 * (gsize) side * side, image);
  return image;
}

static char *
write_test_weights (const char *dir)
{
  guint n;
  HzTensor *tensors = testgen_weights (HZ_ARCH_FULL_WIDTH, &n);
  char *path = g_build_filename (dir, "weights.hzw", NULL);
  GError *error = NULL;

  if (!hz_weights_write (path, tensors, n, FALSE, &error))
    g_error ("bench-net: %s", error->message);
  testgen_weights_free (tensors, n);
  return path;
}

/* The net refers to the weights' data: they stay open as long as it lives. */
static HzNet *
load_net (const char *path, HzWeights **weights)
{
  GError *error = NULL;
  HzNet *net;

  *weights = hz_weights_open (path, &error);
  net = *weights ? hz_net_new (*weights, &error) : NULL;
  if (net == NULL)
    g_error ("bench-net: %s", error->message);
  return net;
}

static double
engine_run (const HzNet *net, HzNetBuffers *buffers, const float *content,
            const float *ref, int side, float *out, int threads)
{
  HzOptions options;
  GError *error = NULL;
  gint64 t0;

  hz_options_init (&options);
  options.n_threads = threads;
  t0 = g_get_monotonic_time ();
  if (!hz_net_forward (net, buffers, content, side, side, ref, side, side, out,
                       &options, NULL, NULL, &error))
    g_error ("bench-net: %s", error->message);
  return (g_get_monotonic_time () - t0) * 1e-6;
}

/* ---- where the time goes, layer by layer ---------------------------------- */

#define PROFILE_RUNS 3   /* odd: the median is one of the runs */

typedef struct
{
  char   *layer;
  int     pixels;                  /* of its output */
  double  seconds[PROFILE_RUNS];   /* since the previous tap */
  double  sgemm[PROFILE_RUNS];     /* of which in hz_sgemm */
} Step;

typedef struct
{
  GArray *steps;
  int     run, index;
  double  last, last_sgemm;
} Profile;

static double
now (void)
{
  return g_get_monotonic_time () * 1e-6;
}

static void
profile_tap (const char *layer, const float *data, int c, int h, int w, gpointer user_data)
{
  Profile *p = user_data;
  double t = now (), t_sgemm = hz_sgemm_seconds ();
  Step *step;

  (void) data;
  (void) c;
  if (p->run == 0)
    {
      Step first = { g_strdup (layer), h * w, { 0 }, { 0 } };

      g_array_append_val (p->steps, first);
    }
  step = &g_array_index (p->steps, Step, p->index++);
  step->seconds[p->run] = t - p->last;
  step->sgemm[p->run] = t_sgemm - p->last_sgemm;
  p->last = t;
  p->last_sgemm = t_sgemm;
}

/* The convolution weight behind a tap's layer name (taps after a BatchNorm
 * take its name), or NULL for steps that are not convolutions. */
static const HzArchTensor *
layer_weight (int width, const char *layer)
{
  guint n;
  const HzArchTensor *arch = hz_arch_tensors (width, &n);
  int i, j;
  char *name;
  const HzArchTensor *found = NULL;

  if (sscanf (layer, "bn%d_%d", &i, &j) == 2)
    name = g_strdup_printf ("conv%d_%d.weight", i, j);
  else if (g_str_has_prefix (layer, "style_encoder.model."))
    name = g_strconcat (layer, ".conv.weight", NULL);
  else
    name = g_strconcat (layer, ".weight", NULL);
  for (guint t = 0; t < n && !found; t++)
    if (strcmp (arch[t].name, name) == 0 && arch[t].ndim == 4)
      found = &arch[t];
  g_free (name);
  return found;
}

/* The run whose time is the median: its sgemm share comes from the same run. */
static int
median_run (const double *seconds)
{
  double sorted[PROFILE_RUNS];
  int r = 0;

  memcpy (sorted, seconds, sizeof sorted);
  bench_median (sorted, PROFILE_RUNS);
  while (seconds[r] != sorted[PROFILE_RUNS / 2])
    r++;
  return r;
}

/* t: wall seconds of the layer; g: thread-seconds in hz_sgemm. */
static void
print_profile_row (const char *layer, const char *dims, double flops, double t, double g,
                   int threads)
{
  printf ("%-22s %16s %8.2f", layer, dims, t * 1e3);
  if (flops > 0 && g > 0)
    printf (" %8.1f | %6.0f%% %8.1f | %8.2f", flops / t * 1e-9, 100 * g / (t * threads),
            flops / g * 1e-9, (t - g / threads) * 1e3);
  else if (flops > 0)   /* direct or Winograd */
    printf (" %8.1f |", flops / t * 1e-9);
  printf ("\n");
}

/* Each layer's time in the forward, and for the convs through im2col how
 * much of it hz_sgemm took: the rest is im2col, padding, upsampling,
 * pooling, BatchNorm and activations, and threads waiting for each other.
 * (GFLOP/s of a Winograd conv count the direct conv's multiply-adds.) */
static void
profile (const HzNet *net, HzNetBuffers *buffers, int side, int threads, int idle_ms)
{
  float *content = make_image ("bench-content", side);
  float *ref = make_image ("bench-reference", side);
  float *out = g_new (float, 3 * (gsize) side * side);
  Profile p = { g_array_new (FALSE, FALSE, sizeof (Step)), 0, 0, 0, 0 };
  HzOptions options;
  double total = 0, total_sgemm = 0, total_flops = 0;

  hz_options_init (&options);
  options.n_threads = threads;
  engine_run (net, buffers, content, ref, side, out, threads);
  for (p.run = 0; p.run < PROFILE_RUNS; p.run++)
    {
      g_usleep (idle_ms * 1000);
      p.index = 0;
      p.last = now ();
      p.last_sgemm = hz_sgemm_seconds ();
      if (!hz_net_forward (net, buffers, content, side, side, ref, side, side, out,
                           &options, profile_tap, &p, NULL))
        g_error ("bench-net: the forward failed");
    }

  printf ("\n%d px, %d thread%s, median of %d (sgemm: share of the threads' time, and its\n"
          "GFLOP/s per thread; other: the layer's time outside sgemm, im2col and the rest):\n"
          "%-22s %16s %8s %8s | %7s %8s | %8s\n",
          side, threads, threads > 1 ? "s" : "", PROFILE_RUNS, "layer", "M x K x N",
          "ms", "GFLOP/s", "sgemm", "GFLOP/s", "other ms");
  for (guint i = 0; i < p.steps->len; i++)
    {
      Step *step = &g_array_index (p.steps, Step, i);
      const HzArchTensor *wt = layer_weight (hz_net_width (net), step->layer);
      int r = median_run (step->seconds);
      double t = step->seconds[r], g = step->sgemm[r];
      int m = wt ? (int) wt->shape[0] : 0;
      int k = wt ? (int) (wt->shape[1] * wt->shape[2] * wt->shape[3]) : 0;
      char *dims = wt ? g_strdup_printf ("%dx%dx%d", m, k, step->pixels) : g_strdup ("");
      double flops = 2.0 * m * k * step->pixels;

      print_profile_row (step->layer, dims, flops, t, g, threads);
      total += t;
      total_sgemm += g;
      total_flops += flops;
      g_free (dims);
      g_free (step->layer);
    }
  print_profile_row ("total", "", total_flops, total, total_sgemm, threads);
  g_array_free (p.steps, TRUE);
  g_free (content);
  g_free (ref);
  g_free (out);
}

/* ---- peak memory, in a child -------------------------------------------- */

static double
vm_hwm_mb (void)
{
  char *status = NULL, *line;
  double kb = -1;

  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL)
      && (line = strstr (status, "VmHWM:")) != NULL)
    kb = g_ascii_strtod (line + 6, NULL);
  g_free (status);
  return kb / 1024;
}

/* Child: one forward at side x side on every core; prints the peak RSS
 * after loading and after the forward, in MB. */
static int
rss_child (const char *weights, int side)
{
  HzWeights *file;
  HzNet *net = load_net (weights, &file);
  HzNetBuffers *buffers = hz_net_buffers_new ();
  float *content = make_image ("bench-content", side);
  float *ref = make_image ("bench-reference", side);
  float *out = g_new (float, 3 * (gsize) side * side);
  double loaded = vm_hwm_mb ();

  engine_run (net, buffers, content, ref, side, out, 0);
  printf ("%.1f %.1f\n", loaded, vm_hwm_mb ());
  return 0;
}

static gboolean
engine_rss (const char *self, const char *weights, double *loaded, double *peak)
{
  char *side = g_strdup_printf ("%d", RSS_SIZE);
  const char *argv[] = { self, "--rss", weights, side, NULL };
  char *out = NULL;
  int status;
  gboolean ok;

  ok = g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     &out, NULL, &status, NULL)
       && g_spawn_check_wait_status (status, NULL)
       && sscanf (out, "%lf %lf", loaded, peak) == 2;
  g_free (out);
  g_free (side);
  return ok;
}

/* ---- the peers: PyTorch and ONNX Runtime, children answering over pipes --- */

/* Both speak torch_bench.py's protocol (size, run T, save, rss). */
typedef struct
{
  const char *name;
  FILE       *in, *out;
  GPid        pid;
  char       *about;
} Peer;

/* Sends one command and returns its one-line answer, or NULL if the peer has gone. */
static char *
peer_ask (Peer *peer, const char *format, ...)
{
  char line[256];
  va_list args;

  va_start (args, format);
  vfprintf (peer->in, format, args);
  va_end (args);
  fputc ('\n', peer->in);
  fflush (peer->in);
  if (!fgets (line, sizeof line, peer->out))
    return NULL;
  return g_strdup (g_strstrip (line));
}

static double
peer_number (Peer *peer, const char *format, const char *arg)
{
  char *answer = peer_ask (peer, format, arg);
  double v;

  if (answer == NULL)
    g_error ("bench-net: %s stopped answering", peer->name);
  v = g_ascii_strtod (answer, NULL);
  g_free (answer);
  return v;
}

/* Starts argv; NULL, said in one line, when it does not start or gives up
 * before its first line (which describes it). */
static Peer *
peer_start (const char *name, const char *script, const char **argv)
{
  Peer *peer = g_new0 (Peer, 1);
  int in, out;
  GError *error = NULL;
  char line[256];

  peer->name = name;
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                 &peer->pid, &in, &out, NULL, &error))
    {
      printf ("%s: not run (%s)\n", name, error->message);
      g_error_free (error);
      g_free (peer);
      return NULL;
    }
  peer->in = fdopen (in, "w");
  peer->out = fdopen (out, "r");
  if (!fgets (line, sizeof line, peer->out))
    {
      printf ("%s: not available (%s gave up; see its message above)\n", name, script);
      fclose (peer->in);
      fclose (peer->out);
      waitpid (peer->pid, NULL, 0);
      g_spawn_close_pid (peer->pid);
      g_free (peer);
      return NULL;
    }
  peer->about = g_strdup (g_strstrip (line));
  return peer;
}

static const char *
python (void)
{
  const char *python = g_getenv ("HARMONIZE_PYTHON");

  return python ? python : "python3";
}

static Peer *
torch_start (const char *weights)
{
  const char *argv[] = { python (), BENCH_SCRIPTS "/torch_bench.py", weights, NULL };

  return peer_start ("PyTorch", "torch_bench.py", argv);
}

/* Exports the model at the weights' width into dir, then starts node on it. */
static Peer *
ort_start (const char *weights, const char *dir, const char *ort_dir)
{
  const char *node = g_getenv ("HARMONIZE_NODE");
  char *model = g_build_filename (dir, "model.onnx", NULL);
  const char *export[] = { python (), BENCH_SCRIPTS "/ort_export.py", weights, model, NULL };
  const char *argv[] = { node ? node : "node", BENCH_SCRIPTS "/ort_bench.js", ort_dir, model, NULL };
  char *err = NULL;
  int status;
  GError *error = NULL;
  Peer *peer = NULL;

  if (!g_spawn_sync (NULL, (char **) export, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     NULL, &err, &status, &error)
      || !g_spawn_check_wait_status (status, NULL))
    {
      const char *last = err ? g_strrstr (g_strstrip (err), "\n") : NULL;

      printf ("ONNX Runtime: not run (ort_export.py failed: %s)\n",
              error ? error->message : last ? last + 1 : err ? err : "?");
      g_clear_error (&error);
    }
  else
    peer = peer_start ("ONNX Runtime", "ort_bench.js", argv);
  g_free (err);
  g_free (model);
  return peer;
}

static void
peer_stop (Peer *peer)
{
  if (!peer)
    return;
  fclose (peer->in);   /* end of commands: the script exits */
  fclose (peer->out);
  waitpid (peer->pid, NULL, 0);
  g_spawn_close_pid (peer->pid);
  g_free (peer->about);
  g_free (peer);
}

/* Seconds of CPU the threads of process pid (0: this one) have used, from
 * /proc (clock ticks, 10 ms apart); 0 where there is no /proc. */
static double
process_cpu (GPid pid)
{
  char *dir = pid ? g_strdup_printf ("/proc/%d/task", (int) pid) : g_strdup ("/proc/self/task");
  GDir *tasks = g_dir_open (dir, 0, NULL);
  const char *task;
  double seconds = 0;

  while (tasks && (task = g_dir_read_name (tasks)))
    {
      char *path = g_build_filename (dir, task, "stat", NULL), *stat = NULL, *after;
      unsigned long user, sys;

      /* fields 14 and 15, after the command name in parentheses */
      if (g_file_get_contents (path, &stat, NULL, NULL) && (after = strrchr (stat, ')')) != NULL
          && sscanf (after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &user, &sys) == 2)
        seconds += (double) (user + sys) / sysconf (_SC_CLK_TCK);
      g_free (stat);
      g_free (path);
    }
  if (tasks)
    g_dir_close (tasks);
  g_free (dir);
  return seconds;
}

/* ---- the benchmark ------------------------------------------------------ */

enum { PYTORCH, ORT, N_PEERS, ENGINE = N_PEERS };

/* CPU seconds the runners other than who (a peer, or ENGINE) have used so
 * far: their threads spinning on while who runs would take its cores. */
static double
others_cpu (Peer **peers, int who)
{
  double seconds = who == ENGINE ? 0 : process_cpu (0);

  for (int p = 0; p < N_PEERS; p++)
    if (peers[p] && p != who)
      seconds += process_cpu (peers[p]->pid);
  return seconds;
}

typedef struct
{
  int    side, threads;
  double flops, engine, peer[N_PEERS];   /* peer < 0: not measured */
} Row;

static void
remove_scratch (const char *dir)
{
  for (gsize i = 0; i < G_N_ELEMENTS (scratch_files); i++)
    {
      char *path = g_build_filename (dir, scratch_files[i], NULL);

      g_unlink (path);
      g_free (path);
    }
  g_rmdir (dir);
}

static int *
parse_list (const char *text, int min, int max)
{
  char **parts = g_strsplit (text, ",", -1);
  int n = g_strv_length (parts), *list = g_new0 (int, n + 1);

  for (int i = 0; i < n; i++)
    {
      char *end;
      long v = strtol (parts[i], &end, 10);

      if (*end != '\0' || v < min || v > max)
        {
          fprintf (stderr, "bench-net: '%s' is not a number in %d..%d\n", parts[i], min, max);
          exit (2);
        }
      list[i] = (int) v;
    }
  g_strfreev (parts);
  return list;
}

static void
print_machine (void)
{
  char *cpuinfo = NULL, *load = NULL, *model = NULL, *line;

  if (g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL)
      && (line = strstr (cpuinfo, "model name")) != NULL && (line = strchr (line, ':')) != NULL)
    model = g_strndup (line + 2, strcspn (line + 2, "\n"));
  g_file_get_contents ("/proc/loadavg", &load, NULL, NULL);
  printf ("CPU: %s, %d cores; BLIS %s with its '%s' kernels; load average %s",
          model ? model : "?", hz_default_threads (), hz_blis_version (),
          hz_blis_arch_name (), load ? load : "?\n");
  g_free (cpuinfo);
  g_free (load);
  g_free (model);
}

/* Compares the peer's last output with the engine's. FALSE when they
 * differ: then the two ran different things. */
static gboolean
peer_compare (Peer *peer, const char *dir, int side, const float *out)
{
  char *path = g_build_filename (dir, "peer-out.raw", NULL);
  char *data = NULL;
  gsize size = 0, n = 3 * (gsize) side * side;
  gboolean same = FALSE;

  g_free (peer_ask (peer, "save %s", path));
  if (g_file_get_contents (path, &data, &size, NULL) && size == n * sizeof (float))
    {
      double nmse = testgen_nmse (out, (const float *) data, n);
      float lo = out[0], hi = out[0];

      for (gsize i = 1; i < n; i++)
        lo = MIN (lo, out[i]), hi = MAX (hi, out[i]);
      same = nmse < 1e-4;
      printf ("  %d px: output in [%.3g, %.3g]; engine vs %s: max |diff| %.2g, NMSE %.2g%s\n",
              side, lo, hi, peer->name, testgen_max_abs_diff (out, (const float *) data, n), nmse,
              same ? "" : "  <- MISMATCH");
    }
  else
    printf ("  %d px: no %s output to compare\n", side, peer->name);
  g_unlink (path);
  g_free (data);
  g_free (path);
  return same;
}

/* Writes the inputs where the peers read them. */
static void
peer_inputs (Peer **peers, const char *dir, int side, const float *content, const float *ref)
{
  gsize bytes = 3 * (gsize) side * side * sizeof (float);
  char *cpath = g_build_filename (dir, "content.raw", NULL);
  char *rpath = g_build_filename (dir, "reference.raw", NULL);

  if (!g_file_set_contents (cpath, (const char *) content, bytes, NULL)
      || !g_file_set_contents (rpath, (const char *) ref, bytes, NULL))
    g_error ("bench-net: cannot write the inputs in %s", dir);
  for (int p = 0; p < N_PEERS; p++)
    if (peers[p])
      g_free (peer_ask (peers[p], "size %d %s %s", side, cpath, rpath));
  g_free (cpath);
  g_free (rpath);
}

/* "1.23x faster" when the peer took longer than the engine. */
static char *
ratio (double engine, double peer)
{
  if (peer < 0)
    return g_strdup ("-");
  return g_strdup_printf ("%.2fx %s", peer > engine ? peer / engine : engine / peer,
                          peer > engine ? "faster" : "slower");
}

int
main (int argc, char **argv)
{
  char *sizes_arg = NULL, *threads_arg = NULL, *weights_arg = NULL, *ort_arg = NULL;
  gboolean layers = FALSE;
  int idle_ms = 30;
  GOptionEntry entries[] = {
    { "sizes", 0, 0, G_OPTION_ARG_STRING, &sizes_arg, "Working sizes (default 256,512,1024)", "S,…" },
    { "threads", 0, 0, G_OPTION_ARG_STRING, &threads_arg, "Thread counts (default 1,2)", "N,…" },
    { "weights", 0, 0, G_OPTION_ARG_FILENAME, &weights_arg, "Weights file (default: seeded test weights)", "FILE" },
    { "ort", 0, 0, G_OPTION_ARG_FILENAME, &ort_arg, "Folder with node_modules/onnxruntime-node", "DIR" },
    { "layers", 0, 0, G_OPTION_ARG_NONE, &layers, "Profile each layer instead (engine only)", NULL },
    { "idle", 0, 0, G_OPTION_ARG_INT, &idle_ms, "Milliseconds the machine idles before each run (default 30)", "MS" },
    { NULL }
  };
  const char *peer_names[N_PEERS] = { "PyTorch", "ORT" };
  GOptionContext *context;
  GError *error = NULL;
  char *dir, *weights;
  const char *ort_dir;
  int *sizes, *threads, n_rows = 0;
  Row rows[64];
  HzWeights *file;
  HzNet *net;
  HzNetBuffers *buffers;
  Peer *peers[N_PEERS];
  double rss_loaded = 0, rss_peak = 0, peer_rss_kb[N_PEERS] = { -1, -1 };
  gboolean outputs_agree = TRUE;

  if (argc == 4 && strcmp (argv[1], "--rss") == 0)
    return rss_child (argv[2], atoi (argv[3]));

  context = g_option_context_new ("- time the engine's network against PyTorch and ONNX Runtime");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-net: %s\n", error->message);
      return 2;
    }
  g_option_context_free (context);
  sizes = parse_list (sizes_arg ? sizes_arg : "256,512,1024", HZ_WORKING_SIZE_MIN, HZ_WORKING_SIZE_MAX);
  threads = parse_list (threads_arg ? threads_arg : "1,2", 1, 256);
  ort_dir = ort_arg ? ort_arg : g_getenv ("HARMONIZE_ORT_DIR") ? g_getenv ("HARMONIZE_ORT_DIR")
                                                               : BENCH_ORT_DIR;

  dir = g_dir_make_tmp ("bench-net-XXXXXX", &error);
  if (dir == NULL)
    g_error ("bench-net: %s", error->message);
  weights = weights_arg ? g_strdup (weights_arg) : write_test_weights (dir);

  print_machine ();
  if (layers)
    {
      net = load_net (weights, &file);
      buffers = hz_net_buffers_new ();
      for (int s = 0; sizes[s]; s++)
        for (int t = 0; threads[t]; t++)
          profile (net, buffers, sizes[s], threads[t], idle_ms);
      hz_net_buffers_free (buffers);
      hz_net_free (net);
      hz_weights_free (file);
      remove_scratch (dir);
      return 0;
    }
  if (!engine_rss (argv[0], weights, &rss_loaded, &rss_peak))
    rss_peak = -1;
  net = load_net (weights, &file);
  buffers = hz_net_buffers_new ();
  peers[PYTORCH] = torch_start (weights);
  peers[ORT] = ort_start (weights, dir, ort_dir);
  for (int p = 0; p < N_PEERS; p++)
    if (peers[p])
      printf ("%s\n", peers[p]->about);
  printf ("Weights: %s, width %d\n", weights_arg ? weights_arg : "seeded test weights (tests/testgen.h)",
          hz_net_width (net));
  printf ("GFLOP: the model's at that width, 2 per multiply-add of every convolution and linear\n"
          "layer as PyTorch runs them, content and reference both S x S; times: median of %d to %d\n"
          "runs (about %.0f s of the engine; 3 at 1024); ratios: the peer's time over the engine's\n\n",
          MIN_RUNS, MAX_RUNS, RUN_SECONDS);
  printf ("%5s %7s %7s | %9s %8s | %9s %8s | %9s %8s | %-13s | %s\n", "size", "threads", "GFLOP",
          "engine s", "GFLOP/s", "PyTorch s", "GFLOP/s", "ORT s", "GFLOP/s",
          "vs PyTorch", "vs ORT");
  fflush (stdout);

  for (int s = 0; sizes[s]; s++)
    {
      int side = sizes[s];
      float *content = make_image ("bench-content", side);
      float *ref = make_image ("bench-reference", side);
      float *out = g_new (float, 3 * (gsize) side * side);
      double flops = forward_flops (hz_net_width (net), side, side, side, side);

      peer_inputs (peers, dir, side, content, ref);
      for (int t = 0; threads[t] && n_rows < (int) G_N_ELEMENTS (rows); t++)
        {
          Row *row = &rows[n_rows++];
          double et[MAX_RUNS], pt[N_PEERS][MAX_RUNS], first, stolen[N_PEERS + 1] = { 0 };
          char *n = g_strdup_printf ("%d", threads[t]);
          int runs;

          /* The first runs size the buffers, make the sessions and warm the caches. */
          engine_run (net, buffers, content, ref, side, out, threads[t]);
          first = engine_run (net, buffers, content, ref, side, out, threads[t]);
          runs = side >= 1024 ? 3 : (int) CLAMP (RUN_SECONDS / first, MIN_RUNS, MAX_RUNS) | 1;
          for (int p = 0; p < N_PEERS; p++)
            if (peers[p])
              peer_number (peers[p], "run %s", n);
          for (int r = 0; r < runs; r++)
            {
              double before;

              g_usleep (idle_ms * 1000);
              before = others_cpu (peers, ENGINE);

              et[r] = engine_run (net, buffers, content, ref, side, out, threads[t]);
              stolen[ENGINE] += others_cpu (peers, ENGINE) - before;
              for (int p = 0; p < N_PEERS; p++)
                if (peers[p])
                  {
                    g_usleep (idle_ms * 1000);
                    before = others_cpu (peers, p);
                    pt[p][r] = peer_number (peers[p], "run %s", n);
                    stolen[p] += others_cpu (peers, p) - before;
                  }
                else
                  pt[p][r] = -1;
            }
          g_free (n);
          *row = (Row) { side, threads[t], flops, bench_median (et, runs), { -1, -1 } };
          printf ("%5d %7d %7.2f | %9.3f %8.1f", side, row->threads, flops * 1e-9,
                  row->engine, flops / row->engine * 1e-9);
          for (int p = 0; p < N_PEERS; p++)
            {
              if (peers[p])
                {
                  row->peer[p] = bench_median (pt[p], runs);
                  printf (" | %9.3f %8.1f", row->peer[p], flops / row->peer[p] * 1e-9);
                }
              else
                printf (" | %9s %8s", "-", "-");
            }
          for (int p = 0; p < N_PEERS; p++)
            {
              char *r = ratio (row->engine, row->peer[p]);

              printf (p ? " | %s\n" : " | %-13s", r);
              g_free (r);
            }
          for (int who = 0; who <= N_PEERS; who++)
            {
              double busy = 0;

              for (int r = 0; r < runs; r++)
                busy += who == ENGINE ? et[r] : pt[who][r];
              /* a benchmark that measured a runner sharing its cores says so */
              if (busy > 0 && stolen[who] > 0.05 * busy)
                printf ("        (the others used %.0f%% of a core during %s's runs)\n",
                        100 * stolen[who] / busy, who == ENGINE ? "the engine" : peers[who]->name);
            }
          fflush (stdout);
        }
      for (int p = 0; p < N_PEERS; p++)
        if (peers[p])
          {
            outputs_agree &= peer_compare (peers[p], dir, side, out);
            if (side == RSS_SIZE)
              peer_rss_kb[p] = peer_number (peers[p], "%s", "rss");
          }
      g_free (content);
      g_free (ref);
      g_free (out);
    }

  printf ("\n");
  for (int i = 0; i < n_rows; i++)
    {
      Row *row = &rows[i];

      printf ("%d px, %d thread%s: engine %.3f s (%.0f GFLOP/s)", row->side, row->threads,
              row->threads > 1 ? "s" : "", row->engine, row->flops / row->engine * 1e-9);
      for (int p = 0; p < N_PEERS; p++)
        if (row->peer[p] > 0)
          {
            char *r = ratio (row->engine, row->peer[p]);

            printf (", %s %.3f s, %s", peer_names[p], row->peer[p], r);
            g_free (r);
          }
      printf ("\n");
    }
  if (rss_peak > 0)
    printf ("Peak RSS, %d px forward on %d threads: engine %.1f MB (%.1f MB after loading), "
            "target %.0f MB%s\n", RSS_SIZE, hz_default_threads (), rss_peak, rss_loaded,
            RSS_TARGET_MB, rss_peak > RSS_TARGET_MB ? "  <- OVER" : "");
  else
    printf ("Peak RSS: the %d px child failed\n", RSS_SIZE);
  for (int p = 0; p < N_PEERS; p++)
    if (peer_rss_kb[p] > 0)
      printf ("Peak RSS of the %s process after its %d px runs: %.1f MB\n", peers[p]->name,
              RSS_SIZE, peer_rss_kb[p] / 1024);

  for (int p = 0; p < N_PEERS; p++)
    peer_stop (peers[p]);
  hz_net_buffers_free (buffers);
  hz_net_free (net);
  hz_weights_free (file);
  remove_scratch (dir);
  g_free (weights);
  g_free (dir);
  return outputs_agree ? 0 : 1;
}
