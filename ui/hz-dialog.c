/* gimp-harmonize: the plug-in's dialog (see hz-dialog.h).
 *
 * The standard arguments get GimpProcedureDialog's widgets; the reference
 * box is edited on a thumbnail of the background (HzBoxEditor, bound both
 * ways to box-x/y/width/height) and the result is previewed in an
 * HzSplitView. A change of an argument starts a preview at once when the
 * worker is idle, else as soon as the running one is shown; the preview scene (a
 * small in-memory copy of the foreground, mask and background) is rebuilt
 * on the main loop first if the layers or the mask changed, then the worker
 * thread (HzPreview) fits and composites it.
 */
#include <glib/gi18n-lib.h>
#include <libgimp/gimpui.h>

#include "hz-box-editor.h"
#include "hz-dialog.h"
#include "hz-gimp-scene.h"
#include "hz-preview.h"
#include "hz-split-view.h"

#define PREVIEW_MAX_SIDE 512    /* long side of the preview scene */
#define FIRST_DELAY_MS   100    /* from the dialog's start to its first preview */

typedef struct
{
  GimpProcedureConfig *config;
  GimpImage           *image;
  HzGimpBackground    *background;

  GtkWidget           *box_editor;
  GtkWidget           *split_view;
  GtkWidget           *spinner;

  HzPreview           *preview;
  HzGimpScene         *gimp_scene;  /* NULL: the arguments make no scene */
  HzPreviewScene      *scene;       /* its pixels, shared with the worker */
  char                *scene_error; /* why, when there is no scene */
  gboolean             scene_dirty;

  guint                first_id;       /* the first preview's timer */
  gboolean             change_pending; /* a change waits for the running preview */
  gboolean             computing;      /* the newest request is not done */
  guint                serial;         /* of the newest request */
  HzPreviewArgs        requested;      /* its arguments */
  gboolean             shown;          /* the preview shows them (no message) */
  gint64               changed_at;     /* when the last change came */
  gint64               request_changed_at;  /* that of the newest request */
} Dialog;

/* Arguments whose change means reading the scene's pixels again. */
static const char *const scene_properties[] = {
  "foreground", "mask-source", "mask-channel", "background-source", "background-layer"
};

static const char *const box_properties[] = {
  "box-x", "box-y", "box-width", "box-height"
};

static gboolean
is_one_of (const char        *name,
           const char *const *names,
           gsize              n_names)
{
  for (gsize i = 0; i < n_names; i++)
    if (g_str_equal (name, names[i]))
      return TRUE;
  return FALSE;
}

/* The background's layer, or NULL for the layers below the foreground. */
static GimpLayer *
get_background_layer (Dialog *d)
{
  GimpLayer *layer = NULL;
  char      *source = NULL;

  g_object_get (d->config, "background-source", &source, NULL);
  if (g_strcmp0 (source, "layer") == 0)
    {
      g_object_get (d->config, "background-layer", &layer, NULL);
      /* The plug-in keeps its items alive; drop the config's reference. */
      if (layer)
        g_object_unref (layer);
    }
  g_free (source);
  return layer;
}

/* ---- the background thumbnail -------------------------------------------------- */

static void
update_canvas (Dialog *d)
{
  GimpLayer    *layer = get_background_layer (d);
  GdkRectangle  image = { 0, 0,
                          gimp_image_get_width (d->image),
                          gimp_image_get_height (d->image) };
  GdkRectangle  background = image;
  GdkRectangle  canvas;
  GdkPixbuf    *pixbuf;

  if (layer)
    {
      gimp_drawable_get_offsets (GIMP_DRAWABLE (layer), &background.x, &background.y);
      background.width = gimp_drawable_get_width (GIMP_DRAWABLE (layer));
      background.height = gimp_drawable_get_height (GIMP_DRAWABLE (layer));
    }

  /* The box must lie inside the image: show the part of the background there
   * (for the layers below, that is the image). */
  if (! gdk_rectangle_intersect (&background, &image, &canvas))
    canvas = image;

  if (d->scene)
    {
      /* The scene's background cut to the canvas: where the scene would put
       * a box covering the canvas. */
      HzScene    placed = *hz_gimp_scene_get (d->gimp_scene);
      GdkPixbuf *full = hz_preview_scene_background (d->scene);

      if (hz_gimp_scene_place_box (d->gimp_scene, canvas.x, canvas.y,
                                   canvas.width, canvas.height, &placed, NULL))
        pixbuf = gdk_pixbuf_new_subpixbuf (full, placed.box.x, placed.box.y,
                                           placed.box.width, placed.box.height);
      else
        pixbuf = g_object_ref (full);
      g_object_unref (full);
    }
  else
    {
      /* No scene (the arguments are not valid yet): show what GIMP shows. */
      double s = MIN (1.0, (double) PREVIEW_MAX_SIDE / MAX (canvas.width, canvas.height));
      int    tw = MAX (1, (int) (canvas.width * s));
      int    th = MAX (1, (int) (canvas.height * s));

      if (layer)
        pixbuf = gimp_drawable_get_sub_thumbnail (GIMP_DRAWABLE (layer),
                                                  canvas.x - background.x,
                                                  canvas.y - background.y,
                                                  canvas.width, canvas.height,
                                                  tw, th, GIMP_PIXBUF_SMALL_CHECKS);
      else
        pixbuf = gimp_image_get_thumbnail (d->image, tw, th, GIMP_PIXBUF_SMALL_CHECKS);
    }

  hz_box_editor_set_canvas (HZ_BOX_EDITOR (d->box_editor), pixbuf,
                            canvas.x, canvas.y, canvas.width, canvas.height);
  g_clear_object (&pixbuf);
}

static void
clear_scene (Dialog *d)
{
  g_clear_pointer (&d->scene, hz_preview_scene_unref);
  g_clear_pointer (&d->gimp_scene, hz_gimp_scene_free);
  g_clear_pointer (&d->scene_error, g_free);
}

static void
rebuild_scene (Dialog *d)
{
  GError *error = NULL;
  gint64  start = g_get_monotonic_time ();

  clear_scene (d);

  d->gimp_scene = hz_gimp_scene_new (d->image, d->config, d->background, PREVIEW_MAX_SIDE,
                                     &error);
  if (d->gimp_scene)
    d->scene = hz_preview_scene_new (hz_gimp_scene_get (d->gimp_scene), &error);
  if (! d->scene)
    {
      g_clear_pointer (&d->gimp_scene, hz_gimp_scene_free);
      d->scene_error = g_strdup (error->message);
      g_clear_error (&error);
    }
  d->scene_dirty = FALSE;
  d->shown = FALSE;

  update_canvas (d);
  g_debug ("preview scene read in %.0f ms", (g_get_monotonic_time () - start) / 1e3);
}

/* ---- the preview ---------------------------------------------------------------- */

static void
update_spinner (Dialog *d)
{
  gboolean busy = d->computing || d->change_pending;

  gtk_widget_set_visible (d->spinner, busy);
  g_object_set (d->spinner, "active", busy, NULL);
}

static void
show_message (Dialog     *d,
              const char *message)
{
  hz_split_view_set_message (HZ_SPLIT_VIEW (d->split_view), message);
  d->shown = FALSE;
  g_debug ("preview message: %s", message);
}

static gboolean
same_args (const HzPreviewArgs *a,
           const HzPreviewArgs *b)
{
  return a->scene == b->scene && a->has_box == b->has_box &&
         (! a->has_box || (a->box.x == b->box.x && a->box.y == b->box.y &&
                           a->box.width == b->box.width &&
                           a->box.height == b->box.height)) &&
         a->strength == b->strength && a->working_size == b->working_size;
}

/* Hands the current arguments to the worker, rebuilding the scene first
 * when needed. */
static void
request_preview (Dialog *d)
{
  HzPreviewArgs  args = { 0 };
  HzScene        placed;
  int            x, y, width, height;
  GError        *error = NULL;

  if (d->scene_dirty || ! d->scene)
    rebuild_scene (d);
  if (! d->scene)
    {
      d->computing = FALSE;
      show_message (d, d->scene_error);
      return;
    }

  g_object_get (d->config,
                "strength", &args.strength,
                "working-size", &args.working_size,
                "box-x", &x, "box-y", &y, "box-width", &width, "box-height", &height,
                NULL);

  placed = *hz_gimp_scene_get (d->gimp_scene);
  if (! hz_gimp_scene_place_box (d->gimp_scene, x, y, width, height, &placed, &error))
    {
      d->computing = FALSE;
      show_message (d, error->message);
      g_error_free (error);
      return;
    }
  /* The preview scene is small: a larger working size would only blow it
   * up, at a great cost in time. */
  if (args.working_size)   /* 0: the weights' own, resolved by the preview */
    args.working_size = MIN (args.working_size, PREVIEW_MAX_SIDE);
  args.scene = d->scene;
  args.has_box = placed.has_box;
  args.box = placed.box;

  /* Changes that end where they began, or the rest of several set at once
   * (a box), ask for nothing new. */
  if (d->shown && same_args (&args, &d->requested))
    return;

  d->serial = hz_preview_request (d->preview, &args);
  d->requested = args;
  d->shown = TRUE;
  d->computing = TRUE;
  g_debug ("preview %u requested for the box %d,%d %dx%d", d->serial, x, y, width, height);
  d->request_changed_at = d->changed_at;
}

static gboolean
first_preview (gpointer data)
{
  Dialog *d = data;

  d->first_id = 0;
  d->change_pending = FALSE;
  request_preview (d);
  update_spinner (d);
  return G_SOURCE_REMOVE;
}

/* A change starts a preview at once when the worker is idle; changes that
 * come while it is busy (a drag, a slider) wait for its result, then the
 * newest of them starts: the preview follows a drag as fast as it can be
 * computed, and the last change is shown within two previews' time. */
static void
schedule_preview (Dialog *d)
{
  d->changed_at = g_get_monotonic_time ();

  if (d->computing || d->first_id)
    d->change_pending = TRUE;
  else
    request_preview (d);
  update_spinner (d);
}

static void
preview_ready (const HzPreviewResult *result,
               gpointer               user_data)
{
  Dialog *d = user_data;
  GError *error = result->error;

  /* Results of an older request that finished before it could be cancelled
   * are shown too, while the spinner says that more is coming. */
  if (result->serial == d->serial && result->final)
    d->computing = FALSE;
  update_spinner (d);

  if (error && g_error_matches (error, HZ_ERROR, HZ_ERROR_WEIGHTS))
    {
      char *message = g_strdup_printf (_("No preview: the harmonization weights "
                                         "could not be loaded.\n%s"),
                                       error->message);

      show_message (d, message);
      g_free (message);
    }
  else if (error)
    {
      show_message (d, error->message);
    }
  else
    {
      hz_split_view_set_pictures (HZ_SPLIT_VIEW (d->split_view),
                                  result->before, result->after);
      if (result->serial == d->serial)
        g_debug ("preview %u at working size %d: shown %.0f ms after the change "
                 "(worker %.0f ms)%s",
                 result->serial, result->working_size,
                 (g_get_monotonic_time () - d->request_changed_at) / 1e3,
                 result->seconds * 1e3, result->final ? "" : ", quick pass");
    }

  if (! d->computing && d->change_pending)
    {
      d->change_pending = FALSE;
      request_preview (d);
      update_spinner (d);
    }
}

static void
config_changed (GObject    *config G_GNUC_UNUSED,
                GParamSpec *pspec,
                Dialog     *d)
{
  const char *name = g_param_spec_get_name (pspec);

  if (is_one_of (name, scene_properties, G_N_ELEMENTS (scene_properties)))
    d->scene_dirty = TRUE;
  else if (! is_one_of (name, box_properties, G_N_ELEMENTS (box_properties)) &&
           ! g_str_equal (name, "strength") && ! g_str_equal (name, "working-size"))
    return;

  schedule_preview (d);
}

/* ---- the reference box buttons ------------------------------------------------- */

static gboolean
get_selection_bounds (GimpImage    *image,
                      GdkRectangle *bounds)
{
  gboolean non_empty = FALSE;
  int      x1, y1, x2, y2;

  if (! gimp_selection_bounds (image, &non_empty, &x1, &y1, &x2, &y2) || ! non_empty)
    return FALSE;

  *bounds = (GdkRectangle) { x1, y1, x2 - x1, y2 - y1 };
  return TRUE;
}

static void
box_from_selection (GtkButton *button,
                    Dialog    *d)
{
  GdkRectangle r;

  if (! get_selection_bounds (d->image, &r))
    {
      gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
      return;
    }
  g_object_set (d->config,
                "box-x", r.x, "box-y", r.y, "box-width", r.width, "box-height", r.height,
                NULL);
}

static void
box_whole (GtkButton *button G_GNUC_UNUSED,
           Dialog    *d)
{
  g_object_set (d->config,
                "box-x", 0, "box-y", 0, "box-width", 0, "box-height", 0,
                NULL);
}

/* ---- building the dialog --------------------------------------------------------- */

/* A widget of GimpProcedureDialog's (which holds a reference of its own),
 * packed into our own layout. */
static void
pack_property (GimpProcedureDialog *dialog,
               GtkBox              *box,
               const char          *property,
               GtkWidget           *widget)
{
  if (! widget)
    widget = gimp_procedure_dialog_get_widget (dialog, property, G_TYPE_NONE);
  if (widget)
    gtk_box_pack_start (box, widget, FALSE, FALSE, 0);
}

static void
sensitive_if (GimpProcedureDialog *dialog,
              GimpProcedureConfig *config,
              const char          *property,
              const char          *choice_property,
              const char          *choice)
{
  GimpValueArray *values = gimp_value_array_new (1);
  GValue          value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, choice);
  gimp_value_array_append (values, &value);
  g_value_unset (&value);

  /* It takes values over. */
  gimp_procedure_dialog_set_sensitive_if_in (dialog, property, G_OBJECT (config),
                                             choice_property, values, TRUE);
}

/* Where a widget is on the screen, for tests that drive the dialog with a
 * pointer (G_MESSAGES_DEBUG=harmonize shows it), each time it changes. Its
 * name says which widget it is. */
static void
log_position (GtkWidget *widget)
{
  GdkWindow     *window = gtk_widget_get_window (widget);
  GdkRectangle  *logged = g_object_get_data (G_OBJECT (widget), "hz-logged-position");
  GtkAllocation  where;
  int            x, y;

  if (! window || ! gtk_widget_get_mapped (widget))
    return;

  gtk_widget_get_allocation (widget, &where);
  gdk_window_get_origin (window, &x, &y);
  /* A widget without a window of its own lies in its parent's. */
  if (! gtk_widget_get_has_window (widget))
    {
      x += where.x;
      y += where.y;
    }
  where.x = x;
  where.y = y;
  if (gdk_rectangle_equal (&where, logged))
    return;

  *logged = where;
  g_debug ("%s on the screen at %d,%d size %dx%d", gtk_widget_get_name (widget),
           x, y, where.width, where.height);
}

static void
watch_position (GtkWidget  *widget,
                const char *name)
{
  gtk_widget_set_name (widget, name);
  g_object_set_data_full (G_OBJECT (widget), "hz-logged-position",
                          g_new0 (GdkRectangle, 1), g_free);
  g_signal_connect_after (widget, "map", G_CALLBACK (log_position), NULL);
  g_signal_connect_after (widget, "size-allocate", G_CALLBACK (log_position), NULL);
}

static GtkWidget *
make_reference_frame (Dialog *d)
{
  GtkWidget *frame = gimp_frame_new (_("Reference Region"));
  GtkWidget *vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *button;
  GdkRectangle unused;

  gtk_container_add (GTK_CONTAINER (frame), vbox);

  d->box_editor = hz_box_editor_new ();
  gtk_widget_set_tooltip_text (d->box_editor,
                               _("Drag on the background to choose the part the "
                                 "foreground should match; drag inside the box to "
                                 "move it, drag its edges or corners to resize it."));
  gtk_box_pack_start (GTK_BOX (vbox), d->box_editor, TRUE, TRUE, 0);
  watch_position (d->box_editor, "box editor");
  for (gsize i = 0; i < G_N_ELEMENTS (box_properties); i++)
    g_object_bind_property (d->config, box_properties[i],
                            d->box_editor, box_properties[i],
                            G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);

  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);

  button = gtk_button_new_with_mnemonic (_("From Selectio_n"));
  watch_position (button, "selection button");
  gtk_widget_set_tooltip_text (button, _("Use the bounds of the selection as the box"));
  gtk_widget_set_sensitive (button, get_selection_bounds (d->image, &unused));
  g_signal_connect (button, "clicked", G_CALLBACK (box_from_selection), d);
  gtk_box_pack_start (GTK_BOX (hbox), button, TRUE, TRUE, 0);

  button = gtk_button_new_with_mnemonic (_("_Whole Background"));
  watch_position (button, "whole background button");
  gtk_widget_set_tooltip_text (button, _("Match the whole background (no box)"));
  g_signal_connect (button, "clicked", G_CALLBACK (box_whole), d);
  gtk_box_pack_start (GTK_BOX (hbox), button, TRUE, TRUE, 0);

  return frame;
}

static GtkWidget *
make_settings (GimpProcedureDialog *dialog,
               Dialog              *d)
{
  GtkWidget *vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkBox    *box = GTK_BOX (vbox);

  pack_property (dialog, box, "foreground", NULL);
  pack_property (dialog, box, "mask-source", NULL);
  pack_property (dialog, box, "mask-channel", NULL);
  pack_property (dialog, box, "background-source", NULL);
  pack_property (dialog, box, "background-layer", NULL);
  pack_property (dialog, box, "strength",
                 gimp_procedure_dialog_get_scale_entry (dialog, "strength", 1.0));
  pack_property (dialog, box, "working-size",
                 gimp_procedure_dialog_get_scale_entry (dialog, "working-size", 1.0));

  sensitive_if (dialog, d->config, "mask-channel", "mask-source", "channel");
  sensitive_if (dialog, d->config, "background-layer", "background-source", "layer");

  return vbox;
}

static GtkWidget *
make_preview_frame (Dialog *d)
{
  GtkWidget *frame = gimp_frame_new (_("Preview"));
  GtkWidget *overlay = gtk_overlay_new ();

  d->split_view = hz_split_view_new ();
  gtk_widget_set_tooltip_text (d->split_view,
                               _("Left of the line: the layer as it is; right of it: "
                                 "harmonized. Drag to move the line."));
  gtk_widget_set_hexpand (d->split_view, TRUE);
  gtk_widget_set_vexpand (d->split_view, TRUE);
  watch_position (d->split_view, "split view");
  gtk_container_add (GTK_CONTAINER (overlay), d->split_view);

  d->spinner = gtk_spinner_new ();
  gtk_widget_set_halign (d->spinner, GTK_ALIGN_END);
  gtk_widget_set_valign (d->spinner, GTK_ALIGN_END);
  gtk_widget_set_margin_end (d->spinner, 6);
  gtk_widget_set_margin_bottom (d->spinner, 6);
  gtk_widget_set_size_request (d->spinner, 24, 24);
  gtk_widget_set_no_show_all (d->spinner, TRUE);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), d->spinner);

  gtk_container_add (GTK_CONTAINER (frame), overlay);
  return frame;
}

gboolean
hz_dialog_run (GimpProcedure       *procedure,
               GimpProcedureConfig *config,
               GimpImage           *image,
               HzGimpBackground    *background)
{
  Dialog     d = { 0 };
  GtkWidget *dialog;
  GtkWidget *hbox;
  GtkWidget *left;
  gboolean   ok;
  gulong     handler;

  gimp_ui_init ("harmonize");

  d.config = config;
  d.image = image;
  d.background = background;
  d.scene_dirty = TRUE;

  dialog = gimp_procedure_dialog_new (procedure, config, _("Harmonize"));

  hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  left = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_box_pack_start (GTK_BOX (left), make_reference_frame (&d), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (left), make_settings (GIMP_PROCEDURE_DIALOG (dialog), &d),
                      FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), left, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), make_preview_frame (&d), TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (dialog))),
                      hbox, TRUE, TRUE, 0);
  gtk_widget_show_all (hbox);

  /* The thumbnail at once; the scene and the first preview once the dialog
   * is up. */
  update_canvas (&d);
  d.preview = hz_preview_new (hz_default_weights_path (), gimp_get_num_processors (),
                              preview_ready, &d);
  handler = g_signal_connect (config, "notify", G_CALLBACK (config_changed), &d);
  d.change_pending = TRUE;
  d.changed_at = g_get_monotonic_time ();
  d.first_id = g_timeout_add (FIRST_DELAY_MS, first_preview, &d);
  update_spinner (&d);

  ok = gimp_procedure_dialog_run (GIMP_PROCEDURE_DIALOG (dialog));

  g_signal_handler_disconnect (config, handler);
  if (d.first_id)
    g_source_remove (d.first_id);
  hz_preview_free (d.preview);
  gtk_widget_destroy (dialog);
  clear_scene (&d);

  return ok;
}
