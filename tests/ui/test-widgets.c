/* The dialog's own widgets driven with synthetic pointer events (needs a
 * display: run under Xvfb; skipped without one): the reference box editor
 * (draw, move, resize, clamping, canvas origin, dimming) and the before/after
 * split view (pictures on each side of the line, dragging the line). */
#include <gtk/gtk.h>

#include "hz-box-editor.h"
#include "hz-split-view.h"

/* The editor below shows an 800 x 600 canvas at half size. */
#define VIEW_W 400
#define VIEW_H 300

static void
send_button (GtkWidget *widget,
             GdkEventType type,
             double       x,
             double       y)
{
  GdkEvent *event = gdk_event_new (type);

  event->button.window = g_object_ref (gtk_widget_get_window (widget));
  event->button.button = 1;
  event->button.x = x;
  event->button.y = y;
  gdk_event_set_device (event, gdk_seat_get_pointer (gdk_display_get_default_seat (
                                 gtk_widget_get_display (widget))));
  gtk_widget_event (widget, event);
  gdk_event_free (event);
}

static void
send_motion (GtkWidget *widget,
             double     x,
             double     y)
{
  GdkEvent *event = gdk_event_new (GDK_MOTION_NOTIFY);

  event->motion.window = g_object_ref (gtk_widget_get_window (widget));
  event->motion.x = x;
  event->motion.y = y;
  event->motion.state = GDK_BUTTON1_MASK;
  gdk_event_set_device (event, gdk_seat_get_pointer (gdk_display_get_default_seat (
                                 gtk_widget_get_display (widget))));
  gtk_widget_event (widget, event);
  gdk_event_free (event);
}

/* Press at (x0, y0), move in a few steps to (x1, y1), release there. */
static void
drag (GtkWidget *widget,
      double     x0,
      double     y0,
      double     x1,
      double     y1)
{
  send_button (widget, GDK_BUTTON_PRESS, x0, y0);
  for (int i = 1; i <= 4; i++)
    send_motion (widget, x0 + (x1 - x0) * i / 4, y0 + (y1 - y0) * i / 4);
  send_button (widget, GDK_BUTTON_RELEASE, x1, y1);
}

static void
assert_box (GtkWidget *editor,
            int        x,
            int        y,
            int        width,
            int        height)
{
  int bx, by, bw, bh;

  g_object_get (editor, "box-x", &bx, "box-y", &by, "box-width", &bw, "box-height", &bh, NULL);
  if (bx != x || by != y || bw != width || bh != height)
    g_error ("box is %d,%d %dx%d, expected %d,%d %dx%d", bx, by, bw, bh, x, y, width, height);
}

static GdkPixbuf *
solid (int    width,
       int    height,
       guint32 rgba)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, width, height);

  gdk_pixbuf_fill (pixbuf, rgba);
  return pixbuf;
}

/* The widget drawn into an image surface, and one of its pixels. */
static guint32
pixel_at (GtkWidget *widget,
          int        x,
          int        y)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
                                                         gtk_widget_get_allocated_width (widget),
                                                         gtk_widget_get_allocated_height (widget));
  cairo_t         *cr = cairo_create (surface);
  guint32          value;

  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_paint (cr);
  gtk_widget_draw (widget, cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  value = *(guint32 *) (cairo_image_surface_get_data (surface) +
                        y * cairo_image_surface_get_stride (surface) + x * 4) & 0xffffff;
  cairo_surface_destroy (surface);
  return value;
}

static GtkWidget *
show_in_window (GtkWidget *widget)
{
  GtkWidget *window = gtk_window_new (GTK_WINDOW_TOPLEVEL);

  gtk_widget_set_size_request (widget, VIEW_W, VIEW_H);
  gtk_container_add (GTK_CONTAINER (window), widget);
  gtk_widget_show_all (window);
  while (gtk_widget_get_allocated_width (widget) != VIEW_W ||
         gtk_widget_get_allocated_height (widget) != VIEW_H ||
         ! gtk_widget_get_window (widget))
    gtk_main_iteration ();
  return window;
}

static void
test_box_editor (void)
{
  GtkWidget *editor = hz_box_editor_new ();
  GtkWidget *window;
  GdkPixbuf *grey = solid (80, 60, 0xc8c8c8ff);
  guint32    inside, outside;

  hz_box_editor_set_canvas (HZ_BOX_EDITOR (editor), grey, 0, 0, 800, 600);
  window = show_in_window (editor);
  assert_box (editor, 0, 0, 0, 0);

  /* Draw a box; a click that hardly moves leaves it alone. */
  drag (editor, 50, 50, 150, 100);
  assert_box (editor, 100, 100, 200, 100);
  drag (editor, 300, 250, 301, 250);
  assert_box (editor, 100, 100, 200, 100);

  /* Inside the box is as it is, outside is dimmed. */
  inside = pixel_at (editor, 100, 75);
  outside = pixel_at (editor, 300, 250);
  if ((inside & 0xff) != 0xc8 || (outside & 0xff) >= 0x70)
    g_error ("inside %06x and outside %06x of the box: expected c8c8c8 and dimmed",
             inside, outside);

  /* Move it by dragging inside, resize it by its bottom-right corner. */
  drag (editor, 100, 75, 120, 85);
  assert_box (editor, 140, 120, 200, 100);
  drag (editor, 170, 110, 190, 140);
  assert_box (editor, 140, 120, 240, 160);

  /* Moving stops at the canvas' edges; an edge dragged past the opposite
   * one stops one pixel before it. */
  drag (editor, 150, 100, 1000, 1000);
  assert_box (editor, 560, 440, 240, 160);
  drag (editor, 280, 260, 500, 260);
  assert_box (editor, 799, 440, 1, 160);

  /* The box and the canvas in image coordinates with an origin. */
  g_object_set (editor, "box-width", 0, "box-height", 0, NULL);
  hz_box_editor_set_canvas (HZ_BOX_EDITOR (editor), grey, 100, 50, 800, 600);
  drag (editor, 0, 0, 40, 20);
  assert_box (editor, 100, 50, 80, 40);

  gtk_widget_destroy (window);
  g_object_unref (grey);
}

static void
test_split_view (void)
{
  GtkWidget *view = hz_split_view_new ();
  GtkWidget *window = show_in_window (view);
  GdkPixbuf *red = solid (40, 30, 0xff0000ff);
  GdkPixbuf *blue = solid (40, 30, 0x0000ffff);

  hz_split_view_set_pictures (HZ_SPLIT_VIEW (view), red, blue);
  /* Before on the left, after on the right (away from the captions). */
  if (pixel_at (view, 100, 250) != 0xff0000 || pixel_at (view, 300, 250) != 0x0000ff)
    g_error ("split view: %06x | %06x, expected ff0000 | 0000ff",
             pixel_at (view, 100, 250), pixel_at (view, 300, 250));

  drag (view, 200, 150, 50, 150);
  if (pixel_at (view, 100, 250) != 0x0000ff || pixel_at (view, 30, 250) != 0xff0000)
    g_error ("split view after dragging the line to 50: %06x at 30, %06x at 100",
             pixel_at (view, 30, 250), pixel_at (view, 100, 250));

  hz_split_view_set_message (HZ_SPLIT_VIEW (view), "no preview");
  if (pixel_at (view, 30, 250) == 0xff0000 || pixel_at (view, 300, 250) == 0x0000ff)
    g_error ("split view still shows the pictures with a message set");

  gtk_widget_destroy (window);
  g_object_unref (red);
  g_object_unref (blue);
}

int
main (int    argc,
      char **argv)
{
  if (! gtk_init_check (&argc, &argv))
    {
      g_print ("SKIP: no display\n");
      return 77;
    }
  test_box_editor ();
  test_split_view ();
  g_print ("widgets: ok\n");
  return 0;
}
