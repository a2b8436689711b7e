/* gimp-harmonize: a before/after view with a draggable vertical split line.
 *
 * Left of the line shows the "before" picture, right of it the "after"
 * picture (both the same size, scaled to fit). A message, when set, is
 * shown instead of the pictures (e.g. why there is no preview).
 */
#ifndef HZ_SPLIT_VIEW_H
#define HZ_SPLIT_VIEW_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HZ_TYPE_SPLIT_VIEW (hz_split_view_get_type ())
G_DECLARE_FINAL_TYPE (HzSplitView, hz_split_view, HZ, SPLIT_VIEW, GtkDrawingArea)

GtkWidget *hz_split_view_new          (void);

void       hz_split_view_set_pictures (HzSplitView *view,
                                       GdkPixbuf   *before,
                                       GdkPixbuf   *after);
void       hz_split_view_set_message  (HzSplitView *view,
                                       const char  *message);

G_END_DECLS

#endif
