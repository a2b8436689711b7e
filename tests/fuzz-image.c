/* libFuzzer target for the CLI's image reader (engine/cli/imageio.c), built
 * by tests/run-fuzz.sh twice: -DFUZZ_PNG (fuzz-png) and -DFUZZ_JPEG
 * (fuzz-jpeg), each taking the inputs that start as its format does. Every
 * input is refused with one line naming it, or read whole with a size within
 * the limit; all its rows are then converted (the sanitizers watch). */
#include "imageio.h"

#include <stdint.h>
#include <string.h>

/* Small, so that no input costs much memory; above every seed's size. */
#define MAX_PIXELS (1 << 20)

#if defined (FUZZ_PNG)
static const guint8 magic[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
#elif defined (FUZZ_JPEG)
static const guint8 magic[] = { 0xff, 0xd8, 0xff };
#else
#error "build with -DFUZZ_PNG or -DFUZZ_JPEG"
#endif

static void
check_rows (const Image *image)
{
  float *rgba = g_new (float, (gsize) image->width * 4);
  float *mask = g_new (float, image->width);

  for (int y = 0; y < image->height; y++)
    {
      image_row_rgba (image, y, rgba);
      for (int i = 0; i < image->width * 4; i++)
        if (!(rgba[i] >= 0.0f && rgba[i] <= 1.0f))
          __builtin_trap ();
      image_span_mask (image, y, 0, image->width, mask);
      for (int x = 0; x < image->width; x++)
        if (!(mask[x] >= 0.0f && mask[x] <= 1.0f))
          __builtin_trap ();
      image_span_alpha (image, y, 0, image->width, mask);
      for (int x = 0; x < image->width; x++)
        if (!(mask[x] >= 0.0f && mask[x] <= 1.0f) || mask[x] != rgba[4 * x + 3])
          __builtin_trap ();
    }
  g_free (rgba);
  g_free (mask);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  GError *error = NULL;
  Image *image;
  FILE *file;

  if (size < sizeof magic || memcmp (data, magic, sizeof magic) != 0)
    return 0;   /* the other target's, or neither's */
  file = fmemopen ((void *) data, size, "rb");
  if (!file)
    __builtin_trap ();
  image = image_read (file, "input", MAX_PIXELS, &error);
  fclose (file);
  if (!image)
    {
      if (!error || error->domain != IMAGEIO_ERROR
          || !g_str_has_prefix (error->message, "cannot read 'input': ") || strchr (error->message, '\n'))
        __builtin_trap ();
      g_error_free (error);
      return 0;
    }
  if (error || image->width < 1 || image->height < 1
      || (guint64) image->width * image->height > MAX_PIXELS
      || image->channels < 1 || image->channels > 4 || (image->depth != 8 && image->depth != 16))
    __builtin_trap ();
  check_rows (image);
  image_free (image);
  return 0;
}
