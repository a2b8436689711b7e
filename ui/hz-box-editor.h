/* gimp-harmonize: a thumbnail of the background on which the user draws,
 * moves and resizes the reference box.
 *
 * The box lives in canvas (image) coordinates in the "box-x", "box-y",
 * "box-width" and "box-height" properties, so it can be bound to the
 * procedure's config with g_object_bind_property(). A width or height of 0
 * means "no box": the whole background is the reference.
 */
#ifndef HZ_BOX_EDITOR_H
#define HZ_BOX_EDITOR_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HZ_TYPE_BOX_EDITOR (hz_box_editor_get_type ())
G_DECLARE_FINAL_TYPE (HzBoxEditor, hz_box_editor, HZ, BOX_EDITOR, GtkDrawingArea)

GtkWidget *hz_box_editor_new         (void);

/* The picture shown (any size; it is scaled to fit) and the rectangle of
 * the canvas it stands for, in the units of the box. */
void       hz_box_editor_set_canvas  (HzBoxEditor *editor,
                                      GdkPixbuf   *pixbuf,
                                      int          canvas_x,
                                      int          canvas_y,
                                      int          canvas_width,
                                      int          canvas_height);

G_END_DECLS

#endif
