/* gimp-harmonize: reference box editor (see hz-box-editor.h).
 *
 * Press outside the box and drag to draw a new one, drag inside it to move
 * it, drag an edge or a corner handle to resize it.
 */
#include <math.h>

#include "hz-box-editor.h"

#define HANDLE_SIZE   7.0   /* widget pixels */
#define GRAB_DISTANCE 6.0   /* how close to an edge a press grabs it */
#define DRAG_START    3.0   /* a press that moves less than this draws no box */

typedef enum
{
  DRAG_NONE,
  DRAG_CREATE,
  DRAG_MOVE,
  DRAG_RESIZE
} DragMode;

enum
{
  EDGE_LEFT   = 1 << 0,
  EDGE_RIGHT  = 1 << 1,
  EDGE_TOP    = 1 << 2,
  EDGE_BOTTOM = 1 << 3
};

struct _HzBoxEditor
{
  GtkDrawingArea  parent_instance;

  GdkPixbuf      *pixbuf;
  int             canvas_x;     /* the canvas in box coordinates */
  int             canvas_y;
  int             canvas_width;
  int             canvas_height;

  int             x, y, width, height;

  DragMode        mode;
  guint           edges;        /* which edges a resize moves */
  double          press_wx;     /* widget coordinates of the press */
  double          press_wy;
  double          press_cx;     /* canvas coordinates of the press */
  double          press_cy;
  int             start_x, start_y, start_width, start_height;
};

enum
{
  PROP_0,
  PROP_BOX_X,
  PROP_BOX_Y,
  PROP_BOX_WIDTH,
  PROP_BOX_HEIGHT,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE (HzBoxEditor, hz_box_editor, GTK_TYPE_DRAWING_AREA)

/* ---- geometry ---------------------------------------------------------------- */

static gboolean
has_box (HzBoxEditor *self)
{
  return self->width > 0 && self->height > 0;
}

/* Where the canvas sits in the widget: scale and top-left corner. */
static gboolean
get_view (HzBoxEditor *self,
          double      *scale,
          double      *ox,
          double      *oy)
{
  GtkWidget *widget = GTK_WIDGET (self);
  double     aw = gtk_widget_get_allocated_width (widget);
  double     ah = gtk_widget_get_allocated_height (widget);

  if (self->canvas_width <= 0 || self->canvas_height <= 0 || aw < 1 || ah < 1)
    return FALSE;

  *scale = MIN (aw / self->canvas_width, ah / self->canvas_height);
  *ox = floor ((aw - self->canvas_width * *scale) / 2);
  *oy = floor ((ah - self->canvas_height * *scale) / 2);
  return TRUE;
}

static void
to_canvas (HzBoxEditor *self,
           double       wx,
           double       wy,
           double      *cx,
           double      *cy)
{
  double scale, ox, oy;

  if (! get_view (self, &scale, &ox, &oy))
    {
      *cx = *cy = 0;
      return;
    }
  *cx = self->canvas_x + (wx - ox) / scale;
  *cy = self->canvas_y + (wy - oy) / scale;
}

/* Which edges of the box a press at (wx, wy) grabs, 0 for none. */
static guint
hit_edges (HzBoxEditor *self,
           double       wx,
           double       wy)
{
  double scale, ox, oy, x0, y0, x1, y1;
  guint  edges = 0;

  if (! has_box (self) || ! get_view (self, &scale, &ox, &oy))
    return 0;

  x0 = ox + (self->x - self->canvas_x) * scale;
  y0 = oy + (self->y - self->canvas_y) * scale;
  x1 = x0 + self->width * scale;
  y1 = y0 + self->height * scale;

  if (wy < y0 - GRAB_DISTANCE || wy > y1 + GRAB_DISTANCE ||
      wx < x0 - GRAB_DISTANCE || wx > x1 + GRAB_DISTANCE)
    return 0;

  /* On a tiny box prefer the nearer edge so that every edge stays reachable. */
  if (fabs (wx - x0) <= GRAB_DISTANCE && fabs (wx - x0) <= fabs (wx - x1))
    edges |= EDGE_LEFT;
  else if (fabs (wx - x1) <= GRAB_DISTANCE)
    edges |= EDGE_RIGHT;

  if (fabs (wy - y0) <= GRAB_DISTANCE && fabs (wy - y0) <= fabs (wy - y1))
    edges |= EDGE_TOP;
  else if (fabs (wy - y1) <= GRAB_DISTANCE)
    edges |= EDGE_BOTTOM;

  return edges;
}

static gboolean
hit_inside (HzBoxEditor *self,
            double       cx,
            double       cy)
{
  return has_box (self) &&
         cx >= self->x && cx < self->x + self->width &&
         cy >= self->y && cy < self->y + self->height;
}

/* ---- box changes ----------------------------------------------------------- */

static void
update_box (HzBoxEditor *self,
            int          x,
            int          y,
            int          width,
            int          height)
{
  GObject *object = G_OBJECT (self);

  g_object_freeze_notify (object);

  if (self->x != x)
    {
      self->x = x;
      g_object_notify_by_pspec (object, props[PROP_BOX_X]);
    }
  if (self->y != y)
    {
      self->y = y;
      g_object_notify_by_pspec (object, props[PROP_BOX_Y]);
    }
  if (self->width != width)
    {
      self->width = width;
      g_object_notify_by_pspec (object, props[PROP_BOX_WIDTH]);
    }
  if (self->height != height)
    {
      self->height = height;
      g_object_notify_by_pspec (object, props[PROP_BOX_HEIGHT]);
    }

  g_object_thaw_notify (object);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Start and end of one side of the box while resizing: the grabbed side
 * follows the pointer, the other stays, at least one pixel apart. */
static void
resize_span (gboolean  low_grabbed,
             gboolean  high_grabbed,
             double    pointer,
             int       limit_lo,
             int       limit_hi,
             int      *start,
             int      *size)
{
  int lo = *start;
  int hi = *start + *size;

  if (low_grabbed)
    lo = CLAMP ((int) lround (pointer), limit_lo, hi - 1);
  else if (high_grabbed)
    hi = CLAMP ((int) lround (pointer), lo + 1, limit_hi);

  *start = lo;
  *size = hi - lo;
}

static void
drag_to (HzBoxEditor *self,
         double       wx,
         double       wy)
{
  double cx, cy;
  int    x = self->start_x, y = self->start_y;
  int    w = self->start_width, h = self->start_height;
  int    left = self->canvas_x, right = self->canvas_x + self->canvas_width;
  int    top = self->canvas_y, bottom = self->canvas_y + self->canvas_height;

  to_canvas (self, wx, wy, &cx, &cy);

  switch (self->mode)
    {
    case DRAG_CREATE:
      {
        double x0, y0, x1, y1;

        if (hypot (wx - self->press_wx, wy - self->press_wy) < DRAG_START)
          return;

        cx = CLAMP (cx, left, right);
        cy = CLAMP (cy, top, bottom);
        x0 = floor (MIN (cx, self->press_cx));
        y0 = floor (MIN (cy, self->press_cy));
        x1 = ceil (MAX (cx, self->press_cx));
        y1 = ceil (MAX (cy, self->press_cy));
        x = x0;
        y = y0;
        w = MAX (1, (int) (x1 - x0));
        h = MAX (1, (int) (y1 - y0));
        x = MIN (x, right - w);
        y = MIN (y, bottom - h);
      }
      break;

    case DRAG_MOVE:
      x = CLAMP (self->start_x + (int) lround (cx - self->press_cx),
                 left, right - w);
      y = CLAMP (self->start_y + (int) lround (cy - self->press_cy),
                 top, bottom - h);
      break;

    case DRAG_RESIZE:
      resize_span (self->edges & EDGE_LEFT, self->edges & EDGE_RIGHT,
                   cx, left, right, &x, &w);
      resize_span (self->edges & EDGE_TOP, self->edges & EDGE_BOTTOM,
                   cy, top, bottom, &y, &h);
      break;

    case DRAG_NONE:
      return;
    }

  update_box (self, x, y, w, h);
}

/* ---- events ------------------------------------------------------------------- */

static const char *
cursor_name (guint edges)
{
  switch (edges)
    {
    case EDGE_LEFT | EDGE_TOP:     return "nw-resize";
    case EDGE_RIGHT | EDGE_TOP:    return "ne-resize";
    case EDGE_LEFT | EDGE_BOTTOM:  return "sw-resize";
    case EDGE_RIGHT | EDGE_BOTTOM: return "se-resize";
    case EDGE_LEFT:                return "w-resize";
    case EDGE_RIGHT:               return "e-resize";
    case EDGE_TOP:                 return "n-resize";
    case EDGE_BOTTOM:              return "s-resize";
    default:                       return "crosshair";
    }
}

static void
update_cursor (HzBoxEditor *self,
               double       wx,
               double       wy)
{
  GdkWindow  *window = gtk_widget_get_window (GTK_WIDGET (self));
  GdkCursor  *cursor;
  const char *name;
  guint       edges;
  double      cx, cy;

  if (! window)
    return;

  edges = hit_edges (self, wx, wy);
  to_canvas (self, wx, wy, &cx, &cy);

  if (self->mode == DRAG_MOVE || (! edges && hit_inside (self, cx, cy)))
    name = "move";
  else
    name = cursor_name (self->mode == DRAG_RESIZE ? self->edges : edges);

  cursor = gdk_cursor_new_from_name (gdk_window_get_display (window), name);
  gdk_window_set_cursor (window, cursor);
  g_clear_object (&cursor);
}

static gboolean
hz_box_editor_button_press (GtkWidget      *widget,
                            GdkEventButton *event)
{
  HzBoxEditor *self = HZ_BOX_EDITOR (widget);

  if (event->button != 1 || event->type != GDK_BUTTON_PRESS ||
      self->canvas_width <= 0 || self->canvas_height <= 0)
    return FALSE;

  self->press_wx = event->x;
  self->press_wy = event->y;
  to_canvas (self, event->x, event->y, &self->press_cx, &self->press_cy);
  self->start_x = self->x;
  self->start_y = self->y;
  self->start_width = self->width;
  self->start_height = self->height;

  self->edges = hit_edges (self, event->x, event->y);
  if (self->edges)
    self->mode = DRAG_RESIZE;
  else if (hit_inside (self, self->press_cx, self->press_cy))
    self->mode = DRAG_MOVE;
  else
    self->mode = DRAG_CREATE;

  gtk_widget_grab_focus (widget);
  return TRUE;
}

static gboolean
hz_box_editor_motion_notify (GtkWidget      *widget,
                             GdkEventMotion *event)
{
  HzBoxEditor *self = HZ_BOX_EDITOR (widget);

  drag_to (self, event->x, event->y);
  update_cursor (self, event->x, event->y);
  return TRUE;
}

static gboolean
hz_box_editor_button_release (GtkWidget      *widget,
                              GdkEventButton *event)
{
  HzBoxEditor *self = HZ_BOX_EDITOR (widget);

  if (event->button != 1 || self->mode == DRAG_NONE)
    return FALSE;

  drag_to (self, event->x, event->y);
  self->mode = DRAG_NONE;
  update_cursor (self, event->x, event->y);
  return TRUE;
}

/* ---- drawing ------------------------------------------------------------------- */

static void
draw_handle (cairo_t *cr,
             double   x,
             double   y)
{
  cairo_rectangle (cr,
                   floor (x - HANDLE_SIZE / 2) + 0.5, floor (y - HANDLE_SIZE / 2) + 0.5,
                   HANDLE_SIZE - 1, HANDLE_SIZE - 1);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_fill_preserve (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
}

static gboolean
hz_box_editor_draw (GtkWidget *widget,
                    cairo_t   *cr)
{
  HzBoxEditor *self = HZ_BOX_EDITOR (widget);
  double       scale, ox, oy, cw, ch;
  double       x0, y0, x1, y1;

  if (! self->pixbuf || ! get_view (self, &scale, &ox, &oy))
    return FALSE;

  cw = self->canvas_width * scale;
  ch = self->canvas_height * scale;

  cairo_save (cr);
  cairo_translate (cr, ox, oy);
  cairo_scale (cr,
               cw / gdk_pixbuf_get_width (self->pixbuf),
               ch / gdk_pixbuf_get_height (self->pixbuf));
  gdk_cairo_set_source_pixbuf (cr, self->pixbuf, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_GOOD);
  cairo_paint (cr);
  cairo_restore (cr);

  if (! has_box (self))
    return FALSE;

  x0 = round (ox + (self->x - self->canvas_x) * scale);
  y0 = round (oy + (self->y - self->canvas_y) * scale);
  x1 = round (ox + (self->x - self->canvas_x + self->width) * scale);
  y1 = round (oy + (self->y - self->canvas_y + self->height) * scale);

  /* Dim everything outside the box. */
  cairo_rectangle (cr, ox, oy, cw, ch);
  cairo_rectangle (cr, x0, y0, x1 - x0, y1 - y0);
  cairo_set_fill_rule (cr, CAIRO_FILL_RULE_EVEN_ODD);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.55);
  cairo_fill (cr);

  cairo_rectangle (cr, x0 + 0.5, y0 + 0.5, x1 - x0 - 1, y1 - y0 - 1);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_line_width (cr, 3);
  cairo_stroke_preserve (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);

  draw_handle (cr, x0, y0);
  draw_handle (cr, x1, y0);
  draw_handle (cr, x0, y1);
  draw_handle (cr, x1, y1);
  draw_handle (cr, (x0 + x1) / 2, y0);
  draw_handle (cr, (x0 + x1) / 2, y1);
  draw_handle (cr, x0, (y0 + y1) / 2);
  draw_handle (cr, x1, (y0 + y1) / 2);

  return FALSE;
}

/* ---- size ---------------------------------------------------------------------- */

static GtkSizeRequestMode
hz_box_editor_get_request_mode (GtkWidget *widget G_GNUC_UNUSED)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
hz_box_editor_get_preferred_width (GtkWidget *widget G_GNUC_UNUSED,
                                   int       *minimum,
                                   int       *natural)
{
  *minimum = 160;
  *natural = 320;
}

static void
hz_box_editor_get_preferred_height_for_width (GtkWidget *widget,
                                              int        width,
                                              int       *minimum,
                                              int       *natural)
{
  HzBoxEditor *self = HZ_BOX_EDITOR (widget);
  int          height = width * 3 / 4;

  if (self->canvas_width > 0 && self->canvas_height > 0)
    height = (int) ((double) width * self->canvas_height / self->canvas_width);

  *minimum = *natural = CLAMP (height, 80, 320);
}

/* ---- object -------------------------------------------------------------------- */

static void
hz_box_editor_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  HzBoxEditor *self = HZ_BOX_EDITOR (object);
  int          x = self->x, y = self->y, w = self->width, h = self->height;

  switch (prop_id)
    {
    case PROP_BOX_X:      x = g_value_get_int (value); break;
    case PROP_BOX_Y:      y = g_value_get_int (value); break;
    case PROP_BOX_WIDTH:  w = g_value_get_int (value); break;
    case PROP_BOX_HEIGHT: h = g_value_get_int (value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  update_box (self, x, y, w, h);
}

static void
hz_box_editor_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  HzBoxEditor *self = HZ_BOX_EDITOR (object);

  switch (prop_id)
    {
    case PROP_BOX_X:      g_value_set_int (value, self->x); break;
    case PROP_BOX_Y:      g_value_set_int (value, self->y); break;
    case PROP_BOX_WIDTH:  g_value_set_int (value, self->width); break;
    case PROP_BOX_HEIGHT: g_value_set_int (value, self->height); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
hz_box_editor_finalize (GObject *object)
{
  HzBoxEditor *self = HZ_BOX_EDITOR (object);

  g_clear_object (&self->pixbuf);

  G_OBJECT_CLASS (hz_box_editor_parent_class)->finalize (object);
}

static void
hz_box_editor_class_init (HzBoxEditorClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->set_property = hz_box_editor_set_property;
  object_class->get_property = hz_box_editor_get_property;
  object_class->finalize = hz_box_editor_finalize;

  widget_class->draw = hz_box_editor_draw;
  widget_class->button_press_event = hz_box_editor_button_press;
  widget_class->motion_notify_event = hz_box_editor_motion_notify;
  widget_class->button_release_event = hz_box_editor_button_release;
  widget_class->get_request_mode = hz_box_editor_get_request_mode;
  widget_class->get_preferred_width = hz_box_editor_get_preferred_width;
  widget_class->get_preferred_height_for_width = hz_box_editor_get_preferred_height_for_width;

  props[PROP_BOX_X] = g_param_spec_int ("box-x", NULL, NULL, G_MININT, G_MAXINT, 0,
                                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                        G_PARAM_STATIC_STRINGS);
  props[PROP_BOX_Y] = g_param_spec_int ("box-y", NULL, NULL, G_MININT, G_MAXINT, 0,
                                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                        G_PARAM_STATIC_STRINGS);
  props[PROP_BOX_WIDTH] = g_param_spec_int ("box-width", NULL, NULL, 0, G_MAXINT, 0,
                                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                            G_PARAM_STATIC_STRINGS);
  props[PROP_BOX_HEIGHT] = g_param_spec_int ("box-height", NULL, NULL, 0, G_MAXINT, 0,
                                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                             G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
hz_box_editor_init (HzBoxEditor *self)
{
  gtk_widget_add_events (GTK_WIDGET (self),
                         GDK_BUTTON_PRESS_MASK | GDK_BUTTON_RELEASE_MASK |
                         GDK_POINTER_MOTION_MASK);
  gtk_widget_set_can_focus (GTK_WIDGET (self), TRUE);
}

GtkWidget *
hz_box_editor_new (void)
{
  return g_object_new (HZ_TYPE_BOX_EDITOR, NULL);
}

void
hz_box_editor_set_canvas (HzBoxEditor *editor,
                          GdkPixbuf   *pixbuf,
                          int          canvas_x,
                          int          canvas_y,
                          int          canvas_width,
                          int          canvas_height)
{
  g_return_if_fail (HZ_IS_BOX_EDITOR (editor));

  g_set_object (&editor->pixbuf, pixbuf);
  editor->canvas_x = canvas_x;
  editor->canvas_y = canvas_y;
  editor->canvas_width = canvas_width;
  editor->canvas_height = canvas_height;
  gtk_widget_queue_resize (GTK_WIDGET (editor));
}
