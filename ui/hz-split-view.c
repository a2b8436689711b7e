/* gimp-harmonize: before/after split view (see hz-split-view.h). */
#include <math.h>

#include <glib/gi18n-lib.h>

#include "hz-split-view.h"

#define LABEL_PAD 4.0

struct _HzSplitView
{
  GtkDrawingArea  parent_instance;

  GdkPixbuf      *before;
  GdkPixbuf      *after;
  char           *message;
  double          split;      /* 0..1 of the picture's width */
  gboolean        dragging;
};

G_DEFINE_FINAL_TYPE (HzSplitView, hz_split_view, GTK_TYPE_DRAWING_AREA)

/* Where the pictures sit in the widget. */
static gboolean
get_view (HzSplitView  *self,
          GdkRectangle *rect)
{
  GtkWidget *widget = GTK_WIDGET (self);
  double     aw = gtk_widget_get_allocated_width (widget);
  double     ah = gtk_widget_get_allocated_height (widget);
  double     pw, ph, scale;

  if (! self->before || ! self->after || self->message)
    return FALSE;

  pw = gdk_pixbuf_get_width (self->before);
  ph = gdk_pixbuf_get_height (self->before);
  scale = MIN (aw / pw, ah / ph);

  rect->width = MAX (1, (int) (pw * scale));
  rect->height = MAX (1, (int) (ph * scale));
  rect->x = (aw - rect->width) / 2;
  rect->y = (ah - rect->height) / 2;
  return TRUE;
}

static void
paint_picture (cairo_t            *cr,
               GdkPixbuf          *pixbuf,
               const GdkRectangle *rect)
{
  cairo_save (cr);
  cairo_translate (cr, rect->x, rect->y);
  cairo_scale (cr,
               (double) rect->width / gdk_pixbuf_get_width (pixbuf),
               (double) rect->height / gdk_pixbuf_get_height (pixbuf));
  gdk_cairo_set_source_pixbuf (cr, pixbuf, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_GOOD);
  cairo_paint (cr);
  cairo_restore (cr);
}

/* A small caption in a dark box, at x (left or right aligned) and y. */
static void
draw_caption (GtkWidget  *widget,
              cairo_t    *cr,
              const char *text,
              double      x,
              double      y,
              gboolean    align_right)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  int          tw, th;

  pango_layout_get_pixel_size (layout, &tw, &th);
  if (align_right)
    x -= tw + 2 * LABEL_PAD;

  cairo_rectangle (cr, x, y, tw + 2 * LABEL_PAD, th + 2 * LABEL_PAD);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.6);
  cairo_fill (cr);
  cairo_move_to (cr, x + LABEL_PAD, y + LABEL_PAD);
  cairo_set_source_rgb (cr, 1, 1, 1);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

static void
draw_message (GtkWidget  *widget,
              cairo_t    *cr,
              const char *message)
{
  GtkStyleContext *style = gtk_widget_get_style_context (widget);
  PangoLayout     *layout = gtk_widget_create_pango_layout (widget, message);
  int              aw = gtk_widget_get_allocated_width (widget);
  int              ah = gtk_widget_get_allocated_height (widget);
  int              tw, th;

  pango_layout_set_width (layout, MAX (1, aw - 24) * PANGO_SCALE);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  pango_layout_get_pixel_size (layout, &tw, &th);
  gtk_render_layout (style, cr, (aw - tw) / 2, (ah - th) / 2, layout);
  g_object_unref (layout);
}

static gboolean
hz_split_view_draw (GtkWidget *widget,
                    cairo_t   *cr)
{
  HzSplitView  *self = HZ_SPLIT_VIEW (widget);
  GdkRectangle  rect;
  double        sx;

  if (self->message)
    {
      draw_message (widget, cr, self->message);
      return FALSE;
    }
  if (! get_view (self, &rect))
    return FALSE;

  sx = round (rect.x + self->split * rect.width);

  cairo_save (cr);
  cairo_rectangle (cr, rect.x, rect.y, sx - rect.x, rect.height);
  cairo_clip (cr);
  paint_picture (cr, self->before, &rect);
  cairo_restore (cr);

  cairo_save (cr);
  cairo_rectangle (cr, sx, rect.y, rect.x + rect.width - sx, rect.height);
  cairo_clip (cr);
  paint_picture (cr, self->after, &rect);
  cairo_restore (cr);

  /* The split line, with a grip in its middle. */
  cairo_set_line_width (cr, 3);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.6);
  cairo_move_to (cr, sx + 0.5, rect.y);
  cairo_line_to (cr, sx + 0.5, rect.y + rect.height);
  cairo_stroke (cr);
  cairo_set_line_width (cr, 1);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_move_to (cr, sx + 0.5, rect.y);
  cairo_line_to (cr, sx + 0.5, rect.y + rect.height);
  cairo_stroke (cr);
  cairo_arc (cr, sx + 0.5, rect.y + rect.height / 2.0, 6, 0, 2 * G_PI);
  cairo_fill_preserve (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_stroke (cr);

  cairo_save (cr);
  cairo_rectangle (cr, rect.x, rect.y, rect.width, rect.height);
  cairo_clip (cr);
  /* TRANSLATORS: caption of the left, unchanged half of the preview */
  draw_caption (widget, cr, _("Before"), rect.x + 4, rect.y + 4, FALSE);
  /* TRANSLATORS: caption of the right, harmonized half of the preview */
  draw_caption (widget, cr, _("After"), rect.x + rect.width - 4, rect.y + 4, TRUE);
  cairo_restore (cr);

  return FALSE;
}

static void
move_split (HzSplitView *self,
            double       wx)
{
  GdkRectangle rect;

  if (! get_view (self, &rect))
    return;

  self->split = CLAMP ((wx - rect.x) / rect.width, 0.0, 1.0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
hz_split_view_button_press (GtkWidget      *widget,
                            GdkEventButton *event)
{
  HzSplitView *self = HZ_SPLIT_VIEW (widget);

  if (event->button != 1)
    return FALSE;

  self->dragging = TRUE;
  move_split (self, event->x);
  return TRUE;
}

static gboolean
hz_split_view_motion_notify (GtkWidget      *widget,
                             GdkEventMotion *event)
{
  HzSplitView *self = HZ_SPLIT_VIEW (widget);

  if (self->dragging)
    move_split (self, event->x);
  return TRUE;
}

static gboolean
hz_split_view_button_release (GtkWidget      *widget,
                              GdkEventButton *event)
{
  HzSplitView *self = HZ_SPLIT_VIEW (widget);

  if (event->button != 1)
    return FALSE;

  self->dragging = FALSE;
  return TRUE;
}

static void
hz_split_view_realize (GtkWidget *widget)
{
  GdkCursor *cursor;

  GTK_WIDGET_CLASS (hz_split_view_parent_class)->realize (widget);

  cursor = gdk_cursor_new_from_name (gtk_widget_get_display (widget), "col-resize");
  gdk_window_set_cursor (gtk_widget_get_window (widget), cursor);
  g_clear_object (&cursor);
}

static void
hz_split_view_get_preferred_width (GtkWidget *widget G_GNUC_UNUSED,
                                   int       *minimum,
                                   int       *natural)
{
  *minimum = 200;
  *natural = 400;
}

static void
hz_split_view_get_preferred_height (GtkWidget *widget G_GNUC_UNUSED,
                                    int       *minimum,
                                    int       *natural)
{
  *minimum = 150;
  *natural = 300;
}

static void
hz_split_view_finalize (GObject *object)
{
  HzSplitView *self = HZ_SPLIT_VIEW (object);

  g_clear_object (&self->before);
  g_clear_object (&self->after);
  g_free (self->message);

  G_OBJECT_CLASS (hz_split_view_parent_class)->finalize (object);
}

static void
hz_split_view_class_init (HzSplitViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = hz_split_view_finalize;

  widget_class->draw = hz_split_view_draw;
  widget_class->realize = hz_split_view_realize;
  widget_class->button_press_event = hz_split_view_button_press;
  widget_class->motion_notify_event = hz_split_view_motion_notify;
  widget_class->button_release_event = hz_split_view_button_release;
  widget_class->get_preferred_width = hz_split_view_get_preferred_width;
  widget_class->get_preferred_height = hz_split_view_get_preferred_height;
}

static void
hz_split_view_init (HzSplitView *self)
{
  self->split = 0.5;
  gtk_widget_add_events (GTK_WIDGET (self),
                         GDK_BUTTON_PRESS_MASK | GDK_BUTTON_RELEASE_MASK |
                         GDK_BUTTON1_MOTION_MASK);
}

GtkWidget *
hz_split_view_new (void)
{
  return g_object_new (HZ_TYPE_SPLIT_VIEW, NULL);
}

void
hz_split_view_set_pictures (HzSplitView *view,
                            GdkPixbuf   *before,
                            GdkPixbuf   *after)
{
  g_return_if_fail (HZ_IS_SPLIT_VIEW (view));

  g_set_object (&view->before, before);
  g_set_object (&view->after, after);
  g_clear_pointer (&view->message, g_free);
  gtk_widget_queue_draw (GTK_WIDGET (view));
}

void
hz_split_view_set_message (HzSplitView *view,
                           const char  *message)
{
  g_return_if_fail (HZ_IS_SPLIT_VIEW (view));

  g_free (view->message);
  view->message = g_strdup (message);
  gtk_widget_queue_draw (GTK_WIDGET (view));
}
