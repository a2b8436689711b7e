/* PNG and JPEG reading and writing for the harmonize command-line tool.
 *
 * Images are kept as decoded, in their own integer depth (8 or 16 bits a
 * channel, grey, grey + alpha, RGB or RGBA), so a 24 Mpixel photo costs its
 * own size and no more; rows are converted to floats on demand. Values are
 * the file's encoded values (no gamma or colour-profile conversion). */
#ifndef IMAGEIO_H
#define IMAGEIO_H

#include <glib.h>
#include <stdio.h>

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

/* The most pixels an image may have by default: 2^28, 2 GiB as 16-bit RGBA. */
#define IMAGE_MAX_PIXELS_DEFAULT (G_GUINT64_CONSTANT (1) << 28)
/* The most --max-pixels may raise it to (PNG and JPEG sizes stay far below). */
#define IMAGE_MAX_PIXELS_LIMIT   (G_GUINT64_CONSTANT (1) << 40)

/* PNG (any colour type and depth; palettes, low depths and tRNS expanded) or
 * JPEG (grey or colour), recognised by content, from a file or a pipe. An
 * image of more than max_pixels (at most IMAGE_MAX_PIXELS_LIMIT) pixels is
 * refused before it is decoded, naming its size; damaged image data is an
 * error (libpng's errors, and libjpeg's warnings of corrupt or missing data,
 * where it would fill in grey). Errors name the file. */
Image      *image_load          (const char   *path,
                                 guint64       max_pixels,
                                 GError      **error);
/* The same from an open stream that can seek; name is for the messages. */
Image      *image_read          (FILE         *file,
                                 const char   *name,
                                 guint64       max_pixels,
                                 GError      **error);
void        image_free          (Image        *image);
gboolean    image_has_alpha     (const Image  *image);

/* Row y as stored: width * channels samples of depth bits. */
const guint8 *image_row_data    (const Image  *image,
                                 int           y);
/* Row y as width RGBA floats in [0, 1] (grey replicated, A = 1 without alpha). */
void        image_row_rgba      (const Image  *image,
                                 int           y,
                                 float        *rgba);
/* The same for the n pixels of row y from column x. */
void        image_span_rgba     (const Image  *image,
                                 int           y,
                                 int           x,
                                 int           n,
                                 float        *rgba);
/* The n pixels of row y from column x as a mask: the first channel times
 * the alpha channel if any. */
void        image_span_mask     (const Image  *image,
                                 int           y,
                                 int           x,
                                 int           n,
                                 float        *out);
/* The same pixels' alpha channel (1 without one). */
void        image_span_alpha    (const Image  *image,
                                 int           y,
                                 int           x,
                                 int           n,
                                 float        *out);

/* By the file name's extension (.png, .jpg/.jpeg, .pfm; case-insensitive). */
ImageFormat image_format_for_path (const char *path);

/* Writes an image row by row to file (which stays the caller's; path names
 * it in messages). PNG: 8 or 16 bits, RGB or RGBA; JPEG: 8-bit RGB (alpha
 * dropped) at quality 1..100. */
typedef struct _ImageWriter ImageWriter;

ImageWriter *image_writer_new    (FILE         *file,
                                  const char   *path,
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
/* Whether the writer's rows are laid out as image's are stored (width,
 * channels, depth): then they may be given as they are... */
gboolean     image_writer_matches (const ImageWriter *writer,
                                   const Image       *image);
/* ...to this, a row in the writer's layout (what image_writer_pack makes). */
gboolean     image_writer_row_packed (ImageWriter   *writer,
                                      const guint8  *row,
                                      GError       **error);
/* n RGBA floats (clipped to [0, 1]) in the writer's layout, into out; any
 * thread may call it. */
void         image_writer_pack   (const ImageWriter *writer,
                                  const float       *rgba,
                                  int                n,
                                  guint8            *out);
/* Ends the image and flushes it to the file. */
gboolean     image_writer_finish (ImageWriter  *writer,
                                  GError      **error);
void         image_writer_free   (ImageWriter  *writer);

/* A planar 3 x height x width float image written to file: PFM (values as
 * they are) or 16-bit PNG of (v + 1) / 2 (for [-1, 1] data), by format. */
gboolean     image_write_planar  (FILE         *file,
                                  const char   *path,
                                  ImageFormat   format,
                                  const float  *planar,
                                  int           width,
                                  int           height,
                                  GError      **error);

#endif
