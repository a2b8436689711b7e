/* A test plug-in: test-harmonize-scene takes plug-in-harmonize's arguments
 * and "max-side", builds the scene the plug-in (max-side 0) or the dialog's
 * preview (max-side > 0) would fit, and returns what it holds as JSON:
 * sizes, offsets, box, scale, the mask's mean, the mask-weighted foreground
 * colour and the background's mean colour. plugin_tests.py compares small
 * scenes with full ones through it. With "rebuilds" N, the scene is built
 * N more times with the same background, changing the mask source between
 * "alpha" and the config's as the dialog rebuilds its scene, and "images"
 * says how many images GIMP made meanwhile (each composite of the layers
 * below is a duplicate of the image). */

#include <libgimp/gimp.h>

#include "hz-gimp-scene.h"
#include "hz-procedure.h"

typedef struct { GimpPlugIn parent_instance; } Probe;
typedef struct { GimpPlugInClass parent_class; } ProbeClass;

GType probe_get_type (void) G_GNUC_CONST;
G_DEFINE_TYPE (Probe, probe, GIMP_TYPE_PLUG_IN)
GIMP_MAIN (probe_get_type ())

/* The id the next new image will get (GIMP counts them up). */
static int
next_image_id (void)
{
  GimpImage *image = gimp_image_new (1, 1, GIMP_RGB);
  int        id    = gimp_image_get_id (image);

  gimp_image_delete (image);
  return id + 1;
}

/* Sums over a reader's rows: A, and R, G, B weighted by A (or by 1). */
static gboolean
sums (const HzReader *r,
      gboolean        weighted,
      double          out[4],
      GError        **error)
{
  float *row = g_new (float, (gsize) r->width * 4);
  int    x, y, c;

  out[0] = out[1] = out[2] = out[3] = 0.0;
  for (y = 0; y < r->height; y++)
    {
      if (! r->read (r->user_data, y, 1, row, error))
        {
          g_free (row);
          return FALSE;
        }
      for (x = 0; x < r->width; x++)
        {
          double w = weighted ? row[4 * x + 3] : 1.0;

          for (c = 0; c < 3; c++)
            out[c] += w * row[4 * x + c];
          out[3] += w;
        }
    }
  g_free (row);
  return TRUE;
}

static GimpValueArray *
probe_run (GimpProcedure        *procedure,
           GimpRunMode           run_mode G_GNUC_UNUSED,
           GimpImage            *image,
           GimpDrawable        **drawables G_GNUC_UNUSED,
           GimpProcedureConfig  *config,
           gpointer              run_data G_GNUC_UNUSED)
{
  HzGimpScene      *scene;
  HzGimpBackground *background;
  const HzScene    *s;
  GimpValueArray *values;
  GError         *error = NULL;
  double          fg[4], bg[4];
  int             max_side, rebuilds, first_id, i;
  char           *mask_source;
  gchar          *json;

  gegl_init (NULL, NULL);
  g_object_get (config, "max-side", &max_side, "rebuilds", &rebuilds,
                "mask-source", &mask_source, NULL);

  first_id = next_image_id ();
  background = hz_gimp_background_new (image);
  scene = hz_gimp_scene_new (image, config, background, max_side, &error);
  for (i = 0; scene && i < rebuilds; i++)
    {
      hz_gimp_scene_free (scene);
      g_object_set (config, "mask-source", i % 2 ? mask_source : "alpha", NULL);
      scene = hz_gimp_scene_new (image, config, background, max_side, &error);
    }
  g_free (mask_source);
  if (! scene)
    {
      hz_gimp_background_free (background);
      return gimp_procedure_new_return_values (procedure, GIMP_PDB_EXECUTION_ERROR, error);
    }

  s = hz_gimp_scene_get (scene);
  if (! sums (&s->foreground, TRUE, fg, &error) || ! sums (&s->background, FALSE, bg, &error))
    {
      hz_gimp_scene_free (scene);
      hz_gimp_background_free (background);
      return gimp_procedure_new_return_values (procedure, GIMP_PDB_EXECUTION_ERROR, error);
    }

  json = g_strdup_printf ("{\"scale\": %.9g, \"fg\": [%d, %d], \"bg\": [%d, %d], "
                          "\"offset\": [%d, %d], \"has_box\": %d, \"box\": [%d, %d, %d, %d], "
                          "\"mask_mean\": %.9g, \"fg_colour\": [%.9g, %.9g, %.9g], "
                          "\"bg_colour\": [%.9g, %.9g, %.9g], \"images\": %d}",
                          hz_gimp_scene_get_scale (scene),
                          s->foreground.width, s->foreground.height,
                          s->background.width, s->background.height,
                          s->fg_x, s->fg_y, s->has_box,
                          s->box.x, s->box.y, s->box.width, s->box.height,
                          fg[3] / ((double) s->foreground.width * s->foreground.height),
                          fg[0] / MAX (fg[3], 1e-30), fg[1] / MAX (fg[3], 1e-30),
                          fg[2] / MAX (fg[3], 1e-30),
                          bg[0] / bg[3], bg[1] / bg[3], bg[2] / bg[3],
                          next_image_id () - 1 - first_id);
  hz_gimp_scene_free (scene);
  hz_gimp_background_free (background);

  values = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS, NULL);
  GIMP_VALUES_TAKE_STRING (values, 1, json);
  return values;
}

static GList *
probe_query_procedures (GimpPlugIn *plug_in G_GNUC_UNUSED)
{
  return g_list_append (NULL, g_strdup ("test-harmonize-scene"));
}

static GimpProcedure *
probe_create_procedure (GimpPlugIn  *plug_in,
                        const gchar *name)
{
  GimpProcedure *procedure;

  procedure = gimp_image_procedure_new (plug_in, name, GIMP_PDB_PROC_TYPE_PLUGIN,
                                        probe_run, NULL, NULL);
  gimp_procedure_set_sensitivity_mask (procedure, GIMP_PROCEDURE_SENSITIVE_ALWAYS);
  hz_procedure_add_arguments (procedure);
  gimp_procedure_add_int_argument (procedure, "max-side", "Max side", "0: full resolution",
                                   0, 4096, 0, G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "rebuilds", "Rebuilds",
                                   "Builds of the scene after the first", 0, 100, 0,
                                   G_PARAM_READWRITE);
  gimp_procedure_add_string_return_value (procedure, "scene", "Scene", "JSON",
                                          NULL, G_PARAM_READWRITE);
  return procedure;
}

static void
probe_class_init (ProbeClass *klass)
{
  GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS (klass);

  plug_in_class->query_procedures = probe_query_procedures;
  plug_in_class->create_procedure = probe_create_procedure;
}

static void
probe_init (Probe *probe G_GNUC_UNUSED)
{
}
