/* gimp-harmonize: live preview worker (see hz-preview.h). */
#include <math.h>

#include "hz-preview.h"

#define READ_CHUNK_ROWS 64

/* ---- in-memory scene ------------------------------------------------------------ */

struct _HzPreviewScene
{
  gint   ref_count;
  int    fg_width, fg_height;
  int    fg_x, fg_y;
  float *fg;              /* R'G'B'A, A = mask */
  int    bg_width, bg_height;
  float *bg;              /* R'G'B'A, A ignored */
};

static gboolean
read_all (const HzReader  *reader,
          float          **rgba,
          GError         **error)
{
  gsize row = (gsize) reader->width * 4;

  if (reader->width <= 0 || reader->height <= 0)
    {
      g_set_error_literal (error, HZ_ERROR, HZ_ERROR_INPUT, "empty preview scene");
      return FALSE;
    }

  *rgba = g_try_new (float, row * reader->height);
  if (! *rgba)
    {
      g_set_error_literal (error, HZ_ERROR, HZ_ERROR_MEMORY, "out of memory");
      return FALSE;
    }

  for (int y = 0; y < reader->height; y += READ_CHUNK_ROWS)
    {
      int n = MIN (READ_CHUNK_ROWS, reader->height - y);

      if (! reader->read (reader->user_data, y, n, *rgba + row * y, error))
        return FALSE;
    }
  return TRUE;
}

HzPreviewScene *
hz_preview_scene_new (const HzScene  *scene,
                      GError        **error)
{
  HzPreviewScene *self = g_new0 (HzPreviewScene, 1);

  self->ref_count = 1;
  self->fg_width = scene->foreground.width;
  self->fg_height = scene->foreground.height;
  self->fg_x = scene->fg_x;
  self->fg_y = scene->fg_y;
  self->bg_width = scene->background.width;
  self->bg_height = scene->background.height;

  if (! read_all (&scene->foreground, &self->fg, error) ||
      ! read_all (&scene->background, &self->bg, error))
    {
      hz_preview_scene_unref (self);
      return NULL;
    }
  return self;
}

HzPreviewScene *
hz_preview_scene_ref (HzPreviewScene *scene)
{
  g_atomic_int_inc (&scene->ref_count);
  return scene;
}

void
hz_preview_scene_unref (HzPreviewScene *scene)
{
  if (scene && g_atomic_int_dec_and_test (&scene->ref_count))
    {
      g_free (scene->fg);
      g_free (scene->bg);
      g_free (scene);
    }
}

static guchar
to_byte (float v)
{
  return (guchar) lrintf (CLAMP (v, 0.0f, 1.0f) * 255.0f);
}

/* The background with fg (the scene's foreground, or its harmonized copy)
 * composited over it through the mask; fg NULL = the background alone. */
static GdkPixbuf *
composite (const HzPreviewScene *s,
           const float          *fg)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8,
                                      s->bg_width, s->bg_height);
  guchar    *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int        stride = gdk_pixbuf_get_rowstride (pixbuf);

  for (int y = 0; y < s->bg_height; y++)
    {
      const float *b = s->bg + (gsize) y * s->bg_width * 4;
      guchar      *out = pixels + (gsize) y * stride;
      int          fy = y - s->fg_y;

      for (int x = 0; x < s->bg_width; x++, b += 4, out += 3)
        {
          int fx = x - s->fg_x;

          if (fg && fy >= 0 && fy < s->fg_height && fx >= 0 && fx < s->fg_width)
            {
              const float *f = fg + ((gsize) fy * s->fg_width + fx) * 4;
              float        a = CLAMP (f[3], 0.0f, 1.0f);

              for (int c = 0; c < 3; c++)
                out[c] = to_byte (b[c] + (f[c] - b[c]) * a);
            }
          else
            {
              for (int c = 0; c < 3; c++)
                out[c] = to_byte (b[c]);
            }
        }
    }
  return pixbuf;
}

GdkPixbuf *
hz_preview_scene_background (HzPreviewScene *scene)
{
  return composite (scene, NULL);
}

/* ---- worker ---------------------------------------------------------------------- */

typedef struct
{
  HzPreviewArgs  args;          /* holds a reference on args.scene */
  GCancellable  *cancellable;
  guint          serial;
} Job;

struct _HzPreview
{
  gint            ref_count;    /* the owner, the worker, undelivered results */
  GThread        *thread;
  GMutex          lock;
  GCond           cond;
  Job            *pending;      /* newest request not yet started */
  GCancellable   *running;      /* the request being computed */
  gboolean        quit;
  char           *weights_path;
  int             n_threads;

  /* main thread only; ready is NULL once the owner freed the preview */
  guint           last_serial;
  HzPreviewReady  ready;
  gpointer        user_data;
};

typedef struct
{
  HzPreview       *preview;
  HzPreviewResult  result;      /* owns its pictures and error */
} Delivery;

static void
job_free (Job *job)
{
  hz_preview_scene_unref (job->args.scene);
  g_object_unref (job->cancellable);
  g_free (job);
}

static void
preview_unref (HzPreview *preview)
{
  if (! g_atomic_int_dec_and_test (&preview->ref_count))
    return;

  g_clear_pointer (&preview->pending, job_free);
  g_mutex_clear (&preview->lock);
  g_cond_clear (&preview->cond);
  g_free (preview->weights_path);
  g_free (preview);
}

static void
result_clear (HzPreviewResult *result)
{
  g_clear_object (&result->before);
  g_clear_object (&result->after);
  g_clear_error (&result->error);
}

static gboolean
deliver (gpointer data)
{
  Delivery  *delivery = data;
  HzPreview *preview = delivery->preview;

  if (preview->ready)
    preview->ready (&delivery->result, preview->user_data);
  return G_SOURCE_REMOVE;
}

static void
delivery_free (gpointer data)
{
  Delivery *delivery = data;

  result_clear (&delivery->result);
  preview_unref (delivery->preview);
  g_free (delivery);
}

/* Hands a result to the main loop, unless its request has been replaced
 * by a newer one (then it is cancelled, and nobody wants it). */
static void
post (HzPreview       *preview,
      Job             *job,
      HzPreviewResult *result)
{
  Delivery *delivery;

  if (g_cancellable_is_cancelled (job->cancellable))
    {
      result_clear (result);
      return;
    }

  delivery = g_new0 (Delivery, 1);
  delivery->preview = preview;
  delivery->result = *result;
  g_atomic_int_inc (&preview->ref_count);
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, deliver, delivery, delivery_free);
}

/* One fit of the job's scene at working_size, composited. */
static void
run_stage (HzPreview       *preview,
           HzContext       *ctx,
           Job             *job,
           int              working_size,
           HzPreviewResult *result)
{
  HzPreviewScene *s = job->args.scene;
  HzPixels        fg_pixels = { s->fg, s->fg_width, s->fg_height };
  HzPixels        bg_pixels = { s->bg, s->bg_width, s->bg_height };
  HzScene         scene = {
    .foreground = hz_reader_from_pixels (&fg_pixels),
    .fg_x = s->fg_x,
    .fg_y = s->fg_y,
    .background = hz_reader_from_pixels (&bg_pixels),
    .has_box = job->args.has_box,
    .box = job->args.box,
  };
  HzOptions       options;
  HzColorMap      map;
  gsize           n = (gsize) s->fg_width * s->fg_height;
  float          *after;

  hz_options_init (&options);
  options.working_size = working_size;
  options.strength = job->args.strength;
  options.cancellable = job->cancellable;
  /* The quick pass is too small to gain from threads, and on a busy machine
   * their hand-overs cost more than they save: it runs on this one. */
  options.n_threads = working_size <= HZ_PREVIEW_QUICK_SIZE ? 1 : preview->n_threads;

  result->working_size = working_size;
  if (! hz_fit_scene (ctx, &scene, &options, &map, &result->error))
    return;

  after = g_memdup2 (s->fg, n * 4 * sizeof (float));
  hz_colormap_apply (&map, job->args.strength, after, n, options.n_threads);
  result->before = composite (s, s->fg);
  result->after = composite (s, after);
  g_free (after);
}

/* A quick result at a small working size first, when the requested one is
 * larger, then the real one. */
static void
run_job (HzPreview *preview,
         HzContext *ctx,
         GError    *load_error,
         Job       *job)
{
  int full = job->args.working_size ? job->args.working_size
             : ctx ? hz_model_working_size (hz_context_model (ctx)) : HZ_WORKING_SIZE_DEFAULT;
  int sizes[2] = { MIN (HZ_PREVIEW_QUICK_SIZE, full), full };

  for (int i = sizes[0] < sizes[1] ? 0 : 1; i < 2; i++)
    {
      HzPreviewResult result = { .serial = job->serial, .final = i == 1 };
      gint64          start = g_get_monotonic_time ();

      if (load_error)
        result.error = g_error_copy (load_error);
      else
        run_stage (preview, ctx, job, sizes[i], &result);
      result.seconds = (g_get_monotonic_time () - start) / 1e6;

      result.final = result.final || result.error != NULL;
      post (preview, job, &result);
      if (result.final)
        break;
    }
}

static gpointer
worker (gpointer data)
{
  HzPreview *preview = data;
  GError    *load_error = NULL;
  HzModel   *model = hz_model_load (preview->weights_path, &load_error);
  HzContext *ctx = model ? hz_context_new (model) : NULL;

  for (;;)
    {
      Job *job;

      g_mutex_lock (&preview->lock);
      while (! preview->pending && ! preview->quit)
        g_cond_wait (&preview->cond, &preview->lock);
      if (preview->quit)
        {
          g_mutex_unlock (&preview->lock);
          break;
        }
      job = preview->pending;
      preview->pending = NULL;
      preview->running = g_object_ref (job->cancellable);
      g_mutex_unlock (&preview->lock);

      run_job (preview, ctx, load_error, job);

      g_mutex_lock (&preview->lock);
      g_clear_object (&preview->running);
      g_mutex_unlock (&preview->lock);
      job_free (job);
    }

  hz_context_free (ctx);
  hz_model_free (model);
  g_clear_error (&load_error);
  preview_unref (preview);
  return NULL;
}

HzPreview *
hz_preview_new (const char     *weights_path,
                int             n_threads,
                HzPreviewReady  ready,
                gpointer        user_data)
{
  HzPreview *preview = g_new0 (HzPreview, 1);

  /* The engine's set-up changes the environment: before the thread starts. */
  hz_init ();

  preview->ref_count = 2;   /* the owner and the worker */
  g_mutex_init (&preview->lock);
  g_cond_init (&preview->cond);
  preview->weights_path = g_strdup (weights_path);
  preview->n_threads = n_threads;
  preview->ready = ready;
  preview->user_data = user_data;
  preview->thread = g_thread_new ("harmonize-preview", worker, preview);
  return preview;
}

guint
hz_preview_request (HzPreview           *preview,
                    const HzPreviewArgs *args)
{
  Job   *job;
  guint  serial;

  g_return_val_if_fail (args->scene != NULL, 0);

  job = g_new0 (Job, 1);
  job->args = *args;
  hz_preview_scene_ref (job->args.scene);
  job->cancellable = g_cancellable_new ();
  job->serial = serial = ++preview->last_serial;

  g_mutex_lock (&preview->lock);
  g_clear_pointer (&preview->pending, job_free);
  preview->pending = job;
  if (preview->running)
    g_cancellable_cancel (preview->running);
  g_cond_signal (&preview->cond);
  g_mutex_unlock (&preview->lock);

  return serial;   /* job belongs to the worker now */
}

void
hz_preview_free (HzPreview *preview)
{
  if (! preview)
    return;

  preview->ready = NULL;

  g_mutex_lock (&preview->lock);
  preview->quit = TRUE;
  if (preview->running)
    g_cancellable_cancel (preview->running);
  g_cond_signal (&preview->cond);
  g_mutex_unlock (&preview->lock);

  g_thread_join (preview->thread);
  preview_unref (preview);
}
