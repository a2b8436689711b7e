/* PNG (libpng) and JPEG (libjpeg) reading and writing for the CLI. libpng's
 * simplified API converts 16-bit data to linear light and 8-bit data through
 * the file's gamma, so the classic API is used: it hands over the encoded
 * values as they are. */
#include "imageio.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <jerror.h>
#include <zlib.h>
#include <jpeglib.h>
#include <png.h>

G_DEFINE_QUARK (imageio-error-quark, imageio_error)

static gboolean
fail (GError    **error,
      const char *path,
      const char *what,
      const char *detail)
{
  g_set_error (error, IMAGEIO_ERROR, 0, "%s '%s'%s%s", what, path,
               detail ? ": " : "", detail ? detail : "");
  return FALSE;
}

static Image *
image_new (int width, int height, int channels, int depth, ImageFormat format)
{
  Image *image = g_new0 (Image, 1);
  gsize size = (gsize) width * height * channels * (depth / 8);

  image->width = width;
  image->height = height;
  image->channels = channels;
  image->depth = depth;
  image->format = format;
  image->data = g_try_malloc (MAX (size, 1));
  if (!image->data)
    g_clear_pointer (&image, g_free);
  return image;
}

void
image_free (Image *image)
{
  if (!image)
    return;
  g_free (image->data);
  g_free (image);
}

gboolean
image_has_alpha (const Image *image)
{
  return image->channels == 2 || image->channels == 4;
}

static gsize
row_bytes (const Image *image)
{
  return (gsize) image->width * image->channels * (image->depth / 8);
}

static guint8 *
image_row (const Image *image, int y)
{
  return (guint8 *) image->data + row_bytes (image) * y;
}

const guint8 *
image_row_data (const Image *image,
                int          y)
{
  return image_row (image, y);
}

/* ---- PNG reading ------------------------------------------------------------------ */

typedef struct
{
  char message[200];
} PngMessage;

static void
png_error_fn (png_structp png, png_const_charp msg)
{
  PngMessage *m = png_get_error_ptr (png);
  /* What libpng's stdio reader says when the file ends early. */
  if (strcmp (msg, "Read Error") == 0)
    msg = "the PNG data is truncated";
  g_strlcpy (m->message, msg, sizeof m->message);
  png_longjmp (png, 1);
}

static void
png_warning_fn (png_structp png, png_const_charp msg)
{
  (void) png;
  (void) msg;
}

/* The size error, into buf; FALSE if the image is too big. */
static gboolean
size_ok (guint64  width,
         guint64  height,
         guint64  max_pixels,
         char    *buf,
         gsize    size)
{
  if (width * height <= max_pixels)
    return TRUE;
  g_snprintf (buf, size, "the image is %" G_GUINT64_FORMAT "x%" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
              " pixels), more than the limit of %" G_GUINT64_FORMAT " pixels (--max-pixels)",
              width, height, width * height, max_pixels);
  return FALSE;
}

static Image *
load_png (const char *path,
          FILE       *file,
          guint64     max_pixels,
          GError    **error)
{
  PngMessage msg = { "" };
  png_structp png;
  png_infop info;
  Image *volatile image = NULL;
  png_bytep *volatile rows = NULL;

  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &msg, png_error_fn, png_warning_fn);
  info = png ? png_create_info_struct (png) : NULL;
  if (!info)
    {
      png_destroy_read_struct (&png, NULL, NULL);
      fail (error, path, "cannot read", "out of memory");
      return NULL;
    }
  if (setjmp (png_jmpbuf (png)))
    {
      png_destroy_read_struct (&png, &info, NULL);
      g_free (rows);
      image_free (image);
      fail (error, path, "cannot read", msg.message[0] ? msg.message : "not a valid PNG file");
      return NULL;
    }

  png_init_io (png, file);
  png_read_info (png, info);
  char too_big[sizeof msg.message];
  if (!size_ok (png_get_image_width (png, info), png_get_image_height (png, info), max_pixels,
                too_big, sizeof too_big))
    png_error (png, too_big);

  int color_type = png_get_color_type (png, info);
  int bit_depth = png_get_bit_depth (png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE)
    png_set_palette_to_rgb (png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8)
    png_set_expand_gray_1_2_4_to_8 (png);
  if (png_get_valid (png, info, PNG_INFO_tRNS))
    png_set_tRNS_to_alpha (png);
  if (bit_depth == 16 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    png_set_swap (png);
  png_set_interlace_handling (png);
  png_read_update_info (png, info);

  image = image_new (png_get_image_width (png, info), png_get_image_height (png, info),
                     png_get_channels (png, info), png_get_bit_depth (png, info),
                     IMAGE_FORMAT_PNG);
  rows = image ? g_try_new (png_bytep, image->height) : NULL;
  if (!rows)
    png_error (png, "out of memory");
  if (png_get_rowbytes (png, info) != row_bytes (image))
    png_error (png, "unsupported PNG pixel layout");
  for (int y = 0; y < image->height; y++)
    rows[y] = image_row (image, y);
  png_read_image (png, rows);
  png_read_end (png, NULL);

  png_destroy_read_struct (&png, &info, NULL);
  g_free (rows);
  return image;
}

/* ---- JPEG reading and writing: errors ------------------------------------------------ */

typedef struct
{
  struct jpeg_error_mgr pub;
  jmp_buf               jump;
  char                  message[JMSG_LENGTH_MAX];
} JpegErrors;

static void
jpeg_error_exit_fn (j_common_ptr cinfo)
{
  JpegErrors *e = (JpegErrors *) cinfo->err;
  cinfo->err->format_message (cinfo, e->message);
  longjmp (e->jump, 1);
}

/* The warnings of damaged data, which libjpeg would go on from with grey or
 * garbled rows, are errors; the others (an unknown JFIF revision, a bad ICC
 * marker, stray bytes between markers...) lose no pixels and stay quiet. */
static void
jpeg_emit_message_fn (j_common_ptr cinfo, int level)
{
  JpegErrors *e = (JpegErrors *) cinfo->err;

  if (level >= 0)
    return;
  switch (cinfo->err->msg_code)
    {
    case JWRN_JPEG_EOF:
      g_strlcpy (e->message, "the JPEG data is truncated", sizeof e->message);
      longjmp (e->jump, 1);
    case JWRN_HIT_MARKER:
    case JWRN_MUST_RESYNC:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_NOT_SEQUENTIAL:
      jpeg_error_exit_fn (cinfo);   /* does not return */
    }
}

static void
jpeg_errors_init (JpegErrors *e)
{
  memset (e, 0, sizeof *e);
  jpeg_std_error (&e->pub);
  e->pub.error_exit = jpeg_error_exit_fn;
  e->pub.emit_message = jpeg_emit_message_fn;
}

static Image *
load_jpeg (const char *path,
           FILE       *file,
           guint64     max_pixels,
           GError    **error)
{
  struct jpeg_decompress_struct cinfo;
  JpegErrors errors;
  Image *volatile image = NULL;

  jpeg_errors_init (&errors);
  cinfo.err = &errors.pub;
  if (setjmp (errors.jump))
    {
      jpeg_destroy_decompress (&cinfo);
      image_free (image);
      fail (error, path, "cannot read", errors.message);
      return NULL;
    }
  jpeg_create_decompress (&cinfo);
  jpeg_stdio_src (&cinfo, file);
  jpeg_read_header (&cinfo, TRUE);
  if (!size_ok (cinfo.image_width, cinfo.image_height, max_pixels, errors.message, sizeof errors.message))
    longjmp (errors.jump, 1);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK)
    {
      jpeg_destroy_decompress (&cinfo);
      fail (error, path, "cannot read", "CMYK JPEG images are not supported");
      return NULL;
    }
  cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress (&cinfo);

  image = image_new (cinfo.output_width, cinfo.output_height, cinfo.output_components, 8,
                     IMAGE_FORMAT_JPEG);
  if (!image)
    ERREXIT (&cinfo, JERR_OUT_OF_MEMORY);
  while (cinfo.output_scanline < cinfo.output_height)
    {
      JSAMPROW row = image_row (image, cinfo.output_scanline);
      jpeg_read_scanlines (&cinfo, &row, 1);
    }
  jpeg_finish_decompress (&cinfo);
  jpeg_destroy_decompress (&cinfo);
  return image;
}

Image *
image_read (FILE        *file,
            const char  *name,
            guint64      max_pixels,
            GError     **error)
{
  static const guint8 png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  static const guint8 jpeg_magic[3] = { 0xff, 0xd8, 0xff };
  guint8 magic[8] = { 0 };
  size_t n = fread (magic, 1, sizeof magic, file);

  if (n == 0 || ferror (file) || fseek (file, 0, SEEK_SET) != 0)
    fail (error, name, "cannot read", n == 0 && !ferror (file) ? "the file is empty" : g_strerror (errno));
  else if (n == sizeof magic && memcmp (magic, png_magic, 8) == 0)
    return load_png (name, file, max_pixels, error);
  else if (n >= 3 && memcmp (magic, jpeg_magic, 3) == 0)
    return load_jpeg (name, file, max_pixels, error);
  else
    fail (error, name, "cannot read", "not a PNG or JPEG image");
  return NULL;
}

#define READ_CHUNK 65536

/* A stream that cannot seek (a pipe), read whole; at most limit bytes. */
static GByteArray *
read_whole (FILE        *file,
            const char  *path,
            guint64      limit,
            GError     **error)
{
  GByteArray *data = g_byte_array_new ();
  guint8 chunk[READ_CHUNK];
  size_t n;

  while (data->len <= limit && (n = fread (chunk, 1, sizeof chunk, file)) > 0)
    g_byte_array_append (data, chunk, n);
  if (ferror (file) || data->len > limit)
    {
      fail (error, path, "cannot read", ferror (file) ? g_strerror (errno)
            : "more data than an image within the pixel limit (--max-pixels) can take");
      g_byte_array_unref (data);
      return NULL;
    }
  return data;
}

Image *
image_load (const char  *path,
            guint64      max_pixels,
            GError     **error)
{
  /* Opened without blocking, so that a named pipe nobody writes to reads as
   * empty at once instead of waiting for a writer; reads block again. */
  int fd = g_open (path, O_RDONLY | O_NONBLOCK, 0);
  GStatBuf st;
  FILE *file;
  Image *image = NULL;

  if (fd < 0)
    {
      fail (error, path, "cannot open", g_strerror (errno));
      return NULL;
    }
  int failed = fstat (fd, &st) != 0 ? errno : S_ISDIR (st.st_mode) ? EISDIR : 0;
  if (!failed && fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK) != 0)
    failed = errno;
  if (!failed && !(file = fdopen (fd, "rb")))
    failed = errno;
  if (failed)
    {
      fail (error, path, "cannot read", g_strerror (failed));
      g_close (fd, NULL);
      return NULL;
    }
  if (lseek (fd, 0, SEEK_CUR) >= 0)
    image = image_read (file, path, max_pixels, error);
  else
    {
      /* libpng and libjpeg read on from where the format was recognised only
       * in a stream that seeks: put the pipe's bytes in one. A stored PNG
       * takes about its raw size, at most 8 bytes a pixel, and its other
       * chunks the megabyte (a GByteArray holds 4 GiB at most). */
      guint64 limit = MIN (8 * max_pixels + (1 << 20), G_MAXUINT - READ_CHUNK);
      GByteArray *data = read_whole (file, path, limit, error);
      FILE *memory = data && data->len ? fmemopen (data->data, data->len, "rb") : NULL;

      if (data && data->len && !memory)
        fail (error, path, "cannot read", g_strerror (errno));
      else if (data)   /* an empty pipe: the file at its end says so */
        image = image_read (memory ? memory : file, path, max_pixels, error);
      if (memory)
        fclose (memory);
      if (data)
        g_byte_array_unref (data);
    }
  fclose (file);
  return image;
}

/* ---- rows as floats ------------------------------------------------------------------ */

/* Each conversion is written once, generic over depth and channel count, and
 * instantiated for each pair by the switches below, so that every loop is
 * simple enough for the compiler to vectorise (a row costs about as much as
 * copying it). */
#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

ALWAYS_INLINE float
sample (const void *data, int depth, gsize i)
{
  return depth == 16 ? ((const guint16 *) data)[i] * (1.0f / 65535.0f)
                     : ((const guint8 *) data)[i] * (1.0f / 255.0f);
}

ALWAYS_INLINE void
convert_rgba (const void *p, int depth, int nc, gsize n, float *rgba)
{
  for (gsize x = 0; x < n; x++, rgba += 4)
    {
      gsize i = x * nc;
      if (nc >= 3)
        for (int c = 0; c < 3; c++)
          rgba[c] = sample (p, depth, i + c);
      else
        rgba[0] = rgba[1] = rgba[2] = sample (p, depth, i);
      rgba[3] = nc == 2 || nc == 4 ? sample (p, depth, i + nc - 1) : 1.0f;
    }
}

/* what: 'm' the mask (first channel times alpha), 'a' the alpha alone. */
ALWAYS_INLINE void
convert_plane (const void *p, int depth, int nc, char what, gsize n, float *out)
{
  const gboolean alpha = nc == 2 || nc == 4;

  for (gsize x = 0; x < n; x++)
    {
      gsize i = x * nc;
      float a = alpha ? sample (p, depth, i + nc - 1) : 1.0f;
      out[x] = what == 'a' ? a : sample (p, depth, i) * a;
    }
}

#define EACH_LAYOUT(CASE) \
  CASE (8, 1) CASE (8, 2) CASE (8, 3) CASE (8, 4) CASE (16, 1) CASE (16, 2) CASE (16, 3) CASE (16, 4)
#define LAYOUT(depth, nc) ((depth) * 8 + (nc))

void
image_span_rgba (const Image *image,
                 int          y,
                 int          x,
                 int          n,
                 float       *rgba)
{
  const int nc = image->channels;
  const guint8 *p = image_row (image, y) + (gsize) x * nc * (image->depth / 8);

  g_return_if_fail (x >= 0 && n >= 0 && x <= image->width - n);
  switch (LAYOUT (image->depth, nc))
    {
#define RGBA_CASE(d, c) case LAYOUT (d, c): convert_rgba (p, d, c, n, rgba); break;
      EACH_LAYOUT (RGBA_CASE)
#undef RGBA_CASE
    default:
      g_return_if_reached ();
    }
}

void
image_row_rgba (const Image *image,
                int          y,
                float       *rgba)
{
  image_span_rgba (image, y, 0, image->width, rgba);
}

static void
span_plane (const Image *image,
            int          y,
            int          x,
            int          n,
            char         what,
            float       *out)
{
  const int nc = image->channels;
  const guint8 *p = image_row (image, y) + (gsize) x * nc * (image->depth / 8);

  g_return_if_fail (x >= 0 && n >= 0 && x <= image->width - n);
  switch (LAYOUT (image->depth, nc))
    {
#define PLANE_CASE(d, c) case LAYOUT (d, c): convert_plane (p, d, c, what, n, out); break;
      EACH_LAYOUT (PLANE_CASE)
#undef PLANE_CASE
    default:
      g_return_if_reached ();
    }
}

void
image_span_mask (const Image *image,
                 int          y,
                 int          x,
                 int          n,
                 float       *out)
{
  span_plane (image, y, x, n, 'm', out);
}

void
image_span_alpha (const Image *image,
                  int          y,
                  int          x,
                  int          n,
                  float       *out)
{
  span_plane (image, y, x, n, 'a', out);
}

ImageFormat
image_format_for_path (const char *path)
{
  const char *dot = strrchr (path, '.');

  if (!dot || strchr (dot, G_DIR_SEPARATOR))
    return IMAGE_FORMAT_UNKNOWN;
  if (g_ascii_strcasecmp (dot, ".png") == 0)
    return IMAGE_FORMAT_PNG;
  if (g_ascii_strcasecmp (dot, ".jpg") == 0 || g_ascii_strcasecmp (dot, ".jpeg") == 0)
    return IMAGE_FORMAT_JPEG;
  if (g_ascii_strcasecmp (dot, ".pfm") == 0)
    return IMAGE_FORMAT_PFM;
  return IMAGE_FORMAT_UNKNOWN;
}

/* ---- writing --------------------------------------------------------------------------- */

struct _ImageWriter
{
  char          *path;
  FILE          *file;     /* not owned */
  ImageFormat    format;
  int            width, height, channels, depth, rows_done;
  guint8        *row;
  png_structp    png;
  png_infop      info;
  PngMessage     png_message;
  struct jpeg_compress_struct jpeg;
  JpegErrors     jpeg_errors;
  gboolean       jpeg_started;
};

static gboolean
writer_fail (ImageWriter *w,
             GError     **error,
             const char  *detail)
{
  return fail (error, w->path, "cannot write", detail);
}

void
image_writer_free (ImageWriter *w)
{
  if (!w)
    return;
  if (w->png)
    png_destroy_write_struct (&w->png, &w->info);
  if (w->jpeg_started)
    jpeg_destroy_compress (&w->jpeg);
  g_free (w->row);
  g_free (w->path);
  g_free (w);
}

/* Not inlined into image_writer_new, whose setjmp would make gcc warn about
 * g_new0's temporary. */
G_GNUC_NO_INLINE static ImageWriter *
writer_alloc (FILE        *file,
              const char  *path,
              ImageFormat  format,
              int          width,
              int          height)
{
  ImageWriter *w = g_new0 (ImageWriter, 1);

  w->path = g_strdup (path);
  w->file = file;
  w->format = format;
  w->width = width;
  w->height = height;
  return w;
}

static inline guint32
quantize (float v, guint32 max)
{
  v = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
  return (guint32) (v * max + 0.5f);
}

/* n RGBA floats to nc channels of depth bits (as the conversions above). */
ALWAYS_INLINE void
pack (const float *rgba, int depth, int nc, int n, guint8 *out)
{
  for (gsize x = 0; x < (gsize) n; x++)
    for (int c = 0; c < nc; c++)
      if (depth == 16)
        ((guint16 *) out)[x * nc + c] = quantize (rgba[4 * x + c], 65535);
      else
        out[x * nc + c] = quantize (rgba[4 * x + c], 255);
}

ImageWriter *
image_writer_new (FILE        *file,
                  const char  *path,
                  ImageFormat  format,
                  int          width,
                  int          height,
                  int          channels,
                  int          depth,
                  int          quality,
                  GError     **error)
{
  ImageWriter *w;

  g_return_val_if_fail (format == IMAGE_FORMAT_PNG || format == IMAGE_FORMAT_JPEG, NULL);

  w = writer_alloc (file, path, format, width, height);
  w->channels = format == IMAGE_FORMAT_JPEG ? 3 : channels;
  w->depth = format == IMAGE_FORMAT_JPEG ? 8 : depth;
  w->row = g_malloc ((gsize) width * w->channels * (w->depth / 8));

  if (format == IMAGE_FORMAT_PNG)
    {
      w->png = png_create_write_struct (PNG_LIBPNG_VER_STRING, &w->png_message,
                                        png_error_fn, png_warning_fn);
      w->info = w->png ? png_create_info_struct (w->png) : NULL;
      if (!w->info || setjmp (png_jmpbuf (w->png)))
        {
          writer_fail (w, error, w->png_message.message[0] ? w->png_message.message : "out of memory");
          image_writer_free (w);
          return NULL;
        }
      png_init_io (w->png, w->file);
      png_set_IHDR (w->png, w->info, width, height, w->depth,
                    w->channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
                    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
      /* Speed over size: one filter and zlib's fastest level write a 24 Mpixel
       * picture several times faster than libpng's defaults (adaptive filtering,
       * level 6), for a file a fifth larger (README, Speed). */
      png_set_filter (w->png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
      png_set_compression_level (w->png, Z_BEST_SPEED);
      png_write_info (w->png, w->info);
      if (w->depth == 16 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
        png_set_swap (w->png);
    }
  else
    {
      jpeg_errors_init (&w->jpeg_errors);
      w->jpeg.err = &w->jpeg_errors.pub;
      if (setjmp (w->jpeg_errors.jump))
        {
          writer_fail (w, error, w->jpeg_errors.message);
          image_writer_free (w);
          return NULL;
        }
      jpeg_create_compress (&w->jpeg);
      w->jpeg_started = TRUE;
      jpeg_stdio_dest (&w->jpeg, w->file);
      w->jpeg.image_width = width;
      w->jpeg.image_height = height;
      w->jpeg.input_components = 3;
      w->jpeg.in_color_space = JCS_RGB;
      jpeg_set_defaults (&w->jpeg);
      jpeg_set_quality (&w->jpeg, quality, TRUE);
      jpeg_start_compress (&w->jpeg, TRUE);
    }
  return w;
}

gboolean
image_writer_matches (const ImageWriter *w,
                      const Image       *image)
{
  return image->width == w->width && image->channels == w->channels && image->depth == w->depth;
}

void
image_writer_pack (const ImageWriter *w,
                   const float       *rgba,
                   int                n,
                   guint8            *out)
{
  switch (LAYOUT (w->depth, w->channels))
    {
#define PACK_CASE(d, c) case LAYOUT (d, c): pack (rgba, d, c, n, out); break;
      PACK_CASE (8, 3) PACK_CASE (8, 4) PACK_CASE (16, 3) PACK_CASE (16, 4)
#undef PACK_CASE
    default:
      g_return_if_reached ();
    }
}

gboolean
image_writer_row_packed (ImageWriter   *w,
                         const guint8  *row,
                         GError       **error)
{
  g_return_val_if_fail (w->rows_done < w->height, FALSE);

  if (w->format == IMAGE_FORMAT_PNG)
    {
      if (setjmp (png_jmpbuf (w->png)))
        return writer_fail (w, error, w->png_message.message);
      png_write_row (w->png, row);
    }
  else
    {
      JSAMPROW r = (JSAMPROW) row;
      if (setjmp (w->jpeg_errors.jump))
        return writer_fail (w, error, w->jpeg_errors.message);
      jpeg_write_scanlines (&w->jpeg, &r, 1);
    }
  w->rows_done++;
  return TRUE;
}

gboolean
image_writer_row (ImageWriter  *w,
                  const float  *rgba,
                  GError      **error)
{
  image_writer_pack (w, rgba, w->width, w->row);
  return image_writer_row_packed (w, w->row, error);
}

/* Everything written has reached the file (or the error says why not). */
static gboolean
flush_file (ImageWriter  *w,
            GError      **error)
{
  if (fflush (w->file) != 0 || ferror (w->file))
    return writer_fail (w, error, g_strerror (errno ? errno : EIO));
  return TRUE;
}

gboolean
image_writer_finish (ImageWriter  *w,
                     GError      **error)
{
  g_return_val_if_fail (w->rows_done == w->height, FALSE);

  if (w->format == IMAGE_FORMAT_PNG)
    {
      if (setjmp (png_jmpbuf (w->png)))
        return writer_fail (w, error, w->png_message.message);
      png_write_end (w->png, NULL);
    }
  else if (w->format == IMAGE_FORMAT_JPEG)
    {
      if (setjmp (w->jpeg_errors.jump))
        return writer_fail (w, error, w->jpeg_errors.message);
      jpeg_finish_compress (&w->jpeg);
    }
  return flush_file (w, error);
}

static gboolean
write_pfm (ImageWriter  *w,
           const float  *planar,
           GError      **error)
{
  gsize plane = (gsize) w->width * w->height;
  float *line = g_new (float, (gsize) w->width * 3);

  /* PFM: little-endian floats when the scale is negative, rows bottom to top. */
  fprintf (w->file, "PF\n%d %d\n%s\n", w->width, w->height,
           G_BYTE_ORDER == G_LITTLE_ENDIAN ? "-1.0" : "1.0");
  for (int y = w->height - 1; y >= 0; y--)
    {
      for (int x = 0; x < w->width; x++)
        for (int c = 0; c < 3; c++)
          line[3 * x + c] = planar[c * plane + (gsize) y * w->width + x];
      fwrite (line, sizeof (float), (gsize) w->width * 3, w->file);
    }
  g_free (line);
  return flush_file (w, error);
}

gboolean
image_write_planar (FILE         *file,
                    const char   *path,
                    ImageFormat   format,
                    const float  *planar,
                    int           width,
                    int           height,
                    GError      **error)
{
  gsize plane = (gsize) width * height;
  ImageWriter *w;
  gboolean ok = TRUE;

  if (format == IMAGE_FORMAT_PFM)
    {
      w = writer_alloc (file, path, format, width, height);
      ok = write_pfm (w, planar, error);
    }
  else
    {
      float *rgba = g_new (float, (gsize) width * 4);
      w = image_writer_new (file, path, IMAGE_FORMAT_PNG, width, height, 3, 16, 0, error);
      for (int y = 0; w && ok && y < height; y++)
        {
          for (int x = 0; x < width; x++)
            for (int c = 0; c < 4; c++)
              rgba[4 * x + c] = c < 3 ? (planar[c * plane + (gsize) y * width + x] + 1.0f) * 0.5f : 1.0f;
          ok = image_writer_row (w, rgba, error);
        }
      ok = w && ok && image_writer_finish (w, error);
      g_free (rgba);
    }
  image_writer_free (w);
  return ok;
}
