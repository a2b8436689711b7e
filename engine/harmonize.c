/* Public API: the model, per-thread contexts and fitting a scene. */
#include "harmonize.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "hz-blis.h"
#include "hz-colormap.h"
#include "hz-net.h"
#include "hz-thumb.h"
#include "hz-weights.h"

#define HZ_WEIGHTS_FILE "ssh-harmonize.hzw"

/* Shares of the progress bar: reading the scene, the network, the fit. */
#define PROGRESS_READ 0.3
#define PROGRESS_NET  0.95

G_DEFINE_QUARK (hz-error-quark, hz_error)

struct _HzModel
{
  HzWeights *weights;   /* kept: the network may point into its tensors */
  HzNet     *net;
  int        working_size;   /* the file's, else HZ_WORKING_SIZE_DEFAULT */
};

struct _HzContext
{
  const HzModel  *model;
  HzNetBuffers   *net_buffers;
  HzSceneThumbs   thumbs;
  /* the last run's network input and output, planar, [-1, 1] */
  float          *net_content, *net_reference, *net_output;
  float          *after;   /* the output as R'G'B' for the fit */
  gsize           cap_content, cap_reference, cap_output, cap_after;
  gboolean        has_run;
  HzTimings       timings;   /* of the last run */
};

const char *
hz_default_weights_path (void)
{
  const char *env = g_getenv ("HARMONIZE_WEIGHTS");

  return env && *env ? env : HZ_WEIGHTS_DIR G_DIR_SEPARATOR_S HZ_WEIGHTS_FILE;
}

void
hz_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      const char *dir = g_getenv ("HARMONIZE_LOCALEDIR");

      hz_blis_init ();
      bindtextdomain (GETTEXT_PACKAGE, dir && *dir ? dir : HZ_LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&done, 1);
    }
}

/* A network runs best at the size it was trained at: the file says which. */
static gboolean
read_working_size (const HzWeights *weights,
                   int             *size,
                   GError         **error)
{
  const char *meta = hz_weights_meta (weights, "working_size");
  gint64 n = HZ_WORKING_SIZE_DEFAULT;

  if (meta && !g_ascii_string_to_signed (meta, 10, HZ_WORKING_SIZE_MIN, HZ_WORKING_SIZE_MAX, &n, NULL))
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS,
                   _("%s: its working size '%s' is not a whole number from %d to %d"),
                   hz_weights_source (weights), meta, HZ_WORKING_SIZE_MIN, HZ_WORKING_SIZE_MAX);
      return FALSE;
    }
  *size = (int) n;
  return TRUE;
}

HzModel *
hz_model_load (const char  *path,
               GError     **error)
{
  HzModel *model;

  g_return_val_if_fail (path != NULL, NULL);

  hz_init ();

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS,
                   _("weights file '%s' not found: the trained weights are not installed "
                   "(see weights/README.md; the HARMONIZE_WEIGHTS environment variable names another file)"),
                   path);
      return NULL;
    }

  model = g_new0 (HzModel, 1);
  model->weights = hz_weights_open (path, error);
  if (model->weights && read_working_size (model->weights, &model->working_size, error))
    model->net = hz_net_new (model->weights, error);
  if (!model->net)
    {
      hz_model_free (model);
      return NULL;
    }
  return model;
}

int
hz_model_working_size (const HzModel *model)
{
  return model->working_size;
}

void
hz_model_free (HzModel *model)
{
  if (!model)
    return;
  if (model->net)
    hz_net_free (model->net);
  if (model->weights)
    hz_weights_free (model->weights);
  g_free (model);
}

void
hz_options_init (HzOptions *options)
{
  memset (options, 0, sizeof *options);
  options->working_size = 0;
  options->strength = 1.0;
}

HzContext *
hz_context_new (const HzModel *model)
{
  HzContext *ctx = g_new0 (HzContext, 1);

  ctx->model = model;
  ctx->net_buffers = hz_net_buffers_new ();
  return ctx;
}

const HzModel *
hz_context_model (const HzContext *ctx)
{
  return ctx->model;
}

void
hz_context_free (HzContext *ctx)
{
  if (!ctx)
    return;
  hz_net_buffers_free (ctx->net_buffers);
  hz_scene_thumbs_clear (&ctx->thumbs);
  g_free (ctx->net_content);
  g_free (ctx->net_reference);
  g_free (ctx->net_output);
  g_free (ctx->after);
  g_free (ctx);
}

static const float *
last_run (const HzContext *ctx,
          const float     *data,
          int              w,
          int              h,
          int             *width,
          int             *height)
{
  if (width)
    *width = ctx->has_run ? w : 0;
  if (height)
    *height = ctx->has_run ? h : 0;
  return ctx->has_run ? data : NULL;
}

const float *
hz_context_network_content (const HzContext *ctx,
                            int             *width,
                            int             *height)
{
  return last_run (ctx, ctx->net_content, ctx->thumbs.content_w, ctx->thumbs.content_h,
                   width, height);
}

const float *
hz_context_network_reference (const HzContext *ctx,
                              int             *width,
                              int             *height)
{
  return last_run (ctx, ctx->net_reference, ctx->thumbs.reference_w, ctx->thumbs.reference_h,
                   width, height);
}

const float *
hz_context_network_output (const HzContext *ctx,
                           int             *width,
                           int             *height)
{
  return last_run (ctx, ctx->net_output, ctx->thumbs.content_w, ctx->thumbs.content_h,
                   width, height);
}

HzRect
hz_context_content_region (const HzContext *ctx)
{
  static const HzRect none;

  return ctx->has_run ? ctx->thumbs.region : none;
}

void
hz_context_timings (const HzContext *ctx,
                    HzTimings       *timings)
{
  static const HzTimings none;

  *timings = ctx->has_run ? ctx->timings : none;
}

double
hz_lap (gint64 *since)
{
  gint64 now = g_get_monotonic_time ();
  double s = (now - *since) * 1e-6;

  *since = now;
  return s;
}

/* A step's progress in [0, 1] mapped onto [lo, hi] of the caller's. */
typedef struct
{
  const HzOptions *options;
  double           lo, hi;
} Stage;

static gboolean
stage_progress (double   fraction,
                gpointer data)
{
  const Stage *s = data;

  return s->options->progress (s->lo + fraction * (s->hi - s->lo),
                               s->options->progress_data);
}

static gboolean
stage_report (const Stage *s,
              double       fraction,
              GError     **error)
{
  if (g_cancellable_is_cancelled (s->options->cancellable)
      || (s->options->progress && !stage_progress (fraction, (gpointer) s)))
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_CANCELLED, _("cancelled"));
      return FALSE;
    }
  return TRUE;
}

/* Makes *buf hold n floats, reusing it when it is large enough. */
static gboolean
ensure (float  **buf,
        gsize   *cap,
        gsize    n,
        GError **error)
{
  if (n * sizeof (float) <= *cap)
    return TRUE;
  float *p = g_try_realloc (*buf, n * sizeof (float));
  if (!p)
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_MEMORY, _("out of memory"));
      return FALSE;
    }
  *buf = p;
  *cap = n * sizeof (float);
  return TRUE;
}

/* R'G'B' [0, 1] to the network's [-1, 1], as the release's np2tensor. */
static void
to_network (const float *in,
            gsize        n,
            float       *out)
{
  for (gsize i = 0; i < n; i++)
    out[i] = in[i] * 2.0f - 1.0f;
}

gboolean
hz_fit_scene (HzContext        *ctx,
              const HzScene    *scene,
              const HzOptions  *options,
              HzColorMap       *map,
              GError          **error)
{
  HzOptions defaults, net_options;
  HzSceneThumbs *t = &ctx->thumbs;

  g_return_val_if_fail (ctx && scene && map, FALSE);

  ctx->has_run = FALSE;

  if (!options)
    {
      hz_options_init (&defaults);
      options = &defaults;
    }
  int size = options->working_size ? options->working_size : ctx->model->working_size;
  if (size < HZ_WORKING_SIZE_MIN || size > HZ_WORKING_SIZE_MAX)
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_INPUT, _("the working size %d is not in %d..%d"),
                   options->working_size, HZ_WORKING_SIZE_MIN, HZ_WORKING_SIZE_MAX);
      return FALSE;
    }

  Stage read = { options, 0.0, PROGRESS_READ };
  Stage net = { options, PROGRESS_READ, PROGRESS_NET };
  Stage fit = { options, PROGRESS_NET, 1.0 };
  gint64 clock = g_get_monotonic_time ();

  if (!hz_scene_read (t, scene, size, options->n_threads,
                      options->progress ? stage_progress : NULL, &read,
                      options->cancellable, error))
    return FALSE;
  ctx->timings.read = hz_lap (&clock);

  gsize cn = (gsize) t->content_w * t->content_h;
  gsize rn = (gsize) t->reference_w * t->reference_h;
  if (!ensure (&ctx->net_content, &ctx->cap_content, 3 * cn, error)
      || !ensure (&ctx->net_reference, &ctx->cap_reference, 3 * rn, error)
      || !ensure (&ctx->net_output, &ctx->cap_output, 3 * cn, error)
      || !ensure (&ctx->after, &ctx->cap_after, 3 * cn, error))
    return FALSE;
  to_network (t->content, 3 * cn, ctx->net_content);
  to_network (t->reference, 3 * rn, ctx->net_reference);

  net_options = *options;
  if (options->progress)
    {
      net_options.progress = stage_progress;
      net_options.progress_data = &net;
    }
  if (!hz_net_forward (ctx->model->net, ctx->net_buffers,
                       ctx->net_content, t->content_h, t->content_w,
                       ctx->net_reference, t->reference_h, t->reference_w,
                       ctx->net_output, &net_options, NULL, NULL, error))
    return FALSE;
  ctx->timings.network = hz_lap (&clock);
  if (!stage_report (&fit, 0.0, error))
    return FALSE;

  /* The fit wants the output as R'G'B'; the release's tensor2im: (y + 1) / 2
   * (hz_colormap_fit clamps to [0, 1]). t->content is the "before". */
  for (gsize i = 0; i < 3 * cn; i++)
    ctx->after[i] = (ctx->net_output[i] + 1.0f) * 0.5f;
  if (!hz_colormap_fit (map, t->content, ctx->after, t->mask, cn, HZ_COLORMAP_RIDGE, error))
    return FALSE;
  ctx->timings.fit = hz_lap (&clock);

  ctx->has_run = TRUE;
  return stage_report (&fit, 1.0, error);
}
