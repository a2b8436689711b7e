/* PNG and JPEG reading and writing for the harmonize command-line tool.
 *
 * Images are kept as decoded, in their own integer depth (8 or 16 bits a
 * channel, grey, grey + alpha, RGB or RGBA), so a 24 Mpixel photo costs its
 * own size and no more; rows are converted to floats on demand. Values are
 * the file's encoded values (no gamma or colour-profile conversion). */
#ifndef IMAGEIO_H
#define IMAGEIO_H

#include <glib.h>

#define IMAGEIO_ERROR (imageio_error_quark ())
GQuark imageio_error_quark (void);

typedef enum
{
  IMAGE_FORMAT_UNKNOWN,
  IMAGE_FORMAT_PNG,
  IMAGE_FORMAT_JPEG,
  IMAGE_FORMAT_PFM
} ImageFormat;

typedef struct
{
  int          width, height;
  int          channels;   /* 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA */
  int          depth;      /* 8 or 16 */
  ImageFormat  format;     /* what it was read from */
  gpointer     data;       /* guint8 or guint16 (host order), rows of width * channels */
} Image;

/* PNG (any colour type and depth; palettes, low depths and tRNS expanded) or
 * JPEG (grey or colour), recognised by content. Errors name the file. */
Image      *image_load          (const char   *path,
                                 GError      **error);
void        image_free          (Image        *image);
gboolean    image_has_alpha     (const Image  *image);

/* Row y as width RGBA floats in [0, 1] (grey replicated, A = 1 without alpha). */
void        image_row_rgba      (const Image  *image,
                                 int           y,
                                 float        *rgba);
/* Row y as a mask: the first channel times the alpha channel if any, written
 * to out[x * stride]. */
void        image_row_mask      (const Image  *image,
                                 int           y,
                                 float        *out,
                                 int           stride);

/* By the file name's extension (.png, .jpg/.jpeg, .pfm; case-insensitive). */
ImageFormat image_format_for_path (const char *path);

/* Writes an image row by row into a temporary file beside path, which
 * image_writer_commit renames onto path: nothing appears at path unless
 * every row was written. PNG: 8 or 16 bits, RGB or RGBA; JPEG: 8-bit RGB
 * (alpha dropped) at quality 1..100. */
typedef struct _ImageWriter ImageWriter;

ImageWriter *image_writer_new    (const char   *path,
                                  ImageFormat   format,
                                  int           width,
                                  int           height,
                                  int           channels,
                                  int           depth,
                                  int           quality,
                                  GError      **error);
/* rgba: width RGBA floats, clipped to [0, 1]. */
gboolean     image_writer_row    (ImageWriter  *writer,
                                  const float  *rgba,
                                  GError      **error);
/* Finishes the file; it still lies under its temporary name. */
gboolean     image_writer_finish (ImageWriter  *writer,
                                  GError      **error);
/* Renames a finished file onto its path and frees the writer. */
gboolean     image_writer_commit (ImageWriter  *writer,
                                  GError      **error);
/* Removes the temporary file (if any) and frees the writer. */
void         image_writer_abort  (ImageWriter  *writer);

/* A planar 3 x height x width float image written by a writer: PFM (values
 * as they are) or 16-bit PNG of (v + 1) / 2 (for [-1, 1] data), by format. */
ImageWriter *image_write_planar  (const char   *path,
                                  ImageFormat   format,
                                  const float  *planar,
                                  int           width,
                                  int           height,
                                  GError      **error);

#endif
