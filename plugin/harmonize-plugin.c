/* gimp-harmonize: the procedure plug-in-harmonize (see harmonize-plugin.h). */

#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "harmonize-plugin.h"
#include "harmonize.h"
#include "hz-gimp-result.h"
#include "hz-gimp-scene.h"
#include "hz-procedure.h"

#define PLUG_IN_PROC   HZ_PROCEDURE_NAME

/* Bytes of pixel tiles the plug-in keeps at first (see harmonize_run): the
 * layer's pass raises it to what it needs (write_pixels in
 * hz-gimp-result.c); more only faults in more pages (128 MB made a
 * 6000x4000 float foreground's run peak at 221 MB with 51,600 page faults,
 * 32 MB at 124 MB with 27,000: bench-6000x4000.sh with HZ_BENCH_AGAINST;
 * README's Speed section). */
#define TILE_CACHE_SIZE (8 << 20)

/* The share of the progress bar the fit takes; writing the layer the rest. */
#define FIT_PROGRESS 0.85

static gboolean
progress_cb (double   fraction,
             gpointer user_data G_GNUC_UNUSED)
{
  /* GIMP stops the plug-in itself when the user cancels its progress; a
   * failed update means the progress is gone. */
  return gimp_progress_update (fraction * FIT_PROGRESS);
}

/* Every tile libgimp brings from GIMP is copied into fresh memory, and a
 * large layer's tiles pass through the plug-in's small tile cache
 * (TILE_CACHE_SIZE). GEGL's tile allocator frees its blocks of tiles and
 * trims the heap, and glibc's free gives memory back to the system, so that
 * each tile's pages were faulted in (and zeroed) again. With GEGL's plain
 * allocation and glibc keeping what is freed for the next tiles, a
 * 6000x4000 float foreground's run made 50,100 page faults (with the 128 MB
 * cache of then), not 128,000 to 165,000, and took a median 2.61 s, not
 * 3.34 (`HZ_BENCH_FOREGROUND=6000x4000 tests/plugin/bench-6000x4000.sh build
 * FLOAT_LINEAR`, README); peak memory unchanged. Before GEGL starts and
 * threads run (the environment). */
static void
keep_freed_memory (void)
{
#ifdef __GLIBC__
  mallopt (M_TRIM_THRESHOLD, 256 << 20);
  mallopt (M_MMAP_THRESHOLD, 16 << 20);
#endif
  g_setenv ("GEGL_TILE_ALLOC", "0", TRUE);
}

/* The scene the colour mapping is fitted on: for a large image, GIMP's
 * downscaled copy (FIT_SIDE pixels long at most), when that is still
 * FIT_OVERSAMPLE times the working size: the network's working-size
 * thumbnails made from it are close to those made from every pixel, and the
 * copy costs GIMP milliseconds where reading every pixel of the layers
 * through the plug-in protocol takes most of a second. NULL (use the full
 * scene) for images that are no larger, larger working sizes (0: not known
 * yet, see copy_is_enough), or on error; after the fit, copy_was_enough
 * checks the object's own share of the copy. */
#define FIT_SIDE       1024
#define FIT_OVERSAMPLE 4

static gboolean
copy_is_enough (int working_size)
{
  return working_size * FIT_OVERSAMPLE <= FIT_SIDE;
}

/* Whether the fit on the copy had FIT_OVERSAMPLE of the copy's pixels for
 * each of the content's along the long side of its region: a small object
 * in a large image has few, and the fit on them strays from the one on
 * every pixel (the plug-in test small-object: by 10/255 with the test
 * weights, 61/255 with the shipped ones, a 400x300 object in a 3000x2000
 * image, where the full scene gives the CLI's result to 1/255). */
static gboolean
copy_was_enough (const HzContext *ctx,
                 int              working_size)
{
  HzRect region = hz_context_content_region (ctx);

  return MAX (region.width, region.height) >= working_size * FIT_OVERSAMPLE;
}

static HzGimpScene *
fitting_scene (GimpImage           *image,
               GimpProcedureConfig *config,
               HzGimpBackground    *background,
               int                  working_size)
{
  if (MAX (gimp_image_get_width (image), gimp_image_get_height (image)) <= FIT_SIDE ||
      ! copy_is_enough (working_size))
    return NULL;
  return hz_gimp_scene_new (image, config, background, FIT_SIDE, NULL);
}

/* The model, loaded on a thread of its own while the main thread talks to
 * GIMP (libgimp's calls stay on the main thread). */
typedef struct
{
  HzModel *model;
  GError  *error;
} ModelLoad;

static gpointer
load_model (gpointer data)
{
  ModelLoad *load = data;

  load->model = hz_model_load (hz_default_weights_path (), &load->error);
  return NULL;
}

static GimpLayer *
harmonize_image (GimpImage            *image,
                 GimpProcedureConfig  *config,
                 HzGimpBackground     *background,
                 GError              **error)
{
  HzGimpScene *scene, *small = NULL;
  HzModel     *model;
  HzContext   *ctx;
  HzOptions    options;
  HzColorMap   map;
  GimpLayer   *layer = NULL;
  GError      *local = NULL;
  ModelLoad    load = { NULL, NULL };
  GThread     *loader;
  gboolean     ok, fitted_small = FALSE;
  gint64       clock = g_get_monotonic_time ();
  double       t_scenes, t_load, t_write = 0;
  HzTimings    t_fit = { 0 };
  HzGimpResultTimes t_layer = { 0 };

  hz_options_init (&options);
  g_object_get (config,
                "strength",     &options.strength,
                "working-size", &options.working_size,
                NULL);
  options.progress = progress_cb;
  /* Edit > Preferences > System Resources > Number of threads to use. */
  options.n_threads = gimp_get_num_processors ();
  g_debug ("harmonizing on %d threads", options.n_threads);

  loader = g_thread_new ("hz-load", load_model, &load);

  /* Before the progress: compositing a background shows its own. */
  scene = hz_gimp_scene_new (image, config, background, 0, &local);
  gimp_progress_init (_("Harmonizing"));
  /* The small scene while the model loads: for the weights' own working
   * size (0) it is checked against theirs after. */
  if (scene)
    small = fitting_scene (image, config, background, options.working_size);
  t_scenes = hz_lap (&clock);
  g_thread_join (loader);
  t_load = hz_lap (&clock);   /* what the load took beyond the above */
  model = load.model;
  if (! model)
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS,
                   _("Could not load the harmonization model: %s"), load.error->message);
      g_error_free (load.error);
      g_clear_error (&local);
      g_clear_pointer (&small, hz_gimp_scene_free);
      g_clear_pointer (&scene, hz_gimp_scene_free);
    }
  else if (! scene)
    g_propagate_error (error, g_steal_pointer (&local));
  else if (small && ! options.working_size && ! copy_is_enough (hz_model_working_size (model)))
    g_clear_pointer (&small, hz_gimp_scene_free);

  if (scene)
    {
      ctx = hz_context_new (model);
      ok = small && hz_fit_scene (ctx, hz_gimp_scene_get (small), &options, &map, &local)
           && copy_was_enough (ctx, options.working_size ? options.working_size
                                                         : hz_model_working_size (model));
      /* No small scene, its 8-bit thumbnails lost a faint mask, or it held
       * too few of the object's pixels: every pixel. */
      if (! ok && ! g_error_matches (local, HZ_ERROR, HZ_ERROR_CANCELLED))
        {
          g_clear_error (&local);
          g_clear_pointer (&small, hz_gimp_scene_free);
          hz_gimp_scene_hold_tile_rows (scene);
          ok = hz_fit_scene (ctx, hz_gimp_scene_get (scene), &options, &map, &local);
        }
      if (! ok)
        {
          g_propagate_prefixed_error (error, local, _("Harmonization failed: "));
          local = NULL;
        }
      if (ok)
        hz_context_timings (ctx, &t_fit);
      fitted_small = small != NULL;
      /* What the fit needed (the network's buffers, the weights, the small
       * scene) goes before the layer pass allocates its chunks, which can
       * then take those pages again rather than fresh ones. */
      hz_context_free (ctx);
      g_clear_pointer (&small, hz_gimp_scene_free);
      g_clear_pointer (&model, hz_model_free);
      if (ok)
        {
          hz_lap (&clock);
          layer = hz_gimp_result_insert (image, scene, &map, options.strength,
                                         options.n_threads, FIT_PROGRESS, &t_layer, error);
          t_write = hz_lap (&clock);
        }
      hz_gimp_scene_free (scene);
    }

  hz_model_free (model);
  gimp_progress_end ();
  if (layer && g_getenv ("HARMONIZE_TIMING"))
    g_printerr ("gimp-harmonize: seconds: scenes %.3f (the weights loading meanwhile), weights "
                "%.3f more, read %.3f, network %.3f, fit %.3f, layer %.3f (masks %.3f, pixels %.3f, "
                "waiting for the mapping %.3f, writing %.3f, flush %.3f) (fitted on %s)\n",
                t_scenes, t_load, t_fit.read, t_fit.network, t_fit.fit, t_write, t_layer.mask,
                t_layer.pixels, t_layer.mapping, t_layer.write, t_layer.flush,
                fitted_small ? "GIMP's downscaled copy" : "the full image");
  return layer;
}

/* In interactive runs the foreground is the layer the user picked the
 * procedure on, and items remembered from another image are dropped. */
static void
fit_config_to_image (GimpProcedureConfig *config,
                     GimpImage           *image,
                     GimpDrawable        *drawable,
                     gboolean             interactive)
{
  static const char *items[] = { "foreground", "mask-channel", "background-layer" };
  GimpLayer         *layer   = NULL;
  guint              i;

  for (i = 0; i < G_N_ELEMENTS (items); i++)
    {
      GimpItem *item = NULL;

      g_object_get (config, items[i], &item, NULL);
      if (item && gimp_image_get_id (gimp_item_get_image (item)) != gimp_image_get_id (image))
        g_object_set (config, items[i], NULL, NULL);
      g_clear_object (&item);
    }

  if (GIMP_IS_LAYER_MASK (drawable))
    layer = gimp_layer_from_mask (GIMP_LAYER_MASK (drawable));
  else if (GIMP_IS_LAYER (drawable))
    layer = GIMP_LAYER (drawable);

  if (layer)
    {
      GimpItem *foreground = NULL;

      g_object_get (config, "foreground", &foreground, NULL);
      if (interactive || ! foreground)
        g_object_set (config, "foreground", layer, NULL);
      g_clear_object (&foreground);
    }
}

static GimpValueArray *
harmonize_run (GimpProcedure        *procedure,
               GimpRunMode           run_mode,
               GimpImage            *image,
               GimpDrawable        **drawables,
               GimpProcedureConfig  *config,
               gpointer              run_data)
{
  HzDialogFunc      dialog = *(HzDialogFunc *) run_data;
  GimpValueArray   *values;
  GimpLayer        *layer;
  HzGimpBackground *background;
  GError           *error = NULL;

  /* Before the dialog or GEGL start threads: it sets the environment. */
  hz_init ();
  keep_freed_memory ();

  if (gimp_core_object_array_get_length ((GObject **) drawables) != 1)
    {
      g_set_error (&error, GIMP_PLUG_IN_ERROR, 0,
                   _("Procedure '%s' only works with one drawable."), PLUG_IN_PROC);
      return gimp_procedure_new_return_values (procedure, GIMP_PDB_CALLING_ERROR, error);
    }

  /* The plug-in uses GEGL's buffers, none of its operations, which gegl_init
   * loads from every module of GEGL's folder (47 in Debian 13) unless
   * GEGL_PATH names none: an 8-bit run's median 0.33 -> 0.26 s
   * (bench-6000x4000.sh with HZ_BENCH_AGAINST; README's Speed section). */
  g_setenv ("GEGL_PATH", "", TRUE);
  gegl_init (NULL, NULL);
  /* Every layer is read a row chunk at a time: a small tile cache keeps the
   * plug-in's memory flat (GIMP hands plug-ins its own, larger, size). */
  g_object_set (gegl_config (), "tile-cache-size", (guint64) TILE_CACHE_SIZE, NULL);

  fit_config_to_image (config, image, drawables[0], run_mode != GIMP_RUN_NONINTERACTIVE);

  /* The dialog's previews and the run share the background. */
  background = hz_gimp_background_new (image);
  if (run_mode == GIMP_RUN_INTERACTIVE &&
      ! dialog (procedure, config, image, background))
    {
      hz_gimp_background_free (background);
      return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL, NULL);
    }

  layer = harmonize_image (image, config, background, &error);
  hz_gimp_background_free (background);
  if (! layer)
    return gimp_procedure_new_return_values (procedure, GIMP_PDB_EXECUTION_ERROR, error);

  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();

  values = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS, NULL);
  GIMP_VALUES_SET_LAYER (values, 1, layer);
  return values;
}

GimpProcedure *
hz_harmonize_procedure_new (GimpPlugIn   *plug_in,
                            HzDialogFunc  dialog)
{
  GimpProcedure *procedure;
  HzDialogFunc  *run_data = g_new (HzDialogFunc, 1);

  *run_data = dialog;
  procedure = gimp_image_procedure_new (plug_in, PLUG_IN_PROC, GIMP_PDB_PROC_TYPE_PLUGIN,
                                        harmonize_run, run_data, g_free);

  gimp_procedure_set_image_types (procedure, "RGB*");
  gimp_procedure_set_sensitivity_mask (procedure, GIMP_PROCEDURE_SENSITIVE_DRAWABLE);
  gimp_procedure_set_menu_label (procedure, _("_Harmonize…"));
  gimp_procedure_add_menu_path (procedure, "<Image>/Colors");
  gimp_procedure_set_documentation
    (procedure,
     _("Match a layer's colours to the background it was pasted on"),
     _("Adds a copy of the foreground layer whose colours are adjusted to "
       "look as if it had been photographed with the background, using the "
       "SSH harmonization network (Jiang et al., ICCV 2021). The reference "
       "box chooses the part of the background to match."),
     PLUG_IN_PROC);
  gimp_procedure_set_attribution (procedure, "gimp-harmonize authors",
                                  "gimp-harmonize authors", "2025");

  hz_procedure_add_arguments (procedure);
  gimp_procedure_add_layer_return_value (procedure, "harmonized-layer",
                                         _("Harmonized layer"),
                                         _("The new layer"),
                                         FALSE, G_PARAM_READWRITE);
  return procedure;
}
