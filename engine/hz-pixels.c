/* The engine's reader of an image in memory (HzPixels). */
#include "harmonize.h"

#include <string.h>

static gboolean
read_pixels (gpointer   data,
             int        y,
             int        n_rows,
             float     *rgba,
             GError   **error)
{
  const HzPixels *p = data;
  gsize           row = (gsize) p->width * 4;

  (void) error;
  memcpy (rgba, p->rgba + row * y, row * n_rows * sizeof (float));
  return TRUE;
}

HzReader
hz_reader_from_pixels (const HzPixels *pixels)
{
  return (HzReader) { .width = pixels->width, .height = pixels->height,
                      .read = read_pixels, .user_data = (gpointer) pixels };
}
